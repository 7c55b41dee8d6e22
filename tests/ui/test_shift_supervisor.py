"""Shift and supervision on screen, on the real stack: open a shift with the counted float,
the X report, a blind close that needs a supervisor for a variance, and a suspect visit
(drawer left open) resolved by a supervisor after counting."""

from __future__ import annotations

from decimal import Decimal

from textual.widgets import Input

from kiosk.journal.store import COMPLETED, SUSPECT
from kiosk.ui.app import KioskApp
from kiosk.ui.screens.ready import ReadyScreen
from kiosk.ui.screens.shift import CloseShiftScreen, OpenShiftScreen, ShiftReportScreen
from kiosk.ui.screens.supervisor import SupervisorScreen
from kiosk.desks.base import PhoneLogin
from kiosk.desks.rapyd import wallet_desk
from tests.ui.helpers import count_drawer, fill, screen_dump, screen_words, wait_for_screen, wait_until
from tests.ui.journey import at_ready

SIZE = (80, 24)


def demo(tmp_path, **extra):
    from kiosk.runtime import demo_runtime

    return demo_runtime(tmp_path, otp_window=300, **extra)


async def test_open_report_and_blind_close(tmp_path) -> None:
    runtime = demo(tmp_path, teller={"opening_float": {}})
    teller = runtime.teller
    assert teller.shifts.current is None
    try:
        async with KioskApp(runtime).run_test(size=SIZE) as pilot:
            await at_ready(pilot)
            await wait_until(pilot, lambda: "no shift open" in screen_dump(pilot), what="no-shift status")
            await pilot.press("o")
            await wait_for_screen(pilot, OpenShiftScreen)
            await fill(pilot, "GBP 1.234")
            await pilot.press("enter")
            await wait_until(pilot, lambda: "2 decimal places" in screen_words(pilot), what="refusal")
            assert teller.shifts.current is None  # a malformed count changes nothing
            field = pilot.app.screen.query_one("#float", Input)
            field.value = ""
            await fill(pilot, "GBP 200.00 EUR 50")
            await pilot.press("enter")
            await wait_for_screen(pilot, ReadyScreen)
            assert teller.cash_in_drawer("GBP").plain() == "200.00"

            await pilot.press("o")
            await wait_for_screen(pilot, ShiftReportScreen)
            report = screen_words(pilot)
            assert "X report" in report and "expected 200.00" in report

            await pilot.press("c")
            await wait_for_screen(pilot, CloseShiftScreen)
            assert "200.00" not in screen_dump(pilot)  # blind: no expected figure shown
            await count_drawer(pilot, {"EUR": "50", "GBP": "190"})
            await pilot.press("enter")
            await wait_until(pilot, lambda: "supervisor must approve" in screen_words(pilot), what="variance refusal")
            assert teller.shifts.current is not None
            await pilot.press("tab")
            await fill(pilot, "sam")
            await pilot.press("enter")
            await wait_for_screen(pilot, ShiftReportScreen)
            z = screen_words(pilot)
            assert "Z report" in z and "variance -10.00" in z and "journal head" in z
            assert teller.shifts.current is None
            printed = runtime.printer.texts[-1]
            assert "Z REPORT" in printed and "Variance" in printed
    finally:
        runtime.close()


async def test_suspect_visit_is_resolved_by_a_supervisor(tmp_path) -> None:
    runtime = demo(tmp_path)
    teller = runtime.teller
    phone = "+447700900123"
    try:
        # A withdrawal whose drawer was left open and never confirmed: cash outcome unknown.
        runtime.drawer.inject("drawer_left_open")
        visit = wallet_desk(teller).identify(PhoneLogin(phone, runtime.demo.current_otp(phone)))
        wallet_desk(teller).withdraw(visit, visit.session.account_for("GBP").account_id, "40")
        teller.mark_suspect(visit, "drawer left open")
        runtime.drawer.clear("drawer_left_open")
        runtime.drawer.close_drawer()

        async with KioskApp(runtime).run_test(size=SIZE) as pilot:
            await at_ready(pilot)
            await wait_until(pilot, lambda: "unknown cash" in screen_dump(pilot), what="suspect warning")
            await pilot.press("v")
            await wait_for_screen(pilot, SupervisorScreen)
            assert visit.visit_id[:8] in screen_dump(pilot) and "40.00 GBP" in screen_dump(pilot)
            await pilot.press("f2")
            await wait_until(pilot, lambda: "supervisor's name first" in screen_words(pilot), what="name needed")
            pilot.app.screen.query_one("#supervisor", Input).focus()
            await fill(pilot, "sam")
            await pilot.press("f2")
            await wait_for_screen(pilot, ReadyScreen)
        summary = runtime.teller.journal.visit(visit.visit_id)
        assert summary.state == COMPLETED and summary.resolution == "cash moved"
        assert teller.cash_in_drawer("GBP").amount == Decimal("460.00")
        assert not teller.journal.unresolved_suspects()
        assert runtime.simulator.balance(phone, "GBP") == Decimal("915.00")
    finally:
        runtime.close()
