"""The customer's receipt for a visit, as a printer-independent document.

What is on it is decided here (store, terminal, time, kind, amount, account alias, masked
phone, transaction id and its QR, cashier, COPY, a commission, a partial approval); how it is
encoded is the printer driver's job. Nothing secret goes on it: no OTP, no token, no full phone
number. Amounts are never signed: the title and the labels say which way the cash went.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from datetime import datetime

from drivers.base import Align, Feed, QRCode, ReceiptDocument, Rule, TextLine
from kiosk.money import Money


@dataclass(frozen=True)
class ReceiptFacts:
    store_name: str
    store_address: str
    terminal_id: str
    cashier: str
    kind: str  # "withdraw" | "deposit"
    amount: Money
    account_alias: str
    phone_masked: str
    transaction_id: str
    visit_id: str
    at: datetime
    # SDK.finance: the commission the confirm screen showed, and what the wallet got or paid.
    commission: Money | None = None
    wallet_amount: Money | None = None
    wallet_label: str = ""
    requested: Money | None = None  # asked for, when the host approved less (gift card redeem)


def facts_from_visit(visit: object) -> dict:
    """The lines a journey adds to its receipt, from what its visit kept: a commission quote
    (SDK.finance: SdkDetails.quote), the amount asked for when the host approved less (gift card
    redeem: GiftCardDetails.requested). Read by name: this layer knows no desk."""
    details = getattr(visit, "details", None)
    amount = getattr(visit, "amount", None)
    extra: dict = {}
    quote = getattr(details, "quote", None)
    if quote is not None and getattr(quote, "commission", None) is not None:
        topup = getattr(getattr(visit, "kind", None), "value", "") == "deposit"  # cash in: a top-up
        extra.update(commission=quote.commission, wallet_amount=quote.amount if topup else quote.total,
                     wallet_label="To the wallet" if topup else "From the wallet")
    requested = getattr(details, "requested", None)
    if requested is not None and amount is not None and requested != amount:
        extra["requested"] = requested
    return extra


_TITLES = {"withdraw": "CASH WITHDRAWAL", "deposit": "CASH DEPOSIT"}


def build_receipt(facts: ReceiptFacts, *, columns: int = 42, copy: bool = False) -> ReceiptDocument:
    def pair(label: str, value: str) -> list[TextLine]:
        # Label left, value right; a value too long for one line goes on its own lines.
        room = columns - len(label) - 1
        if len(value) <= room:
            return [TextLine(label + " " * (columns - len(label) - len(value)) + value)]
        return [TextLine(label)] + [TextLine(part, align=Align.RIGHT) for part in textwrap.wrap(value, columns)]

    items: list = []
    if copy:
        items.append(TextLine("*** COPY ***", bold=True, double=True, align=Align.CENTER))
    items.append(TextLine(facts.store_name[:columns], bold=True, align=Align.CENTER))
    for line in textwrap.wrap(facts.store_address, columns):
        items.append(TextLine(line, align=Align.CENTER))
    items.append(Rule())
    title = _TITLES.get(facts.kind, facts.kind.upper())
    items.append(TextLine(title, bold=True, double=len(title) <= columns // 2, align=Align.CENTER))
    items.append(Feed())
    items += pair("Date", facts.at.strftime("%Y-%m-%d %H:%M:%S"))
    items += pair("Terminal", facts.terminal_id)
    items += pair("Cashier", facts.cashier)
    items += pair("Customer", facts.phone_masked)
    items += pair("Account", facts.account_alias or facts.amount.currency)
    items.append(Rule())
    # Double width halves the columns available for the amount line.
    items.append(TextLine(str(facts.amount), bold=True, double=len(str(facts.amount)) <= columns // 2, align=Align.CENTER))
    if facts.requested is not None:
        items.append(TextLine(f"Only {facts.amount.plain()} of {facts.requested.plain()} approved", bold=True, align=Align.CENTER))
    if facts.commission is not None:
        items += pair("Commission", str(facts.commission))
    if facts.wallet_amount is not None:
        items += pair(facts.wallet_label or "Wallet", str(facts.wallet_amount))
    items.append(Rule())
    items += pair("Transaction", facts.transaction_id)
    items.append(QRCode(facts.transaction_id))
    items += pair("Visit", facts.visit_id[:8])
    if copy:
        items.append(TextLine("*** COPY ***", bold=True, align=Align.CENTER))
    items.append(Feed(2))
    return ReceiptDocument(items=items, cut=True)
