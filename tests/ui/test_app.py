"""The app's own rules: how it closes, what it refuses while busy, what it never shows,
and the small pure pieces the screens are built from."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

from textual.widgets import Input

from kiosk.teller import Stage
from kiosk.ui.app import KioskApp
from kiosk.ui.screens.accounts import AccountsScreen
from kiosk.ui.screens.customer import CustomerScreen
from kiosk.ui.screens.error import ways_forward
from kiosk.ui.screens.progress import ProgressScreen
from kiosk.ui.screens.quit import QuitScreen
from kiosk.ui.screens.ready import ReadyScreen
from kiosk.ui.widgets.countdown import seconds_left
from kiosk.ui.widgets.qr import qr_lines
from kiosk.desks.rapyd import wallet_desk
from tests.ui.helpers import screen_words, type_text, wait_for_screen, wait_until, widget_words
from tests.ui.journey import at_ready, identify

SIZE = (80, 24)


async def test_quit_needs_confirmation(fake_world) -> None:
    app = KioskApp(fake_world.runtime)
    async with app.run_test(size=SIZE) as pilot:
        await at_ready(pilot)
        await pilot.press("ctrl+q", "ctrl+c", "ctrl+p", "escape", "q")
        await pilot.pause()
        assert app.is_running and isinstance(app.screen, ReadyScreen)
        await pilot.press("f10")
        await wait_for_screen(pilot, QuitScreen)
        assert "Close the kiosk?" in screen_words(pilot)
        await pilot.press("n")
        await wait_for_screen(pilot, ReadyScreen)
        assert app.is_running
        await pilot.press("f10")
        await wait_for_screen(pilot, QuitScreen)
        await pilot.press("y")
        await wait_until(pilot, lambda: app.return_code is not None, what="exit")
    assert app.return_code == 0


async def test_closing_with_a_session_open_closes_the_session_first(fake_world, monkeypatch) -> None:
    """Closing the kiosk closes the customer's session first (a logout at the wallet that may
    take a client timeout): in a worker, the progress screen meanwhile, then the app exits."""
    wallet = wallet_desk(fake_world.runtime.teller)
    cancel, threads, release = wallet.cancel, [], threading.Event()

    def slow_cancel(visit):
        threads.append(threading.current_thread())
        release.wait(5.0)
        return cancel(visit)

    monkeypatch.setattr(wallet, "cancel", slow_cancel)
    app = KioskApp(fake_world.runtime)
    async with app.run_test(size=SIZE) as pilot:
        await at_ready(pilot)
        await identify(pilot, fake_world.phone, fake_world.otp(fake_world.phone))
        await wait_for_screen(pilot, AccountsScreen)
        visit = app.visit
        await pilot.press("f10")
        await wait_for_screen(pilot, QuitScreen)
        assert "session will be closed first" in screen_words(pilot)
        started = time.monotonic()
        await pilot.press("y")
        await wait_for_screen(pilot, ProgressScreen, timeout=3)
        assert time.monotonic() - started < 3  # not held by the logout
        assert "Closing the customer's session" in screen_words(pilot)
        assert app.is_running and app.return_code is None
        assert threads and threads[0] is not threading.main_thread()
        release.set()
        await wait_until(pilot, lambda: app.return_code is not None, what="exit")
    assert visit.stage.value == "cancelled"


async def test_nothing_can_be_pressed_while_the_host_works(fake_world, monkeypatch) -> None:
    release = threading.Event()
    wallet = wallet_desk(fake_world.runtime.teller)
    real = wallet.identify

    def slow(*args, **kwargs):
        assert release.wait(10)
        return real(*args, **kwargs)

    monkeypatch.setattr(wallet, "identify", slow)
    app = KioskApp(fake_world.runtime)
    async with app.run_test(size=SIZE) as pilot:
        await at_ready(pilot)
        await identify(pilot, fake_world.phone, fake_world.otp(fake_world.phone))
        await wait_for_screen(pilot, ProgressScreen)
        assert "Opening the customer's session" in screen_words(pilot)
        assert "at most about 10 s" in screen_words(pilot)
        await pilot.press("escape", "f10", "enter", "ctrl+c")
        await pilot.pause()
        assert isinstance(app.screen, ProgressScreen)  # no quit question, no way back
        release.set()
        await wait_for_screen(pilot, AccountsScreen)


async def test_phone_is_checked_while_typed_and_the_code_is_masked_and_cleared(fake_world) -> None:
    app = KioskApp(fake_world.runtime)
    async with app.run_test(size=SIZE) as pilot:
        await at_ready(pilot)
        await pilot.press("n")
        await wait_for_screen(pilot, CustomerScreen)
        await type_text(pilot, "0044")
        assert "not a full international phone number" in widget_words(pilot, "#phone-msg")
        await type_text(pilot, "7700900111")
        assert "Valid international number." in widget_words(pilot, "#phone-msg")
        await pilot.press("enter")
        otp = app.screen.query_one("#otp", Input)
        assert otp.has_focus and otp.password
        await type_text(pilot, "12a3")  # letters are refused by the field
        assert otp.value == "123"
        await pilot.press("enter")
        assert "The code has 6 digits." in widget_words(pilot, "#otp-msg")
        await type_text(pilot, "456")
        assert otp.value == "123456" and "123456" not in str(otp.render())  # shown as bullets
        await pilot.press("enter")
        assert otp.value == ""  # single-use: not left in the field
        await wait_for_screen(pilot, AccountsScreen)


async def at_accounts(pilot, world) -> None:
    """From start-up to the accounts screen of the world's customer."""
    await at_ready(pilot)
    await identify(pilot, world.phone, world.otp(world.phone))
    await wait_for_screen(pilot, AccountsScreen)


