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
import signal
import sqlite3
import time
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator

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
-- The last shift opening or closing is looked up at every start.
CREATE INDEX IF NOT EXISTS rows_by_step ON rows(step, seq);
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
    cashier        TEXT,
    resolution     TEXT,
    first_seq      INTEGER NOT NULL,  -- the visit's first row
    cash_seq       INTEGER,           -- the row that recorded its cash moving
    reversed_seq   INTEGER            -- the row that recorded its reversal
);
CREATE INDEX IF NOT EXISTS visits_by_state ON visits(state);
-- A shift's figures come from these, not from a scan of every row since it opened.
CREATE INDEX IF NOT EXISTS visits_by_first ON visits(first_seq);
CREATE INDEX IF NOT EXISTS visits_by_cash ON visits(cash_seq);
CREATE INDEX IF NOT EXISTS visits_by_reversal ON visits(reversed_seq);
-- Session headers of unfinished visits, sealed (AES-GCM); erased when the visit ends.
CREATE TABLE IF NOT EXISTS vault (
    visit_id TEXT PRIMARY KEY,
    sealed   BLOB NOT NULL
);
-- Compensations (reverse a withdrawal, close a session) to re-send until acknowledged.
CREATE TABLE IF NOT EXISTS outbox (
    id         INTEGER PRIMARY KEY,
    visit_id   TEXT NOT NULL,
    action     TEXT NOT NULL,
    payload    TEXT NOT NULL,
    state      TEXT NOT NULL DEFAULT 'pending',
    attempts   INTEGER NOT NULL DEFAULT 0,
    next_at    REAL NOT NULL,
    last_error TEXT
);
CREATE INDEX IF NOT EXISTS outbox_by_state ON outbox(state, next_at);
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
    resolution: str | None = None

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
            "resolution": self.resolution,
        }


def crash_after(spec: str, crash: Callable[[], None]) -> Callable[[str], None]:
    """A crash hook for fault injection: `spec` is STEP or STEP#N (the Nth row of that step).
    KIOSK_CRASH_AFTER=spec in the environment SIGKILLs the process there: no clean-up, no
    flush beyond what was committed, exactly like a power cut."""
    wanted, _, nth = spec.partition("#")
    seen = 0

    def hook(step: str) -> None:
        nonlocal seen
        if step == wanted:
            seen += 1
            if seen == int(nth or 1):
                crash()

    return hook


def _row_hash(prev_hash: str, seq: int, at: str, visit_id: str | None, step: str, data: str) -> str:
    material = json.dumps([prev_hash, seq, at, visit_id, step, data], separators=(",", ":"))
    return hashlib.sha256(material.encode()).hexdigest()


def _json(data: dict[str, Any]) -> str:
    return json.dumps(data, separators=(",", ":"), sort_keys=True, default=str)


class JournalError(Exception):
    pass


