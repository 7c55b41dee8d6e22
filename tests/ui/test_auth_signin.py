"""Sign-in at the till (Pilot, 80x24): the gate at start, lockout on screen, the idle lock in
the middle of a visit (resumed by the same cashier, or handed to a supervisor), and the
supervisor approval modal on the over-limit, reverse and reprint steps."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
from textual.widgets import Input

from kiosk.auth.limits import Limits
from kiosk.money import Money
from kiosk.teller import Stage
from kiosk.ui import auth as auth_ui
from kiosk.ui.app import KioskApp
from kiosk.ui.screens.accounts import AccountsScreen
from kiosk.ui.screens.approve import ApproveScreen
from kiosk.ui.screens.confirm import ConfirmScreen
from kiosk.ui.screens.drawer import DrawerScreen
from kiosk.ui.screens.ready import ReadyScreen
from kiosk.ui.screens.receipt import ReceiptScreen
from kiosk.ui.screens.signin import SignInScreen
from tests.auth.helpers import PINS, make_guard, steps
from tests.ui.fakes import ALICE, fake_runtime
from tests.ui.helpers import fill, screen_words, wait_for_screen, wait_until, widget_words
from tests.ui.journey import identify, to_amount, to_confirm

SIZE = (80, 24)


@pytest.fixture
def till(tmp_path):
    runtime = fake_runtime(tmp_path)
    guard = make_guard(tmp_path, runtime.teller.journal, limits=Limits(per_visit={"GBP": Money(Decimal("50.00"), "GBP")}), max_failures=3)
    guard.attach(runtime.teller)
    runtime.guard = guard
    yield runtime
    runtime.close()


async def sign_in(pilot, name: str, pin: str, *, screen=SignInScreen) -> None:
    await wait_for_screen(pilot, screen)
    prefix = "#signin" if screen is SignInScreen else "#approve"
    field = pilot.app.screen.query_one(f"{prefix}-name", Input)
    field.value = name
    pin_field = pilot.app.screen.query_one(f"{prefix}-pin", Input)
    pin_field.focus()
    await pilot.pause()
    await fill(pilot, pin)
    await pilot.press("enter")


async def test_the_till_starts_at_sign_in_and_locks_out_after_wrong_pins(till) -> None:
    app = KioskApp(till)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, SignInScreen)
        await pilot.press("enter")  # nothing typed: nothing happens, no visit can start
        assert isinstance(app.screen, SignInScreen) and app.visit is None
        for _ in range(2):
            await sign_in(pilot, "ann", "9999")
            await wait_until(pilot, lambda: "Name or PIN not accepted" in screen_words(pilot), what="refusal")
        await sign_in(pilot, "ann", "9999")
        await wait_until(pilot, lambda: "locked out" in screen_words(pilot), what="lockout")
        await sign_in(pilot, "ann", PINS["ann"])
        await wait_until(pilot, lambda: "locked out" in screen_words(pilot) and pilot.app.screen.query_one("#signin-pin", Input).value == "", what="still locked")
        assert till.guard.user is None
        await sign_in(pilot, "sue", PINS["sue"])
        await wait_for_screen(pilot, ReadyScreen)
        assert "sue (L: sign out)" in screen_words(pilot).replace("║", " ")
        assert till.teller.cashier == "sue"
        await pilot.press("l")
        await wait_for_screen(pilot, SignInScreen)
        assert till.guard.user is None
    names = [s for s, _ in steps(till.teller.journal)]
    assert names.count("AUTH_FAILED") == 3 and "AUTH_LOCKED_OUT" in names and names[-2:] == ["SIGNED_IN", "SIGNED_OUT"]
    assert PINS["ann"] not in repr(steps(till.teller.journal)) and "9999" not in repr(steps(till.teller.journal))


async def _serve_to_confirm(pilot, amount: str) -> None:
    await sign_in(pilot, "ann", PINS["ann"])
    await wait_for_screen(pilot, ReadyScreen)
    await identify(pilot, ALICE, "123456")
    await to_amount(pilot, "w")
    await to_confirm(pilot, amount)


async def test_idle_lock_mid_visit_hides_it_and_the_same_cashier_resumes(till) -> None:
    app = KioskApp(till)
    async with app.run_test(size=SIZE) as pilot:
        await _serve_to_confirm(pilot, "20")
        assert not auth_ui.check_idle(app)  # just pressed keys
        assert auth_ui.check_idle(app, now=time.monotonic() + 301)
        await wait_for_screen(pilot, SignInScreen)
        words = screen_words(pilot)
        assert "Locked: ann was away" in words and "20.00" not in words and ALICE[-4:] not in words
        await sign_in(pilot, "bob", PINS["bob"])  # another cashier may not take it
        await wait_until(pilot, lambda: "served by ann is in progress" in screen_words(pilot), what="refused")
        await sign_in(pilot, "ann", PINS["ann"])
        await wait_for_screen(pilot, ConfirmScreen)
        assert app.visit is not None and app.visit.stage is Stage.SESSION_OPEN
        await pilot.press("enter")
        await wait_for_screen(pilot, ReceiptScreen)
    rows = steps(till.teller.journal)
    assert ("IDLE_LOCKED", {"user": "ann", "visit": app.visit.visit_id}) in rows
    assert any(s == "SIGNED_IN" and d.get("resumed") for s, d in rows)


async def test_locked_while_money_moves_the_visit_goes_on_and_a_supervisor_takes_over(till) -> None:
    till.drawer.close_after = 0.5
    app = KioskApp(till)
    async with app.run_test(size=SIZE) as pilot:
        await _serve_to_confirm(pilot, "20")
        await pilot.press("enter")
        await wait_for_screen(pilot, DrawerScreen)
        auth_ui.lock(app)
        await wait_for_screen(pilot, SignInScreen)
        # Behind the lock the drawer closes and the visit completes.
        await wait_until(pilot, lambda: app.visit.stage is Stage.COMPLETED, what="completed behind the lock")
        assert isinstance(app.screen, SignInScreen)
        await sign_in(pilot, "max", PINS["max"])
        await wait_for_screen(pilot, ReceiptScreen)
        assert till.teller.cashier == "max"
    rows = steps(till.teller.journal)
    assert any(s == "SIGNED_OUT" and d.get("reason") == "handed over" and d.get("to") == "max" for s, d in rows)
    assert any(s == "SIGNED_IN" and d.get("took_over_from") == "ann" for s, d in rows)


async def test_over_the_limit_a_supervisor_approves_on_the_same_screen(till) -> None:
    app = KioskApp(till)
    async with app.run_test(size=SIZE) as pilot:
        await _serve_to_confirm(pilot, "60")
        await pilot.press("enter")
        await wait_for_screen(pilot, ApproveScreen)
        assert "per-visit limit of 50.00 GBP" in widget_words(pilot, "#approve-why")
        await pilot.press("escape")  # cancelled: nothing moved, back on confirm
        await wait_for_screen(pilot, ConfirmScreen)
        assert app.visit.stage is Stage.SESSION_OPEN
        await pilot.press("enter")
        await sign_in(pilot, "ann", PINS["ann"], screen=ApproveScreen)  # the cashier cannot approve
        await wait_until(pilot, lambda: "not a supervisor" in screen_words(pilot), what="refused")
        await sign_in(pilot, "sue", PINS["sue"], screen=ApproveScreen)
        await wait_for_screen(pilot, ReceiptScreen)
    approved = [d for s, d in steps(till.teller.journal) if s == "APPROVED"]
    assert approved and approved[0]["cashier"] == "ann" and approved[0]["supervisor"] == "sue"


async def test_reverse_and_reprint_need_a_supervisor(till) -> None:
    till.drawer.fail_open = True
    app = KioskApp(till)
    async with app.run_test(size=SIZE) as pilot:
        await _serve_to_confirm(pilot, "20")
        await pilot.press("enter")
        await wait_for_screen(pilot, DrawerScreen)
        await pilot.press("r")
        await sign_in(pilot, "sue", PINS["sue"], screen=ApproveScreen)
        await wait_until(pilot, lambda: "Withdrawal reversed" in screen_words(pilot), what="reversed")
        till.drawer.fail_open = False
        await pilot.press("enter")
        await wait_for_screen(pilot, ReadyScreen)
        await identify(pilot, ALICE, "123456")
        await to_amount(pilot, "w")
        await to_confirm(pilot, "10")
        await pilot.press("enter")
        await wait_for_screen(pilot, ReceiptScreen)
        printed = len(till.printer.printed)
        await pilot.press("p")
        await sign_in(pilot, "max", PINS["max"], screen=ApproveScreen)
        await wait_until(pilot, lambda: len(till.printer.printed) == printed + 1, what="copy printed")
    actions = [d["action"] for s, d in steps(till.teller.journal) if s == "APPROVED"]
    assert actions == ["reverse a withdrawal", "reprint a receipt"]