async def test_enter_on_an_account_says_which_keys_move_money_and_changes_nothing(fake_world) -> None:
    app = KioskApp(fake_world.runtime)
    async with app.run_test(size=SIZE) as pilot:
        await at_accounts(pilot, fake_world)
        assert not app.screen.query("#accounts-msg")  # the message line comes when first needed
        await pilot.press("enter")
        await wait_until(pilot, lambda: "Press W to withdraw or D to deposit." in screen_words(pilot), what="the hint")
        await pilot.press("enter")  # again: the same line, not a second one
        await pilot.pause()
        assert isinstance(app.screen, AccountsScreen) and len(app.screen.query("#accounts-msg")) == 1


async def test_the_accounts_screen_follows_a_resized_terminal(fake_world) -> None:
    """AccountsScreen drops the Resize of its own first layout (kiosk/ui/screens/step.py), never a real one."""
    from kiosk.ui.widgets.choice_list import ChoiceList

    app = KioskApp(fake_world.runtime)
    async with app.run_test(size=SIZE) as pilot:
        await at_accounts(pilot, fake_world)
        assert app.screen.query_one(ChoiceList).outer_size.width == 78
        await pilot.resize_terminal(100, 30)
        await wait_until(pilot, lambda: app.screen.query_one(ChoiceList).outer_size.width == 98, what="the wider list")
        assert app.screen.outer_size == (100, 30)


async def test_demo_panel_shows_wallets_and_codes_and_f2_types_one_in(fake_world) -> None:
    app = KioskApp(fake_world.runtime)
    async with app.run_test(size=SIZE) as pilot:
        await at_ready(pilot)
        await pilot.press("enter")
        await wait_for_screen(pilot, CustomerScreen)
        panel = widget_words(pilot, "#demo")
        for phone, _ in fake_world.runtime.demo.wallets:
            assert phone in panel and fake_world.otp(phone) in panel
        await pilot.press("f2")
        assert app.screen.query_one("#phone", Input).value == fake_world.phone
        await pilot.press("enter")
        await wait_for_screen(pilot, AccountsScreen)


