"""Shifts: the drawer's float, what moved during the shift, and the blind close.

A shift opens with a counted float per currency. Every visit whose cash movement the cashier
confirmed changes the expected cash; a withdrawal reversed at the host never left the drawer.
At the close the cashier enters the count *before* the expected figure is shown (blind
close); the variance is recorded, and the journal's head hash goes on the Z report so any
later edit of the journal is evident.

Conservation, per currency: float + deposits - withdrawals = expected cash in the drawer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from drivers.base import Align, Feed, ReceiptDocument, Rule, TextLine
from kiosk.journal.store import Journal
from kiosk.money import Money, check_currency
from kiosk.teller.visit import TellerError


@dataclass(frozen=True)
class Shift:
    seq: int  # journal row that opened it
    opened_at: str
    float: dict[str, Money]
    cashier: str


@dataclass
class CurrencyTotals:
    float: Decimal = Decimal(0)
    deposits: Decimal = Decimal(0)
    withdrawals: Decimal = Decimal(0)
    reversed: Decimal = Decimal(0)
    counted: Decimal | None = None

    @property
    def expected(self) -> Decimal:
        return self.float + self.deposits - self.withdrawals

    @property
    def variance(self) -> Decimal | None:
        return None if self.counted is None else self.counted - self.expected


@dataclass
class ShiftReport:
    kind: str  # "X" (mid-shift) or "Z" (close)
    shift: Shift
    totals: dict[str, CurrencyTotals]
    visits: dict[str, int] = field(default_factory=dict)  # state -> count
    head_hash: str = ""
    head_seq: int = 0  # with head_hash: the journal's anchor, printed so paper can prove a cut-off
    closed_at: str = ""

    def lines(self) -> list[str]:
        out = [f"{self.kind} REPORT  shift opened {self.shift.opened_at[:19]} by {self.shift.cashier}"]
        for currency, t in sorted(self.totals.items()):
            # Amounts are unsigned, as on paper: the word says which way the cash went.
            out.append(f"{currency}: float {t.float:.2f}  deposits {t.deposits:.2f}  withdrawals {t.withdrawals:.2f}")
            out.append(f"     reversed (not paid out) {t.reversed:.2f}  expected {t.expected:.2f}")
            if t.counted is not None:
                out.append(f"     counted {t.counted:.2f}  variance {t.variance:+.2f}")
        out.append("visits: " + ", ".join(f"{k} {v}" for k, v in sorted(self.visits.items())) if self.visits else "visits: none")
        if self.head_hash:
            out.append(f"journal head row {self.head_seq} {self.head_hash}")
        return out

    def document(self, store_name: str, terminal_id: str, columns: int) -> ReceiptDocument:
        items: list = [
            TextLine(store_name[:columns], bold=True, align=Align.CENTER),
            TextLine(f"{self.kind} REPORT", bold=True, double=True, align=Align.CENTER),
            TextLine(f"Terminal {terminal_id}"),
            TextLine(f"Opened {self.shift.opened_at[:19]}"),
        ]
        if self.closed_at:
            items.append(TextLine(f"Closed {self.closed_at[:19]}"))
        items.append(TextLine(f"Cashier {self.shift.cashier}"))
        for currency, t in sorted(self.totals.items()):
            items.append(Rule())
            items.append(TextLine(currency, bold=True))
            rows = [("Float", t.float), ("Deposits", t.deposits), ("Withdrawals", t.withdrawals), ("Expected", t.expected)]
            if t.reversed:
                rows.insert(3, ("Reversed (not paid)", t.reversed))
            if t.counted is not None and t.variance is not None:  # the variance exists once counted
                rows += [("Counted", t.counted), ("Variance", t.variance)]
            for label, value in rows:
                text = f"{value:.2f}"
                items.append(TextLine(label + " " * max(1, columns - len(label) - len(text)) + text))
        items.append(Rule())
        for state, count in sorted(self.visits.items()):
            items.append(TextLine(f"{state:<20}{count:>6}"))
        if self.head_hash:
            items.append(Feed())
            items.append(TextLine(f"Journal head: row {self.head_seq}"))
            for start in range(0, len(self.head_hash), columns):
                items.append(TextLine(self.head_hash[start : start + columns]))
        items.append(Feed(2))
        return ReceiptDocument(items=items)


class Shifts:
    """The open shift and the cash it expects in the drawer, kept from the journal."""

    def __init__(self, journal: Journal) -> None:
        self.journal = journal
        self.current: Shift | None = self._load()
        self._totals = self._compute(self.current) if self.current else {}

    def _load(self) -> Shift | None:
        opened = self.journal.last_row("SHIFT_OPENED")
        closed = self.journal.last_row("SHIFT_CLOSED")
        if opened is None or (closed is not None and closed.seq > opened.seq):
            return None
        floats = {c: Money(Decimal(a), c) for c, a in opened.data["float"].items()}
        return Shift(opened.seq, opened.at, floats, opened.data.get("cashier", ""))

    def _compute(self, shift: Shift) -> dict[str, CurrencyTotals]:
        totals = {c: CurrencyTotals(float=m.amount) for c, m in shift.float.items()}
        cash, reversed_, _ = self.journal.shift_movements(shift.seq)
        # Each confirmed movement carries its signed amount: + paid in, - paid out.
        for currency, delta in cash:
            t = totals.setdefault(currency, CurrencyTotals())
            if Decimal(delta) >= 0:
                t.deposits += Decimal(delta)
            else:
                t.withdrawals -= Decimal(delta)
        for currency, amount in reversed_:
            totals.setdefault(currency, CurrencyTotals()).reversed += Decimal(amount)
        return totals

    # --- during the shift ------------------------------------------------------------------

    def require_open(self) -> Shift:
        if self.current is None:
            raise TellerError("NO_SHIFT", "No shift is open.", "Open a shift with the counted float first.")
        return self.current

    def currencies(self) -> list[str]:
        """The currencies the drawer holds this shift: its float's and any taken in or paid out
        since (a deposit in a currency the float had none of is counted at close too)."""
        return sorted(self._totals) if self.current else []

    def cash_in_drawer(self, currency: str) -> Money:
        currency = check_currency(currency)
        totals = self._totals.get(currency)
        return Money(totals.expected if totals else Decimal(0), currency)

    def committed_cash(self, currency: str) -> Money:
        """The drawer's expected cash recomputed from the committed journal (not from this
        process's running totals): what the guard of a cash-out checks inside its own
        journal transaction."""
        currency = check_currency(currency)
        if self.current is None:
            return Money(Decimal(0), currency)
        opening = self.current.float.get(currency)
        # float + deposits - withdrawals, as _compute adds them up: each delta is signed.
        expected = sum((Decimal(delta) for delta in self.journal.cash_deltas(self.current.seq, currency)),
                       opening.amount if opening else Decimal(0))
        return Money(expected, currency)

    def note_cash(self, currency: str, amount: Money, *, paid_in: bool) -> None:
        t = self._totals.setdefault(currency, CurrencyTotals())
        if paid_in:
            t.deposits += amount.amount
        else:
            t.withdrawals += amount.amount

    def note_reversal(self, amount: Money) -> None:
        self._totals.setdefault(amount.currency, CurrencyTotals()).reversed += amount.amount

    # --- open, report, close -----------------------------------------------------------------

    def open(self, float_: dict[str, Money], cashier: str, *, source: str = "counted") -> Shift:
        if self.current is not None:
            raise TellerError("SHIFT_OPEN", "A shift is already open.", "Close it before opening another.")
        row = self.journal.record(
            None, "SHIFT_OPENED", float={c: m.plain() for c, m in sorted(float_.items())}, cashier=cashier, source=source
        )
        self.current = Shift(row.seq, row.at, dict(float_), cashier)
        self._totals = {c: CurrencyTotals(float=m.amount) for c, m in float_.items()}
        return self.current

    def report(self) -> ShiftReport:
        shift = self.require_open()
        return ShiftReport(
            "X",
            shift,
            {c: CurrencyTotals(t.float, t.deposits, t.withdrawals, t.reversed) for c, t in self._totals.items()},
            self._visit_counts(shift),
            self.journal.durable_head,  # paper states only what a power cut cannot take back
        )

    def close(self, counted: dict[str, Money], cashier: str, *, supervisor: str | None = None) -> ShiftReport:
        """Blind close: `counted` is what the cashier counted, entered before any expected
        figure was shown. A variance needs a supervisor's name (recorded with the close)."""
        shift = self.require_open()
        if self.journal.unresolved_suspects():
            raise TellerError(
                "SUSPECT_VISITS", "Visits with an unknown cash outcome are not resolved.", "A supervisor must resolve them first."
            )
        report = self.report()
        for currency in set(report.totals) | set(counted):
            t = report.totals.setdefault(currency, CurrencyTotals())
            t.counted = counted[currency].amount if currency in counted else Decimal(0)
        variances = {c: t.variance for c, t in report.totals.items() if t.variance}
        if variances and not supervisor:
            raise TellerError(
                "VARIANCE_NEEDS_SUPERVISOR",
                "The count does not match the expected cash.",
                "A supervisor must approve closing with a variance.",
            )
        row = self.journal.record(
            None,
            "SHIFT_CLOSED",
            shift_seq=shift.seq,
            cashier=cashier,
            supervisor=supervisor,
            counted={c: f"{t.counted:.2f}" for c, t in sorted(report.totals.items())},
            expected={c: f"{t.expected:.2f}" for c, t in sorted(report.totals.items())},
            variance={c: f"{v:+.2f}" for c, v in sorted(variances.items())},
        )
        report.kind, report.head_hash, report.head_seq, report.closed_at = "Z", row.hash, row.seq, row.at
        self.current = None
        self._totals = {}
        return report

    def _visit_counts(self, shift: Shift) -> dict[str, int]:
        return self.journal.shift_movements(shift.seq)[2]
