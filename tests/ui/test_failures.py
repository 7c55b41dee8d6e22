"""Every failure the cashier must see in plain words, and the way forward it offers."""

from __future__ import annotations

from decimal import Decimal

from textual.widgets import Input

from kiosk.teller import Stage
from kiosk.ui.app import KioskApp
from kiosk.ui.screens.accounts import AccountsScreen
from kiosk.ui.screens.amount import AmountScreen
from kiosk.ui.screens.confirm import ConfirmScreen
from kiosk.ui.screens.customer import CustomerScreen
from kiosk.ui.screens.drawer import DrawerScreen
from kiosk.ui.screens.error import ErrorScreen, NoticeScreen
from kiosk.ui.screens.ready import ReadyScreen
from kiosk.ui.screens.receipt import ReceiptScreen
from kiosk.desks.rapyd import wallet_desk
from tests.ui.helpers import fill, screen_words, widget_words, wait_for_screen, wait_until
from tests.ui.journey import at_ready, identify, to_amount, to_confirm

SIZE = (80, 24)


def wrong_code(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"



async def confirm_withdrawal_of_20(pilot, world) -> None:
    """From the ready screen to the confirm screen of a 20.00 withdrawal by the world's customer."""
    await at_ready(pilot)
    await identify(pilot, world.phone, world.otp(world.phone))
    await to_amount(pilot, "w")
    await to_confirm(pilot, "20")

async def test_wrong_code_goes_back_to_the_customer_with_the_phone_kept(world) -> None:
    app = KioskApp(world.runtime)
    async with app.run_test(size=SIZE) as pilot:
        await at_ready(pilot)
        await identify(pilot, world.phone, wrong_code(world.otp(world.phone)))
        await wait_for_screen(pilot, ErrorScreen)
        seen = screen_words(pilot)
        assert "Code not accepted" in seen
        assert "Ask the customer for a new code" in seen
        assert "Traceback" not in seen
        await pilot.press("enter")
        await wait_for_screen(pilot, CustomerScreen)
        assert app.screen.query_one("#phone", Input).value == world.phone
        otp = app.screen.query_one("#otp", Input)
        assert otp.value == "" and otp.has_focus  # only the new code is needed
        await fill(pilot, world.otp(world.phone))
        await pilot.press("enter")
        await wait_for_screen(pilot, AccountsScreen)


async def test_amount_over_balance_or_drawer_cash_is_refused_under_the_field(world) -> None:
    app = KioskApp(world.runtime)
    async with app.run_test(size=SIZE) as pilot:
        await at_ready(pilot)
        await identify(pilot, world.phone, world.otp(world.phone))
        await to_amount(pilot, "w")
        await fill(pilot, world.over_balance)
        await pilot.pause()
        assert "is more than that. Offer a smaller amount." in screen_words(pilot)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, AmountScreen)  # Enter does not get past it
        app.screen.query_one("#amount", Input).clear()
        await fill(pilot, world.over_cash)
        await pilot.pause()
        assert "The drawer holds" in screen_words(pilot) and "cannot pay out" in screen_words(pilot)
        app.screen.query_one("#amount", Input).clear()
        await pilot.pause()  # the cleared field's own check first
        await fill(pilot, "12.345")
        await pilot.pause()
        assert "At most 2 decimal places. Type the amount again." in screen_words(pilot)
        assert app.screen.query_one("#amount", Input).value == ""  # refused whole, not cut to 12.34
        # Esc, Esc: back to the accounts, then the visit is cancelled and the session closed.
        await pilot.press("escape")
        await wait_for_screen(pilot, AccountsScreen)
        visit = app.visit
        await pilot.press("escape")
        await wait_for_screen(pilot, ReadyScreen)
        assert visit.stage is Stage.CANCELLED


async def test_host_unreachable_goes_back_to_ready(world) -> None:
    world.unreachable()
    app = KioskApp(world.runtime)
    async with app.run_test(size=SIZE) as pilot:
        await at_ready(pilot)
        await wait_until(pilot, lambda: "The wallet service cannot be reached" in widget_words(pilot, "#status"), what="status shows the host down")
        await identify(pilot, world.phone, world.otp(world.phone))
        await wait_for_screen(pilot, ErrorScreen, timeout=15)
        seen = screen_words(pilot)
        assert "Wallet service unreachable" in seen and "Nothing was charged." in seen
        await pilot.press("enter")
        await wait_for_screen(pilot, ReadyScreen)


async def test_printer_out_of_paper_stops_before_money_moves(world) -> None:
    before = world.balance(world.phone, "GBP")
    app = KioskApp(world.runtime)
    async with app.run_test(size=SIZE) as pilot:
        await confirm_withdrawal_of_20(pilot, world)
        world.paper_out(True)
        await pilot.press("enter")
        await wait_for_screen(pilot, ErrorScreen)
        seen = screen_words(pilot)
        assert "Printer not ready" in seen and "out of paper" in seen and "No money moved." in seen
        assert world.balance(world.phone, "GBP") == before
        # Paper in, try again: the same withdrawal goes through.
        world.paper_out(False)
        await pilot.press("enter")
        await wait_for_screen(pilot, ConfirmScreen)
        await pilot.press("enter")
        await wait_for_screen(pilot, ReceiptScreen)
    assert world.balance(world.phone, "GBP") == before - Decimal("20.00")


