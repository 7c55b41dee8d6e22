"""The whole withdrawal and the whole deposit, pressed as a cashier presses them, at 80x24:
what the cashier sees at each step, and what happened to the wallet, the drawer and the
receipt."""

from __future__ import annotations

from decimal import Decimal

from kiosk.teller import Stage
from kiosk.ui.app import KioskApp
from kiosk.ui.screens.accounts import AccountsScreen
from kiosk.ui.screens.drawer import DrawerScreen
from kiosk.ui.screens.ready import ReadyScreen
from kiosk.ui.screens.receipt import ReceiptScreen
from tests.ui.helpers import screen_dump, wait_for_screen, wait_until
from tests.ui.journey import at_ready, identify, to_amount, to_confirm

SIZE = (80, 24)


async def test_withdrawal_journey(world) -> None:
    teller = world.runtime.teller
    before = world.balance(world.phone, "GBP")
    cash_before = teller.cash_in_drawer("GBP").amount
    app = KioskApp(world.runtime)
    async with app.run_test(size=SIZE) as pilot:
        await at_ready(pilot)
        ready = screen_dump(pilot)
        assert "Wallet service     answering" in ready and "Ready for the next customer." in ready
        assert f"GBP {cash_before:>12}" in ready

        await identify(pilot, world.phone, world.otp(world.phone), keys=True)
        await wait_for_screen(pilot, AccountsScreen)
        seen = screen_dump(pilot)
        masked = "•••• " + world.phone[-4:]
        assert masked in seen and world.phone not in seen  # only the last four once open
        assert f"{before:.2f} GBP" in seen

        await to_amount(pilot, "w")
        await to_confirm(pilot, "20", keys=True)
        assert f"Withdraw 20.00 GBP from {masked}'s GBP account?" in screen_dump(pilot)

        await pilot.press("enter")
        await wait_for_screen(pilot, DrawerScreen)
        assert "Hand over 20.00 GBP, then close the drawer." in screen_dump(pilot)

        # The drawer closes by itself (simulated): the receipt follows without a key.
        await wait_for_screen(pilot, ReceiptScreen)
        seen = screen_dump(pilot)
        assert "Withdrawal of 20.00 GBP" in seen and "Receipt printed." in seen
        visit = app.screen.visit
        assert visit.stage is Stage.COMPLETED
        receipt = "\n".join(visit.receipt.text_lines())
        assert "CASH WITHDRAWAL" in receipt and "20.00 GBP" in receipt and masked in receipt
        assert world.phone not in receipt

        await pilot.press("enter")
        await at_ready(pilot)
        await wait_until(pilot, lambda: f"GBP {cash_before - 20:>12.2f}" in screen_dump(pilot), what="drawer cash shown")
    assert world.balance(world.phone, "GBP") == before - Decimal("20.00")
    assert teller.cash_in_drawer("GBP").amount == cash_before - 20


async def test_deposit_journey(world) -> None:
    teller = world.runtime.teller
    before = world.balance(world.phone, "GBP")
    cash_before = teller.cash_in_drawer("GBP").amount
    app = KioskApp(world.runtime)
    async with app.run_test(size=SIZE) as pilot:
        await at_ready(pilot)
        await identify(pilot, world.phone, world.otp(world.phone))
        await to_amount(pilot, "d")
        await to_confirm(pilot, "35.50")
        seen = screen_dump(pilot)
        assert "Take 35.50 GBP from the customer first." in seen
        assert "Then deposit 35.50 GBP into" in seen

        await pilot.press("enter")
        await wait_for_screen(pilot, DrawerScreen)
        assert "Put 35.50 GBP in the drawer, then close it." in screen_dump(pilot)
        await wait_for_screen(pilot, ReceiptScreen)
        assert "Deposit of 35.50 GBP" in screen_dump(pilot)
        visit = app.screen.visit
        assert visit.stage is Stage.COMPLETED
        assert "CASH DEPOSIT" in "\n".join(visit.receipt.text_lines())
        await pilot.press("enter")
        await wait_for_screen(pilot, ReadyScreen)
    assert world.balance(world.phone, "GBP") == before + Decimal("35.50")
    assert teller.cash_in_drawer("GBP").amount == cash_before + Decimal("35.50")


async def test_deposit_in_a_currency_the_wallet_has_no_account_for(world) -> None:
    phone = world.phone_without_eur
    assert world.balance(phone, "EUR") is None
    app = KioskApp(world.runtime)
    async with app.run_test(size=SIZE) as pilot:
        await at_ready(pilot)
        await identify(pilot, phone, world.otp(phone))
        await wait_for_screen(pilot, AccountsScreen)
        assert "EUR  no account yet: deposit only" in screen_dump(pilot)
        rows = list(app.screen.rows)
        eur = next(i for i, (account_id, ccy) in enumerate(rows) if ccy == "EUR")
        # W on a currency without an account says why, and stays.
        for _ in range(eur):
            await pilot.press("down")
        await pilot.press("w")
        await pilot.pause()
        assert isinstance(app.screen, AccountsScreen)
        assert "only a deposit is possible" in screen_dump(pilot)
        await to_amount(pilot, "d")
        assert "no EUR account yet: this deposit opens one" in screen_dump(pilot)
        await to_confirm(pilot, "10")
        await pilot.press("enter")
        await wait_for_screen(pilot, ReceiptScreen)
    assert world.balance(phone, "EUR") == Decimal("10.00")
