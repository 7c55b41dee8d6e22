"""Sessions: one action each, nothing after Close Session, idle expiry, matching headers."""

from __future__ import annotations

import pytest

from tests.sim.pos import Session, error_code, ok_data

PHONE = "+447700900123"  # GBP 955, EUR 250


def test_a_session_allows_one_withdrawal_only(sim, pos):
    s = pos.open_session(sim, PHONE)
    ok_data(pos.withdraw(s, s.account_id("GBP"), "10"))
    second = pos.withdraw(s, s.account_id("GBP"), "10")
    assert (second.status_code, error_code(second)) == (400, "ERROR_SESSION_ALREADY_USED")
    assert error_code(pos.deposit(s, "10", "GBP")) == "ERROR_SESSION_ALREADY_USED"
    assert sim.balance(PHONE, "GBP") == 945


def test_a_session_allows_one_deposit_only(sim, pos):
    s = pos.open_session(sim, PHONE)
    ok_data(pos.deposit(s, "10", "EUR"))
    assert error_code(pos.deposit(s, "10", "EUR")) == "ERROR_SESSION_ALREADY_USED"
    assert error_code(pos.withdraw(s, s.account_id("EUR"), "1")) == "ERROR_SESSION_ALREADY_USED"
    assert sim.balance(PHONE, "EUR") == 260


def test_a_refused_action_does_not_use_the_session_up(sim, pos):
    s = pos.open_session(sim, PHONE)
    assert error_code(pos.withdraw(s, s.account_id("EUR"), "250.01")) == "NOT_ENOUGH_FUNDS"
    ok_data(pos.withdraw(s, s.account_id("EUR"), "250"))
    assert sim.balance(PHONE, "EUR") == 0


def test_nothing_works_after_close_session(sim, pos):
    s = pos.open_session(sim, PHONE)
    response = pos.logout(s)
    ok_data(response)
    assert response.json()["status"]["error_code"] == ""  # seed 001's shape
    for response in (
        pos.withdraw(s, s.account_id("GBP"), "1"),
        pos.deposit(s, "1", "GBP"),
        pos.reversal(s, s.account_id("GBP"), "1", "00000000-0000-0000-0000-000000000000"),
        pos.logout(s),  # closing twice is refused, not a silent success
    ):
        assert (response.status_code, error_code(response)) == (400, "ERROR_SESSION_CLOSED")
    assert sim.balance(PHONE, "GBP") == 955


def test_a_withdrawal_then_close_session(sim, pos):
    s = pos.open_session(sim, PHONE)
    ok_data(pos.withdraw(s, s.account_id("GBP"), "10"))
    ok_data(pos.logout(s))
    (session,) = pos.http.get("/_sim/ledger").json()["sessions"]
    assert session["state"] == "closed" and session["action_transaction_id"]


@pytest.mark.parametrize("field", ["token_id", "operation_id", "phone_number"])
def test_every_session_header_must_match(sim, pos, field):
    s = pos.open_session(sim, PHONE)
    wrong = {
        "token_id": Session(s.phone, "11111111-1111-1111-1111-111111111111", s.operation_id),
        "operation_id": Session(s.phone, s.token_id, "11111111-1111-1111-1111-111111111111"),
        "phone_number": Session("+14155559992", s.token_id, s.operation_id),
    }[field]
    response = pos.withdraw(wrong, s.account_id("GBP"), "1")
    assert (response.status_code, error_code(response)) == (400, "ERROR_INVALID_SESSION")
    headers = dict(s.headers)
    del headers[field]
    response = pos.call("POST", "/v1/pos/logout", headers)
    assert error_code(response) == "ERROR_INVALID_SESSION"
    ok_data(pos.logout(s))


def test_an_idle_session_expires(sim, pos, clock):
    s = pos.open_session(sim, PHONE)
    clock.advance(600)
    ok_data(pos.deposit(s, "1", "GBP"))  # use resets the idle timer
    clock.advance(600.5)
    response = pos.logout(s)
    assert (response.status_code, error_code(response)) == (400, "ERROR_SESSION_EXPIRED")
    (session,) = pos.http.get("/_sim/ledger").json()["sessions"]
    assert session["state"] == "expired"


def test_sessions_of_two_customers_are_independent(sim, pos):
    a = pos.open_session(sim, PHONE)
    b = pos.open_session(sim, "+14155559992")
    ok_data(pos.withdraw(b, b.account_id("GBP"), "9"))
    ok_data(pos.withdraw(a, a.account_id("GBP"), "5"))
    assert (sim.balance(PHONE, "GBP"), sim.balance("+14155559992", "GBP")) == (950, 180)
