"""The durable journal: one SQLite row per step of every visit, committed before the next
side effect, each row chained to the one before it by a SHA-256 hash.

Durability: WAL mode with synchronous=FULL, so a row that `record()` returned is on disk
even after a power cut; every write is its own `BEGIN IMMEDIATE ... COMMIT`.

Beside the append-only `rows` table, `visits` keeps one summary line per visit (kind, amount,
state, cash moved) updated in the same transaction, so start-up and recovery read a handful
of unfinished visits instead of replaying the whole history.

Privacy: rows never hold an OTP, a secret or a full phone number; callers pass a keyed hash
(`Journal.phone_ref`) and the last four digits at most.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import sqlite3
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterator

GENESIS = "0" * 64

# Visit states as seen from outside (kiosk journal export): the contract's vocabulary.
PENDING = "pending"
COMPLETED = "completed"
DECLINED = "declined"
ABANDONED = "abandoned"
REVERSED = "reversed"
SUSPECT = "suspect"
FINAL_STATES = {COMPLETED, DECLINED, ABANDONED, REVERSED, SUSPECT}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS rows (
    seq       INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    visit_id  TEXT,
    step      TEXT NOT NULL,
    data      TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS rows_by_visit ON rows(visit_id);
CREATE TABLE IF NOT EXISTS visits (
    visit_id       TEXT PRIMARY KEY,
    started_at     TEXT NOT NULL,
    kind           TEXT,
    amount         TEXT,
    currency       TEXT,
    account_id     TEXT,
    transaction_id TEXT,
    state          TEXT NOT NULL,
    last_step      TEXT NOT NULL,
    cash_delta     TEXT,
    cashier        TEXT
);
CREATE INDEX IF NOT EXISTS visits_by_state ON visits(state);
"""


@dataclass(frozen=True)
class Row:
    seq: int
    at: str
    visit_id: str | None
    step: str
    data: dict[str, Any]
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class VisitSummary:
    visit_id: str
    started_at: str
    kind: str | None
    amount: str | None
    currency: str | None
    account_id: str | None
    transaction_id: str | None
    state: str
    last_step: str
    cash_delta: str | None
    cashier: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "visit_id": self.visit_id,
            "started_at": self.started_at,
            "kind": self.kind,
            "amount": self.amount,
            "currency": self.currency,
            "transaction_id": self.transaction_id,
            "state": self.state,
            "last_step": self.last_step,
            "cashier": self.cashier,
        }


def _row_hash(prev_hash: str, seq: int, at: str, visit_id: str | None, step: str, data: str) -> str:
    material = json.dumps([prev_hash, seq, at, visit_id, step, data], separators=(",", ":"))
    return hashlib.sha256(material.encode()).hexdigest()


def _json(data: dict[str, Any]) -> str:
    return json.dumps(data, separators=(",", ":"), sort_keys=True, default=str)


class JournalError(Exception):
    pass


