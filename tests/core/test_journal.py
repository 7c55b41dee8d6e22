import json
import os
import sqlite3

import pytest

from kiosk.journal.store import PENDING, Journal

KEY = b"m" * 32


@pytest.fixture
def journal(tmp_path):
    j = Journal(tmp_path / "journal.sqlite3", mac_key=KEY)
    yield j
    j.close()


def test_rows_are_durable_and_chained(tmp_path, journal):
    journal.record("v1", "SESSION_OPEN_SENT", idempotency="k1")
    journal.record("v1", "INTENT", kind="withdraw", summary={"kind": "withdraw", "amount": "10.00", "currency": "GBP"})
    journal.close()
    again = Journal(tmp_path / "journal.sqlite3", mac_key=KEY)
    rows = list(again.rows("v1"))
    assert [r.step for r in rows] == ["SESSION_OPEN_SENT", "INTENT"]
    assert rows[1].prev_hash == rows[0].hash
    assert again.head == rows[1].hash
    visit = again.visit("v1")
    assert (visit.kind, visit.amount, visit.currency, visit.state) == ("withdraw", "10.00", "GBP", PENDING)
    db = sqlite3.connect(tmp_path / "journal.sqlite3")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    again.close()


def test_sqlite_runs_with_full_sync(journal):
    assert journal._db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


@pytest.mark.parametrize("tamper", ["edit", "delete", "reorder"])
def test_verify_finds_any_tampering(tmp_path, journal, tamper):
    for step in ("A", "B", "C", "D"):
        journal.record("v", step, n=step)
    assert journal.verify()[0]
    db = sqlite3.connect(tmp_path / "journal.sqlite3")
    if tamper == "edit":
        db.execute("UPDATE rows SET data = '{\"n\":\"X\"}' WHERE seq = 2")
    elif tamper == "delete":
        db.execute("DELETE FROM rows WHERE seq = 3")
    else:
        db.execute("UPDATE rows SET seq = 99 WHERE seq = 2")
        db.execute("UPDATE rows SET seq = 2 WHERE seq = 3")
        db.execute("UPDATE rows SET seq = 3 WHERE seq = 99")
    db.commit()
    ok, where = journal.verify()
    assert not ok
    assert "row 2" in where or "row 3" in where


def test_phone_is_only_kept_as_a_keyed_hash(tmp_path, journal):
    ref = journal.phone_ref("+14155559992")
    assert ref == journal.phone_ref("+14155559992") and ref != journal.phone_ref("+14155559993")
    other = Journal(tmp_path / "other" / "journal.sqlite3", mac_key=KEY)
    assert other.phone_ref("+14155559992") != ref  # keyed per terminal: not a plain hash
    assert oct((tmp_path / "journal.key").stat().st_mode & 0o777) == "0o600"
    other.close()


def test_a_step_and_the_compensation_it_promises_are_written_together(tmp_path, journal):
    journal.record("v", "HOST_UNKNOWN", outbox=[("settle", {"idempotency": "k"})])
    (item,) = journal.compensations()
    assert (item.visit_id, item.action, item.payload) == ("v", "settle", {"idempotency": "k"})

    # A failure inside the transaction leaves neither the row nor the item.
    try:
        journal.record("w", "X", summary={"bogus": 1}, outbox=[("reverse", {})])
    except Exception:
        pass
    assert [r.step for r in journal.rows("w")] == [] and len(journal.compensations()) == 1


def test_sealed_session_details_are_opaque_and_erasable(tmp_path):
    journal = Journal(tmp_path / "j.sqlite3", mac_key=KEY, vault_key=b"k" * 32)
    journal.seal("v1", {"phone": "+14155559992", "token_id": "t"})
    assert journal.unseal("v1") == {"phone": "+14155559992", "token_id": "t"}
    assert journal.sealed_visits() == ["v1"]
    other_key = Journal(tmp_path / "j.sqlite3", mac_key=KEY, vault_key=b"x" * 32)
    assert other_key.unseal("v1") is None  # another key opens nothing: escalate, never guess
    journal.erase("v1")
    assert journal.unseal("v1") is None and journal.sealed_visits() == []
    journal.close()
    other_key.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("j.sqlite3*"))
    assert b"+14155559992" not in raw  # sealed, never in the clear, WAL included


def test_unknown_summary_field_is_a_programming_error(journal):
    from kiosk.journal.store import JournalError

    with pytest.raises(JournalError):
        journal.record("v", "X", summary={"otp": "123456"})


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can make files another user cannot open")
def test_a_writer_run_as_root_leaves_the_data_dir_to_its_owner(tmp_path):
    """`sudo kiosk users add` or `journal reseal`: the lock, the phone key, the journal, its
    anchor and WAL files must stay the kiosk user's, or the kiosk could not start again."""
    import pwd

    from kiosk.datadir import hold_writer, release_writer

    nobody = pwd.getpwnam("nobody")
    data = tmp_path / "data"
    data.mkdir()
    os.chown(data, nobody.pw_uid, nobody.pw_gid)
    hold_writer(data)
    try:
        journal = Journal(data / "journal.sqlite3", mac_key=KEY)
        journal.record(None, "USER_ADDED", user="ann")
        made = {f.name: f.stat().st_uid for f in data.iterdir()}
        journal.close()
    finally:
        release_writer(data)
    assert {"kiosk.lock", "journal.key", "journal.sqlite3", "journal.sqlite3.anchor"} <= set(made)
    assert {name: uid for name, uid in made.items() if uid != nobody.pw_uid} == {}