async def test_drawer_did_not_open_then_cancel_and_reverse(world) -> None:
    before = world.balance(world.phone, "GBP")
    world.jam_drawer()
    app = KioskApp(world.runtime)
    async with app.run_test(size=SIZE) as pilot:
        await confirm_withdrawal_of_20(pilot, world)
        await pilot.press("enter")
        await wait_for_screen(pilot, DrawerScreen)
        seen = screen_words(pilot)
        assert "The cash drawer did not open." in seen
        assert "H Handed over by hand" in seen and "R Cancel and reverse" in seen
        assert world.balance(world.phone, "GBP") == before - Decimal("20.00")
        await pilot.press("enter")  # no "done" here: the cash did not move
        await pilot.pause()
        assert isinstance(app.screen, DrawerScreen)
        visit = app.visit
        await pilot.press("r")
        await wait_for_screen(pilot, NoticeScreen)
        assert "Withdrawal reversed" in screen_words(pilot)
        assert visit.stage is Stage.REVERSED
        await pilot.press("enter")
        await wait_for_screen(pilot, ReadyScreen)
    assert world.balance(world.phone, "GBP") == before


async def test_drawer_did_not_open_then_handed_over_by_hand(fake_world) -> None:
    world = fake_world
    world.jam_drawer()
    app = KioskApp(world.runtime)
    async with app.run_test(size=SIZE) as pilot:
        await confirm_withdrawal_of_20(pilot, world)
        await pilot.press("enter")
        await wait_for_screen(pilot, DrawerScreen)
        await pilot.press("h")
        await wait_for_screen(pilot, ReceiptScreen)
        assert app.screen.visit.stage is Stage.COMPLETED


async def test_an_unexpected_exception_becomes_plain_words(fake_world, monkeypatch) -> None:
    def broken(*args, **kwargs):
        raise RuntimeError("boom: internal detail")

    monkeypatch.setattr(wallet_desk(fake_world.runtime.teller), "identify", broken)
    app = KioskApp(fake_world.runtime)
    async with app.run_test(size=SIZE) as pilot:
        await at_ready(pilot)
        await identify(pilot, fake_world.phone, "123456")
        await wait_for_screen(pilot, ErrorScreen)
        seen = screen_words(pilot)
        assert "Something went wrong inside the kiosk. No money moved." in seen
        assert "boom" not in seen and "Traceback" not in seen and "RuntimeError" not in seen
        await pilot.press("enter")
        await wait_for_screen(pilot, ReadyScreen)
        assert app.is_running


async def test_no_answer_the_cashier_may_stop_waiting_and_is_told_not_to_pay(fake_world) -> None:
    from dataclasses import dataclass

    from kiosk.teller.retry import RetryPolicy
    from kiosk.ui.screens.progress import ProgressScreen

    @dataclass(frozen=True)
    class SlowRetry(RetryPolicy):
        def pause(self, retry, rng):  # long enough for the cashier to press Esc
            return 5.0

    world = fake_world
    world.runtime.teller.retry = SlowRetry(attempts=3, deadline=60)
    world.runtime.backend.no_answer = True
    app = KioskApp(world.runtime)
    async with app.run_test(size=SIZE) as pilot:
        await confirm_withdrawal_of_20(pilot, world)
        await pilot.press("enter")
        await wait_for_screen(pilot, ProgressScreen)
        await wait_until(pilot, lambda: "No answer yet" in screen_words(pilot), what="re-send shown")
        assert "Esc Stop waiting" in screen_words(pilot)
        visit = app.visit
        await pilot.press("escape")
        await wait_for_screen(pilot, ErrorScreen)
        assert "DO NOT HAND OVER OR TAKE CASH" in screen_words(pilot)
        assert visit.stage is Stage.UNRESOLVED
        await pilot.press("enter")
        await wait_for_screen(pilot, ReadyScreen)


async def test_a_full_disk_is_said_plainly_and_moves_nothing(world, monkeypatch) -> None:
    """The journal cannot record the withdrawal's intent: the cashier reads "Disk full", not
    "Something went wrong", and the host was never asked (the step was not recorded)."""
    from kiosk.journal.store import JournalFull

    journal = world.runtime.teller.journal
    record = journal.record

    def full_at_intent(visit_id, step, **data):
        if step == "INTENT":
            raise JournalFull("The disk holding the journal (/var/lib/kiosk) is full: the step was not recorded, so it was not done.")
        return record(visit_id, step, **data)

    monkeypatch.setattr(journal, "record", full_at_intent)
    before = world.balance(world.phone, "GBP")
    app = KioskApp(world.runtime)
    async with app.run_test(size=SIZE) as pilot:
        await confirm_withdrawal_of_20(pilot, world)
        await pilot.press("enter")
        await wait_for_screen(pilot, ErrorScreen)
        seen = screen_words(pilot)
        assert "Disk full: nothing can be recorded" in seen and "was not recorded, so it was not done" in seen
        assert "Something went wrong" not in seen
    assert world.balance(world.phone, "GBP") == before
