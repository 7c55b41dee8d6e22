"""With sign-in on, the supervisor named on the close-shift and suspect-visit forms approves
with their own PIN (the approval modal, name fixed) before the teller acts."""

from __future__ import annotations

from textual.widgets import Input

from kiosk.teller import Stage
from kiosk.ui.app import KioskApp
from kiosk.ui.screens.approve import ApproveScreen
from kiosk.ui.screens.ready import ReadyScreen
from kiosk.ui.screens.shift import CloseShiftScreen, ShiftReportScreen
from kiosk.ui.screens.supervisor import SupervisorScreen
from kiosk.desks.base import PhoneLogin
from kiosk.desks.rapyd import wallet_desk
from tests.auth.helpers import PINS, steps
from tests.ui.helpers import count_drawer, fill, screen_words, wait_for_screen, wait_until
from tests.ui.test_auth_signin import till  # noqa: F401  (fixture)
from tests.ui.fakes import ALICE

SIZE = (80, 24)


async def approve_with_pin(pilot, pin: str) -> None:
    await wait_for_screen(pilot, ApproveScreen)
    assert pilot.app.screen.query_one("#approve-name", Input).disabled  # the named supervisor
    await fill(pilot, pin)
    await pilot.press("enter")


async def test_close_with_a_variance_is_approved_by_the_named_supervisor(till) -> None:  # noqa: F811
    till.guard.sign_in("ann", PINS["ann"])
    app = KioskApp(till)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, ReadyScreen)
        await pilot.press("o")
        await wait_for_screen(pilot, ShiftReportScreen)
        await pilot.press("c")
        await wait_for_screen(pilot, CloseShiftScreen)
        await count_drawer(pilot, {"EUR": "50", "GBP": "90"})
        await pilot.press("enter")
        await wait_until(pilot, lambda: "supervisor must approve" in screen_words(pilot), what="variance refusal")
        await pilot.press("tab")
        await fill(pilot, "sue")
        await pilot.press("enter")
        await approve_with_pin(pilot, "0000")
        await wait_until(pilot, lambda: "Name or PIN not accepted" in screen_words(pilot), what="wrong PIN")
        assert till.teller.shifts.current is not None
        await approve_with_pin(pilot, PINS["sue"])
        await wait_for_screen(pilot, ShiftReportScreen)
        assert "Z report" in screen_words(pilot)
    rows = steps(till.teller.journal)
    assert any(s == "APPROVED" and d["action"] == "close a shift with a variance" and d["supervisor"] == "sue" and d["cashier"] == "ann" for s, d in rows)
    closed = [d for s, d in rows if s == "SHIFT_CLOSED"][0]
    assert (closed["cashier"], closed["supervisor"]) == ("ann", "sue")


async def test_suspect_visit_is_resolved_with_the_supervisors_pin(till) -> None:  # noqa: F811
    teller = till.teller
    till.guard.sign_in("ann", PINS["ann"])
    visit = wallet_desk(teller).identify(PhoneLogin(ALICE, "123456"))
    wallet_desk(teller).withdraw(visit, "acc-a-gbp", "40")
    teller.mark_suspect(visit, "drawer left open")
    app = KioskApp(till)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, ReadyScreen)
        await pilot.press("v")
        await wait_for_screen(pilot, SupervisorScreen)
        pilot.app.screen.query_one("#supervisor", Input).focus()
        await pilot.pause()
        await fill(pilot, "max")
        await pilot.press("f2")
        await approve_with_pin(pilot, PINS["max"])
        await wait_for_screen(pilot, ReadyScreen)
        await wait_until(pilot, lambda: not teller.journal.unresolved_suspects(), what="resolved")
    assert visit.stage is Stage.SUSPECT  # the in-memory visit; the journal says resolved
    summary = teller.journal.visit(visit.visit_id)
    assert summary.resolution == "cash moved"
    assert any(s == "APPROVED" and d["action"] == "resolve a suspect visit" and d["supervisor"] == "max" for s, d in steps(teller.journal))
