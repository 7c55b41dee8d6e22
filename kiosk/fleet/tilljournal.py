"""The till's journal, read for shipping: read-only, with a connection of its own.

Opened as `file:...?mode=ro`: no writer lock is taken, no schema is created, nothing is ever
written, so a push runs beside the kiosk serving visits (SQLite WAL: a reader never blocks
the writer). Each batch is read in one read transaction, so the rows and the visit summaries
sent with them are one consistent picture. JSON is assembled by SQLite itself (json_object),
the row's data passed through as the text the journal holds.

Only rows known to be on the disk are shipped: those up to the row the journal's anchor names
(the writer anchors after commits that waited for the disk only). A row committed without
waiting (an outcome followed by nothing until the next durable commit) may be lost in a power
cut and its number reused; had head office acknowledged it, the till's journal would look
rewritten there. It goes with the next push, once a durable commit (or the writer's close)
took it to the disk.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote


class TillJournalError(Exception):
    pass


@dataclass(frozen=True)
class Batch:
    first_seq: int
    last_seq: int
    count: int
    days: list[str]  # UTC dates (YYYY-MM-DD) of the rows and of the visits' starts
    rows_json: str
    visits_json: str


class TillJournal:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise TillJournalError(f"no journal at {self.path}: nothing to ship yet")
        uri = f"file:{quote(str(self.path.resolve()))}?mode=ro"
        try:
            self._db = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False, timeout=5)
            self._db.execute("PRAGMA query_only=ON")
            self._db.execute("SELECT 1 FROM rows LIMIT 1")
        except sqlite3.Error as exc:
            raise TillJournalError(f"cannot read the journal at {self.path}: {exc}") from None
        # A reader makes the WAL index (-shm) when it is missing; run as root, SQLite itself gives
        # it (and the -wal) to the database file's owner, so the kiosk can still open its journal.

    def on_disk(self) -> int | None:
        """The last row known to be on the disk: the one the anchor's newest slot names (the
        format of kiosk.journal.anchor: two 512-byte slots, each JSON with its counter `n` and
        `seq`, then `|` and a MAC this reader has no key to check; a forged slot can only move
        this bound, never a row). None without a readable anchor: everything is shipped."""
        try:
            raw = self.path.with_name(self.path.name + ".anchor").read_bytes()[:1024]
        except OSError:
            return None
        newest: tuple[int, int] | None = None
        for start in (0, 512):
            body = raw[start : start + 512].rstrip(b"\x00 \n").rpartition(b"|")[0]
            try:
                slot = json.loads(body)
                found = (int(slot["n"]), int(slot["seq"]))
            except (ValueError, KeyError, TypeError):
                continue
            newest = found if newest is None or found > newest else newest
        return None if newest is None else newest[1]

    def hash_at(self, seq: int) -> str | None:
        found = self._db.execute("SELECT hash FROM rows WHERE seq = ?", (seq,)).fetchone()
        return found[0] if found else None

    def last_seq(self) -> int:
        return int(self._db.execute("SELECT COALESCE(MAX(seq), 0) FROM rows").fetchone()[0])

    def batch(self, after: int, size: int) -> Batch | None:
        """Rows after `after` (at most `size`, none past what is on the disk), with the summaries
        of the visits they touch."""
        bound = self.on_disk()  # read first: the row it names is committed for the transaction below
        try:
            self._db.execute("BEGIN")
            try:
                return self._batch(after, size, bound)
            finally:
                self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            raise TillJournalError(f"cannot read the journal at {self.path}: {exc}") from None

    def _batch(self, after: int, size: int, bound: int | None) -> Batch | None:
        first, last, count, rows_json = self._db.execute(
            "SELECT MIN(seq), MAX(seq), COUNT(*), json_group_array(json_object("
            "'seq', seq, 'at', at, 'visit_id', visit_id, 'step', step, 'data', json(data),"
            " 'prev_hash', prev_hash, 'hash', hash))"
            " FROM (SELECT * FROM rows WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?)",
            (after, (1 << 62) if bound is None else bound, size),
        ).fetchone()
        if not count:
            return None
        visits_json, visit_days = self._db.execute(
            "SELECT json_group_array(json_object('visit_id', visit_id, 'started_at', started_at, 'kind', kind,"
            " 'amount', amount, 'currency', currency, 'transaction_id', transaction_id, 'state', state,"
            " 'last_step', last_step, 'cash_delta', cash_delta, 'cashier', cashier, 'resolution', resolution)),"
            " group_concat(DISTINCT substr(started_at, 1, 10))"
            " FROM visits WHERE visit_id IN (SELECT DISTINCT visit_id FROM rows WHERE seq > ? AND seq <= ?"
            " AND visit_id IS NOT NULL)",
            (after, last),
        ).fetchone()
        (row_days,) = self._db.execute(
            "SELECT group_concat(DISTINCT substr(at, 1, 10)) FROM rows WHERE seq > ? AND seq <= ?", (after, last)
        ).fetchone()
        days = sorted({d for text in (row_days, visit_days) if text for d in text.split(",")})
        return Batch(int(first), int(last), int(count), days, rows_json, visits_json)

    def escalations_json(self) -> str:
        (text,) = self._db.execute(
            "SELECT json_group_array(json_object('id', id, 'visit_id', visit_id, 'action', action,"
            " 'error', last_error, 'attempts', attempts)) FROM outbox WHERE state = 'escalated'"
        ).fetchone()
        return text

    def close(self) -> None:
        self._db.close()