def _committed_steps(path) -> list[str]:
    """What another connection (another process, or the disk after a power cut) sees."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return [r[0] for r in db.execute("SELECT step FROM rows ORDER BY seq")]
    finally:
        db.close()


def test_rows_of_one_commit_become_durable_together_with_one_anchor(tmp_path):
    path = tmp_path / "j.sqlite3"
    journal = Journal(path, mac_key=KEY, vault_key=b"k" * 32)
    journal.record("v", "SESSION_OPENED", seal={"token_id": "t"})
    anchors = []
    write = journal.anchor.write
    journal.anchor.write = lambda *a: (anchors.append(a[0]), write(*a))
    seen_by_hook: list[tuple[str, list[str]]] = []
    journal.crash_hook = lambda step: seen_by_hook.append((step, _committed_steps(path)))

    with journal.one_commit():
        journal.record("v", "INTENT", summary={"kind": "withdraw"})
        journal.record("v", "HOST_SENT")
        journal.enqueue("v", "settle", {})
        journal.erase("v")
        assert _committed_steps(path) == ["SESSION_OPENED"]  # nothing of the block before its end
        assert [r.step for r in journal.rows("v")][-1] == "HOST_SENT"  # the writer reads its own block

    everything = ["SESSION_OPENED", "INTENT", "HOST_SENT"]
    assert _committed_steps(path) == everything
    # The crash hook (KIOSK_CRASH_AFTER) fires per step, only once the whole block is durable.
    assert seen_by_hook == [("INTENT", everything), ("HOST_SENT", everything)]
    assert anchors == [3]  # one anchor for the block, at its last row
    assert journal.anchor.read().seq == 3 and journal.head_seq == 3
    assert journal.unseal("v") is None and len(journal.compensations()) == 1
    journal.close()
    again = Journal(path, mac_key=KEY)
    assert again.broken is None and again.verify()[0]
    again.close()


def test_a_failure_inside_one_commit_leaves_none_of_it(tmp_path):
    path = tmp_path / "j.sqlite3"
    journal = Journal(path, mac_key=KEY, vault_key=b"k" * 32)
    journal.record("v", "SESSION_OPENED", seal={"token_id": "t"})
    head = journal.head
    hooked: list[str] = []
    journal.crash_hook = hooked.append

    class Refused(Exception):
        pass

    with pytest.raises(Refused):
        with journal.one_commit():
            journal.record("v", "INTENT")
            journal.enqueue("v", "settle", {})
            journal.erase("v")
            with journal.one_commit():  # an inner block is part of the outer one
                journal.record("v", "HOST_SENT")
            raise Refused  # e.g. the cash check of the guard
    assert [r.step for r in journal.rows("v")] == ["SESSION_OPENED"]
    assert journal.head == head and journal.compensations() == [] and journal.unseal("v") == {"token_id": "t"}
    assert hooked == []
    journal.record("v", "CANCELLED")  # the chain goes on from the last committed row
    assert journal.verify()[0] and journal.anchor.read().seq == 2
    journal.close()


def test_the_anchor_is_current_when_record_returns_and_flushed_on_close(tmp_path):
    """The anchor's fdatasync runs in the flusher thread: the write itself is done before
    record() returns (a killed process leaves it current), and close() waits for the flush."""
    import threading

    from kiosk.journal.anchor import AnchorFile

    journal = Journal(tmp_path / "j.sqlite3", mac_key=KEY)
    for step in ("A", "B", "C"):
        row = journal.record("v", step)
        seen = AnchorFile(journal.anchor.path, KEY).read()  # what another process reads now
        assert (seen.seq, seen.mac) == (row.seq, row.hash)
    flusher = journal.anchor._flusher
    assert isinstance(flusher, threading.Thread) and flusher.is_alive()
    journal.close()
    assert not flusher.is_alive()
    again = Journal(tmp_path / "j.sqlite3", mac_key=KEY)
    assert again.broken is None and again.anchor.read().seq == 3
    again.close()


def _disk_copy(path, into):
    """The journal's files as they are now (the database, its WAL, the anchor, the phone key)."""
    import shutil

    into.mkdir()
    for name in (path.name, path.name + "-wal", path.name + ".anchor", path.with_suffix(".key").name):
        if (path.parent / name).exists():
            shutil.copy2(path.parent / name, into / name)
    return into / path.name


