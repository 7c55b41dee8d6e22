"""Flexiti and SDK.finance in the UI, pressed as a cashier presses them (Pilot, 80x24)."""

from __future__ import annotations

from decimal import Decimal

from kiosk.ui.app import KioskApp
from kiosk.ui.screens.error import ErrorScreen
from kiosk.ui.screens.journey import FormScreen, JourneyDrawerScreen, JourneyReceiptScreen
from kiosk.ui.screens.ready import ReadyScreen
from tests.ui.helpers import fill, screen_words, wait_for_screen, wait_until
from tests.ui.journey import at_ready

SIZE = (80, 24)


async def until_words(pilot, words: str) -> None:
    await wait_until(pilot, lambda: words in screen_words(pilot), what=repr(words))


async def test_flexiti_sms_verification_then_deposit(demo, sims) -> None:
    app = KioskApp(demo)
    owed = sims.flexiti.balance("116574819")
    cash = demo.teller.cash_in_drawer("CAD").amount
    async with app.run_test(size=SIZE) as pilot:
        await at_ready(pilot)
        await pilot.press("b")  # the chooser lists every enabled back end
        await until_words(pilot, "which back end?")
        assert "Gift card" in screen_words(pilot) and "Flexiti account" in screen_words(pilot)
        await pilot.press("f")
        await wait_for_screen(pilot, FormScreen)
        await fill(pilot, "116574819")
        await pilot.press("enter")
        await until_words(pilot, "Verify the customer first.")
        assert "Jane Tremblay" in screen_words(pilot)
        await pilot.press("1")  # PIN by text message
        await until_words(pilot, "PIN the customer received by text message")
        await fill(pilot, "000000")  # a wrong PIN: refused at the transaction, a failed try
        await pilot.press("enter")
        await until_words(pilot, "Verified.")
        await pilot.press("d")
        await wait_for_screen(pilot, FormScreen)
        await fill(pilot, "40")
        await pilot.press("enter")
        await until_words(pilot, "Take 40.00 CAD from the customer first.")
        await pilot.press("enter")
        await wait_for_screen(pilot, ErrorScreen)
        assert "The PIN is wrong (2 tries left)" in screen_words(pilot)
        await pilot.press("enter")  # type the PIN again
        await wait_for_screen(pilot, FormScreen)
        await fill(pilot, sims.flexiti.last_pin("116574819"))
        await pilot.press("enter")
        await until_words(pilot, "Verified.")
        await pilot.press("d")
        await wait_for_screen(pilot, FormScreen)
        await fill(pilot, "40")
        await pilot.press("enter")
        await until_words(pilot, "Confirm")
        await pilot.press("enter")
        await wait_for_screen(pilot, JourneyReceiptScreen)
        assert "FLEXITI PAYMENT (DEPOSIT)" in screen_words(pilot)
        await pilot.press("enter")
        await wait_for_screen(pilot, ReadyScreen)
    assert sims.flexiti.balance("116574819") == owed - Decimal("40.00")
    assert demo.teller.cash_in_drawer("CAD").amount == cash + 40


async def test_flexiti_lockout_is_shown_plainly(demo, sims) -> None:
    app = KioskApp(demo)
    async with app.run_test(size=SIZE) as pilot:
        await at_ready(pilot)
        await pilot.press("f")
        await wait_for_screen(pilot, FormScreen)
        await fill(pilot, "234567890")
        await pilot.press("enter")
        await until_words(pilot, "Verify the customer first.")
        for _ in range(3):
            await pilot.press("3")  # security question
            await until_words(pilot, "In what city were you born?")
            await fill(pilot, "Paris")
            await pilot.press("enter")
            await wait_for_screen(pilot, ErrorScreen)
            assert "The answer to the security question is wrong" in screen_words(pilot)
            await pilot.press("enter")
            await until_words(pilot, "Verify the customer first.")
        await pilot.press("3")
        await wait_for_screen(pilot, FormScreen)
        await fill(pilot, "Lagos")  # right, but too late
        await pilot.press("enter")
        await wait_for_screen(pilot, ErrorScreen)
        words = screen_words(pilot)
        assert "Locked: this customer has had 3 wrong security answers or PINs in the last 48 hours" in words
        assert "Do not try again today" in words
        await pilot.press("escape")
        await at_ready(pilot)


