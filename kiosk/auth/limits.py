"""Per-visit and per-shift limits, per currency: above them a supervisor must approve.

The per-shift limit counts the cash that changed hands in this shift (withdrawals paid out
plus deposits taken in) together with the visit being checked."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from kiosk.money import Money


@dataclass(frozen=True)
class Limits:
    per_visit: dict[str, Money] = field(default_factory=dict)
    per_shift: dict[str, Money] = field(default_factory=dict)

    def breach(self, amount: Money, shift_turnover: Decimal = Decimal(0)) -> str:
        """'' when `amount` is within the limits, else plain words naming the limit."""
        ccy = amount.currency
        visit_limit = self.per_visit.get(ccy)
        if visit_limit is not None and amount.amount > visit_limit.amount:
            return f"{amount} is above the per-visit limit of {visit_limit}."
        shift_limit = self.per_shift.get(ccy)
        if shift_limit is not None and shift_turnover + amount.amount > shift_limit.amount:
            return f"{amount} takes this shift's {ccy} cash over its limit of {shift_limit}."
        return ""

    def __bool__(self) -> bool:
        return bool(self.per_visit or self.per_shift)
