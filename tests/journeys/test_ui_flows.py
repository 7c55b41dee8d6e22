"""The flows of the other back ends in the app: an unexpected error in any of their steps is an
error screen (never a traceback that ends the kiosk), each shared message has one handler,
and what can block (ending a visit, closing the kiosk) runs off the UI thread."""

from __future__ import annotations

import threading

import pytest

from kiosk.desks.flexiti import FlexitiDesk
from kiosk.desks.giftcards import GiftCardDesk
from kiosk.desks.sdkwallet import SdkWalletDesk
from kiosk.ui import messages as m
from kiosk.ui.app import KioskApp
from kiosk.ui.screens.error import ErrorScreen
from kiosk.ui.screens.journey import FormScreen, MenuScreen
from kiosk.ui.screens.progress import ProgressScreen
from tests.ui.helpers import fill, screen_words, wait_for_screen, wait_until
from tests.ui.journey import at_ready

SIZE = (80, 24)


def broken(*args, **kwargs):
    raise RuntimeError("a bug in the kiosk")


async def gift_card(pilot) -> None:
    await pilot.press("g")
    await wait_for_screen(pilot, FormScreen)
    await fill(pilot, "7012340000001027")
    await pilot.press("enter")
    await fill(pilot, "2694")
    await pilot.press("enter")


async def sdk_coin(pilot) -> None:
    await pilot.press("k")
    await wait_for_screen(pilot, FormScreen)
    await pilot.press("f2")  # the first demo login and password
    await pilot.press("enter")
    await wait_until(pilot, lambda: "Choose the currency account" in screen_words(pilot), what="coins")
    await pilot.press("1")  # the coin's menu: read from the visit, on the UI thread


async def flexiti_account(pilot) -> None:
    await pilot.press("f")
    await wait_for_screen(pilot, FormScreen)
    await fill(pilot, "116574819")
    await pilot.press("enter")


# Per back end: how to get to a step that runs on the UI thread, and the desk method it calls.
STEPS = {
    "pospointe": (gift_card, GiftCardDesk, "actions"),  # the card's menu
    "sdkfinance": (sdk_coin, SdkWalletDesk, "coin"),
    "flexiti": (flexiti_account, FlexitiDesk, "allowed_formats"),  # the verify menu
}


@pytest.mark.parametrize("backend", list(STEPS))
async def test_an_unexpected_error_in_a_flow_is_an_error_screen(demo, monkeypatch, backend) -> None:
    to_step, desk_class, method = STEPS[backend]
    monkeypatch.setattr(desk_class, method, broken)
    app = KioskApp(demo)
    async with app.run_test(size=SIZE) as pilot:
        await at_ready(pilot)
        await to_step(pilot)
        await wait_for_screen(pilot, ErrorScreen)
        assert "Something went wrong inside the kiosk" in screen_words(pilot)
        assert "Traceback" not in screen_words(pilot) and "RuntimeError" not in screen_words(pilot)
        assert app.is_running
        monkeypatch.undo()
        await pilot.press("enter")  # back to ready: the session still open is closed first
        await at_ready(pilot)
        assert app.visit is None and app.flow is None
        await pilot.press("g")  # and the kiosk serves the next customer
        await wait_for_screen(pilot, FormScreen)
        assert app.is_running
    assert app.return_code in (None, 0)


def test_each_shared_message_has_one_handler() -> None:
    """The wallet's and the flows' visits share these messages: one handler each (the app's,
    which hands them to the flow), not one per class in the app's MRO."""
    app = KioskApp.__new__(KioskApp)  # only the class's handlers are read
    for message in (m.CashDone(by_hand=False), m.ReverseWithdrawal(), m.BackToReady(), m.CancelVisit(),
                    m.DrawerClosed(None, True)):
        handlers = list(app._get_dispatch_methods(message.handler_name, message))
        assert len(handlers) == 1, (type(message).__name__, handlers)


async def test_ending_a_visit_runs_off_the_ui_thread(demo, monkeypatch) -> None:
    """Esc on the card's menu closes the visit (journal writes) in a worker, the progress
    screen meanwhile; the UI thread is free (its timers keep running)."""
    cancel, threads, release = GiftCardDesk.cancel, [], threading.Event()

    def slow_cancel(self, visit):
        threads.append(threading.current_thread())
        release.wait(5.0)
        return cancel(self, visit)

    monkeypatch.setattr(GiftCardDesk, "cancel", slow_cancel)
    app = KioskApp(demo)
    async with app.run_test(size=SIZE) as pilot:
        await at_ready(pilot)
        await gift_card(pilot)
        await wait_for_screen(pilot, MenuScreen)
        visit = app.visit
        await pilot.press("escape")
        await wait_for_screen(pilot, ProgressScreen)
        ticks = []
        app.set_interval(0.05, lambda: ticks.append(1))
        await wait_until(pilot, lambda: len(ticks) >= 3, timeout=3, what="the UI thread running timers")
        assert threads and threads[0] is not threading.main_thread()
        release.set()
        await at_ready(pilot)
    assert visit.stage.value == "cancelled"
