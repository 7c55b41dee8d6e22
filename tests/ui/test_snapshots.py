"""SVG snapshots of every main screen at 80x24 (what the cashier sees, pinned).

Regenerate after an intended change: .venv/bin/pytest tests/ui/test_snapshots.py --snapshot-update
"""

from __future__ import annotations

import time

import pytest

from kiosk.ui.screens.quit import QuitScreen
from tests.ui.helpers import wait_until
from tests.ui.snapshot_app import SCENES, build


@pytest.fixture(autouse=True)
def utc(monkeypatch):
    """Clock times on screen (status, receipt) are local: pin the zone, then restore it."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.parametrize("scene", SCENES)
def test_screen(scene: str, snap_compare, tmp_path) -> None:
    app = build(scene, tmp_path)

    async def settle(pilot) -> None:
        await wait_until(pilot, lambda: not app._status_running, timeout=5, what="status read")
        if scene == "quit":  # pushed after the first refresh
            await wait_until(pilot, lambda: isinstance(app.screen, QuitScreen), timeout=5, what="quit question")
        await pilot.pause()

    try:
        assert snap_compare(app, terminal_size=(80, 24), run_before=settle)
    finally:
        app.runtime.close()
