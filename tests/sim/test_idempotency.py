"""Idempotency: a repeated key answers the first response again, applies nothing twice, 24 h."""

from __future__ import annotations

from tests.sim.pos import error_code, ok_data

PHONE = "+12025550143"  # EUR 1500, USD 2750.50


def test_a_repeated_key_replays_the_first_answer_without_applying_twice(sim, pos):
    s = pos.open_session(sim, PHONE)
    first = pos.withdraw(s, s.account_id("EUR"), "100", idempotency="wd-1")
    again = pos.withdraw(s, s.account_id("EUR"), "100", idempotency="wd-1")  # freshly signed
    assert first.status_code == again.status_code == 200
    assert first.content == again.content  # the very same body, operation_id included
    assert sim.balance(PHONE, "EUR") == 1400
    assert len(sim.transactions()) == 1


def test_an_error_answer_is_replayed_too(sim, pos):
    s = pos.open_session(sim, PHONE)
    first = pos.withdraw(s, s.account_id("EUR"), "5000", idempotency="big")
    again = pos.withdraw(s, s.account_id("EUR"), "5000", idempotency="big")
    assert (first.status_code, error_code(first)) == (400, "NOT_ENOUGH_FUNDS")
    assert first.content == again.content
    # A new key is a new request; the session was not used up by the refusal.
    ok_data(pos.withdraw(s, s.account_id("EUR"), "50", idempotency="small"))


def test_requests_without_a_key_are_each_applied(sim, pos, clock):
    for _ in range(2):
        s = pos.open_session(sim, PHONE)
        ok_data(pos.deposit(s, "1", "USD"))
        clock.advance(30)
    assert len(sim.transactions()) == 2


def test_a_replayed_login_returns_the_same_session(sim, pos):
    code = sim.current_otp(PHONE)
    first = pos.login(PHONE, code, idempotency="login-1")
    again = pos.login(PHONE, code, idempotency="login-1")
    assert first.content == again.content and first.status_code == 200


def test_a_key_is_remembered_for_24_hours_only(make_sim, pos, clock):
    sim = make_sim(session_idle=3 * 24 * 3600)  # keep the session alive across the days
    s = pos.open_session(sim, PHONE)
    first = pos.deposit(s, "10", "EUR", idempotency="dep-1")
    ok_data(first)
    clock.advance(24 * 3600 - 1)
    assert pos.deposit(s, "10", "EUR", idempotency="dep-1").content == first.content
    assert sim.balance(PHONE, "EUR") == 1510
    clock.advance(2)
    # Forgotten: the request is processed afresh, and the session's one action is spent.
    late = pos.deposit(s, "10", "EUR", idempotency="dep-1")
    assert error_code(late) == "ERROR_SESSION_ALREADY_USED"
    assert sim.balance(PHONE, "EUR") == 1510
    # From now on the new answer is the one remembered.
    assert pos.deposit(s, "10", "EUR", idempotency="dep-1").content == late.content
