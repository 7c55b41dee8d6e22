"""The customer's receipt for a visit, as a printer-independent document.

What is on it is decided here (store, terminal, time, kind, amount, account alias, masked
phone, transaction id and its QR, cashier, COPY); how it is encoded is the printer driver's
job. Nothing secret goes on it: no OTP, no token, no full phone number.
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
    items.append(TextLine(_TITLES.get(facts.kind, facts.kind.upper()), bold=True, double=True, align=Align.CENTER))
    items.append(Feed())
    items += pair("Date", facts.at.strftime("%Y-%m-%d %H:%M:%S"))
    items += pair("Terminal", facts.terminal_id)
    items += pair("Cashier", facts.cashier)
    items += pair("Customer", facts.phone_masked)
    items += pair("Account", facts.account_alias or facts.amount.currency)
    items.append(Rule())
    # Double width halves the columns available for the amount line.
    items.append(TextLine(str(facts.amount), bold=True, double=len(str(facts.amount)) <= columns // 2, align=Align.CENTER))
    items.append(Rule())
    items += pair("Transaction", facts.transaction_id)
    items.append(QRCode(facts.transaction_id))
    items += pair("Visit", facts.visit_id[:8])
    if copy:
        items.append(TextLine("*** COPY ***", bold=True, align=Align.CENTER))
    items.append(Feed(2))
    return ReceiptDocument(items=items, cut=True)