class Journal:
    """Append-only, hash-chained, durable record of every visit step. Thread-safe."""

    def __init__(self, path: Path, *, vault_key: bytes | None = None) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA busy_timeout=5000")
            # Freed pages (an erased vault entry) are zeroed, not left readable in the file.
            self._db.execute("PRAGMA secure_delete=ON")
            self._db.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            raise JournalError(f"cannot open the journal at {self.path}: {exc}") from None
        self._lock = threading.Lock()
        self._key = self._load_key()
        self._vault_key = vault_key
        #: called with each step right after it is durable; fault-injection tests stop the
        #: process there (see crash_after).
        self.crash_hook: Callable[[str], None] | None = None
        if os.environ.get("KIOSK_CRASH_AFTER"):
            self.crash_hook = crash_after(os.environ["KIOSK_CRASH_AFTER"], lambda: os.kill(os.getpid(), signal.SIGKILL))
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
        visits table, not in the row, and `outbox` (a list of (action, payload) compensations)
        queued in the same transaction, so that a step and the work it promises can never be
        separated by a crash; everything else goes into the row as JSON.
        """
        summary: dict[str, Any] = data.pop("summary", None) or {}
        outbox: list[tuple[str, dict[str, Any]]] = data.pop("outbox", None) or []
        # Session details to seal with this step (one commit, one fsync, for both).
        sealed = self._sealed(visit_id, data.pop("seal")) if "seal" in data else None
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
                    self._update_visit(visit_id, seq, at, step, summary)
                if sealed is not None:
                    self._db.execute("INSERT OR REPLACE INTO vault(visit_id, sealed) VALUES (?, ?)", (visit_id, sealed))
                for action, item in outbox:
                    self._db.execute(
                        "INSERT INTO outbox(visit_id, action, payload, next_at) VALUES (?,?,?,?)",
                        (visit_id, action, _json(item), time.time()),
                    )
                self._db.execute("COMMIT")
            except BaseException:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise
            row = Row(seq, at, visit_id, step, data, self._head, row_hash)
            self._head = row_hash
        if self.crash_hook is not None:
            self.crash_hook(step)
        return row

    def _update_visit(self, visit_id: str, seq: int, at: str, step: str, summary: dict[str, Any]) -> None:
        self._db.execute(
            "INSERT INTO visits(visit_id, started_at, state, last_step, first_seq) VALUES (?,?,?,?,?) "
            "ON CONFLICT(visit_id) DO UPDATE SET last_step = excluded.last_step",
            (visit_id, at, PENDING, step, seq),
        )
        if summary.get("cash_delta") is not None:
            summary = {**summary, "cash_seq": seq}
        if summary.get("state") == REVERSED:
            summary = {**summary, "reversed_seq": seq}
        allowed = {
            "kind", "amount", "currency", "account_id", "transaction_id", "state", "cash_delta", "cashier", "resolution",
            "cash_seq", "reversed_seq",
        }
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

    def shift_movements(self, since_seq: int) -> tuple[list[tuple[str, str]], list[tuple[str, str]], dict[str, int]]:
        """Since journal row `since_seq`: each cash movement (currency, signed amount), each
        reversed withdrawal (currency, amount), and how many visits started, by state."""
        cash = self._db.execute(
            "SELECT currency, cash_delta FROM visits WHERE cash_seq > ? ORDER BY cash_seq", (since_seq,)
        ).fetchall()
        reversed_ = self._db.execute(
            "SELECT currency, amount FROM visits WHERE reversed_seq > ? ORDER BY reversed_seq", (since_seq,)
        ).fetchall()
        counts = dict(
            self._db.execute("SELECT state, COUNT(*) FROM visits WHERE first_seq > ? GROUP BY state", (since_seq,)).fetchall()
        )
        return cash, reversed_, counts

    def unresolved_suspects(self) -> list[VisitSummary]:
        """Visits whose cash outcome is unknown and not yet counted by a supervisor."""
        cursor = self._db.execute(
            f"SELECT {_VISIT_COLUMNS} FROM visits WHERE state = ? AND resolution IS NULL ORDER BY started_at", (SUSPECT,)
        )
        return [VisitSummary(*row) for row in cursor]

    # --- the vault: session headers needed to finish or compensate an unfinished visit -----

    def _sealed(self, visit_id: str | None, secrets_: dict[str, str]) -> bytes | None:
        if self._vault_key is None or visit_id is None:
            return None
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        nonce = secrets.token_bytes(12)
        return nonce + AESGCM(self._vault_key).encrypt(nonce, json.dumps(secrets_).encode(), visit_id.encode())

    def seal(self, visit_id: str, secrets_: dict[str, str]) -> None:
        sealed = self._sealed(visit_id, secrets_)
        if sealed is not None:
            with self._lock:
                self._db.execute("INSERT OR REPLACE INTO vault(visit_id, sealed) VALUES (?, ?)", (visit_id, sealed))

    def unseal(self, visit_id: str) -> dict[str, str] | None:
        """The sealed headers, or None when there are none or they cannot be opened (another
        terminal's key, a rotated secret): the caller escalates instead of guessing."""
        if self._vault_key is None:
            return None
        found = self._db.execute("SELECT sealed FROM vault WHERE visit_id = ?", (visit_id,)).fetchone()
        if not found:
            return None
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        sealed = bytes(found[0])
        try:
            return json.loads(AESGCM(self._vault_key).decrypt(sealed[:12], sealed[12:], visit_id.encode()))
        except (InvalidTag, ValueError):
            return None

    def sealed_visits(self) -> list[str]:
        """Visits whose session details are still held (unfinished, or not yet tidied)."""
        return [row[0] for row in self._db.execute("SELECT visit_id FROM vault")]

    def erase(self, visit_id: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM vault WHERE visit_id = ?", (visit_id,))

    # --- the outbox: compensations re-sent until acknowledged ----------------------------------

    def enqueue(self, visit_id: str, action: str, payload: dict[str, Any], *, at: float | None = None) -> int:
        with self._lock:
            cursor = self._db.execute(
                "INSERT INTO outbox(visit_id, action, payload, next_at) VALUES (?,?,?,?)",
                (visit_id, action, _json(payload), time.time() if at is None else at),
            )
            return int(cursor.lastrowid)

    def compensations(self, *, due_by: float | None = None, states: tuple[str, ...] = ("pending",)) -> list[Compensation]:
        marks = ",".join("?" * len(states))
        query = f"SELECT id, visit_id, action, payload, state, attempts, next_at, last_error FROM outbox WHERE state IN ({marks})"
        args: list[Any] = list(states)
        if due_by is not None:
            query += " AND next_at <= ?"
            args.append(due_by)
        rows = self._db.execute(query + " ORDER BY id", args).fetchall()
        return [Compensation(i, v, a, json.loads(p), st, n, at, e) for i, v, a, p, st, n, at, e in rows]

    def update_compensation(self, item_id: int, *, state: str, attempts: int, next_at: float, error: str = "") -> None:
        with self._lock:
            self._db.execute(
                "UPDATE outbox SET state = ?, attempts = ?, next_at = ?, last_error = ? WHERE id = ?",
                (state, attempts, next_at, error or None, item_id),
            )

    def close(self) -> None:
        with self._lock:
            self._db.close()


@dataclass(frozen=True)
class Compensation:
    id: int
    visit_id: str
    action: str  # "reverse" | "close_session"
    payload: dict[str, Any]
    state: str  # pending | done | escalated
    attempts: int
    next_at: float
    last_error: str | None


_VISIT_COLUMNS = (
    "visit_id, started_at, kind, amount, currency, account_id, transaction_id, state, last_step, cash_delta, cashier,"
    " resolution"
)
