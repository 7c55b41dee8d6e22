"""Head office's PostgreSQL: shipping speed and the fleet views at chain scale.

Starts a private PostgreSQL cluster (durable: fsync and synchronous commits on) unless --dsn
names a database to use (it must be empty of a fleet schema, or hold only this benchmark's).
Prints:
  - catch-up of a till offline for N visits (13 journal rows each, as the teller writes them):
    the whole push, rows per second, beside a bare COPY of the same rows into an unindexed table
  - a running till: one visit pushed at a time (connect, ask the cursor, ship), median and p95
  - `fleet status` and `fleet report` on TILLS tills x DAYS days of visits generated straight
    into the fleet tables with COPY (4 rows a visit, a shift opened and closed per till and day),
    beside the time that COPY took

Run: .venv/bin/python bench/bench_fleet.py [--visits 10000] [--tills 1000] [--days 30]
                                            [--per-day 20] [--dsn DSN]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402

from bench.bench_recovery import STEPS  # noqa: E402  (a withdrawal's rows, as the teller writes them)
from kiosk.fleet.push import push  # noqa: E402
from kiosk.fleet.schema import migrate  # noqa: E402
from kiosk.fleet.views import day_report, fleet_status  # noqa: E402
from kiosk.journal.store import Journal  # noqa: E402
from kiosk.settings import load_settings  # noqa: E402



def _link(prev: str, seq: int) -> str:
    # The server checks links (prev_hash = previous hash), not the till's keyed hashes.
    return hashlib.sha256(f"{prev}:{seq}".encode()).hexdigest()


def append_visits(path: Path, visits: int) -> int:
    """Append `visits` completed withdrawals (13 chained rows each) straight into the journal's
    tables; returns the rows written."""
    db = sqlite3.connect(path)
    seq, head = db.execute("SELECT COALESCE(MAX(seq), 0), COALESCE((SELECT hash FROM rows ORDER BY seq DESC LIMIT 1), ?) "
                           "FROM rows", ("0" * 64,)).fetchone()
    at = datetime.now(timezone.utc).isoformat(timespec="milliseconds")
    rows, summaries = [], []
    for _ in range(visits):
        visit = str(uuid.uuid4())
        first = seq + 1
        for step in STEPS:
            seq += 1
            data = {"INTENT": {"kind": "withdraw", "amount": "10.00", "currency": "GBP"},
                    "HOST_OK": {"transaction_id": visit}, "CASH_CONFIRMED": {"cash_delta": "-10.00"}}.get(step, {})
            digest = _link(head, seq)
            rows.append((seq, at, visit, step, json.dumps(data, separators=(",", ":")), head, digest))
            head = digest
        summaries.append((visit, at, "withdraw", "10.00", "GBP", "acct", visit, "completed", "COMPLETED", "-10.00",
                          "bench", first, first + STEPS.index("CASH_CONFIRMED")))
    with db:
        db.executemany("INSERT INTO rows(seq, at, visit_id, step, data, prev_hash, hash) VALUES (?,?,?,?,?,?,?)", rows)
        db.executemany("INSERT INTO visits (visit_id, started_at, kind, amount, currency, account_id, transaction_id,"
                       " state, last_step, cash_delta, cashier, first_seq, cash_seq) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                       summaries)
    db.close()
    return len(rows)


def copy_floor(conn, path: Path) -> float:
    """A bare COPY of the journal's rows into an unindexed table: what moving the bytes costs."""
    conn.execute("DROP TABLE IF EXISTS bench_floor")
    conn.execute("CREATE TABLE bench_floor (seq bigint, at timestamptz, visit_id text, step text, data jsonb, "
                 "prev_hash text, hash text)")
    db = sqlite3.connect(path)
    started = time.perf_counter()
    with conn.cursor() as cur, cur.copy("COPY bench_floor FROM STDIN") as copy:
        for row in db.execute("SELECT seq, at, visit_id, step, data, prev_hash, hash FROM rows"):
            copy.write_row(row)
    elapsed = time.perf_counter() - started
    conn.execute("DROP TABLE bench_floor")
    db.close()
    return elapsed


