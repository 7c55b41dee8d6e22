"""Shipping journals to a real PostgreSQL: at-least-once, idempotent, checked on arrival."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import psycopg
import pytest

from kiosk.fleet.push import CURSOR_FILE, FleetError, push, read_cache
from kiosk.journal.store import Journal
from kiosk.runtime import derive_journal_key
from kiosk.sim import rapyd

STACK_KEY = derive_journal_key(rapyd.DEMO_SECRET_KEY)  # the key tests.stack's tills sign with
from tests.fleet.conftest import fleet_settings
from tests.simserver import free_port

ROOT = Path(__file__).resolve().parents[2]


def central_rows(central, till: str) -> list[tuple]:
    return central.execute(
        "SELECT chain, seq, step, prev_hash, hash FROM fleet.rows WHERE till_id = %s ORDER BY chain, seq", (till,)
    ).fetchall()


def local_rows(path: Path) -> list[tuple]:
    with sqlite3.connect(path) as db:
        return db.execute("SELECT seq, step, prev_hash, hash FROM rows ORDER BY seq").fetchall()


def breaks(central, till: str) -> list[tuple]:
    return central.execute(
        "SELECT kind, chain, seq, detail FROM fleet.breaks WHERE till_id = %s ORDER BY id", (till,)
    ).fetchall()


def bulk_journal(path: Path, visits: int) -> int:
    """Volume where a test needs it: rows written by the real Journal (durability off), each
    visit the shape of a completed withdrawal. Returns the number of rows."""
    journal = Journal(path, mac_key=STACK_KEY)
    journal._db.execute("PRAGMA synchronous=OFF")
    try:
        journal.record(None, "SHIFT_OPENED", float={"GBP": "500.00"}, cashier="bulk", source="counted")
        for _ in range(visits):
            visit = str(uuid.uuid4())
            journal.record(visit, "INTENT", kind="withdraw", amount="10.00", currency="GBP",
                           summary={"kind": "withdraw", "amount": "10.00", "currency": "GBP", "cashier": "bulk"})
            journal.record(visit, "HOST_OK", transaction_id=str(uuid.uuid4()))
            journal.record(visit, "COMPLETED", summary={"cash_delta": "-10.00", "state": "completed"})
        return 1 + 3 * visits
    finally:
        journal.close()


def test_real_visits_arrive_whole_and_in_order(make_till, central):
    till = make_till()
    assert till.visit()["status"] == "completed"
    assert till.visit("deposit", "25.00")["status"] == "completed"
    result = till.push()
    assert (result.shipped, result.breaks, result.duplicates) == (len(local_rows(till.journal_path)), 0, 0)
    assert [(seq, step, prev, digest) for _, seq, step, prev, digest in central_rows(central, "T1")] == local_rows(
        till.journal_path
    )
    visits = central.execute("SELECT kind, amount, cash_delta, state FROM fleet.visits ORDER BY started_at").fetchall()
    assert [(k, f"{a:.2f}", f"{c:.2f}", s) for k, a, c, s in visits] == [
        ("withdraw", "10.00", "-10.00", "completed"), ("deposit", "25.00", "25.00", "completed")]
    # The cache says what the server acknowledged, and no temp file is left behind.
    assert read_cache(till.dir)["last_seq"] == result.last_seq
    assert not [p for p in till.dir.iterdir() if p.name.startswith(".fleet-cursor.")]


def test_a_duplicate_push_changes_nothing(make_till, central, fleet_dsn):
    till = make_till()
    till.visit()
    first = till.push()
    again = till.push()
    assert again.shipped == 0 and again.breaks == 0
    # The same batch sent twice (a push whose answer was lost): recognised row by row.
    (till.dir / CURSOR_FILE).unlink()
    with sqlite3.connect(till.journal_path) as db:
        rows = [dict(zip(("seq", "at", "visit_id", "step", "data", "prev_hash", "hash"), r))
                for r in db.execute("SELECT seq, at, visit_id, step, json(data), prev_hash, hash FROM rows")]
    for row in rows:
        row["data"] = json.loads(row["data"])
    answer = central.execute("SELECT fleet.ship('T1', 'S1', %s::json, '[]', NULL)", (json.dumps(rows),)).fetchone()[0]
    assert (answer["inserted"], answer["duplicates"], answer["breaks"]) == (0, len(rows), 0)
    assert len(central_rows(central, "T1")) == first.shipped
    assert breaks(central, "T1") == []


def test_a_till_offline_catches_up_in_batches(make_till, central, fleet_dsn):
    till = make_till()
    offline = fleet_settings(till.dir, f"host=127.0.0.1 port={free_port()} dbname=x user=x", "T1", "S1",
                             connect_timeout=1)
    for amount in ("10.00", "11.00", "12.00"):
        assert till.visit(amount=amount)["status"] == "completed"  # visits go on while offline
        with pytest.raises(FleetError, match="Cannot reach head office"):
            push(offline)
    result = till.push(batch_size=7)
    total = len(local_rows(till.journal_path))
    assert result.shipped == total and result.batches == -(-total // 7) and result.complete
    assert [r[1] for r in central_rows(central, "T1")] == list(range(1, total + 1))
    assert breaks(central, "T1") == []


def test_several_tills_ship_at_once(make_till, central):
    tills = [make_till(f"T{n}", f"S{n % 2}") for n in range(4)]
    for till in tills:
        till.visit()
        till.visit("deposit", "5.00")
    failures: list[BaseException] = []

    def ship(till):
        try:
            till.push(batch_size=4)
        except BaseException as exc:  # reported below, not lost in the thread
            failures.append(exc)

    # Two pushes per till at once as well: the server serialises them per till.
    threads = [threading.Thread(target=ship, args=(till,)) for till in tills for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failures == []
    for till in tills:
        assert [r[1:] for r in central_rows(central, till.name)] == local_rows(till.journal_path)
        assert breaks(central, till.name) == []
    stores = dict(central.execute("SELECT till_id, store_id FROM fleet.tills").fetchall())
    assert stores == {"T0": "S0", "T1": "S1", "T2": "S0", "T3": "S1"}


def test_a_push_killed_half_way_loses_and_repeats_nothing(tmp_path, central, fleet_dsn):
    data = tmp_path / "till"
    data.mkdir()
    total = bulk_journal(data / "journal.sqlite3", 3000)
    env = {key: value for key, value in os.environ.items() if key != "KIOSK_CONFIG"}
    env.update(KIOSK_FLEET__DSN=fleet_dsn, KIOSK_FLEET__TILL_ID="K1", KIOSK_FLEET__STORE_ID="S1",
               KIOSK_FLEET__BATCH_SIZE="30")
    process = subprocess.Popen([sys.executable, "-m", "kiosk.cli", "fleet", "push", "--data-dir", str(data)], env=env,
                               cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    acknowledged = 0
    deadline = time.monotonic() + 60
    while acknowledged == 0 and time.monotonic() < deadline and process.poll() is None:
        found = central.execute("SELECT last_seq FROM fleet.tills WHERE till_id = 'K1'").fetchone()
        acknowledged = found[0] if found else 0
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    process.wait(10)
    assert process.returncode == -signal.SIGKILL, "the push ended before it could be killed"
    assert 0 < acknowledged < total
    read_cache(data)  # whole or absent, never half a file
    settings = fleet_settings(data, fleet_dsn, "K1", "S1", batch_size=500)
    result = push(settings)
    assert result.breaks == 0
    count, low, high = central.execute("SELECT count(*), min(seq), max(seq) FROM fleet.rows WHERE till_id = 'K1'").fetchone()
    assert (count, low, high) == (total, 1, total)
    assert breaks(central, "K1") == []
    assert central.execute("SELECT count(*) FROM fleet.visits WHERE till_id = 'K1'").fetchone()[0] == 3000


def test_the_push_needs_no_writer_lock(make_till, central):
    till = make_till()
    till.visit()
    writer = sqlite3.connect(till.journal_path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # another process holds the journal's write lock
    try:
        result = till.push()
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert result.shipped == len(local_rows(till.journal_path))


def _forge_from(path: Path, seq: int, **changes) -> None:
    """Edit row `seq` and re-link every later row (new hashes, prev_hash following them), as
    someone rewriting the history would to keep the local chain self-consistent."""
    with sqlite3.connect(path) as db:
        for column, value in changes.items():
            db.execute(f"UPDATE rows SET {column} = ? WHERE seq = ?", (value, seq))
        prev = db.execute("SELECT hash FROM rows WHERE seq = ?", (seq - 1,)).fetchone()[0]
        for row_seq, old in db.execute("SELECT seq, hash FROM rows WHERE seq >= ? ORDER BY seq", (seq,)).fetchall():
            new = hashlib.sha256((old + "forged").encode()).hexdigest()
            db.execute("UPDATE rows SET prev_hash = ?, hash = ? WHERE seq = ?", (prev, new, row_seq))
            prev = new


def test_rewritten_history_is_caught_within_one_push(make_till, central):
    till = make_till()
    till.visit(amount="40.00")
    shipped = till.push().last_seq
    intent = next(seq for seq, step, _, _ in local_rows(till.journal_path) if step == "INTENT")
    _forge_from(till.journal_path, intent, data=json.dumps({"kind": "withdraw", "amount": "4.00", "currency": "GBP"}))
    result = till.push()
    assert result.breaks == shipped - intent + 1
    assert {(kind, seq) for kind, _, seq, _ in breaks(central, "T1")} == {
        ("rewritten", seq) for seq in range(intent, shipped + 1)}
    # What head office holds is the first version.
    data = central.execute("SELECT data FROM fleet.rows WHERE till_id = 'T1' AND seq = %s", (intent,)).fetchone()[0]
    assert data["amount"] == "40.00"
    # Later pushes do not send the whole journal again, and carry on with new rows.
    till.visit()
    later = till.push()
    assert later.notes == [] and later.shipped == len(local_rows(till.journal_path)) - shipped


def test_a_row_removed_before_shipping_is_a_gap(make_till, central):
    till = make_till()
    till.visit()
    shipped = till.push().last_seq
    till.visit()
    with sqlite3.connect(till.journal_path) as db:
        db.execute("DELETE FROM rows WHERE seq = ?", (shipped + 3,))
    result = till.push()
    assert result.breaks == 1
    assert breaks(central, "T1") == [("gap", 1, shipped + 4, f"rows {shipped + 3} to {shipped + 3} are missing")]


def test_a_replaced_journal_starts_a_new_chain(make_till, central):
    till = make_till()
    till.visit()
    old = till.push().last_seq
    till.stack.journal.close()
    for suffix in ("", "-wal", "-shm"):
        Path(str(till.journal_path) + suffix).unlink(missing_ok=True)
    from tests.stack import build_stack

    till.stack = build_stack(till.dir, till.stack.url, till.simulator, drawer=till.stack.drawer)
    till.visit()
    result = till.push()
    assert result.breaks >= 1 and result.chain == 2
    assert breaks(central, "T1")[0][:3] == ("restarted", 1, 1)
    assert len([r for r in central_rows(central, "T1") if r[0] == 1]) == old  # the first chain is kept
    assert [r[1:] for r in central_rows(central, "T1") if r[0] == 2] == local_rows(till.journal_path)


def test_a_till_role_ships_only_its_own_rows(make_till, central, fleet_dsn, pg_cluster):
    central.execute("CREATE ROLE till_a LOGIN IN ROLE fleet_till")
    central.execute("CREATE ROLE ho_reader LOGIN IN ROLE fleet_head_office")
    central.execute("INSERT INTO fleet.till_roles VALUES ('till_a', 'T1')")
    till = make_till("T1")
    till.visit()
    own = fleet_dsn.replace("user=postgres", "user=till_a")
    assert "user=till_a" in own
    result = push(fleet_settings(till.dir, own, "T1", "S1"))
    assert result.shipped == len(local_rows(till.journal_path))
    with pytest.raises(FleetError, match="ships for till T1, not T2"):
        push(fleet_settings(till.dir, own, "T2", "S1"))
    with psycopg.connect(own, autocommit=True) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("INSERT INTO fleet.rows (till_id, chain, seq, day, at, step, data, prev_hash, hash) "
                         "VALUES ('T2', 1, 1, current_date, now(), 'X', '{}', '', '')")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT count(*) FROM fleet.rows")
    with psycopg.connect(fleet_dsn.replace("user=postgres", "user=ho_reader"), autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM fleet.rows").fetchone()[0] == result.shipped
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("DELETE FROM fleet.rows")


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can make files another user cannot open")
def test_a_push_run_as_root_leaves_the_kiosks_files_to_the_kiosk(make_till):
    till = make_till()
    till.visit()
    till.stack.journal.close()  # the kiosk is stopped: no WAL index left
    import pwd

    nobody = pwd.getpwnam("nobody")
    for path in till.dir.iterdir():
        os.chown(path, nobody.pw_uid, nobody.pw_gid)
    os.chown(till.dir, nobody.pw_uid, nobody.pw_gid)
    assert not Path(str(till.journal_path) + "-shm").exists()
    till.push()
    made = [p for p in till.dir.iterdir() if p.stat().st_uid != nobody.pw_uid]
    assert made == []
    assert (till.dir / CURSOR_FILE).exists()
    till.stack.journal = Journal(till.journal_path, mac_key=STACK_KEY)  # for the fixture's clean-up


def test_rows_not_yet_on_the_disk_wait_for_the_next_push(make_till, central):
    """A row committed without waiting for the disk (durable=False) may be lost in a power cut
    and its number reused: head office must not hold it before a durable commit does (the
    till's journal would then look rewritten there). It ships once on the disk."""
    till = make_till()
    assert till.visit()["status"] == "completed"
    journal = till.stack.journal
    shipped = till.push().last_seq
    assert shipped == journal.head_seq
    journal.record("v-open", "SESSION_OPENED", durable=False)
    assert till.push().last_seq == shipped  # committed, readable, not on the disk: not shipped
    journal.record("v-open", "CANCELLED")  # durable: takes the row before it to the disk
    assert till.push().last_seq == shipped + 2
    assert breaks(central, "T1") == []
