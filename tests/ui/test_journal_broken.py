"""A journal that failed its check: the till opens on a screen that says so instead of the
ready screen, nothing can start a visit, and a supervisor's F2 reseals it and returns to ready."""

from __future__ import annotations

import sqlite3

from kiosk.ui.app import KioskApp
from kiosk.ui.screens.journal_broken import JournalBrokenScreen
from kiosk.ui.screens.ready import ReadyScreen
from tests.ui.fakes import fake_runtime
from tests.ui.helpers import screen_words, wait_for_screen

SIZE = (80, 24)


def tampered_runtime(tmp_path):
    runtime = fake_runtime(tmp_path)
    runtime.teller.journal.close()
    db = sqlite3.connect(tmp_path / "journal.db")
    db.execute("UPDATE rows SET data = replace(data, '100.00', '900.00') WHERE step = 'SHIFT_OPENED'")
    db.commit()
    db.close()
    return fake_runtime(tmp_path, reuse_shift=True)


async def test_a_broken_journal_locks_the_till_until_a_supervisor_reseals(tmp_path) -> None:
    runtime = tampered_runtime(tmp_path)
    assert runtime.teller.journal.broken
    app = KioskApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, JournalBrokenScreen)
        words = screen_words(pilot)
        assert "JOURNAL CHECK FAILED" in words and "SHIFT_OPENED" in words and "F2" in words
        await pilot.press("enter", "g", "b")  # nothing starts a visit from here
        await pilot.pause()
        assert isinstance(app.screen, JournalBrokenScreen) and app.visit is None
        await pilot.press("f2")
        await wait_for_screen(pilot, ReadyScreen)
    assert runtime.teller.journal.broken is None
    assert runtime.teller.journal.last_row("JOURNAL_RESEALED") is not None
    runtime.close()
