"""The teller's guarded steps: nothing without a signed-in cashier; over a limit, reversing,
reprinting, resolving a suspect visit and closing with a variance each need a supervisor's
approval, journalled with both names."""

from decimal import Decimal

import pytest

from kiosk import auth
from kiosk.auth.limits import Limits
from kiosk.money import Money
from kiosk.teller import Stage, TellerError
from kiosk.desks.base import PhoneLogin
from kiosk.desks.rapyd import wallet_desk
from tests.auth.helpers import PINS, make_guard, steps
from tests.ui.fakes import ALICE, fake_runtime


@pytest.fixture
def till(tmp_path):
    runtime = fake_runtime(tmp_path)
    limits = Limits(per_visit={"GBP": Money(Decimal("50.00"), "GBP")})
    guard = make_guard(tmp_path, runtime.teller.journal, limits=limits)
    guard.attach(runtime.teller)
    yield runtime, guard
    runtime.close()


def serve(runtime, amount="20"):
    teller = runtime.teller
    visit = wallet_desk(teller).identify(PhoneLogin(ALICE, "123456"))
    wallet_desk(teller).withdraw(visit, "acc-a-gbp", amount)
    return visit


def test_no_visit_without_a_signed_in_cashier(till):
    runtime, guard = till
    with pytest.raises(TellerError) as caught:
        wallet_desk(runtime.teller).identify(PhoneLogin(ALICE, "123456"))
    assert caught.value.code == "NOT_SIGNED_IN"
    guard.sign_in("ann", PINS["ann"])
    visit = wallet_desk(runtime.teller).identify(PhoneLogin(ALICE, "123456"))
    assert runtime.teller.journal.visit(visit.visit_id).cashier == "ann"


def test_over_the_limit_needs_a_supervisor(till):
    runtime, guard = till
    teller = runtime.teller
    guard.sign_in("ann", PINS["ann"])
    visit = wallet_desk(teller).identify(PhoneLogin(ALICE, "123456"))
    assert "per-visit limit" in teller.limit_exceeded(Money(Decimal("60"), "GBP"))
    with pytest.raises(TellerError) as caught:
        wallet_desk(teller).withdraw(visit, "acc-a-gbp", "60")
    assert caught.value.code == "NEEDS_SUPERVISOR" and visit.stage is Stage.SESSION_OPEN
    guard.approve(auth.LIMIT, "sue", PINS["sue"], visit_id=visit.visit_id)
    wallet_desk(teller).withdraw(visit, "acc-a-gbp", "60")
    assert visit.stage is Stage.CASH_PENDING
    approved = [d for s, d in steps(teller.journal) if s == "APPROVED"]
    assert approved[0]["cashier"] == "ann" and approved[0]["supervisor"] == "sue"


def test_reverse_needs_a_supervisor_unless_by_rule(till):
    runtime, guard = till
    guard.sign_in("ann", PINS["ann"])
    runtime.drawer.fail_open = True
    visit = serve(runtime)
    with pytest.raises(TellerError) as caught:
        wallet_desk(runtime.teller).undo(visit)
    assert caught.value.code == "NEEDS_SUPERVISOR"
    guard.approve(auth.REVERSE, "max", PINS["max"], visit_id=visit.visit_id)
    assert wallet_desk(runtime.teller).undo(visit).stage is Stage.REVERSED
    other = serve(runtime)
    assert wallet_desk(runtime.teller).undo(other, by_rule=True).stage is Stage.REVERSED


def test_reprint_needs_a_supervisor(till):
    runtime, guard = till
    teller = runtime.teller
    guard.sign_in("ann", PINS["ann"])
    visit = serve(runtime)
    teller.confirm_cash(visit)
    wallet_desk(teller).complete(visit)
    with pytest.raises(TellerError) as caught:
        teller.reprint()
    assert caught.value.code == "NEEDS_SUPERVISOR"
    guard.approve(auth.REPRINT, "sue", PINS["sue"])
    assert teller.reprint().value == "printed"


def test_resolving_a_suspect_visit_needs_that_supervisors_approval(till):
    runtime, guard = till
    teller = runtime.teller
    guard.sign_in("ann", PINS["ann"])
    visit = serve(runtime)
    teller.mark_suspect(visit, "drawer left open")
    with pytest.raises(TellerError) as caught:
        teller.resolve_suspect(visit.visit_id, cash_moved=True, supervisor="sue")
    assert caught.value.code == "NEEDS_SUPERVISOR"
    guard.approve(auth.RESOLVE, "max", PINS["max"], visit_id=visit.visit_id)
    with pytest.raises(TellerError):  # max approved, not sue
        teller.resolve_suspect(visit.visit_id, cash_moved=True, supervisor="sue")
    guard.approve(auth.RESOLVE, "sue", PINS["sue"], visit_id=visit.visit_id)
    assert teller.resolve_suspect(visit.visit_id, cash_moved=True, supervisor="sue") == "completed"


def test_closing_with_a_variance_needs_a_supervisor(till):
    runtime, guard = till
    teller = runtime.teller
    guard.sign_in("ann", PINS["ann"])
    short = {"GBP": Money(Decimal("95.00"), "GBP"), "EUR": Money(Decimal("50.00"), "EUR")}
    with pytest.raises(TellerError) as caught:
        teller.close_shift(short, supervisor="sue")
    assert caught.value.code == "NEEDS_SUPERVISOR"
    guard.approve(auth.VARIANCE, "sue", PINS["sue"])
    report = teller.close_shift(short, supervisor="sue")
    assert report.kind == "Z"
    closed = [d for s, d in steps(teller.journal) if s == "SHIFT_CLOSED"][0]
    assert closed["cashier"] == "ann" and closed["supervisor"] == "sue"