def shipping(dsn: str, visits: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        Journal(data / "journal.sqlite3", mac_key=b"bench" * 8).close()  # the schema, as the kiosk makes it
        rows = append_visits(data / "journal.sqlite3", visits)
        settings = load_settings(None, {"data_dir": str(data), "fleet": {"dsn": dsn, "till_id": "BENCH-1",
                                                                          "store_id": "BENCH"}}, config_from_env=False)
        result = push(settings)
        assert result.shipped == rows and result.breaks == 0, result
        with psycopg.connect(dsn, autocommit=True) as conn:
            floor = copy_floor(conn, data / "journal.sqlite3")
        print(f"catch-up, {visits:,} visits offline ({rows:,} rows, {result.batches} batches of "
              f"{settings.fleet.batch_size}): {result.seconds:.2f} s = {rows / result.seconds:,.0f} rows/s "
              f"(bare COPY of the same rows: {floor:.2f} s = {rows / floor:,.0f} rows/s)")
        timings = []
        for _ in range(50):
            append_visits(data / "journal.sqlite3", 1)
            started = time.perf_counter()
            one = push(settings)
            timings.append(time.perf_counter() - started)
            assert one.shipped == len(STEPS) and one.breaks == 0
        timings.sort()
        print(f"a running till, one visit ({len(STEPS)} rows) a push incl. connecting: median "
              f"{statistics.median(timings) * 1000:.1f} ms, p95 {timings[int(len(timings) * 0.95)] * 1000:.1f} ms "
              f"= {len(STEPS) / statistics.median(timings):,.0f} rows/s")


def generate_chain(conn, tills: int, days: int, per_day: int) -> tuple[int, int, float, date]:
    """Tills, visits and rows of a chain, straight into the fleet tables with COPY."""
    rng = random.Random(13)
    first_day = datetime.now(timezone.utc).date() - timedelta(days=days)
    conn.execute("SELECT fleet.ensure_days(%s::date[])", ([first_day + timedelta(days=d) for d in range(days)],))
    n_rows = n_visits = 0
    started = time.perf_counter()
    with conn.transaction(), conn.cursor() as cur:
        with cur.copy("COPY fleet.tills (till_id, store_id, last_seq, head) FROM STDIN") as copy:
            for t in range(tills):
                copy.write_row((f"T{t:04d}", f"S{t // 4:03d}", days * (per_day * 4 + 2), _link("x", t)))
        for d in range(days):
            day = first_day + timedelta(days=d)
            base = datetime(day.year, day.month, day.day, 8, tzinfo=timezone.utc)
            visit_rows, journal_rows = [], []
            for t in range(tills):
                till = f"T{t:04d}"
                seq = d * (per_day * 4 + 2)
                head = _link(till, seq)

                def row(step, at, visit=None, data=None):
                    nonlocal seq, head
                    seq += 1
                    digest = _link(head, seq)
                    journal_rows.append((till, 1, seq, day, at, visit, step, json.dumps(data or {}), head, digest))
                    head = digest

                row("SHIFT_OPENED", base, data={"float": {"GBP": "500.00"}, "cashier": "c"})
                for v in range(per_day):
                    visit = str(uuid.UUID(int=rng.getrandbits(128)))
                    at = base + timedelta(minutes=20 * v + 1)
                    kind = "withdraw" if v % 2 else "deposit"
                    amount = rng.randint(5, 200)
                    state = rng.choices(["completed", "reversed", "suspect"], [98, 1, 1])[0]
                    delta = None if state != "completed" else (-amount if kind == "withdraw" else amount)
                    visit_rows.append((day, till, visit, at, kind, amount, "GBP", visit, state, "COMPLETED", delta, "c",
                                       None))
                    row("INTENT", at, visit, {"kind": kind, "amount": f"{amount}.00", "currency": "GBP"})
                    row("HOST_OK", at, visit, {"transaction_id": visit})
                    row("CASH_CONFIRMED", at, visit, {"cash_delta": str(delta)})
                    row("COMPLETED", at, visit)
                row("SHIFT_CLOSED", base + timedelta(hours=9),
                    data={"variance": {"GBP": f"{rng.choice([0, 0, 0, -5, 2]):+.2f}"}, "cashier": "c"})
            with cur.copy("COPY fleet.visits (day, till_id, visit_id, started_at, kind, amount, currency, "
                          "transaction_id, state, last_step, cash_delta, cashier, resolution) FROM STDIN") as copy:
                for values in visit_rows:
                    copy.write_row(values)
            with cur.copy("COPY fleet.rows (till_id, chain, seq, day, at, visit_id, step, data, prev_hash, hash) "
                          "FROM STDIN") as copy:
                for values in journal_rows:
                    copy.write_row(values)
            n_rows += len(journal_rows)
            n_visits += len(visit_rows)
    elapsed = time.perf_counter() - started
    conn.execute("ANALYZE fleet.tills")
    conn.execute("ANALYZE fleet.visits")
    conn.execute("ANALYZE fleet.rows")
    return n_rows, n_visits, elapsed, first_day + timedelta(days=days // 2)


def timed(work, times: int = 5) -> float:
    runs = []
    for _ in range(times):
        started = time.perf_counter()
        work()
        runs.append(time.perf_counter() - started)
    return statistics.median(runs)


def views(dsn: str, tills: int, days: int, per_day: int) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("TRUNCATE fleet.tills, fleet.breaks, fleet.escalations")
        conn.execute("DELETE FROM fleet.rows")
        conn.execute("DELETE FROM fleet.visits")
        n_rows, n_visits, copy_seconds, middle = generate_chain(conn, tills, days, per_day)
        print(f"generated {tills:,} tills x {days} days: {n_visits:,} visits, {n_rows:,} journal rows "
              f"(bare COPY into the partitions with their indexes: {copy_seconds:.1f} s = "
              f"{(n_rows + n_visits) / copy_seconds:,.0f} rows/s)")
        status = timed(lambda: fleet_status(conn))
        shown = fleet_status(conn)
        assert len(shown) == tills
        print(f"fleet status ({len(shown):,} tills): {status * 1000:.0f} ms")
        report = timed(lambda: day_report(conn, middle))
        lines = day_report(conn, middle).lines
        assert len(lines) == tills
        store = timed(lambda: day_report(conn, middle, "S007"))
        print(f"fleet report --date {middle} ({len(lines):,} till lines, {tills * per_day:,} visits that day): "
              f"{report * 1000:.0f} ms; one store: {store * 1000:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--visits", type=int, default=10_000)
    parser.add_argument("--tills", type=int, default=1000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--per-day", type=int, default=20, help="visits per till per day")
    parser.add_argument("--dsn", help="use this database instead of a private cluster")
    args = parser.parse_args()
    cluster = None
    dsn = args.dsn
    if dsn is None:
        from tests.fleet.postgres import Cluster

        cluster = Cluster(durable=True).start()
        dsn = cluster.create_database("bench")
        print(f"private PostgreSQL cluster (fsync on) on 127.0.0.1:{cluster.port}")
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start")
    try:
        with psycopg.connect(dsn, autocommit=True) as conn:
            migrate(conn)
        shipping(dsn, args.visits)
        views(dsn, args.tills, args.days, args.per_day)
    finally:
        if cluster is not None:
            cluster.stop()


if __name__ == "__main__":
    main()
