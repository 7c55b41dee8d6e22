"""SVG snapshots of the screens issue 12's entry work changed (amount field, the shift's
per-currency count), at 80x24 and 120x40, on the frozen kiosk of snapshot_app.

Regenerate after an intended change: .venv/bin/pytest tests/ui/test_entry_snapshots.py --snapshot-update
"""

from __future__ import annotations

import pytest

from kiosk.money import amount_style
from kiosk.teller import VisitKind
from kiosk.ui.screens.shift import CloseShiftScreen, OpenShiftScreen
from tests.ui.fakes import fake_runtime
from tests.ui.helpers import wait_until
from tests.ui.snapshot_app import SnapshotKiosk, frozen
from tests.ui.test_snapshots import utc  # noqa: F401  (autouse: clock times on screen in UTC)

SCENES = ("amount_de_DE", "amount_refused", "open_shift", "close_shift_missing")


class EntryKiosk(SnapshotKiosk):
    def scene_screen(self):
        if self.scene.startswith("amount"):
            self._open()
            self._choose(VisitKind.WITHDRAW, None)
            screen = self.wallet.amount_screen_for()
            screen.amount = "12.50"
            return screen
        currencies = self.teller.drawer_currencies()
        return OpenShiftScreen(currencies) if self.scene == "open_shift" else CloseShiftScreen(currencies)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
@pytest.mark.parametrize("scene", SCENES)
def test_screen(scene: str, size, snap_compare, tmp_path) -> None:
    runtime = fake_runtime(tmp_path, clock=frozen)
    app = EntryKiosk(runtime, scene)
    if scene == "amount_de_DE":
        app.amount_style = amount_style("de_DE")

    async def settle(pilot) -> None:
        await wait_until(pilot, lambda: not app._status_running, timeout=5, what="status read")
        await pilot.pause()
        if scene == "amount_refused":
            await pilot.press("end", "-")
        if scene == "close_shift_missing":
            await pilot.press("1", "0", "0", "enter", "enter")
            await wait_until(pilot, lambda: "Not counted" in str(app.screen.query_one("#shift-message").render()),
                             timeout=5, what="missing named")
        await pilot.pause()

    try:
        assert snap_compare(app, terminal_size=size, run_before=settle)
    finally:
        runtime.close()


