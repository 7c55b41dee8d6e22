"""What a journey's receipt says beyond the amount: the SDK.finance commission the confirm
screen showed, and a gift-card redeem the card server approved only in part."""

from __future__ import annotations

from drivers.paper import render
from kiosk.desks.base import CardEntry, WalletLogin
from tests.journeys.test_errors import finish


def paper(teller, visit) -> str:
    return " ".join(render(visit.receipt, teller.printer.columns).split())


def test_an_sdk_withdrawal_receipt_carries_the_commission(desks, sims, teller):
    desk = desks["sdkfinance"]
    tom = desk.identify(WalletLogin("+447700900777", "Wallet#2024b"))
    desk.confirm_otp(tom, sims.sdkfinance.pending_otp("+447700900777"))
    gbp = next(c for c in tom.details.coins if c.currency == "GBP")
    quote = desk.quote(tom, "withdrawal", "20", coin=gbp.serial)
    desk.move(tom, "withdrawal", "20", coin=gbp.serial)
    finish(teller, tom, desk)
    text = paper(teller, tom)
    assert f"Commission {quote.commission}" in text  # what the confirm screen showed: 0.60 GBP
    assert f"From the wallet {quote.total}" in text and "20.00 GBP" in text


def test_a_partial_redeem_is_marked_on_the_receipt(desks, teller):
    desk = desks["pospointe"]
    visit = desk.identify(CardEntry("7012340000001027", "2694"))  # holds 7.35
    desk.move(visit, "redeem", "20.00")
    finish(teller, visit, desk)
    assert "Only 7.35 of 20.00 approved" in paper(teller, visit)
