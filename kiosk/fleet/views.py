"""Head office's view of the fleet: `kiosk fleet status` and `kiosk fleet report`.

status: per till, what the last push left in fleet.tills, beside the counts that need a person
(unresolved suspect visits, escalated outbox items) and the chain's state (breaks found).
report: one day, per store, till and currency: cash in (deposits), cash out (withdrawals),
withdrawals reversed at the host (never paid out), the Z reports' variances and the amounts of
suspect visits. It reads the day's partition of visits and the day's shift closings only.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

_STATUS = """
WITH suspects AS (
    SELECT till_id, count(*) AS n FROM fleet.visits WHERE state = 'suspect' AND resolution IS NULL GROUP BY till_id
), escalated AS (
    SELECT till_id, count(*) AS n FROM fleet.escalations GROUP BY till_id
), broken AS (
    SELECT DISTINCT ON (till_id) till_id, count(*) OVER (PARTITION BY till_id) AS n, kind, seq, chain, detail
    FROM fleet.breaks ORDER BY till_id, id DESC
)
SELECT t.till_id, t.store_id, t.last_seen, t.chain, t.last_seq, t.head,
       t.shift_open_seq IS NOT NULL AND t.shift_open_seq > coalesce(t.shift_close_seq, 0) AS shift_open,
       t.shift_opened_at, t.shift_cashier,
       coalesce(s.n, 0), coalesce(e.n, 0), coalesce(b.n, 0), b.kind, b.seq, b.chain, b.detail
FROM fleet.tills t
LEFT JOIN suspects s USING (till_id) LEFT JOIN escalated e USING (till_id) LEFT JOIN broken b USING (till_id)
ORDER BY t.store_id, t.till_id
"""


@dataclass
class TillStatus:
    till_id: str
    store_id: str
    last_seen: datetime
    chain: int
    last_seq: int
    head: str
    shift_open: bool
    shift_opened_at: datetime | None
    shift_cashier: str | None
    suspects: int
    escalated: int
    breaks: int
    last_break: dict[str, Any] | None

    @property
    def chain_state(self) -> str:
        return "intact" if not self.breaks else "BROKEN"

    def as_dict(self) -> dict[str, Any]:
        return {
            "till_id": self.till_id,
            "store_id": self.store_id,
            "last_seen": self.last_seen.isoformat(),
            "chain": self.chain,
            "last_seq": self.last_seq,
            "head": self.head,
            "shift": {"open": True, "opened_at": self.shift_opened_at.isoformat() if self.shift_opened_at else None,
                      "cashier": self.shift_cashier} if self.shift_open else {"open": False},
            "suspect_visits": self.suspects,
            "escalated": self.escalated,
            "chain_state": self.chain_state,
            "breaks": self.breaks,
            "last_break": self.last_break,
        }


def fleet_status(conn: Any) -> list[TillStatus]:
    out = []
    for row in conn.execute(_STATUS):
        (till, store, seen, chain, seq, head, shift_open, opened_at, cashier, suspects, escalated, breaks,
         kind, break_seq, break_chain, detail) = row
        last_break = {"kind": kind, "seq": break_seq, "chain": break_chain, "detail": detail} if kind else None
        out.append(TillStatus(till, store, seen, chain, seq, head, bool(shift_open), opened_at, cashier,
                              suspects, escalated, breaks, last_break))
    return out


def status_lines(tills: list[TillStatus]) -> list[str]:
    if not tills:
        return ["no till has shipped its journal yet"]
    lines = [f"{'store':10} {'till':12} {'last seen (UTC)':19} {'seq':>8} {'head':10} {'shift':6} "
             f"{'suspect':>7} {'escal.':>6}  chain"]
    for t in tills:
        brk = t.last_break
        chain = "intact" if not t.breaks else f"BROKEN x{t.breaks}" + (f": {brk['kind']} at row {brk['seq']}" if brk else "")
        lines.append(
            f"{t.store_id[:10]:10} {t.till_id[:12]:12} {t.last_seen:%Y-%m-%d %H:%M:%S} {t.last_seq:>8} {t.head[:10]:10} "
            f"{'open' if t.shift_open else '-':6} {t.suspects:>7} {t.escalated:>6}  {chain}"
        )
    broken = [t for t in tills if t.breaks]
    if broken:
        lines.append("")
        for t in broken:
            if t.last_break:
                lines.append(f"{t.till_id}: {t.last_break['detail']} (chain {t.last_break['chain']})")
    return lines


# --- the day's report ---------------------------------------------------------------------------

_REPORT = """
WITH moved AS (
    SELECT v.till_id, v.currency,
           sum(v.cash_delta) FILTER (WHERE v.cash_delta > 0) AS deposits,
           -sum(v.cash_delta) FILTER (WHERE v.cash_delta < 0) AS withdrawals,
           sum(v.amount) FILTER (WHERE v.state = 'reversed') AS reversals,
           sum(v.amount) FILTER (WHERE v.state = 'suspect') AS suspect,
           count(*) FILTER (WHERE v.state = 'completed') AS completed,
           count(*) AS visits
    FROM fleet.visits v WHERE v.day = %(day)s AND v.currency IS NOT NULL
    GROUP BY v.till_id, v.currency
), variances AS (
    SELECT r.till_id, x.key AS currency, sum(x.value::numeric) AS variance
    FROM fleet.rows r, jsonb_each_text(r.data->'variance') AS x
    WHERE r.day = %(day)s AND r.step = 'SHIFT_CLOSED'
    GROUP BY r.till_id, x.key
)
SELECT t.store_id, coalesce(m.till_id, w.till_id), coalesce(m.currency, w.currency),
       coalesce(m.deposits, 0), coalesce(m.withdrawals, 0), coalesce(m.reversals, 0), coalesce(w.variance, 0),
       coalesce(m.suspect, 0), coalesce(m.completed, 0), coalesce(m.visits, 0)
