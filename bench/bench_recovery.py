"""Recovery on a big journal: the time a restarted kiosk needs before it can serve.

Builds a journal of 100,000 completed visits (13 chained rows each, as the teller writes
them, inside one open shift), then leaves 50 more visits stopped dead at every step boundary
of a withdrawal and a deposit (in-process crashes against the Rapyd simulator). Then times:
  - start-up of a teller on that journal (open the journal, load the shift's cash),
  - recover() resolving the unfinished visits (the host calls included),
  - recover() again with nothing to do (every later start),
  - journal verify (the whole hash chain).

Run: .venv/bin/python bench/bench_recovery.py [VISITS]      (default 100000; prints figures)
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
import os
import uuid
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kiosk.journal.store import Journal, crash_after, fold_visit, row_mac  # noqa: E402
from kiosk.runtime import derive_journal_key  # noqa: E402
from kiosk.sim import rapyd as sim  # noqa: E402
from kiosk.sim.server import start_in_thread  # noqa: E402
from kiosk.desks.base import PhoneLogin
from kiosk.desks.rapyd import wallet_desk

MAC_KEY = derive_journal_key(sim.DEMO_SECRET_KEY)  # what tests.stack's teller signs with
STEPS = [
    "SESSION_OPEN_SENT", "SESSION_OPENED", "INTENT", "HOST_SENT", "HOST_OK", "DRAWER_KICKED", "DRAWER_OPENED",
    "DRAWER_CLOSED", "CASH_CONFIRMED", "RECEIPT_SENT", "RECEIPT_PRINTED", "SESSION_CLOSED", "COMPLETED",
]


def bulk_journal(path: Path, visits: int) -> None:
    """Write `visits` completed visits straight into SQLite with a valid keyed chain and the
    visits summary folded from it (writing them through the teller, one fsync a row, would
    take hours)."""
    journal = Journal(path, mac_key=MAC_KEY)
    journal.record(None, "SHIFT_OPENED", float={"GBP": "100000000.00"}, cashier="bench", source="bench")
    head = journal.head
    seq = 1
    db = journal._db
    db.execute("BEGIN")
    rows, summaries = [], []
    at = datetime.now(timezone.utc).isoformat(timespec="milliseconds")
    for n in range(visits):
        visit_id = str(uuid.UUID(int=n + 1))
        kind = "withdraw" if n % 2 else "deposit"
        delta = "-10.00" if kind == "withdraw" else "10.00"
        changes = {
            "INTENT": {"kind": kind, "amount": "10.00", "currency": "GBP", "account_id": "acct", "cashier": "bench"},
            "HOST_OK": {"transaction_id": f"txn-{n}"},
            "CASH_CONFIRMED": {"cash_delta": delta},
            "COMPLETED": {"state": "completed"},
        }
        visit = None
        for step in STEPS:
            seq += 1
            summary = changes.get(step, {})
            summary_text = json.dumps(summary, separators=(",", ":"), sort_keys=True) if summary else ""
            digest = row_mac(MAC_KEY, head, seq, at, visit_id, step, "{}", summary_text)
            rows.append((seq, at, visit_id, step, "{}", summary_text, head, digest))
            visit = fold_visit(visit, seq, at, visit_id, step, summary)
            head = digest
        summaries.append(tuple(visit.values()))
        if len(rows) > 200_000:
            db.executemany("INSERT INTO rows VALUES (?,?,?,?,?,?,?,?)", rows)
            rows.clear()
    db.executemany("INSERT INTO rows VALUES (?,?,?,?,?,?,?,?)", rows)
    db.executemany(f"INSERT INTO visits({', '.join(visit)}) VALUES ({', '.join('?' * len(visit))})", summaries)
    db.execute("COMMIT")
    journal._head_seq, journal._head = seq, head  # written behind record()'s back: the anchor follows
    journal.close()


class Crash(BaseException):
    pass


def crash(_=None):
    raise Crash()


def main() -> None:
    visits = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    from tests.stack import build_stack

    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        started = time.perf_counter()
        bulk_journal(tmp_path / "journal.sqlite3", visits)
        print(f"journal of {visits} visits written in {time.perf_counter() - started:.1f} s "
              f"({(tmp_path / 'journal.sqlite3').stat().st_size / 2**20:.0f} MiB)")

        simulator = sim.RapydSimulator(tmp_path / "ledger.sqlite3", otp_window=300)
        server = start_in_thread(simulator.app)
        stack = build_stack(tmp_path, server.url, simulator, reuse_shift=True)
        unfinished = 0
        for step in STEPS[:-1]:
            for kind in ("withdraw", "deposit"):
                phone = f"+44770090{unfinished:04d}"
                simulator.add_wallet(phone, {"GBP": "1000.00"})
                stack.journal.crash_hook = crash_after(step, crash)
                try:
                    visit = wallet_desk(stack.teller).identify(PhoneLogin(phone, simulator.current_otp(phone)))
                    if kind == "withdraw":
                        wallet_desk(stack.teller).withdraw(visit, visit.session.account_for("GBP").account_id, "10")
                    else:
                        wallet_desk(stack.teller).deposit(visit, "GBP", "10")
                    stack.drawer.close_drawer()
                    stack.teller.wait_for_drawer_close(visit, 2)
                    stack.teller.confirm_cash(visit)
                    wallet_desk(stack.teller).complete(visit)
                except Crash:
                    unfinished += 1
                    stack.drawer.close_drawer()  # the cashier shuts it; the visit stays unfinished
        stack.journal.close()

        from kiosk.teller.recovery import recover

        started = time.perf_counter()
        again = build_stack(tmp_path, server.url, simulator, reuse_shift=True)
        startup = time.perf_counter() - started
        started = time.perf_counter()
        done = recover(again.teller)
        first = time.perf_counter() - started
        started = time.perf_counter()
        assert recover(again.teller) == []
        idle = time.perf_counter() - started
        started = time.perf_counter()
        ok, detail = again.journal.verify()
        verify = time.perf_counter() - started
        states: dict[str, int] = {}
        for resolution in done:
            states[resolution.state] = states.get(resolution.state, 0) + 1
        print(f"teller start-up on the journal (shift cash loaded)  {startup * 1000:8.0f} ms   "
              f"drawer GBP {again.teller.cash_in_drawer('GBP')}")
        print(f"recover(): {unfinished} unfinished visits resolved      {first * 1000:8.0f} ms   {states}")
        print(f"recover() with nothing to do (every later start)     {idle * 1000:8.1f} ms")
        print(f"journal verify ({detail.split(',')[0]})          {verify * 1000:8.0f} ms   ok={ok}")
        again.journal.close()
        # A start after the files changed behind the kiosk (an edit, a restored copy, a crash
        # between a commit and its anchor): the whole chain is walked and the summary rebuilt.
        started = time.perf_counter()
        quick = Journal(tmp_path / "journal.sqlite3", mac_key=MAC_KEY)
        incremental = time.perf_counter() - started
        quick.close()
        anchor = tmp_path / "journal.sqlite3.anchor"
        anchor_bytes = anchor.read_bytes()
        os.utime(tmp_path / "journal.sqlite3")  # the files no longer look as the kiosk left them
        started = time.perf_counter()
        checked = Journal(tmp_path / "journal.sqlite3", mac_key=MAC_KEY)
        full = time.perf_counter() - started
        print(f"journal opened and checked, files as the kiosk left them {incremental * 1000:6.1f} ms   broken={quick.broken}")
        print(f"journal opened and checked after a foreign change    {full * 1000:8.0f} ms   broken={checked.broken}")
        checked.close()
        anchor.write_bytes(anchor_bytes)
        server.stop()


if __name__ == "__main__":
    main()
