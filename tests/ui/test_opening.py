"""The configured kiosk draws its first screen before its runtime is built (issue 14): the
screen says the journal is being opened, nothing starts a visit until it is, then the ready
screen (or the broken-journal screen) takes its place; a failed opening ends the app and
hands the failure back to kiosk.cli."""

from __future__ import annotations

import threading

import pytest

from kiosk.journal.store import JournalError
from kiosk.ui.app import KioskApp
from kiosk.ui.screens.customer import CustomerScreen
from kiosk.ui.screens.journal_broken import JournalBrokenScreen
from kiosk.ui.screens.opening import OpeningScreen
from kiosk.ui.screens.ready import ReadyScreen
from tests.ui.helpers import screen_words, wait_for_screen, wait_until
from tests.ui.test_journal_broken import tampered_runtime

SIZE = (80, 24)


def gated(runtime):
    """An opening that waits for `go` (the journal being checked meanwhile)."""
    go = threading.Event()

    def opening():
        assert go.wait(30)
        if isinstance(runtime, BaseException):
            raise runtime
        return runtime

    return opening, go


async def test_no_visit_starts_until_the_journal_is_open_then_the_ready_screen_serves(fake_world) -> None:
    runtime = fake_world.runtime
    opening, go = gated(runtime)
    drawn: list[str] = []
    app = KioskApp(None, settings=runtime.settings, opening=opening, status_interval=3600,
                   first_screen_drawn=lambda: drawn.append(type(app.screen).__name__))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, OpeningScreen)
        assert "Opening the journal" in screen_words(pilot)
        await pilot.press("enter", "n", "g", "o", "v")  # no key starts anything yet
        await pilot.pause()
        assert isinstance(app.screen, OpeningScreen) and app.visit is None and app.teller is None
        assert drawn == []  # start-up is not over: visits cannot start yet
        go.set()
        await wait_for_screen(pilot, ReadyScreen)
        await wait_until(pilot, lambda: app.status is not None, what="first status reading")
        assert drawn == ["ReadyScreen"]
        assert app.teller is runtime.teller
        await pilot.press("enter")
        await wait_for_screen(pilot, CustomerScreen)
    assert app.opened() is runtime


async def test_a_journal_that_cannot_be_opened_ends_the_kiosk_with_its_failure(fake_world) -> None:
    failure = JournalError("the journal cannot be read: file is not a database")
    opening, go = gated(failure)
    app = KioskApp(None, settings=fake_world.runtime.settings, opening=opening)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, OpeningScreen)
        go.set()
        await wait_until(pilot, lambda: app.return_code is not None, what="the kiosk ending")
    assert app.return_code == 1
    with pytest.raises(JournalError) as raised:
        app.opened()
    assert raised.value is failure


async def test_a_journal_that_failed_its_check_opens_on_the_broken_journal_screen(tmp_path) -> None:
    runtime = tampered_runtime(tmp_path)
    opening, go = gated(runtime)
    go.set()
    app = KioskApp(None, settings=runtime.settings, opening=opening)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, JournalBrokenScreen)
        await pilot.press("enter", "g")
        await pilot.pause()
        assert isinstance(app.screen, JournalBrokenScreen) and app.visit is None
    runtime.close()


async def test_the_kiosk_can_be_closed_while_it_opens_and_the_runtime_is_still_handed_back(fake_world) -> None:
    runtime = fake_world.runtime
    opening, go = gated(runtime)
    app = KioskApp(None, settings=runtime.settings, opening=opening)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, OpeningScreen)
        await pilot.press("f10")
        await wait_until(pilot, lambda: "Close the kiosk?" in screen_words(pilot), what="the close question")
        await pilot.press("y")
        await wait_until(pilot, lambda: app.return_code is not None, what="the kiosk ending")
    go.set()
    assert app.opened() is runtime  # kiosk.cli closes it (the journal, the till's lock)