async def test_flexiti_licence_scan_and_payment_cash_out(demo, sims) -> None:
    app = KioskApp(demo)
    credit = sims.flexiti.available_credit("116574819")
    async with app.run_test(size=SIZE) as pilot:
        await at_ready(pilot)
        await pilot.press("f")
        await wait_for_screen(pilot, FormScreen)
        await pilot.press("f3")
        await until_words(pilot, "scan the customer's driver's licence")
        await pilot.press("f2")  # the demo "reader" types the first demo licence in
        await pilot.press("enter")
        await until_words(pilot, "Jane Tremblay")
        await pilot.press("4")  # regular-purchase bypass: Jane qualifies
        await until_words(pilot, "Verified.")
        await pilot.press("p")
        await wait_for_screen(pilot, FormScreen)
        await fill(pilot, "30")
        await pilot.press("enter")
        await until_words(pilot, "hand it over in cash?")
        await pilot.press("enter")
        await wait_for_screen(pilot, JourneyDrawerScreen)
        assert "Hand over 30.00 CAD" in screen_words(pilot)
        await wait_for_screen(pilot, JourneyReceiptScreen)
        await pilot.press("enter")
        await at_ready(pilot)
    assert sims.flexiti.available_credit("116574819") == credit - Decimal("30.00")


async def test_sdk_two_factor_sign_in_then_withdrawal(demo, sims) -> None:
    app = KioskApp(demo)
    cash = demo.teller.cash_in_drawer("GBP").amount
    async with app.run_test(size=SIZE) as pilot:
        await at_ready(pilot)
        await pilot.press("k")
        await wait_for_screen(pilot, FormScreen)
        await fill(pilot, "+447700900777")
        await pilot.press("enter")
        await fill(pilot, "Wallet#2024b")
        await pilot.press("enter")
        await until_words(pilot, "one-time code")
        await fill(pilot, sims.sdkfinance.pending_otp("+447700900777"))
        await pilot.press("enter")
        await until_words(pilot, "Choose the currency account")
        await pilot.press("1")
        await until_words(pilot, "Withdraw (cash out)")
        await pilot.press("w")
        await wait_for_screen(pilot, FormScreen)
        await fill(pilot, "20")
        await pilot.press("enter")
        await until_words(pilot, "commission 0.60 GBP")
        assert "The wallet pays 20.60 GBP" in screen_words(pilot)
        await pilot.press("enter")
        await wait_for_screen(pilot, JourneyReceiptScreen)
        assert "WALLET WITHDRAWAL (CASH)" in screen_words(pilot)
        await pilot.press("enter")
        await at_ready(pilot)
    coins = {c.currency: c for c in sims.sdkfinance.coins("+447700900777")}
    assert coins["GBP"].amount == Decimal("279.40")
    assert demo.teller.cash_in_drawer("GBP").amount == cash - 20


async def test_sdk_wrong_password_and_top_up(demo, sims) -> None:
    app = KioskApp(demo)
    async with app.run_test(size=SIZE) as pilot:
        await at_ready(pilot)
        await pilot.press("k")
        await wait_for_screen(pilot, FormScreen)
        await fill(pilot, "anna.kowalska@example.com")
        await pilot.press("enter")
        await fill(pilot, "nope")
        await pilot.press("enter")
        await wait_for_screen(pilot, ErrorScreen)
        assert "did not accept that login and password" in screen_words(pilot)
        await pilot.press("enter")
        await wait_for_screen(pilot, FormScreen)
        await pilot.press("f2")  # demo: the first demo login and password
        await pilot.press("enter")
        await until_words(pilot, "Choose the currency account")
        await pilot.press("1")
        await until_words(pilot, "Top up (cash in)")
        await pilot.press("t")
        await wait_for_screen(pilot, FormScreen)
        await fill(pilot, "100")
        await pilot.press("enter")
        await until_words(pilot, "Take 100.50 EUR from the customer first")
        await pilot.press("enter")
        await wait_for_screen(pilot, JourneyReceiptScreen)
        await pilot.press("enter")
        await at_ready(pilot)
    coins = {c.currency: c for c in sims.sdkfinance.coins("anna.kowalska@example.com")}
    assert coins["EUR"].amount == Decimal("520.00")
