"""Gift cards in the UI, pressed as a cashier presses them (Pilot, 80x24, embedded simulators)."""

from __future__ import annotations

from decimal import Decimal

from kiosk.ui.app import KioskApp
from kiosk.ui.screens.error import ErrorScreen
from kiosk.ui.screens.journey import FormScreen, JourneyDrawerScreen, JourneyReceiptScreen, MenuScreen
from kiosk.ui.screens.ready import ReadyScreen
from tests.ui.helpers import fill, screen_words, wait_for_screen, wait_until
from tests.ui.journey import at_ready

SIZE = (80, 24)


async def card(pilot, number: str, code: str) -> None:
    await pilot.press("g")
    await wait_for_screen(pilot, FormScreen)
    await fill(pilot, number)
    await pilot.press("enter")
    await fill(pilot, code)
    await pilot.press("enter")
    # The card's screen, mounted and painted (read before its first paint, it shows nothing).
    await wait_until(
        pilot, lambda: isinstance(pilot.app.screen, (MenuScreen, ErrorScreen)) and screen_words(pilot), what="the card"
    )


async def test_redeem_with_partial_approval(demo, sims) -> None:
    app = KioskApp(demo)
    cash = demo.teller.cash_in_drawer("USD").amount
    async with app.run_test(size=SIZE) as pilot:
        await at_ready(pilot)
        assert "Other back ends" in screen_words(pilot)
        await card(pilot, "7012340000001027", "2694")
        seen = screen_words(pilot)
        assert "Balance 7.35 USD" in seen and "****1027" in seen and "7012340000001027" not in seen
        await pilot.press("d")
        await wait_for_screen(pilot, FormScreen)
        await fill(pilot, "10")
        await pilot.press("enter")
        await wait_until(pilot, lambda: "Confirm" in screen_words(pilot), what="confirm")
        assert "Redeem 10.00 USD from gift card ****1027" in screen_words(pilot)
        await pilot.press("enter")
        await wait_for_screen(pilot, JourneyDrawerScreen)
        assert "Hand over 7.35 USD" in screen_words(pilot)  # partial approval: what the card held
        await wait_for_screen(pilot, JourneyReceiptScreen)
        seen = screen_words(pilot)
        assert "GIFT CARD REDEMPTION" in seen and "7.35 USD" in seen and "Receipt printed." in seen
        await pilot.press("enter")
        await wait_for_screen(pilot, ReadyScreen)
    assert sims.pospointe.card_balance("7012340000001027") == Decimal("0.00")
    assert demo.teller.cash_in_drawer("USD").amount == cash - Decimal("7.35")
    assert app.visit is None and app.flow is None


async def test_sell_then_wrong_code_then_block(demo, sims) -> None:
    app = KioskApp(demo)
    async with app.run_test(size=SIZE) as pilot:
        await at_ready(pilot)
        await card(pilot, "7012340000001035", "5057")
        assert "not sold yet" in screen_words(pilot)
        await pilot.press("s")
        await wait_for_screen(pilot, FormScreen)
        await fill(pilot, "600")
        await pilot.pause()
        assert "A sale or reload is 1.00 to 500.00 USD" in screen_words(pilot)
        app.screen.query_one("#amount").value = ""
        await fill(pilot, "25")
        await pilot.press("enter")
        await wait_until(pilot, lambda: "Take 25.00 USD from the customer first." in screen_words(pilot), what="confirm")
        await pilot.press("enter")
        await wait_for_screen(pilot, JourneyReceiptScreen)
        assert "GIFT CARD SALE" in screen_words(pilot)
        await pilot.press("enter")
        await at_ready(pilot)

        await card(pilot, "7012340000001001", "0000")
        assert isinstance(app.screen, ErrorScreen)
        assert "security code is wrong" in screen_words(pilot)
        await pilot.press("enter")  # try again
        await wait_for_screen(pilot, FormScreen)
        await pilot.press("escape")
        await at_ready(pilot)

        await card(pilot, "7012340000001001", "4821")
        await pilot.press("b")
        await wait_for_screen(pilot, FormScreen)
        await fill(pilot, "sam")
        await pilot.press("enter")
        await fill(pilot, "reported lost")
        await pilot.press("enter")
        await wait_until(pilot, lambda: "Card status changed" in screen_words(pilot), what="blocked")
        await pilot.press("enter")
        await at_ready(pilot)
    assert sims.pospointe.card_balance("7012340000001035") == Decimal("25.00")
    assert sims.pospointe.card_status("7012340000001001") == "blocked"
    rows = [r for r in demo.teller.journal.rows() if r.step == "STATUS_SENT"]
    assert rows and rows[-1].data["supervisor"] == "sam"


async def test_batch_view_and_close(demo) -> None:
    app = KioskApp(demo)
    async with app.run_test(size=SIZE) as pilot:
        await at_ready(pilot)
        await pilot.press("g")
        await wait_for_screen(pilot, FormScreen)
        await pilot.press("f3")
        await wait_until(pilot, lambda: "the day's batch" in screen_words(pilot), what="batch")
        assert "Net cash in" in screen_words(pilot)
        await pilot.press("c")
        await wait_until(pilot, lambda: "Batch closed" in screen_words(pilot), what="closed")
        await pilot.press("enter")
        await at_ready(pilot)
