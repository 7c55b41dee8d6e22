"""The fault catalogue, seen from a real HTTP client on loopback."""

from __future__ import annotations

import time
from decimal import Decimal

import httpx
import pytest

from tests.sim.pos import error_code, ok_data

PHONE = "+12025550143"  # EUR 1500


def _wait_for(predicate, timeout=3.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.02)


def test_error_before_apply_answers_503_from_the_gateway_and_applies_nothing(sim, pos):
    s = pos.open_session(sim, PHONE)
    sim.inject_fault("error_before_apply", operation="withdraw")
    response = pos.withdraw(s, s.account_id("EUR"), "100")
    assert response.status_code == 503 and "text/html" in response.headers["content-type"]
    assert sim.balance(PHONE, "EUR") == 1500
    ok_data(pos.withdraw(s, s.account_id("EUR"), "100"))  # the fault was for one request
    assert sim.balance(PHONE, "EUR") == 1400


def test_error_500_before_apply_keeps_the_envelope(sim, pos):
    sim.inject_fault("error_before_apply", operation="echo", status=500)
    response = pos.echo()
    assert (response.status_code, error_code(response)) == (500, "INTERNAL_SERVER_ERROR")


def test_error_after_apply_answers_500_but_the_change_is_made(sim, pos):
    s = pos.open_session(sim, PHONE)
    sim.inject_fault("error_after_apply", operation="withdraw")
    response = pos.withdraw(s, s.account_id("EUR"), "100", idempotency="w1")
    assert response.status_code == 500
    assert sim.balance(PHONE, "EUR") == 1400
    # The retry with the same key learns the true outcome.
    retry = pos.withdraw(s, s.account_id("EUR"), "100", idempotency="w1")
    assert ok_data(retry)["transaction_id"] == sim.transactions()[0].transaction_id
    assert sim.balance(PHONE, "EUR") == 1400


def test_drop_after_apply_breaks_the_response_but_applies(sim, pos):
    s = pos.open_session(sim, PHONE)
    sim.inject_fault("drop_after_apply", operation="withdraw")
    with pytest.raises(httpx.TransportError):
        pos.withdraw(s, s.account_id("EUR"), "100", idempotency="w2")
    assert sim.balance(PHONE, "EUR") == 1400
    (t,) = sim.transactions()
    retry = pos.withdraw(s, s.account_id("EUR"), "100", idempotency="w2")
    assert ok_data(retry)["transaction_id"] == t.transaction_id
    assert len(sim.transactions()) == 1


def test_drop_before_apply_breaks_the_response_and_applies_nothing(sim, pos):
    s = pos.open_session(sim, PHONE)
    sim.inject_fault("drop_before_apply", operation="deposit")
    with pytest.raises(httpx.TransportError):
        pos.deposit(s, "10", "EUR")
    assert sim.balance(PHONE, "EUR") == 1500 and sim.transactions() == []


def test_timeout_before_apply_hangs_then_cuts_without_applying(sim, pos):
    s = pos.open_session(sim, PHONE)
    sim.inject_fault("timeout_before_apply", operation="withdraw", seconds=0.4)
    with pytest.raises(httpx.ReadTimeout):
        pos.withdraw(s, s.account_id("EUR"), "100", timeout=0.15)
    time.sleep(0.4)
    assert sim.balance(PHONE, "EUR") == 1500
    # A patient client sees the connection cut after the hang.
    sim.inject_fault("timeout_before_apply", operation="withdraw", seconds=0.2)
    started = time.monotonic()
    with pytest.raises(httpx.TransportError):
        pos.withdraw(s, s.account_id("EUR"), "100")
    assert time.monotonic() - started >= 0.2
    assert sim.balance(PHONE, "EUR") == 1500


def test_timeout_before_apply_that_answers_applies_late(sim, pos):
    s = pos.open_session(sim, PHONE)
    sim.inject_fault("timeout_before_apply", operation="withdraw", seconds=0.3, answer=True)
    with pytest.raises(httpx.ReadTimeout):
        pos.withdraw(s, s.account_id("EUR"), "100", timeout=0.1)
    assert sim.balance(PHONE, "EUR") == 1500  # not yet ...
    _wait_for(lambda: sim.balance(PHONE, "EUR") == 1400)  # ... but it lands after the hang


