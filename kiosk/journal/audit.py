"""`kiosk journal verify | list | show | export`: reading the journal for audits."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

from kiosk.journal.store import Journal

EXPORT_FIELDS = ["visit_id", "started_at", "kind", "amount", "currency", "transaction_id", "state", "last_step", "cashier"]


def run_journal_action(path: Path, mac_key: bytes, action: str, visit_id: str | None, as_json: bool, as_csv: bool) -> int:
    """The read-only actions: a consistent snapshot, no lock, nothing written (the kiosk may
    be serving beside them)."""
    if not path.exists():
        if action == "verify" and path.with_name(path.name + ".anchor").exists():
            print(f"JOURNAL TAMPERED: {path} is missing but its anchor says rows were written")
            return 1
        print(f"kiosk: no journal at {path}", file=sys.stderr)
        return 1
    journal = Journal.reader(path, mac_key=mac_key)
    try:
        if action == "verify":
            ok, detail = journal.verify()
            print(("journal intact: " if ok else "JOURNAL TAMPERED: ") + detail)
            return 0 if ok else 1
        if journal.empty:  # an emptied file: no tables at all (`verify` above compares it with the anchor)
            print("kiosk: the journal has no rows", file=sys.stderr)
            return 1 if action == "show" else 0
        if action == "list":
            for visit in journal.visits():
                amount = f"{visit.amount} {visit.currency}" if visit.amount else "-"
                print(f"{visit.started_at[:19]}  {visit.visit_id[:8]}  {visit.kind or '-':8}  {amount:>16}  {visit.state}")
            return 0
        if action == "show":
            matches = [v for v in journal.visits() if visit_id and v.visit_id.startswith(visit_id)]
            if len(matches) != 1:
                print(f"kiosk: {'no' if not matches else 'more than one'} visit matches {visit_id!r}", file=sys.stderr)
                return 1
            for row in journal.rows(matches[0].visit_id):
                print(f"{row.seq:>8}  {row.at}  {row.step:20} {json.dumps(row.data, separators=(',', ':'))}")
            return 0
        if action == "export":
            visits = [v.as_dict() for v in journal.visits()]
            if as_csv:
                writer = csv.DictWriter(sys.stdout, fieldnames=EXPORT_FIELDS, extrasaction="ignore")
                writer.writeheader()
                writer.writerows(visits)
            else:
                print(json.dumps({"visits": visits, "head": journal.head}, indent=1))
            return 0
        raise ValueError(action)
    finally:
        journal.close()