async def test_countdown_turns_to_warning_near_the_end(fake_world) -> None:
    now = [1_000_000_040.0]  # 1_000_000_020 starts a 30 s window: 10 s left
    app = KioskApp(fake_world.runtime, clock=lambda: now[0])
    async with app.run_test(size=SIZE) as pilot:
        await at_ready(pilot)
        await pilot.press("enter")
        await wait_for_screen(pilot, CustomerScreen)
        countdown = app.screen.query_one("#countdown")
        assert widget_words(pilot, "#countdown") == "Code valid 10 s more" and not countdown.has_class("-ending")
        now[0] += 6
        await wait_until(pilot, lambda: countdown.has_class("-ending"), timeout=3, what="warning colour")
        assert widget_words(pilot, "#countdown").startswith("Ask for the next code")
        assert "4 s left" in widget_words(pilot, "#countdown")


def test_seconds_left_in_the_absolute_window() -> None:
    start = 1_000_000_020.0  # a multiple of 30: a window starts here
    assert seconds_left(start, 30) == 30
    assert seconds_left(start + 20, 30) == 10
    assert seconds_left(start + 20.2, 30) == 10
    assert seconds_left(start + 19.9, 30) == 11
    assert seconds_left(start + 29.99, 30) == 1


def test_qr_of_a_real_pos_id_fits_beside_the_status_at_80x24() -> None:
    lines = qr_lines("ac409157-0e14-11e7-8115-0ef1982c1e4a")
    assert len(lines) <= 17 and max(map(len, lines)) <= 33
    assert set("".join(lines)) <= set("█▀▄ ")


def test_ways_forward() -> None:
    keys = lambda ways: [(w.key, w.request.__name__) for w in ways]  # noqa: E731
    assert keys(ways_forward("open", "OTP_REJECTED", None)) == [("enter", "BackToCustomer"), ("escape", "BackToReady")]
    assert keys(ways_forward("open", "HOST_UNREACHABLE", None)) == [("enter", "BackToReady")]
    assert keys(ways_forward("move", "INSUFFICIENT_FUNDS", Stage.SESSION_OPEN))[0] == ("enter", "BackToAmount")
    assert keys(ways_forward("move", "PRINTER_NOT_READY", Stage.SESSION_OPEN)) == [("enter", "BackToConfirm"), ("escape", "CancelVisit")]
    assert keys(ways_forward("move", "OUTCOME_UNKNOWN", Stage.UNRESOLVED)) == [("enter", "BackToReady")]
    assert keys(ways_forward("move", "INSUFFICIENT_FUNDS", Stage.FAILED))[0] == ("enter", "BackToCustomer")
    assert keys(ways_forward("reverse", "REVERSAL_FAILED", Stage.UNRESOLVED)) == [("enter", "BackToReady")]


def in_fresh_python(code: str, env: dict[str, str] | None = None) -> str:
    """What `code` prints in a new interpreter (what is imported at start is per process)."""
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True, env=env).stdout


def test_the_ui_asks_textual_for_120_frames_a_second_unless_the_till_sets_another() -> None:
    """A new screen settles a frame after it is shown (kiosk/ui/__init__.py): 8 ms, not 17."""
    code = "import kiosk.ui.app, textual.constants, textual.screen; print(textual.constants.MAX_FPS, round(1 / textual.screen.UPDATE_PERIOD))"
    env = {k: v for k, v in os.environ.items() if k != "TEXTUAL_FPS"}
    assert in_fresh_python(code, env).split() == ["120", "120"]
    assert in_fresh_python(code, {**env, "TEXTUAL_FPS": "30"}).split() == ["30", "30"]


def test_the_ui_never_imports_the_simulators_and_starts_light() -> None:
    code = (
        "import sys, kiosk.ui.app, kiosk.ui.screens.ready;"
        "bad = sorted(m for m in sys.modules if m.startswith('kiosk.sim') or m in ('qrcode', 'httpx', 'uvicorn'));"
        "print(','.join(bad))"
    )
    assert in_fresh_python(code).strip() == ""


