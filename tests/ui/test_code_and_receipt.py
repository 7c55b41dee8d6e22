"""The customer screen's one countdown and its errors, shift before code, and the receipt
screen's QR: Pilot tests for each defect of issue 12 (items 4 and 5), and snapshots at 80x24
and 120x40 of the screens they change.

Regenerate the snapshots after an intended change:
.venv/bin/pytest tests/ui/test_code_and_receipt.py --snapshot-update
"""

from __future__ import annotations

import pytest
from textual.widgets import Input

from kiosk.backends.base import BusinessError, OtpRejected
from kiosk.teller import TellerError
from kiosk.ui.app import KioskApp
from kiosk.ui.screens.customer import CustomerScreen
from kiosk.ui.screens.error import ErrorScreen
from kiosk.ui.screens.receipt import ReceiptScreen
from kiosk.ui.widgets.qr import qr_lines
from tests.ui.helpers import screen_words, wait_for_screen, wait_until, widget_words
from tests.ui.journey import at_ready, identify
from tests.ui.snapshot_app import build
from tests.ui.test_snapshots import utc  # noqa: F401 - autouse: clock times on screen are UTC here too

SIZE = (80, 24)


# --- one countdown ------------------------------------------------------------------------------


async def test_one_countdown_says_what_to_do(fake_world) -> None:
    now = [1_000_000_040.0]  # 10 s left in a 30 s window
    app = KioskApp(fake_world.runtime, clock=lambda: now[0])
    async with app.run_test(size=SIZE) as pilot:
        await at_ready(pilot)
        await pilot.press("enter")
        await wait_for_screen(pilot, CustomerScreen)
        seen = screen_words(pilot)
        assert "Code valid 10 s more" in seen
        assert "New codes in" not in seen and "window ends" not in seen  # one timer, not two
        now[0] += 6  # 4 s left
        await wait_until(pilot, lambda: "Ask for the next code" in widget_words(pilot, "#countdown"), timeout=3)
        now[0] += 4  # a new window: the count starts again for the next code, saying so
        await wait_until(pilot, lambda: widget_words(pilot, "#countdown") == "Code valid 30 s more", timeout=3)


# --- errors that say which field was wrong ------------------------------------------------------


@pytest.mark.parametrize(
    "refusal, title, field, words",
    [
        (OtpRejected("expired", host_code="ERROR_OTP_EXPIRED"), "Code expired", "otp", "The code expired"),
        (OtpRejected("used", host_code="ERROR_OTP_ALREADY_USED"), "Code already used", "otp", "already used"),
        (BusinessError("no wallet", host_code="ERROR_WALLET_NOT_FOUND"), "Phone number not known", "phone",
         "does not know this phone number"),
    ],
)
async def test_a_refused_code_says_why_and_returns_to_the_field_that_was_wrong(fake_world, refusal, title, field, words):
    def refuse(*args, **kwargs):
        raise refusal

    fake_world.runtime.backend.open_session = refuse
    app = KioskApp(fake_world.runtime)
    async with app.run_test(size=SIZE) as pilot:
        await at_ready(pilot)
        await identify(pilot, fake_world.phone, fake_world.otp(fake_world.phone))
        await wait_for_screen(pilot, ErrorScreen)
        assert title in screen_words(pilot)
        await pilot.press("enter")
        await wait_for_screen(pilot, CustomerScreen)
        wrong = app.screen.query_one(f"#{field}", Input)
        await wait_until(pilot, lambda: wrong.has_focus and words in widget_words(pilot, f"#{field}-msg"), timeout=3,
                         what=f"the {field} field focused, with the reason under it")
        assert app.screen.query_one("#phone", Input).value == fake_world.phone  # the phone is kept


# --- the shift before the code ------------------------------------------------------------------


async def test_no_shift_is_said_before_the_customer_is_asked_for_a_code(world, monkeypatch) -> None:
    teller = world.runtime.teller
    monkeypatch.setattr(teller.shifts, "current", None)  # as after a close
    app = KioskApp(world.runtime)
    async with app.run_test(size=SIZE) as pilot:
        await at_ready(pilot)
        await pilot.press("enter")
        await wait_for_screen(pilot, ErrorScreen)
        seen = screen_words(pilot)
        assert "No shift is open" in seen and "Open the shift" in seen
        assert not any(isinstance(s, CustomerScreen) for s in app.screen_stack)  # no code was asked for
        await pilot.press("o")
        await wait_until(pilot, lambda: "float" in screen_words(pilot).lower(), timeout=5, what="the open-shift form")
    if world.kind == "demo":
        assert world.runtime.simulator.ledger.sessions() == []  # the simulator saw no session request


# --- the receipt's QR on screen -----------------------------------------------------------------


async def test_the_receipt_on_screen_draws_its_qr(tmp_path) -> None:
    app = build("receipt", tmp_path)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for_screen(pilot, ReceiptScreen)
            preview = str(app.screen.query_one("#receipt-text").render())
            assert "[QR" not in preview
            symbol = qr_lines(app.screen.visit.transaction_id)
            assert all(line in preview for line in symbol)  # the whole symbol, as the ready screen draws one
            rules = [line.strip() for line in preview.splitlines() if set(line.strip()) == {"-"}]
            assert rules and all(len(rule) == 42 for rule in rules)  # the 42-column profile's width
    finally:
        app.runtime.close()


# --- snapshots ------------------------------------------------------------------------------------


PROBLEMS = {
    "customer": None,
    "customer_phone_unknown": TellerError("PHONE_UNKNOWN", "The wallet service does not know this phone number.",
                                          "Check the number with the customer and type it again."),
    "receipt": None,
}


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
@pytest.mark.parametrize("scene", sorted(PROBLEMS))
def test_snapshot(scene, size, snap_compare, tmp_path) -> None:
    app = build("receipt" if scene == "receipt" else "customer", tmp_path)
    app.wallet.code_problem = PROBLEMS[scene]

    async def settle(pilot) -> None:
        await wait_until(pilot, lambda: not app._status_running, timeout=5, what="status read")
        await pilot.pause()
        await pilot.pause()

    try:
        assert snap_compare(app, terminal_size=size, run_before=settle)
    finally:
        app.runtime.close()
