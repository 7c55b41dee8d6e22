"""Sign-in, lockout and unlock (with a moved clock), approvals, limits: the rules and their
journal rows."""

from decimal import Decimal

import pytest

from kiosk import auth
from kiosk.auth.guard import AuthError
from kiosk.auth.limits import Limits
from kiosk.journal.store import Journal
from kiosk.money import Money
from tests.auth.helpers import PINS, Clock, make_guard, steps


@pytest.fixture
def journal(tmp_path):
    j = Journal(tmp_path / "journal.sqlite3", mac_key=b"m" * 32)
    yield j
    j.close()


def test_lockout_after_max_failures_and_unlock_when_the_time_is_up(tmp_path, journal):
    clock = Clock()
    guard = make_guard(tmp_path, journal, clock=clock, max_failures=3, lockout_seconds=600)
    for left in (2, 1):
        with pytest.raises(AuthError) as caught:
            guard.sign_in("ann", "9999")
        assert caught.value.code == "AUTH_FAILED" and f"{left} tries left" in caught.value.next_step
    with pytest.raises(AuthError) as caught:
        guard.sign_in("ann", "9999")
    assert caught.value.code == "LOCKED_OUT"
    # The right PIN does not help while locked out, and is not counted either.
    with pytest.raises(AuthError) as caught:
        guard.sign_in("ann", PINS["ann"])
    assert caught.value.code == "LOCKED_OUT"
    clock.move(599)
    with pytest.raises(AuthError):
        guard.sign_in("ann", PINS["ann"])
    clock.move(2)
    assert guard.sign_in("ann", PINS["ann"]).name == "ann"
    names = [s for s, _ in steps(journal)]
    assert names == ["AUTH_FAILED", "AUTH_FAILED", "AUTH_FAILED", "AUTH_LOCKED_OUT", "AUTH_REFUSED", "AUTH_REFUSED", "AUTH_UNLOCKED", "SIGNED_IN"]
    # Other users are not affected by ann's lockout; a success resets the count.
    assert guard.sign_in("bob", PINS["bob"]).name == "bob"


def test_lockout_survives_a_restart(tmp_path, journal):
    clock = Clock()
    guard = make_guard(tmp_path, journal, clock=clock, max_failures=2)
    for _ in range(2):
        with pytest.raises(AuthError):
            guard.sign_in("ann", "9999")
    again = make_guard(tmp_path / "x", journal, clock=clock, users=())
    again.accounts = guard.accounts.__class__(guard.accounts.path, guard.accounts.hasher, clock=clock)
    with pytest.raises(AuthError) as caught:
        again.sign_in("ann", PINS["ann"])
    assert caught.value.code == "LOCKED_OUT"


def test_unknown_names_and_pins_never_reach_the_journal(tmp_path, journal):
    guard = make_guard(tmp_path, journal)
    with pytest.raises(AuthError) as caught:
        guard.sign_in("4826", "2580")  # a PIN typed into the name field
    assert caught.value.message == "Name or PIN not accepted."
    guard.sign_in("ann", PINS["ann"])
    guard.sign_out()
    text = repr(steps(journal))
    assert "4826" not in text and "2580" not in text
    assert [s for s, _ in steps(journal)] == ["AUTH_FAILED", "SIGNED_IN", "SIGNED_OUT"]


def test_disabled_user_cannot_sign_in(tmp_path, journal):
    guard = make_guard(tmp_path, journal)
    guard.accounts.set_disabled("bob", True)
    with pytest.raises(AuthError) as caught:
        guard.sign_in("bob", PINS["bob"])
    assert caught.value.code == "USER_DISABLED"


def test_approval_needs_another_supervisor_and_is_used_once(tmp_path, journal):
    guard = make_guard(tmp_path, journal)
    guard.sign_in("sue", PINS["sue"])
    with pytest.raises(AuthError) as caught:
        guard.approve(auth.REPRINT, "sue", PINS["sue"])  # four eyes
    assert caught.value.code == "NOT_A_SUPERVISOR"
    guard.sign_out()
    guard.sign_in("ann", PINS["ann"])
    with pytest.raises(AuthError):
        guard.approve(auth.REPRINT, "bob", PINS["bob"])  # a cashier
    with pytest.raises(AuthError):
        guard.approve(auth.REPRINT, "sue", "0000")
    approval = guard.approve(auth.REVERSE, "sue", PINS["sue"], visit_id="v1")
    assert (approval.supervisor, approval.cashier) == ("sue", "ann")
    assert guard.take_approval(auth.REVERSE, visit_id="v2") is None  # another visit
    assert guard.take_approval(auth.REPRINT) is None  # another action
    assert guard.take_approval(auth.REVERSE, visit_id="v1") is approval
    assert guard.take_approval(auth.REVERSE, visit_id="v1") is None  # once
    approved = [d for s, d in steps(journal) if s == "APPROVED"]
    assert approved == [{"action": auth.REVERSE, "cashier": "ann", "supervisor": "sue", "visit": "v1", "detail": ""}]


def test_limits():
    gbp = lambda text: Money(Decimal(text), "GBP")  # noqa: E731
    limits = Limits(per_visit={"GBP": gbp("250.00")}, per_shift={"GBP": gbp("1000.00")})
    assert limits.breach(gbp("250.00")) == ""
    assert "per-visit limit of 250.00 GBP" in limits.breach(gbp("250.01"))
    assert "over its limit of 1000.00 GBP" in limits.breach(gbp("200.00"), Decimal("900.00"))
    assert limits.breach(Money(Decimal("9999"), "EUR")) == ""  # no EUR limit


def test_settings_keys():
    from kiosk.settings import SettingsError, load_settings

    settings = load_settings(None, {"limits": {"per_visit": {"GBP": "250"}, "per_shift": {"GBP": "1000"}}, "auth": {"idle_minutes": "2", "max_failures": "3", "lockout_minutes": "1"}}, config_from_env=False)
    assert settings.limits.per_visit["GBP"].plain() == "250.00"
    assert (settings.auth.max_failures, settings.auth.idle_minutes, settings.auth.lockout_minutes) == (3, 2, 1)
    with pytest.raises(SettingsError) as caught:
        load_settings(None, {"auth": {"max_failures": "50"}}, config_from_env=False)
    assert "auth.max_failures" in str(caught.value)
