"""The books survive a restart; the fault catalogue and the control endpoints."""

from __future__ import annotations

import sqlite3
from decimal import Decimal

import httpx
import pytest

from kiosk.sim.flexiti import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, FlexitiSimulator

from .conftest import JANE, error_of


def test_books_survive_a_restart(make_sim, api, tmp_path, clock):
    path = tmp_path / "flexiti.sqlite"
    sim = make_sim(ledger_path=path)
    pin = api.pin_for(sim, JANE)
    first = api.transaction("key-1", amount=12.34, account_number=JANE, verification_code=pin)
    api.verify(JANE, format="security_question", security_qid="1", security_answer="wrong")
    sim.close()

    again = make_sim(ledger_path=path)
    assert again.balance(JANE) == Decimal("1187.66") and again.failed_tries(JANE) == 1
    assert again.last_pin(JANE) == pin
    # The token, the verification and the idempotency record came back too.
    replay = api.transaction("key-1", amount=12.34, account_number=JANE, verification_code=pin)
    assert replay.content == first.content and len(again.transactions()) == 1
    assert api.transaction(amount=1, account_number=JANE, verification_code=pin).status_code == 200
    again.close()
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.close()


def test_demo_customers_are_seeded_once(tmp_path, clock):
    path = tmp_path / "flexiti.sqlite"
    sim = FlexitiSimulator(path, clock=clock)
    sim.books.set_balance(JANE, Decimal("1.00"))
    sim.close()
    again = FlexitiSimulator(path, clock=clock)
    assert again.balance(JANE) == Decimal("1.00")
    again.close()
    empty = FlexitiSimulator(clock=clock, seed_demo=False)
    assert empty.balance(JANE) is None and empty.info()["customers"] == []
    empty.close()


def test_error_before_apply_applies_nothing(sim, api):
    pin = api.pin_for(sim, JANE)
    sim.inject_fault("error_before_apply", operation="transaction")
    response = api.transaction("k", amount=10, account_number=JANE, verification_code=pin)
    assert response.status_code == 503 and "text/html" in response.headers["content-type"]
    assert sim.transactions() == []


def test_error_after_apply_applies_and_the_key_tells(sim, api):
    pin = api.pin_for(sim, JANE)
    sim.inject_fault("error_after_apply", operation="transaction")
    response = api.transaction("k", amount=10, account_number=JANE, verification_code=pin)
    assert response.status_code == 500 and error_of(response) == "general_error"
    (t,) = sim.transactions()
    retry = api.transaction("k", amount=10, account_number=JANE, verification_code=pin)
    assert retry.json()["transaction_id"] == t.transaction_id and len(sim.transactions()) == 1


def test_drop_after_apply_cuts_the_answer_but_applies(sim, api):
    pin = api.pin_for(sim, JANE)
    sim.inject_fault("drop_after_apply", operation="transaction")
    with pytest.raises(httpx.TransportError):
        api.transaction("k", amount=10, account_number=JANE, verification_code=pin)
    assert len(sim.transactions()) == 1


def test_faults_target_their_operation(sim, api):
    sim.inject_fault("error_before_apply", operation="token", status=502)
    assert api.token().status_code == 502
    assert api.token().status_code == 200
    sim.inject_fault("error_before_apply", operation="lookup", count=2)
    assert api.lookup(account_number=JANE).status_code == 503
    assert api.search(first_name="Jane", last_name="Tremblay", dob="1985-03-14").status_code == 503
    assert api.lookup(account_number=JANE).status_code == 200
    with pytest.raises(ValueError):
        sim.inject_fault("error_before_apply", operation="withdraw")


def test_magic_amount_fires_only_on_the_first_delivery_of_a_key(sim, api):
    pin = api.pin_for(sim, JANE)
    assert api.transaction("m", amount=666.02, account_number=JANE, verification_code=pin).status_code == 500
    retry = api.transaction("m", amount=666.02, account_number=JANE, verification_code=pin)
    assert retry.status_code == 200 and len(sim.transactions()) == 1


def test_slow_fault_and_latency(make_sim, api):
    sim = make_sim(latency=0.05)
    sim.inject_fault("slow", operation="lookup", seconds=0.2)
    response = api.lookup(account_number=JANE)
    assert response.status_code == 200 and response.elapsed.total_seconds() >= 0.2


def test_control_endpoints(sim, api, server):
    control = server.url + "/_sim/flexiti"
    info = httpx.get(control + "/info").json()
    assert info["base_path"] == "/flexiti/pos-api/v2.5"
    assert (info["client_id"], info["client_secret"]) == (DEMO_CLIENT_ID, DEMO_CLIENT_SECRET)
    jane = next(c for c in info["customers"] if c["account_number"] == JANE)
    assert jane["security_question"]["answer"] == "Biscuit" and jane["licence_scan"].startswith("@\n")
    assert info == sim.info()

    assert httpx.get(control + f"/pins?account_number={JANE}").status_code == 404  # nothing sent yet
    assert httpx.get(control + "/pins?account_number=1").status_code == 404
    api.verify(JANE, format="email")
    assert httpx.get(control + f"/pins?account_number={JANE}").json()["pin"] == sim.last_pin(JANE)

    armed = httpx.post(control + "/faults", json={"kind": "error_before_apply", "operation": "verify"})
    assert armed.status_code == 201 and httpx.get(control + "/faults").json()["faults"][0]["operation"] == "verify"
    assert httpx.post(control + "/faults", json={"kind": "nope"}).status_code == 400
    assert httpx.post(control + "/faults", json={"kind": "slow", "operation": "withdraw"}).status_code == 400
    assert httpx.delete(control + "/faults").json() == {"faults": []}

    assert httpx.post(control + "/settings", json={"token_lifetime": 0}).status_code == 400
    assert httpx.post(control + "/settings", json={"token_lifetime": 60}).json()["token_lifetime"] == 60
    assert api.token().json()["expires_in"] == 60

    for _ in range(3):
        api.verify(JANE, format="security_question", security_qid="1", security_answer="no")
    assert error_of(api.verify(JANE, format="sms")) == "tries_exceed"
    assert httpx.post(control + "/unlock", json={"account_number": JANE}).status_code == 200
    assert api.verify(JANE, format="sms").status_code == 200

    ledger = httpx.get(control + "/ledger").json()
    assert {c["account_number"] for c in ledger["customers"]} >= {JANE} and ledger["transactions"] == []