FROM moved m FULL JOIN variances w ON w.till_id = m.till_id AND w.currency = m.currency
JOIN fleet.tills t ON t.till_id = coalesce(m.till_id, w.till_id)
WHERE %(store)s::text IS NULL OR t.store_id = %(store)s::text
ORDER BY 1, 2, 3
"""

REPORT_FIELDS = ["store_id", "till_id", "currency", "deposits", "withdrawals", "reversals", "variance", "suspect",
                 "completed", "visits"]


@dataclass
class ReportLine:
    store_id: str
    till_id: str
    currency: str
    deposits: Decimal
    withdrawals: Decimal
    reversals: Decimal
    variance: Decimal
    suspect: Decimal
    completed: int
    visits: int

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in REPORT_FIELDS:
            value = getattr(self, name)
            out[name] = f"{value:.2f}" if isinstance(value, Decimal) else value
        return out


@dataclass
class DayReport:
    day: date
    store: str | None
    lines: list[ReportLine] = field(default_factory=list)

    def totals(self) -> dict[tuple[str, str], ReportLine]:
        """Per store and currency, the sum of its tills."""
        out: dict[tuple[str, str], ReportLine] = {}
        for line in self.lines:
            key = (line.store_id, line.currency)
            zero = Decimal(0)
            total = out.setdefault(key, ReportLine(line.store_id, "(store)", line.currency, zero, zero, zero, zero, zero, 0, 0))
            for name in ("deposits", "withdrawals", "reversals", "variance", "suspect", "completed", "visits"):
                setattr(total, name, getattr(total, name) + getattr(line, name))
        return out

    def as_json(self) -> dict[str, Any]:
        return {"date": self.day.isoformat(), "store": self.store, "lines": [line.as_dict() for line in self.lines],
                "stores": [t.as_dict() for t in self.totals().values()]}

    def as_csv(self) -> str:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=REPORT_FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(line.as_dict() for line in self.lines)
        return buffer.getvalue()

    def text_lines(self) -> list[str]:
        title = f"FLEET REPORT {self.day.isoformat()}" + (f"  store {self.store}" if self.store else "")
        if not self.lines:
            return [title, "no visits and no shift closed that day"]
        header = (f"{'store':10} {'till':12} {'ccy':3} {'deposits':>12} {'withdrawals':>12} {'reversed':>10} "
                  f"{'variance':>10} {'suspect':>10} {'visits':>6}")
        out = [title, header]
        totals = self.totals()
        for index, line in enumerate(self.lines):
            out.append(self._text(line))
            following = self.lines[index + 1] if index + 1 < len(self.lines) else None
            if following is None or following.store_id != line.store_id:
                for (store, _), total in sorted(totals.items()):
                    if store == line.store_id:
                        out.append(self._text(total))
        return out

    @staticmethod
    def _text(line: ReportLine) -> str:
        return (f"{line.store_id[:10]:10} {line.till_id[:12]:12} {line.currency:3} {line.deposits:>12.2f} "
                f"{line.withdrawals:>12.2f} {line.reversals:>10.2f} {line.variance:>+10.2f} {line.suspect:>10.2f} "
                f"{line.visits:>6}")


def day_report(conn: Any, day: date, store: str | None = None) -> DayReport:
    report = DayReport(day, store)
    for row in conn.execute(_REPORT, {"day": day, "store": store}):
        store_id, till, currency, dep, wd, rev, var, sus, completed, visits = row
        report.lines.append(ReportLine(store_id, till, currency, Decimal(dep), Decimal(wd), Decimal(rev),
                                       Decimal(var), Decimal(sus), int(completed), int(visits)))
    return report
