"""SVG snapshots at 80x24 and 120x40 of the screens issue 12's polish changed: Ready's header
(the till's short name), an error in sentences, and the Flexiti and SDK.finance menus (status
and currency accounts in the cashier's words, demo panels that wrap and widen).

Regenerate after an intended change: .venv/bin/pytest tests/ui/test_polish_snapshots.py --snapshot-update
"""

from __future__ import annotations

import pytest

from kiosk.money import MoneyError, parse_amount
from kiosk.teller import TellerError
from kiosk.ui.app import KioskApp
from kiosk.ui.screens.error import ErrorScreen, ways_forward
from kiosk.ui.screens.journey import FormScreen
from tests.ui.helpers import fill, screen_words, wait_for_screen, wait_until
from tests.ui.journey import at_ready
from tests.ui.fakes import fake_runtime
from tests.ui.snapshot_app import SnapshotKiosk, build, frozen
from tests.ui.test_snapshots import utc  # noqa: F401  (autouse: clock times on screen in UTC)

SIZES = pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])


class AmountErrorKiosk(SnapshotKiosk):
    def scene_screen(self):
        self._open()
        try:
            parse_amount("12.345", "GBP")
        except MoneyError as exc:  # as the teller says it (teller.py: AMOUNT_INVALID)
            error = TellerError("AMOUNT_INVALID", str(exc), "Type the amount again.")
        return ErrorScreen(error, ways_forward("move", error.code, self.visit.stage))


@SIZES
@pytest.mark.parametrize("scene", ["ready", "error_amount"])
def test_screen(scene: str, size, snap_compare, tmp_path) -> None:
    app = build("ready", tmp_path) if scene == "ready" else AmountErrorKiosk(fake_runtime(tmp_path, clock=frozen), scene)

    async def settle(pilot) -> None:
        await wait_until(pilot, lambda: not app._status_running, timeout=5, what="status read")
        await pilot.pause()

    try:
        assert snap_compare(app, terminal_size=size, run_before=settle)
    finally:
        app.runtime.close()


@pytest.fixture
def demo(tmp_path):
    from kiosk.runtime import demo_runtime

    runtime = demo_runtime(tmp_path, otp_window=300)
    yield runtime
    runtime.close()


@SIZES
@pytest.mark.parametrize("desk", ["flexiti", "sdkfinance"])
def test_desk_menu(desk: str, size, snap_compare, demo) -> None:
    app = KioskApp(demo, status_interval=3600)

    async def settle(pilot) -> None:
        await at_ready(pilot)
        await pilot.press("f" if desk == "flexiti" else "k")
        await wait_for_screen(pilot, FormScreen)
        if desk == "flexiti":
            await fill(pilot, "345678901")  # status A: purchases not allowed
            await pilot.press("enter")
            words = "Verify the customer first."
        else:
            await pilot.press("f2")  # the first demo login, no second factor
            await pilot.press("enter")
            words = "Choose the currency account"
        await wait_until(pilot, lambda: words in screen_words(pilot), what=words)
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=settle)
