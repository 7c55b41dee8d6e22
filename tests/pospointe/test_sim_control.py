"""Control endpoints, persistence across a restart, and the in-process API."""

from __future__ import annotations

import sqlite3
from decimal import Decimal

import pytest

from kiosk.sim.pospointe import (
    DEMO_CARDS,
    DEMO_FRANCHISEE_ID,
    DEMO_PASSWORD,
    DEMO_STORE_ID,
    DEMO_USER,
    PATH_PREFIXES,
    PosPointeSimulator,
)
from tests.pospointe.conftest import ACTIVE, LOW, UNSOLD, ok, refused


def test_demo_cards_cover_the_journeys():
    statuses = [card["status"] for card in DEMO_CARDS]
    assert {"active", "inactive", "blocked"} <= set(statuses)
    assert any(card["status"] == "active" and Decimal(card["balance"]) < 10 for card in DEMO_CARDS)
    assert all(card["currency"] == "USD" and card["security_code"] for card in DEMO_CARDS)
    assert len({card["number"][-4:] for card in DEMO_CARDS}) == len(DEMO_CARDS)


def test_path_prefixes_do_not_clash_with_rapyd():
    assert not any(prefix.startswith(("/v1/pos", "/_sim/")) and prefix != "/_sim/pospointe" for prefix in PATH_PREFIXES)
    assert "/_sim/pospointe" in PATH_PREFIXES


def test_info_endpoint(sim, api):
    info = api.send("GET", "/_sim/pospointe/info", auth="").json()
    assert info == sim.info()
    assert (info["user"], info["password"], info["store_id"], info["franchisee_id"]) == (
        DEMO_USER, DEMO_PASSWORD, DEMO_STORE_ID, DEMO_FRANCHISEE_ID)
    assert info["base_path"] == ""
    assert [(c["number"], c["security_code"], c["balance"], c["status"]) for c in info["cards"]] == [
        (c["number"], c["security_code"], c["balance"], c["status"]) for c in DEMO_CARDS
    ]
    assert info["status_codes"]["300002"]["description"] == "Card token expired"


def test_info_shows_current_balances(sim, api):
    ok(api.money("reload", api.token(ACTIVE), 5))
    card = next(c for c in sim.info()["cards"] if c["number"] == ACTIVE[0])
    assert card["balance"] == "105.00"


def test_fault_switchboard(sim, api):
    armed = api.send("POST", "/_sim/pospointe/faults", {"kind": "error_before_apply", "operation": "reload", "count": 2}, auth="")
    assert armed.status_code == 201 and armed.json()["armed"]["operation"] == "reload"
    assert api.send("GET", "/_sim/pospointe/faults", auth="").json()["faults"][0]["count"] == 2
    assert api.money("reload", api.token(ACTIVE), 5).status_code == 503
    assert api.send("DELETE", "/_sim/pospointe/faults", auth="").json() == {"faults": []}
    ok(api.money("reload", api.token(ACTIVE), 5))
    for bad in ({"kind": "nope"}, {"kind": "slow", "operation": "withdraw"}, {"kind": "slow", "extra": 1}, {}):
        response = api.send("POST", "/_sim/pospointe/faults", bad, auth="")
        assert response.status_code == 400 and response.json()["error"]


def test_ledger_and_new_cards(sim, api):
    created = api.send("POST", "/_sim/pospointe/cards",
                       {"number": "7012340000002009", "security_code": "1111", "balance": "12.00", "status": "active"}, auth="")
    assert created.status_code == 201
    token = api.token(("7012340000002009", "1111"))
    assert ok(api.balance(token))["balance"] == 12
    assert api.send("POST", "/_sim/pospointe/cards", {"number": "12", "security_code": "1"}, auth="").status_code == 400
    ok(api.money("redeem", token, 2))
    ledger = api.send("GET", "/_sim/pospointe/ledger", auth="").json()
    assert ledger["transactions"][0]["kind"] == "redeem" and ledger["transactions"][0]["amount"] == "2.00"
    assert any(c["number"] == "7012340000002009" and c["balance"] == "10.00" for c in ledger["cards"])
    assert len(ledger["batches"]) == 1


def test_add_card_validation(sim):
    for args in (("123", "1111"), ("7012340000003007", "x"), ("7012340000003007", "1111", "-1"),
                 ("7012340000003007", "1111", "1", "lost"), (ACTIVE[0], "1111")):
        with pytest.raises(ValueError):
            sim.add_card(*args)


def test_the_books_are_durable_sqlite(tmp_path, clock):
    path = tmp_path / "pp.sqlite"
    sim = PosPointeSimulator(path, clock=clock)
    assert sim.books._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert sim.books._db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    sim.close()
    assert sqlite3.connect(path).execute("SELECT COUNT(*) FROM cards").fetchone()[0] == len(DEMO_CARDS)


def test_state_survives_a_restart(make_sim, api, tmp_path, clock):
    path = tmp_path / "pospointe.sqlite"
    sim = make_sim(ledger_path=path)
    token = api.token(ACTIVE)
    ok(api.money("reload", token, "12.34"))
    ok(api.money("sell", api.token(UNSOLD), 20))
    for _ in range(5):
        api.token_answer((LOW[0], "0000"))  # locks LOW
    opened = ok(api.batch())["batchid"]
    sim.close()

    restarted = make_sim(ledger_path=path)
    assert restarted.card_balance(ACTIVE[0]) == Decimal("112.34")
    assert restarted.card_status(UNSOLD[0]) == "active"
    assert ok(api.balance(token))["balance"] == 112.34  # the token came back too
    assert refused(api.token_answer(LOW)) == "200003"  # and the lockout
    batch = ok(api.batch())
    assert batch["batchid"] == opened and len(batch["transactions"]) == 2
    ok(api.close_batch())
    restarted.close()

    third = make_sim(ledger_path=path)
    assert ok(api.batch())["batchid"] != opened
    assert len(third.transactions()) == 2
    assert third.card_balance(ACTIVE[0]) == Decimal("112.34")  # demo cards are seeded once


def test_without_demo_cards(make_sim, api):
    sim = make_sim(seed_demo=False)
    assert sim.info()["cards"] == []
    assert refused(api.token_answer(ACTIVE)) == "200001"