def test_only_the_ready_screen_is_imported_at_start_up() -> None:
    """Start-up time and memory (issue 14): the other step screens, each back end's flow,
    babel's locale data and Pillow are imported when first needed, not before the first screen."""
    code = (
        "import sys, kiosk.ui.app;"
        "from kiosk.ui.widgets.qr import qr_lines; qr_lines('ac409157-0e14-11e7-8115-0ef1982c1e4a');"
        "screens = {m for m in sys.modules if m.startswith(('kiosk.ui.screens.', 'kiosk.ui.flows.'))};"
        "light = {'kiosk.ui.screens.ready', 'kiosk.ui.screens.quit'};"
        "bad = sorted(screens - light) + sorted(m for m in ('babel', 'PIL') if m in sys.modules);"
        "print(','.join(bad))"
    )
    assert in_fresh_python(code).strip() == ""


def test_the_screen_qr_leaves_pillow_importable_for_receipts() -> None:
    code = (
        "import sys; from kiosk.ui.widgets.qr import qr_lines; lines = qr_lines('till-1');"
        "from PIL import Image; import drivers.receipt_image; from drivers.escpos import qr_matrix;"
        "print(len(lines), len(qr_matrix('till-1')), 'PIL' in sys.modules)"
    )
    assert in_fresh_python(code).split() == ["13", "29", "True"]


async def test_a_new_step_screen_starts_its_frame_clock_when_shown(fake_world) -> None:
    """KioskApp.show starts the new screen's update timer while its widgets mount (one frame
    sooner on screen). It reaches into Textual (pinned): if an upgrade renames the timer, this
    fails here instead of the screens quietly drawing a frame later."""
    app = KioskApp(fake_world.runtime)
    async with app.run_test(size=SIZE) as pilot:
        await at_ready(pilot)
        screen = ProgressScreen("Checking", bound=1.0)
        app.show(screen)
        assert app.screen is screen
        assert screen._update_timer._active.is_set()
        await pilot.pause()


async def test_a_replaced_step_screen_goes_once_the_next_one_is_drawn(fake_world) -> None:
    """KioskApp.show keeps the screen it replaces (installed) until the new one is drawn, then
    removes it: none is left behind, even when steps follow faster than they are drawn."""
    app = KioskApp(fake_world.runtime)
    async with app.run_test(size=SIZE) as pilot:
        await at_ready(pilot)
        ready = app.screen
        first = ProgressScreen("One", bound=1.0)
        app.show(first)
        assert app.screen is first and app.is_screen_installed(ready)  # not removed before `first` is drawn
        await wait_until(pilot, lambda: not app.is_screen_installed(ready) and not ready.is_running, what="ready removed")
        second, third = ProgressScreen("Two", bound=1.0), ProgressScreen("Three", bound=1.0)
        app.show(second)
        app.show(third)  # before `second` was drawn
        gone = (first, second)
        await wait_until(pilot, lambda: not any(app.is_screen_installed(s) or s.is_running for s in gone), what="both removed")
        assert app.screen is third and app.screen_stack[-1] is third and len(app.screen_stack) == 2
        fourth = ProgressScreen("Four", bound=1.0)
        app.show(fourth)
        app.show(third)  # back to a screen still kept: shown again, not removed
        await pilot.pause()
        await wait_until(pilot, lambda: not fourth.is_running, what="fourth removed")
        assert app.screen is third and third.is_running


async def test_the_app_says_when_its_first_screen_is_drawn(fake_world) -> None:
    # kiosk.cli hands the collector back then (its start-up runs with it paused): once, after
    # the ready screen is on screen, not before.
    calls: list[bool] = []
    app = KioskApp(fake_world.runtime, first_screen_drawn=lambda: calls.append(isinstance(app.screen, ReadyScreen)))
    async with app.run_test(size=SIZE) as pilot:
        await at_ready(pilot)
        await pilot.pause()
        assert calls == [True]
        app.show_ready()
        await pilot.pause()
        assert calls == [True]
