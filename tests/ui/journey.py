"""Cashier actions shared by the Pilot tests: press what a cashier presses, wait (bounded)
for what a cashier waits for."""

from __future__ import annotations

from textual.pilot import Pilot

from kiosk.ui.screens.accounts import AccountsScreen
from kiosk.ui.screens.amount import AmountScreen
from kiosk.ui.screens.confirm import ConfirmScreen
from kiosk.ui.screens.customer import CustomerScreen
from kiosk.ui.screens.ready import ReadyScreen
from tests.ui.helpers import fill, type_text, wait_for_screen, wait_until


async def at_ready(pilot: Pilot) -> None:
    await wait_for_screen(pilot, ReadyScreen)
    await wait_until(pilot, lambda: pilot.app.status is not None, what="first status reading")


async def at_customer(pilot: Pilot) -> None:
    """Ready -> the customer screen, its phone field focused."""
    await at_ready(pilot)
    await pilot.press("enter")
    await wait_for_screen(pilot, CustomerScreen)


async def identify(pilot: Pilot, phone: str, otp: str, *, keys: bool = False) -> None:
    """Ready -> customer -> (phone, code) -> Enter: the session is being opened."""
    enter = type_text if keys else fill
    await pilot.press("enter")
    await wait_for_screen(pilot, CustomerScreen)
    await enter(pilot, phone)
    await pilot.press("enter")
    await enter(pilot, otp)
    await pilot.press("enter")


async def to_amount(pilot: Pilot, key: str, *, down: int = 0) -> None:
    await wait_for_screen(pilot, AccountsScreen)
    for _ in range(down):
        await pilot.press("down")
    await pilot.press(key)
    await wait_for_screen(pilot, AmountScreen)


async def to_confirm(pilot: Pilot, amount: str, *, keys: bool = False) -> None:
    await (type_text if keys else fill)(pilot, amount)
    await pilot.press("enter")
    await wait_for_screen(pilot, ConfirmScreen)
