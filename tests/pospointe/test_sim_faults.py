"""The fault catalogue on the POSPointe simulator, seen from a raw HTTP client on loopback."""

from __future__ import annotations

import time
from decimal import Decimal

import httpx
import pytest

from tests.pospointe.conftest import ACTIVE, LOW, basic, ok, refused


def _wait_for(predicate, timeout=3.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.02)


def test_error_before_apply_is_a_gateway_page_and_applies_nothing(sim, api):
    token = api.token(ACTIVE)
    sim.inject_fault("error_before_apply", operation="reload")
    response = api.money("reload", token, 10)
    assert response.status_code == 503 and "text/html" in response.headers["content-type"]
    assert sim.card_balance(ACTIVE[0]) == 100
    ok(api.money("reload", token, 10))  # the fault was for one request
    assert sim.card_balance(ACTIVE[0]) == 110


def test_error_after_apply_answers_500_but_the_reload_is_made(sim, api):
    token = api.token(ACTIVE)
    sim.inject_fault("error_after_apply", operation="reload")
    response = api.money("reload", token, 10)
    assert response.status_code == 500 and response.json()["statuscode"] == "999999"
    assert sim.card_balance(ACTIVE[0]) == 110
    assert len(sim.transactions()) == 1


def test_error_500_before_apply_keeps_the_json_shape(sim, api):
    sim.inject_fault("error_before_apply", operation="balance", status=500)
    response = api.balance(api.token(ACTIVE))
    assert response.status_code == 500 and refused(response, 500) == "999999"


@pytest.mark.parametrize(("kind", "applied"), [("drop_before_apply", False), ("drop_after_apply", True)])
def test_drops_break_the_answer(sim, api, kind, applied):
    token = api.token(LOW)
    sim.inject_fault(kind, operation="redeem")
    with pytest.raises(httpx.TransportError):
        api.money("redeem", token, 5)
    assert sim.card_balance(LOW[0]) == (Decimal("2.35") if applied else Decimal("7.35"))


def test_timeout_before_apply_hangs_then_cuts_without_applying(sim, api):
    token = api.token(ACTIVE)
    sim.inject_fault("timeout_before_apply", operation="sell", seconds=0.3)
    with pytest.raises(httpx.ReadTimeout):
        api.money("sell", token, 10, timeout=0.1)
    sim.inject_fault("timeout_before_apply", operation="reload", seconds=0.2)
    started = time.monotonic()
    with pytest.raises(httpx.TransportError):
        api.money("reload", token, 10)
    assert time.monotonic() - started >= 0.2
    assert sim.card_balance(ACTIVE[0]) == 100 and sim.transactions() == []


def test_timeout_before_apply_that_answers_applies_late(sim, api):
    token = api.token(ACTIVE)
    sim.inject_fault("timeout_before_apply", operation="reload", seconds=0.3, answer=True)
    with pytest.raises(httpx.ReadTimeout):
        api.money("reload", token, 10, timeout=0.1)
    assert sim.card_balance(ACTIVE[0]) == 100  # not yet ...
    _wait_for(lambda: sim.card_balance(ACTIVE[0]) == 110)  # ... but it lands after the hang


def test_timeout_after_apply_has_applied_while_the_client_waits(sim, api):
    token = api.token(ACTIVE)
    sim.inject_fault("timeout_after_apply", operation="redeem", seconds=0.4)
    with pytest.raises(httpx.ReadTimeout):
        api.money("redeem", token, 10, timeout=0.15)
    assert sim.card_balance(ACTIVE[0]) == 90
    sim.inject_fault("timeout_after_apply", operation="balance", seconds=0.2)
    started = time.monotonic()
    assert ok(api.balance(token))["balance"] == 90  # a patient client gets the normal answer
    assert time.monotonic() - started >= 0.2


def test_slow_answers_normally_after_the_delay(sim, api):
    sim.inject_fault("slow", operation="health", seconds=0.25)
    started = time.monotonic()
    assert api.send("GET", "/Health").text == "Healthy"
    assert time.monotonic() - started >= 0.25


def test_faults_match_their_operation_and_count(sim, api):
    token = api.token(ACTIVE)
    sim.inject_fault("error_before_apply", operation="reload", count=2)
    ok(api.balance(token))
    assert api.money("reload", token, 1).status_code == 503
    assert api.money("reload", token, 1).status_code == 503
    ok(api.money("reload", token, 1))


def test_any_operation_and_clear(sim, api):
    sim.inject_fault("error_before_apply", operation="any", count=5)
    assert api.send("PUT", "/Auth/verify").status_code == 503
    sim.clear_faults()
    ok(api.send("PUT", "/Auth/verify"))


def test_faults_skip_requests_that_fail_authentication(sim, api):
    sim.inject_fault("error_before_apply", operation="verify")
    assert api.send("PUT", "/Auth/verify", auth=basic(password="no")).status_code == 401
    assert api.send("PUT", "/Auth/verify").status_code == 503


def test_fault_validation(sim):
    with pytest.raises(ValueError, match="unknown operation"):
        sim.inject_fault("slow", operation="withdraw")
    with pytest.raises(ValueError, match="unknown fault kind"):
        sim.inject_fault("explode", operation="reload")
    with pytest.raises(ValueError, match="5xx"):
        sim.inject_fault("error_after_apply", operation="reload", status=404)


def test_magic_amounts_arm_a_fault_for_that_request(sim, api):
    token = api.token(ACTIVE)
    assert api.money("reload", token, "66.01").status_code == 503
    assert sim.card_balance(ACTIVE[0]) == 100
    assert api.money("reload", token, "66.02").status_code == 500
    assert sim.card_balance(ACTIVE[0]) == Decimal("166.02")
    with pytest.raises(httpx.TransportError):
        api.money("redeem", token, "66.03")
    assert sim.card_balance(ACTIVE[0]) == Decimal("99.99")


def test_magic_amounts_can_be_switched_off(make_sim, api):
    sim = make_sim(magic_amounts=False)
    ok(api.money("reload", api.token(ACTIVE), "66.01"))
    assert sim.info()["magic_amounts"] == {}


def test_base_latency(make_sim, api):
    make_sim(latency=0.2)
    started = time.monotonic()
    api.send("GET", "/Health")
    assert time.monotonic() - started >= 0.2