def test_a_row_that_does_not_wait_for_the_disk_survives_a_kill_and_a_power_cut_leaves_the_durable_rows(tmp_path):
    """durable=False: the commit skips the fsync and the anchor. A killed process keeps the row
    (the kernel holds the WAL's write); a power cut may lose it: the files as they were at the
    last durable commit. Either way the journal opens unbroken, and the anchor is never ahead
    of what the disk holds. The next durable commit makes it durable with it."""
    path = tmp_path / "j.sqlite3"
    journal = Journal(path, mac_key=KEY)
    sent = journal.record("v", "SESSION_OPEN_SENT")
    assert journal.durable_seq == 1 and journal.anchor.read().seq == 1
    at_last_fsync = _disk_copy(path, tmp_path / "power-cut")  # all a power cut may leave

    journal.record("v", "SESSION_OPENED", durable=False)
    after_one = _disk_copy(path, tmp_path / "cut-after-one")  # the disk may have kept some of it
    journal.record("v", "DRAWER_OPENED", durable=False)
    assert (journal.head_seq, journal.durable_seq, journal.durable_head) == (3, 1, sent.hash)
    assert journal.anchor.read().seq == 1  # not ahead of the disk
    assert journal._db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL again for the next commit
    killed = _disk_copy(path, tmp_path / "killed")

    for files, head in ((at_last_fsync, 1), (after_one, 2), (killed, 3)):
        again = Journal(files, mac_key=KEY)
        assert again.broken is None, (files, again.broken)
        assert again.head_seq == head and again.verify()[0]
        assert [r.step for r in again.rows("v")][-1] == ["SESSION_OPEN_SENT", "SESSION_OPENED", "DRAWER_OPENED"][head - 1]
        again.record("v", "RECOVERED")  # the chain goes on from what was kept
        assert again.verify()[0]
        again.close()

    journal.record("v", "CASH_CONFIRMED")  # durable: the rows before it are on the disk with it
    assert journal.durable_seq == 4 and journal.anchor.read().seq == 4
    journal.close()
    again = Journal(path, mac_key=KEY)
    assert again.broken is None and again.head_seq == 4 and again.verify()[0]
    again.close()


def test_a_row_inside_one_commit_is_as_durable_as_its_block(tmp_path):
    journal = Journal(tmp_path / "j.sqlite3", mac_key=KEY)
    with journal.one_commit():
        journal.record("v", "HOST_OK", durable=False)
        journal.record("v", "DRAWER_KICKED")
    assert journal.durable_seq == 2 and journal.anchor.read().seq == 2
    journal.close()


def test_the_visits_summary_written_row_by_row_is_the_fold_of_the_rows(tmp_path, journal):
    """Each row updates only the visits columns it sets (an UPDATE, not a rewrite of the whole
    line): what is stored must still be exactly what verification folds from the rows, for a
    visit's first row, rows in one commit, rows without a summary, a reversal and a None."""
    from kiosk.journal.store import REVERSED, _VISIT_FIELDS, fold_visit

    journal.record("v1", "SESSION_OPEN_SENT", summary={"cashier": "alice"})
    journal.record("v2", "CARD_LOOKUP_SENT")  # a first row without a summary
    with journal.one_commit():
        journal.record("v1", "INTENT", summary={"kind": "withdraw", "amount": "10.00", "currency": "GBP", "account_id": "a1"})
        journal.record("v1", "HOST_SENT")
    journal.record("v1", "HOST_OK", summary={"transaction_id": "t1"}, durable=False)
    journal.record("v1", "CASH_CONFIRMED", summary={"cash_delta": "-10.00"})
    journal.record("v1", "REVERSED", summary={"state": REVERSED, "resolution": None})
    journal.record("v2", "CANCELLED", summary={"state": "abandoned"})

    folded: dict = {}
    for seq, at, vid, step, summary in journal._db.execute("SELECT seq, at, visit_id, step, summary FROM rows ORDER BY seq"):
        folded[vid] = fold_visit(folded.get(vid), seq, at, vid, step, json.loads(summary) if summary else {})
    stored = {r[0]: dict(zip(_VISIT_FIELDS, r)) for r in journal._db.execute(f"SELECT {', '.join(_VISIT_FIELDS)} FROM visits")}
    assert stored == folded
    assert stored["v1"]["cash_seq"] == 6 and stored["v1"]["reversed_seq"] == 7 and stored["v1"]["last_step"] == "REVERSED"
    assert journal.verify()[0]


def test_owes_answers_for_pending_compensations_of_that_visit_only(journal):
    journal.record("v1", "HOST_UNKNOWN", outbox=[("settle", {"idempotency": "k"})])
    journal.enqueue("v2", "close_session", {})
    assert journal.owes("v1") and journal.owes("v1", "settle")
    assert not journal.owes("v1", "close_session") and not journal.owes("v3")
    item = next(c for c in journal.compensations() if c.visit_id == "v1")
    journal.update_compensation(item.id, state="done", attempts=1, next_at=0.0)
    assert not journal.owes("v1") and journal.owes("v2", "close_session")
