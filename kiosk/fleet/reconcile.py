"""End-of-day reconciliation: the day's visits as the journals record them, beside what each
back end's settlement says, listing every mismatch.

Matched on the host's transaction id (what the till recorded from the host's answer):
  host_only         a host transaction no till recorded as a completed visit (the visit is
                    missing, still suspect, declined in the journal, or never shipped)
  journal_only      a completed visit whose transaction the back end does not know
  reversal_one_side a reversal (refund) on one side only
  amount_differs    the amounts (or currencies) differ
A visit is taken on the UTC day it started, a host transaction on the day the host applied it;
a host transaction of the day whose visit started the day before is still found (by its id).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Iterable

from kiosk.fleet.settlement import BACKEND_OF_KIND, HostTransaction, SettlementSource

_VISITS = """
SELECT v.till_id, t.store_id, v.visit_id, v.kind, v.amount, v.currency, v.transaction_id, v.state
FROM fleet.visits v JOIN fleet.tills t USING (till_id)
WHERE v.transaction_id IS NOT NULL AND (v.day = %s OR v.transaction_id = ANY(%s))
"""


@dataclass(frozen=True)
class JournalVisit:
    till_id: str
    store_id: str
    visit_id: str
    kind: str
    amount: Decimal | None
    currency: str | None
    transaction_id: str
    state: str

    @property
    def backend(self) -> str | None:
        return BACKEND_OF_KIND.get(self.kind)


@dataclass(frozen=True)
class Mismatch:
    backend: str
    kind: str  # host_only | journal_only | reversal_one_side | amount_differs
    transaction_id: str
    till_id: str | None
    visit_id: str | None
    journal: str  # what the journal says, e.g. "completed 10.00 GBP"
    host: str  # what the back end says
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _journal_side(conn: Any, day: date, host_ids: list[str]) -> list[JournalVisit]:
    return [
        JournalVisit(till, store, visit, kind or "", amount, currency, txn, state)
        for till, store, visit, kind, amount, currency, txn, state in conn.execute(_VISITS, (day, host_ids))
    ]


def _say(visit: JournalVisit) -> str:
    return f"{visit.state} {visit.amount:.2f} {visit.currency}" if visit.amount is not None else visit.state


def _host_say(host: HostTransaction) -> str:
    return f"{host.kind}{' (reversed)' if host.reversed else ''} {host.amount:.2f} {host.currency}"


def reconcile(conn: Any, day: date, sources: Iterable[SettlementSource]) -> tuple[list[Mismatch], dict[str, dict[str, int]]]:
    """Every mismatch of `day`, and per back end how many were compared on each side."""
    hosts: dict[str, list[HostTransaction]] = {source.backend: source.transactions(day) for source in sources}
    all_ids = [h.transaction_id for found in hosts.values() for h in found]
    visits = _journal_side(conn, day, all_ids)
    by_id: dict[tuple[str, str], JournalVisit] = {}
    for visit in visits:
        if visit.backend is not None:
            by_id[(visit.backend, visit.transaction_id)] = visit
    out: list[Mismatch] = []
    counts: dict[str, dict[str, int]] = {}
    for backend, found in hosts.items():
        seen: set[str] = set()
        for host in found:
            seen.add(host.transaction_id)
            out += _compare(backend, host, by_id.get((backend, host.transaction_id)))
        journal_count = 0
        for (name, txn), visit in by_id.items():
            if name != backend:
                continue
            journal_count += 1
            if txn not in seen and visit.state in ("completed", "reversed"):
                # (visits fetched for another day's id are all in `seen`: only the day's are left)
                out.append(Mismatch(backend, "journal_only", txn, visit.till_id, visit.visit_id, _say(visit), "none",
                                    "a completed visit whose transaction the back end does not know"))
        counts[backend] = {"host": len(found), "journal": journal_count}
    out.sort(key=lambda m: (m.backend, m.kind, m.till_id or "", m.transaction_id))
    return out, counts


def _compare(backend: str, host: HostTransaction, visit: JournalVisit | None) -> list[Mismatch]:
    if visit is None:
        return [Mismatch(backend, "host_only", host.transaction_id, None, None, "none", _host_say(host),
                         "a host transaction no till recorded as a visit")]
    out = []
    if visit.state not in ("completed", "reversed"):
        out.append(Mismatch(backend, "host_only", host.transaction_id, visit.till_id, visit.visit_id, _say(visit),
                            _host_say(host), f"a host transaction whose visit is {visit.state}, not completed"))
    if visit.amount is None or visit.amount != host.amount or (visit.currency or "") != host.currency:
        out.append(Mismatch(backend, "amount_differs", host.transaction_id, visit.till_id, visit.visit_id, _say(visit),
                            _host_say(host), "the amounts differ"))
    if (visit.state == "reversed") != host.reversed:
        side = "the journal" if visit.state == "reversed" else "the back end"
        out.append(Mismatch(backend, "reversal_one_side", host.transaction_id, visit.till_id, visit.visit_id,
                            _say(visit), _host_say(host), f"reversed on {side} only"))
    return out


def mismatch_lines(day: date, mismatches: list[Mismatch], counts: dict[str, dict[str, int]]) -> list[str]:
    lines = [f"RECONCILIATION {day.isoformat()}"]
    for backend, count in sorted(counts.items()):
        lines.append(f"{backend:10} host transactions {count['host']:>6}  journal visits {count['journal']:>6}")
    if not mismatches:
        lines.append("no mismatch")
        return lines
    lines.append(f"{len(mismatches)} mismatch(es):")
    for m in mismatches:
        where = f"{m.till_id} visit {m.visit_id[:8]}" if m.till_id and m.visit_id else "no visit"
        lines.append(f"{m.backend:10} {m.kind:17} {m.transaction_id[:24]:24} {where}: journal {m.journal}; "
                     f"host {m.host} ({m.detail})")
    return lines