class Journal:
    """Append-only, hash-chained, durable record of every visit step. Thread-safe."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA busy_timeout=5000")
            self._db.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            raise JournalError(f"cannot open the journal at {self.path}: {exc}") from None
        self._lock = threading.Lock()
        self._key = self._load_key()
        head = self._db.execute("SELECT hash FROM rows ORDER BY seq DESC LIMIT 1").fetchone()
        self._head = head[0] if head else GENESIS

    # --- privacy ------------------------------------------------------------------------

    def _load_key(self) -> bytes:
        """The key for keyed hashes of phone numbers: random, per terminal, owner-only."""
        key_path = self.path.with_suffix(".key")
        try:
            return bytes.fromhex(key_path.read_text().strip())
        except FileNotFoundError:
            key = secrets.token_bytes(32)
            fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(key.hex())
                handle.flush()
                os.fsync(handle.fileno())
            return key

    def phone_ref(self, phone: str) -> str:
        """A keyed hash of a phone number: lets visits of one customer be matched in an
        audit without the journal ever holding the number."""
        return hmac.new(self._key, phone.encode(), hashlib.sha256).hexdigest()[:32]

    # --- writing ------------------------------------------------------------------------

    @property
    def head(self) -> str:
        return self._head

    def record(self, visit_id: str | None, step: str, **data: Any) -> Row:
        """Append one step and make it durable before returning.

        `data` may carry `summary` (a dict of visits columns to set) which is stored in the
        visits table, not in the row; everything else goes into the row as JSON.
        """
        summary: dict[str, Any] = data.pop("summary", None) or {}
        payload = _json(data)
        at = datetime.now(timezone.utc).isoformat(timespec="milliseconds")
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                seq = (self._db.execute("SELECT COALESCE(MAX(seq), 0) FROM rows").fetchone()[0]) + 1
                row_hash = _row_hash(self._head, seq, at, visit_id, step, payload)
                self._db.execute(
                    "INSERT INTO rows(seq, at, visit_id, step, data, prev_hash, hash) VALUES (?,?,?,?,?,?,?)",
                    (seq, at, visit_id, step, payload, self._head, row_hash),
                )
                if visit_id is not None:
                    self._update_visit(visit_id, at, step, summary)
                self._db.execute("COMMIT")
            except BaseException:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise
            row = Row(seq, at, visit_id, step, data, self._head, row_hash)
            self._head = row_hash
            return row

    def _update_visit(self, visit_id: str, at: str, step: str, summary: dict[str, Any]) -> None:
        self._db.execute(
            "INSERT INTO visits(visit_id, started_at, state, last_step) VALUES (?,?,?,?) "
            "ON CONFLICT(visit_id) DO UPDATE SET last_step = excluded.last_step",
            (visit_id, at, PENDING, step),
        )
        allowed = {"kind", "amount", "currency", "account_id", "transaction_id", "state", "cash_delta", "cashier"}
        unknown = set(summary) - allowed
        if unknown:
            raise JournalError(f"unknown visit fields {sorted(unknown)}")
        if summary:
            columns = ", ".join(f"{name} = ?" for name in summary)
            values = [None if v is None else str(v) for v in summary.values()]
            self._db.execute(f"UPDATE visits SET {columns} WHERE visit_id = ?", (*values, visit_id))

    # --- reading ------------------------------------------------------------------------

    def rows(self, visit_id: str | None = None, *, after: int = 0) -> Iterator[Row]:
        query = "SELECT seq, at, visit_id, step, data, prev_hash, hash FROM rows WHERE seq > ?"
        args: list[Any] = [after]
        if visit_id is not None:
            query += " AND visit_id = ?"
            args.append(visit_id)
        for seq, at, vid, step, data, prev, digest in self._db.execute(query + " ORDER BY seq", args):
            yield Row(seq, at, vid, step, json.loads(data), prev, digest)

    def last_row(self, step: str) -> Row | None:
        found = self._db.execute(
            "SELECT seq, at, visit_id, step, data, prev_hash, hash FROM rows WHERE step = ? ORDER BY seq DESC LIMIT 1",
            (step,),
        ).fetchone()
        if not found:
            return None
        seq, at, vid, step_, data, prev, digest = found
        return Row(seq, at, vid, step_, json.loads(data), prev, digest)

    def visit(self, visit_id: str) -> VisitSummary | None:
        found = self._db.execute(f"SELECT {_VISIT_COLUMNS} FROM visits WHERE visit_id = ?", (visit_id,)).fetchone()
        return VisitSummary(*found) if found else None

    def visits(self, *, state: str | None = None) -> list[VisitSummary]:
        if state is None:
            cursor = self._db.execute(f"SELECT {_VISIT_COLUMNS} FROM visits ORDER BY started_at")
        else:
            cursor = self._db.execute(
                f"SELECT {_VISIT_COLUMNS} FROM visits WHERE state = ? ORDER BY started_at", (state,)
            )
        return [VisitSummary(*row) for row in cursor]

    def cash_moved_since(self, seq: int) -> dict[str, Decimal]:
        """Net cash into (+) or out of (-) the drawer per currency, from visits whose cash
        movement was confirmed after journal row `seq`."""
        totals: dict[str, Decimal] = {}
        cursor = self._db.execute(
            "SELECT v.currency, v.cash_delta FROM visits v WHERE v.cash_delta IS NOT NULL AND EXISTS "
            "(SELECT 1 FROM rows r WHERE r.visit_id = v.visit_id AND r.step = 'CASH_CONFIRMED' AND r.seq > ?)",
            (seq,),
        )
        for currency, delta in cursor:
            totals[currency] = totals.get(currency, Decimal(0)) + Decimal(delta)
        return totals

    def verify(self) -> tuple[bool, str]:
        """Walk the chain; report the first row that was edited, removed or reordered."""
        prev = GENESIS
        expected_seq = 1
        for row in self._db.execute("SELECT seq, at, visit_id, step, data, prev_hash, hash FROM rows ORDER BY seq"):
            seq, at, vid, step, data, prev_hash, digest = row
            if seq != expected_seq:
                return False, f"row {expected_seq} is missing (next row is {seq})"
            if prev_hash != prev:
                return False, f"row {seq} does not follow row {seq - 1} (removed or reordered)"
            if _row_hash(prev_hash, seq, at, vid, step, data) != digest:
                return False, f"row {seq} ({step}) was changed after it was written"
            prev = digest
            expected_seq += 1
        return True, f"{expected_seq - 1} rows, head {prev}"

    def close(self) -> None:
        with self._lock:
            self._db.close()


_VISIT_COLUMNS = (
    "visit_id, started_at, kind, amount, currency, account_id, transaction_id, state, last_step, cash_delta, cashier"
)