def test_timeout_after_apply_has_applied_while_the_client_waits(sim, pos):
    s = pos.open_session(sim, PHONE)
    sim.inject_fault("timeout_after_apply", operation="withdraw", seconds=0.5)
    with pytest.raises(httpx.ReadTimeout):
        pos.withdraw(s, s.account_id("EUR"), "100", timeout=0.2)
    assert sim.balance(PHONE, "EUR") == 1400
    sim.inject_fault("timeout_after_apply", operation="logout", seconds=0.2)
    started = time.monotonic()
    ok_data(pos.logout(s))  # a patient client gets the normal answer
    assert time.monotonic() - started >= 0.2


def test_slow_answers_normally_after_the_delay(sim, pos):
    sim.inject_fault("slow", operation="echo", seconds=0.3)
    started = time.monotonic()
    ok_data(pos.echo())
    assert time.monotonic() - started >= 0.3


def test_faults_match_their_operation_and_count(sim, pos):
    sim.inject_fault("error_before_apply", operation="deposit", count=2)
    ok_data(pos.echo())
    s = pos.open_session(sim, PHONE)
    assert pos.deposit(s, "1", "EUR").status_code == 503
    assert pos.deposit(s, "1", "EUR").status_code == 503
    ok_data(pos.deposit(s, "1", "EUR"))


def test_any_operation_and_clear(sim, pos):
    sim.inject_fault("error_before_apply", operation="any", count=5)
    assert pos.echo().status_code == 503
    sim.clear_faults()
    ok_data(pos.echo())


def test_faults_skip_requests_that_fail_authentication(sim, pos):
    sim.inject_fault("error_before_apply", operation="echo")
    assert pos.echo(secret="wrong").status_code == 401
    assert pos.echo().status_code == 503


def test_base_latency(make_sim, pos):
    sim = make_sim(latency=0.25)
    started = time.monotonic()
    ok_data(pos.echo())
    assert time.monotonic() - started >= 0.25
    sim.latency = 0


def test_control_endpoint(sim, pos):
    http = pos.http
    armed = http.post("/_sim/faults", json={"kind": "drop_after_apply", "operation": "deposit", "count": 2})
    assert armed.status_code == 201
    assert armed.json()["armed"] == {
        "kind": "drop_after_apply", "operation": "deposit", "count": 2, "seconds": 0.0, "status": 0, "answer": False,
    }
    http.post("/_sim/faults", json={"kind": "slow", "seconds": 0.1})
    assert [f["kind"] for f in http.get("/_sim/faults").json()["faults"]] == ["drop_after_apply", "slow"]
    s = pos.open_session(sim, PHONE)  # "slow" on any: this login takes it
    with pytest.raises(httpx.TransportError):
        pos.deposit(s, "7", "EUR")
    assert sim.balance(PHONE, "EUR") == Decimal("1507")
    assert http.get("/_sim/faults").json()["faults"][0]["count"] == 1
    assert http.delete("/_sim/faults").json() == {"faults": []}
    assert http.get("/_sim/faults").json() == {"faults": []}


@pytest.mark.parametrize(
    "document",
    [
        {"kind": "explode"},
        {"kind": "slow", "operation": "refund"},
        {"kind": "slow", "count": 0},
        {"kind": "slow", "seconds": -1},
        {"kind": "error_after_apply", "status": 404},
        {"operation": "echo"},
        {"kind": "slow", "colour": "red"},
    ],
)
def test_control_endpoint_refuses_bad_faults(sim, pos, document):
    response = pos.http.post("/_sim/faults", json=document)
    assert response.status_code == 400 and response.json()["error"]


def test_magic_amounts(sim, pos, clock):
    s = pos.open_session(sim, PHONE)
    assert pos.withdraw(s, s.account_id("EUR"), "666.01").status_code == 503
    assert sim.balance(PHONE, "EUR") == 1500
    with pytest.raises(httpx.TransportError):
        pos.withdraw(s, s.account_id("EUR"), "666.03", idempotency="magic")
    assert sim.balance(PHONE, "EUR") == Decimal("833.97")
    # The retry with the same key is not sabotaged again: it learns the outcome.
    ok_data(pos.withdraw(s, s.account_id("EUR"), "666.03", idempotency="magic"))
    clock.advance(30)
    s = pos.open_session(sim, PHONE)
    assert pos.deposit(s, "666.02", "EUR").status_code == 500
    assert sim.balance(PHONE, "EUR") == Decimal("833.97") + Decimal("666.02")
