"""The durable journal: one SQLite row per step of every visit, committed before the next
side effect, each row chained to the one before it by a keyed MAC.

Durability: WAL mode with synchronous=FULL, so a row that `record()` returned is on disk
even after a power cut; every write is its own `BEGIN IMMEDIATE ... COMMIT`, and the chain's
head is read inside that transaction. Rows with nothing done between them (the intent and
"sent" before one host call; the session closed, the visit completed and its sealed details
erased after it) may share one commit: `with journal.one_commit():` (one fsync, one anchor).

An outcome row after which nothing happens outside the journal until the next durable commit
(the session opened, then the accounts screen; the drawer's outcome, then the cashier) may be
recorded with `durable=False`: its commit does not wait for the disk (synchronous=NORMAL for
that one commit). A killed process keeps it (the kernel holds the WAL's write); a power cut
may lose it, and every such row after the last durable commit, never a part of one (the WAL's
frames are checksummed in a chain): the journal then says what the last durable row said,
a state recovery already handles because the power cut could have come just before the
outcome. The next durable commit's fsync of the WAL makes it durable with it. The anchor is
written for durable commits only: an anchor ahead of the durable database would make a power
cut look like rows cut off. `durable_seq` is the last row known to be on the disk.

Proof: each row's MAC is HMAC-SHA256 under the journal key (a credential kept out of the data
dir) over the previous MAC and the row, so an edit cannot be hidden by recomputing hashes. The
head is anchored outside the database after every commit (kiosk.journal.anchor), so a lost
tail, an emptied file or a lost WAL is caught too. `visits`, one summary line per visit that
start-up and shifts read instead of replaying history, is a fold of the rows' `summary`
column (which the MAC covers): verification rebuilds it and compares.

On open the writer checks itself: quickly when the files are as it left them, fully
otherwise. A journal that fails is `broken`: the teller moves no cash until a supervisor
reseals it (`reseal`), which records what was found in the chain itself.

Privacy: rows never hold an OTP, a secret or a full phone number; callers pass a keyed hash
(`Journal.phone_ref`) and the last four digits at most.
"""

from __future__ import annotations

import errno
import hashlib
import hmac
import json
import logging
import os
import secrets
import signal
import sqlite3
import time
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator

from kiosk.datadir import give_to_data_dir_owner
from kiosk.journal.anchor import AnchorFile, file_signature, without_ctime

if TYPE_CHECKING:
    from kiosk.money import Money

log = logging.getLogger("kiosk.journal")

GENESIS = "0" * 64
FORMAT = "2"  # keyed MACs, summaries in rows, anchor

# Visit states as seen from outside (kiosk journal export): the contract's vocabulary.
PENDING = "pending"
COMPLETED = "completed"
DECLINED = "declined"
ABANDONED = "abandoned"
REVERSED = "reversed"
SUSPECT = "suspect"
FINAL_STATES = {COMPLETED, DECLINED, ABANDONED, REVERSED, SUSPECT}

RESEALED = "JOURNAL_RESEALED"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS rows (
    seq       INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    visit_id  TEXT,
    step      TEXT NOT NULL,
    data      TEXT NOT NULL,
    summary   TEXT NOT NULL DEFAULT '',  -- the visits columns this step sets (JSON), MAC-covered
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

_VISIT_FIELDS = (
    "visit_id", "started_at", "kind", "amount", "currency", "account_id", "transaction_id", "state", "last_step",
    "cash_delta", "cashier", "resolution", "first_seq", "cash_seq", "reversed_seq",
)
# What a step's `summary` may set.
_SUMMARY_FIELDS = {"kind", "amount", "currency", "account_id", "transaction_id", "state", "cash_delta", "cashier", "resolution"}
_ROW_COLUMNS = "seq, at, visit_id, step, data, summary, prev_hash, hash"
_PUT_VISIT = f"INSERT OR REPLACE INTO visits({', '.join(_VISIT_FIELDS)}) VALUES ({', '.join('?' * len(_VISIT_FIELDS))})"


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

    def money(self, amount: str | None = None, *, allow_zero: bool = False) -> Money:
        """The visit's amount in its currency, or `amount`, a figure one of its rows carries."""
        from kiosk.money import parse_amount  # only recovery needs it: not at every start

        text = self.amount if amount is None else amount
        if text is None or not self.currency:
            raise JournalError(f"visit {self.visit_id[:8]} has no amount recorded")
        return parse_amount(text, self.currency, allow_zero=allow_zero)

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


@dataclass
class Verification:
    """What a walk of the whole journal found. `breaks` are every place the chain, the anchor
    or the visits summary disagree; those a supervisor already resealed are `acknowledged`."""

    rows: int = 0
    head: str = GENESIS
    breaks: list[str] = field(default_factory=list)
    acknowledged: set[str] = field(default_factory=set)
    #: the visits summary as the rows say it should be (what a reseal writes back)
    visits: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False)

    @property
    def intact(self) -> bool:
        return not self.breaks

    @property
    def open_breaks(self) -> list[str]:
        return [b for b in self.breaks if b not in self.acknowledged]

    def describe(self) -> str:
        if self.intact:
            return f"{self.rows} rows, head {self.head}"
        noted = [f"{b} (resealed by a supervisor)" if b in self.acknowledged else b for b in self.breaks]
        return "; ".join(noted)


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


class RowMac:
    """HMAC-SHA256 of a row under the journal key, with the key's pads hashed once (a full
    check walks millions of rows). The material is unambiguous: fixed-form fields first,
    then the JSON data behind its length, then the summary."""

    def __init__(self, key: bytes) -> None:
        padded = key if len(key) <= 64 else hashlib.sha256(key).digest()
        padded = padded.ljust(64, b"\0")
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in padded))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in padded))

    def __call__(self, prev: str, seq: int, at: str, visit_id: str | None, step: str, data: str, summary: str) -> str:
        inner = self._inner.copy()
        inner.update(f"{prev}|{seq}|{at}|{visit_id or ''}|{step}|{len(data)}:{data}|{summary}".encode())
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.hexdigest()


def row_mac(key: bytes, prev: str, seq: int, at: str, visit_id: str | None, step: str, data: str, summary: str) -> str:
    return RowMac(key)(prev, seq, at, visit_id, step, data, summary)


def _json(data: dict[str, Any]) -> str:
    return json.dumps(data, separators=(",", ":"), sort_keys=True, default=str)


def visit_changes(seq: int, step: str, summary: dict[str, Any]) -> dict[str, Any]:
    """The columns of a visit's summary line that one more of its rows sets (fold_visit)."""
    out: dict[str, Any] = {"last_step": step}
    for name, value in summary.items():
        out[name] = None if value is None else str(value)
    if summary.get("cash_delta") is not None:
        out["cash_seq"] = seq
    if summary.get("state") == REVERSED:
        out["reversed_seq"] = seq
    return out


def fold_visit(
    visit: dict[str, Any] | None, seq: int, at: str, visit_id: str, step: str, summary: dict[str, Any], *, in_place: bool = False
) -> dict[str, Any]:
    """The visit's summary line after one more of its rows: the one rule both writing and
    verification use, so the table can always be rebuilt from the rows."""
    if visit is None:
        out = {name: None for name in _VISIT_FIELDS} | {"visit_id": visit_id, "started_at": at, "state": PENDING, "first_seq": seq}
    else:
        out = visit if in_place else dict(visit)
    out.update(visit_changes(seq, step, summary))
    return out


class JournalError(Exception):
    pass


class JournalFull(JournalError):
    """The disk (or the journal's quota) is full: nothing more can be recorded, so nothing
    more may happen."""


class JournalBroken(JournalError):
    """The journal failed its check: it moves no money until a supervisor reseals it."""


def _write_error(exc: BaseException, path: Path) -> JournalError:
    full = isinstance(exc, sqlite3.OperationalError) and "full" in str(exc) or (
        isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)
    )
    if full:
        return JournalFull(
            f"The disk holding the journal ({path.parent}) is full: the step was not recorded, so it "
            "was not done. Free space on that disk (or ask IT), then restart the kiosk: unfinished "
            "visits are recovered at start."
        )
    return JournalError(f"The journal at {path} could not be written ({exc}). The step was not recorded, so it was not done.")


def load_phone_key(path: Path, *, create: bool) -> bytes:
    """The key for keyed hashes of phone numbers: random, per terminal, owner-only."""
    try:
        text = path.read_text(encoding="ascii").strip()
        key = bytes.fromhex(text)
        if len(key) != 32:
            raise ValueError
        return key
    except FileNotFoundError:
        if not create:
            return b""
        key = secrets.token_bytes(32)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(key.hex())
            handle.flush()
            os.fsync(handle.fileno())
        give_to_data_dir_owner(path)
        return key
    except (ValueError, UnicodeDecodeError):
        raise JournalError(
            f"The journal's phone key {path} is damaged (it must hold 64 hex digits). Restore it from "
            "the till's backup; do not delete it: visits of one customer could no longer be matched."
        ) from None


class Journal:
    """Append-only, MAC-chained, anchored, durable record of every visit step. Thread-safe.

    `Journal(path, mac_key=...)` is the till's writer (the caller holds kiosk.datadir's lock);
    `Journal.reader(path, mac_key=...)` opens a read-only snapshot for audits."""

    def __init__(self, path: Path, *, mac_key: bytes, vault_key: bytes | None = None, _readonly: bool = False) -> None:
        self.path = Path(path)
        self._mac_key = mac_key
        self._row_mac = RowMac(mac_key)
        self._vault_key = vault_key
        self._readonly = _readonly
        # Re-entrant: inside `one_commit` the owner records, erases and queues under it.
        self._lock = threading.RLock()
        #: the steps recorded inside an open `one_commit` block (None outside one)
        self._group: list[str] | None = None
        self._group_wrote = False
        self._group_head = (0, GENESIS)  # the last row appended inside the open block
        #: commits this writer made since it opened, and those of them that waited for the disk
        #: (bench/bench_journey.py prints them per visit)
        self.commits = 0
        self.durable_commits = 0
        #: the last row a durable commit (an fsync) covered, and its MAC; rows after it survive
        #: a killed process but not a power cut (record(..., durable=False))
        self.durable_seq, self.durable_head = 0, GENESIS
        self._anchor_current = False  # set on open when the anchor already matches the files
        self._data_version: int | None = None  # SQLite's count of other connections' commits, at open
        self.anchor = AnchorFile(self.path.with_name(self.path.name + ".anchor"), mac_key)
        #: why this journal cannot be trusted (None when it verified); set on open and when
        #: the files change behind the writer's back.
        self.broken: str | None = None
        #: called with each step right after its commit (durable, or for a `durable=False` row
        #: held by the kernel: what a killed process keeps); fault-injection tests stop the
        #: process there (see crash_after).
        self.crash_hook: Callable[[str], None] | None = None
        # A reader's view of the anchor and of an emptied file, taken when its snapshot starts.
        self._anchored: Any = None
        self._anchor_problem = ""
        self._empty = False
        existed = self.path.exists()
        phone_key_existed = self.path.with_suffix(".key").exists()
        try:
            if _readonly:
                self._db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, isolation_level=None, check_same_thread=False)
                self._db.execute("PRAGMA busy_timeout=5000")
                self._key = load_phone_key(self.path.with_suffix(".key"), create=False)
                return
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._key = load_phone_key(self.path.with_suffix(".key"), create=True)
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            if not existed:
                give_to_data_dir_owner(self.path)  # SQLite gives the WAL and its index the file's owner
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA busy_timeout=5000")
            # Freed pages (an erased vault entry) are zeroed, not left readable in the file.
            self._db.execute("PRAGMA secure_delete=ON")
            legacy = existed and self._has_rows_without_format()
            self._db.executescript(_SCHEMA)
            self._db.execute("INSERT OR IGNORE INTO meta(key, value) VALUES ('format', ?)", (FORMAT,))
        except sqlite3.Error as exc:
            raise _open_error(self.path, exc) from None
        except OSError as exc:
            raise _write_error(exc, self.path) from None
        if os.environ.get("KIOSK_CRASH_AFTER"):
            self.crash_hook = crash_after(os.environ["KIOSK_CRASH_AFTER"], lambda: os.kill(os.getpid(), signal.SIGKILL))
        self._head_seq, self._head = self._read_head()
        self.durable_seq, self.durable_head = self._head_seq, self._head
        if legacy:
            self.broken = "it was written by an older kiosk version (unkeyed chain)"
        elif not existed and phone_key_existed and not self.anchor.exists():
            self.broken = "the journal and its anchor were removed (this till's phone key remains)"
        else:
            self.broken = self._check_on_open()
        if self.broken:
            log.error("journal check failed: %s", self.broken)
        elif self._anchor_current:
            self._own_write()  # the anchor already says exactly this: rewriting it costs an fsync
        else:
            self._anchor()

    @classmethod
    def reader(cls, path: Path, *, mac_key: bytes) -> "Journal":
        """A read-only snapshot: writes nothing, takes no lock, sees one consistent state
        (one read transaction for its life) even while the till's writer works."""
        journal = cls(path, mac_key=mac_key, _readonly=True)
        try:
            journal._anchored = journal.anchor.read()
        except ValueError:
            journal._anchor_problem = f"its anchor file {journal.anchor.path.name} is damaged or was written with another key"
        try:
            journal._db.execute("BEGIN")
            tables = {r[0] for r in journal._db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if "rows" in tables and "meta" not in tables:
                raise JournalError(f"the journal at {journal.path} was written by an older kiosk version (unkeyed chain)")
            # An emptied file reads as a journal with no rows: verify then compares it with the anchor.
            journal._empty = "rows" not in tables
            journal._head_seq, journal._head = (0, GENESIS) if journal._empty else journal._read_head()
            if journal._anchored is None and not journal._anchor_problem and journal._head_seq:
                journal._anchor_problem = f"its anchor file {journal.anchor.path.name} is missing"
        except sqlite3.Error as exc:
            raise _open_error(journal.path, exc) from None
        return journal

    def _has_rows_without_format(self) -> bool:
        tables = {r[0] for r in self._db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "rows" not in tables:
            return False
        return "meta" not in tables and self._db.execute("SELECT 1 FROM rows LIMIT 1").fetchone() is not None

    def _read_head(self) -> tuple[int, str]:
        found = self._db.execute("SELECT seq, hash FROM rows ORDER BY seq DESC LIMIT 1").fetchone()
        return (found[0], found[1]) if found else (0, GENESIS)

    # --- proving itself -------------------------------------------------------------------

    def _check_on_open(self) -> str | None:
        """Quick when the files are exactly as this writer left them; otherwise a full walk."""
        try:
            anchored = self.anchor.read()
        except ValueError:
            return f"its anchor file {self.anchor.path.name} is damaged or was written with another key"
        if anchored is None:
            if self._head_seq == 0:
                return None  # a new till
            return f"its anchor file {self.anchor.path.name} is missing (rows 1-{self._head_seq} cannot be proved complete)"
        if anchored.files == file_signature(self.path) and anchored.seq == self._head_seq and anchored.mac == self._head:
            self._anchor_current = True
            return None
        found = self.verify_report(anchored=anchored)
        return "; ".join(found.open_breaks) or None

    def _anchor(self, *, closing: bool = False) -> None:
        signature = file_signature(self.path)
        try:
            self.anchor.write(self._head_seq, self._head, signature)
        except OSError as exc:
            # The row is durable; only the tail proof lags. The next start walks the chain.
            log.error("could not write the journal's anchor: %s", exc)
        if not closing:
            self._own_write(signature)

    def _own_write(self, signature: list[Any] | None = None) -> None:
        """A write of ours (a row, the vault, the outbox): remember how the files look after it.
        Outside a row the anchor catches up at the next row or at close; a crash before that
        costs one full check at start. SQLite's count of other connections' commits is read
        once, at open: our own commits never move it, and reading it again after each would
        also absorb a commit another program made in between."""
        self._signature = without_ctime(signature or file_signature(self.path))
        if self._data_version is None:
            self._data_version = self._db.execute("PRAGMA data_version").fetchone()[0]

    def changed_behind_our_back(self) -> bool:
        """True (and the journal marked broken) when the database files changed since this
        writer's last commit: another program wrote to them."""
        if self._readonly or self.broken:
            return bool(self.broken)
        with self._lock:  # not in the middle of a commit of ours, whose files are changing
            committed_elsewhere = self._db.execute("PRAGMA data_version").fetchone()[0] != self._data_version
            if committed_elsewhere or without_ctime(file_signature(self.path)) != self._signature:
                self.broken = "the journal's files were changed by another program while the kiosk ran"
                log.error("journal check failed: %s", self.broken)
        return bool(self.broken)

    def verify_report(self, *, anchored: Any = None) -> Verification:
        """Walk the whole chain: every MAC, every link, the anchor, and the visits summary
        rebuilt from the rows."""
        if anchored is None:
            anchored = self._anchored if self._readonly else self._safe_anchor()
        found = Verification()
        prev, expected_seq = GENESIS, 1
        folded: dict[str, dict[str, Any]] = {}
        anchor_row: tuple[int, str] | None = None
        mac = RowMac(self._mac_key)
        empty = self._empty
        for seq, at, vid, step, data, summary, prev_hash, digest in [] if empty else self._db.execute(
            f"SELECT {_ROW_COLUMNS} FROM rows ORDER BY seq"
        ):
            if seq != expected_seq:
                gone = f"row {expected_seq} is" if seq - 1 == expected_seq else f"rows {expected_seq}-{seq - 1} are"
                found.breaks.append(f"{gone} missing")
            elif prev_hash != prev:
                found.breaks.append(f"row {seq} does not follow row {seq - 1} (removed or reordered)")
            if mac(prev_hash, seq, at, vid, step, data, summary) != digest:
                found.breaks.append(f"row {seq} ({step}) was changed after it was written")
            if step == RESEALED:
                try:
                    found.acknowledged.update(json.loads(data).get("breaks", []))
                except ValueError:
                    pass
            if vid is not None:
                changes: dict[str, Any] = {}
                if summary:
                    try:
                        changes = json.loads(summary)
                    except ValueError:
                        pass
                folded[vid] = fold_visit(folded.get(vid), seq, at, vid, step, changes, in_place=True)
            if anchored is not None and seq == anchored.seq:
                anchor_row = (seq, digest)
            prev, expected_seq = digest, seq + 1
            found.rows += 1
        found.head = prev
        if self._anchor_problem:
            found.breaks.append(self._anchor_problem)
        if anchored is not None and anchored.seq > 0 and anchor_row != (anchored.seq, anchored.mac):
            last = expected_seq - 1
            found.breaks.append(
                f"the journal ends at row {last} but its anchor says row {anchored.seq} was written"
                if last < anchored.seq else f"row {anchored.seq} is not the row the anchor recorded"
            )
        stored = {} if empty else {
            r[0]: dict(zip(_VISIT_FIELDS, r)) for r in self._db.execute(f"SELECT {', '.join(_VISIT_FIELDS)} FROM visits")
        }
        for vid in sorted(set(stored) | set(folded)):
            if _comparable(stored.get(vid)) != _comparable(folded.get(vid)):
                found.breaks.append(f"visit {vid[:8]}'s summary does not match its rows")
        found.visits = folded
        return found

    def _safe_anchor(self) -> Any:
        try:
            return self.anchor.read()
        except ValueError:
            return None

    def verify(self) -> tuple[bool, str]:
        """(intact, what was found): the audit's answer, strict: a resealed break still counts."""
        found = self.verify_report()
        return found.intact, found.describe()

    def reseal(self, supervisor: str, reason: str = "") -> Row:
        """A supervisor takes responsibility for a broken journal: the visits summary is
        rebuilt from the rows, what was found is recorded in the chain (so every later audit
        still shows it), and the head is anchored again. Cash can move afterwards."""
        found = self.verify_report()
        breaks = found.open_breaks or ([self.broken] if self.broken else [])
        with self._lock:
            with self._transaction():  # this process is the only writer: the walk above still holds
                self._db.execute("DELETE FROM visits")
                self._db.executemany(
                    _PUT_VISIT,
                    [tuple(v[name] for name in _VISIT_FIELDS) for v in found.visits.values()],
                )
        self.broken = None
        return self.record(None, RESEALED, breaks=breaks, supervisor=supervisor, reason=reason)

    # --- privacy ------------------------------------------------------------------------

    def phone_ref(self, phone: str) -> str:
        """A keyed hash of a phone number: lets visits of one customer be matched in an
        audit without the journal ever holding the number."""
        return hmac.new(self._key, phone.encode(), hashlib.sha256).hexdigest()[:32]

    # --- writing ------------------------------------------------------------------------

    @property
    def head(self) -> str:
        return self._head

    @property
    def empty(self) -> bool:
        """A reader opened a file with no journal tables in it (emptied, or never written)."""
        return self._empty

    @property
    def head_seq(self) -> int:
        return self._head_seq

    def record(self, visit_id: str | None, step: str, **data: Any) -> Row:
        """Append one step and make it durable before returning.

        `data` may carry `summary` (a dict of visits columns to set: stored in the row, where
        the MAC covers it, and folded into the visits table), `outbox` (a list of (action,
        payload) compensations) queued in the same transaction, so that a step and the work
        it promises can never be separated by a crash, `seal` (session details to seal with
        this step) and `guard`, called inside the transaction before anything is written (it
        raises to refuse: the cash check of a withdrawal sees exactly the committed journal).
        `durable=False`: an outcome row after which nothing happens outside the journal until
        the next durable commit: committed without waiting for the disk (module docstring);
        inside a `one_commit` block the block decides. Everything else goes into the row as JSON.
        """
        if self._readonly:
            raise JournalError("this journal was opened read-only")
        summary: dict[str, Any] = data.pop("summary", None) or {}
        outbox: list[tuple[str, dict[str, Any]]] = data.pop("outbox", None) or []
        guard: Callable[[], None] | None = data.pop("guard", None)
        durable: bool = data.pop("durable", True)
        unknown = set(summary) - _SUMMARY_FIELDS
        if unknown:
            raise JournalError(f"unknown visit fields {sorted(unknown)}")
        # Session details to seal with this step (one commit, one fsync, for both).
        sealed = self._sealed(visit_id, data.pop("seal")) if "seal" in data else None
        payload = _json(data)
        summary_text = _json(summary) if summary else ""
        at = datetime.now(timezone.utc).isoformat(timespec="milliseconds")
        with self._lock:
            if self.broken and visit_id is not None:
                # Sign-ins, approvals and the reseal itself may still be recorded; nothing
                # of a visit is, so nothing can move money.
                raise JournalBroken(f"The journal failed its check ({self.broken}); no visit is served until a supervisor reseals it.")
            if self._group is not None:  # part of the open one_commit block: committed at its end
                row = self._append(visit_id, step, at, data, payload, summary, summary_text, guard, sealed, outbox)
                self._group.append(step)
                self._group_wrote = True
                return row
            with self._transaction(durable=durable):
                row = self._append(visit_id, step, at, data, payload, summary, summary_text, guard, sealed, outbox)
            self._head_seq, self._head = row.seq, row.hash
            self._committed(rows=True, durable=durable)
        self._crashed_after([step])
        return row

    @contextmanager
    def one_commit(self) -> Iterator[None]:
        """Everything the block records, erases or queues is one transaction: one commit, one
        fsync, one anchor; all of it or (on an exception) none of it.

        Only for rows with nothing done between them: the block must not call a host, a
        device or anything else outside this journal, since none of its rows is durable
        until the block ends. A row that says "about to send X" must be in a block that ends
        before X is sent; rows recorded after an outcome, with no side effect between them,
        may share it. A block inside another is part of the outer one."""
        if self._readonly:
            raise JournalError("this journal was opened read-only")
        with self._lock:
            if self._group is not None:
                yield
                return
            self._group, self._group_wrote = [], False
            try:
                with self._transaction():
                    yield
                steps, wrote = self._group, self._group_wrote
            finally:
                self._group = None
            if steps:
                self._head_seq, self._head = self._group_head  # the block's last row
            if wrote:
                self._committed(rows=bool(steps))
        self._crashed_after(steps)

    def _append(
        self, visit_id: str | None, step: str, at: str, data: dict[str, Any], payload: str, summary: dict[str, Any],
        summary_text: str, guard: Callable[[], None] | None, sealed: bytes | None, outbox: list[tuple[str, dict[str, Any]]],
    ) -> Row:
        """One row (its visit's summary, sealed details and promised compensations) inside the
        open transaction."""
        if guard is not None:
            guard()
        prev_seq, prev = self._read_head()
        seq = prev_seq + 1
        row_hash = self._row_mac(prev, seq, at, visit_id, step, payload, summary_text)
        self._db.execute(
            f"INSERT INTO rows({_ROW_COLUMNS}) VALUES (?,?,?,?,?,?,?,?)",
            (seq, at, visit_id, step, payload, summary_text, prev, row_hash),
        )
        self._group_head = (seq, row_hash)
        if visit_id is not None:
            self._update_visit(visit_id, seq, at, step, summary)
        if sealed is not None:
            self._db.execute("INSERT OR REPLACE INTO vault(visit_id, sealed) VALUES (?, ?)", (visit_id, sealed))
        for action, item in outbox:
            self._db.execute(
                "INSERT INTO outbox(visit_id, action, payload, next_at) VALUES (?,?,?,?)",
                (visit_id, action, _json(item), time.time()),
            )
        return Row(seq, at, visit_id, step, data, prev, row_hash)

    def _committed(self, *, rows: bool, durable: bool = True) -> None:
        """After a commit of ours: durable rows move the anchor (a broken journal keeps its old
        one: it is the evidence of the break); other writes, and rows not yet on the disk, are
        only remembered as our own."""
        self.commits += 1
        if durable:
            self.durable_commits += 1
            self.durable_seq, self.durable_head = self._head_seq, self._head
        if rows and durable and not self.broken:
            self._anchor()
        else:
            self._own_write()

    def _wrote(self) -> None:
        """A write outside `record` (the vault, the outbox): committed now (durably: its fsync
        covers the rows before it), or with the block."""
        if self._group is None:
            self.commits += 1
            self.durable_commits += 1
            self.durable_seq, self.durable_head = self._head_seq, self._head
            self._own_write()
        else:
            self._group_wrote = True

    def _crashed_after(self, steps: list[str]) -> None:
        if self.crash_hook is not None:
            for step in steps:
                self.crash_hook(step)

    @contextmanager
    def _transaction(self, *, durable: bool = True) -> Iterator[None]:
        """BEGIN IMMEDIATE ... COMMIT; a failed write is rolled back whole and said plainly
        (a full disk by name): what was not committed was not done. Not `durable`: this one
        commit does not fsync the WAL (synchronous=NORMAL, set back to FULL right after)."""
        try:
            if not durable:
                self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("BEGIN IMMEDIATE")
            yield
            self._db.execute("COMMIT")
        except BaseException as exc:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            if isinstance(exc, (sqlite3.Error, OSError)):
                raise _write_error(exc, self.path) from None
            raise
        finally:
            if not durable:
                self._db.execute("PRAGMA synchronous=FULL")

    def _update_visit(self, visit_id: str, seq: int, at: str, step: str, summary: dict[str, Any]) -> None:
        """fold_visit applied in place: an UPDATE of the columns the row sets rewrites only
        the indexes of those columns (a whole-line REPLACE rewrote all five: twice the pages
        in the WAL, and so in each commit's fsync); a visit's first row inserts its line."""
        changes = visit_changes(seq, step, summary)
        assignments = ", ".join(f"{name} = ?" for name in changes)
        updated = self._db.execute(f"UPDATE visits SET {assignments} WHERE visit_id = ?", (*changes.values(), visit_id))
        if updated.rowcount == 0:
            visit = fold_visit(None, seq, at, visit_id, step, summary)
            self._db.execute(_PUT_VISIT, tuple(visit[name] for name in _VISIT_FIELDS))

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

    def cash_deltas(self, since_seq: int, currency: str) -> list[str]:
        """Since journal row `since_seq`: each signed cash movement in `currency` (the cash-out
        guard's sum, without the rest of shift_movements)."""
        cursor = self._db.execute(
            "SELECT cash_delta FROM visits WHERE cash_seq > ? AND currency = ? ORDER BY cash_seq", (since_seq, currency)
        )
        return [row[0] for row in cursor]

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
                self._wrote()

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
            self._wrote()

    # --- the outbox: compensations re-sent until acknowledged ----------------------------------

    def enqueue(self, visit_id: str, action: str, payload: dict[str, Any], *, at: float | None = None) -> int:
        with self._lock:
            cursor = self._db.execute(
                "INSERT INTO outbox(visit_id, action, payload, next_at) VALUES (?,?,?,?)",
                (visit_id, action, _json(payload), time.time() if at is None else at),
            )
            self._wrote()
            assert cursor.lastrowid is not None  # an INSERT into a rowid table always sets it
            return cursor.lastrowid

    def compensations(self, *, due_by: float | None = None, states: tuple[str, ...] = ("pending",)) -> list[Compensation]:
        marks = ",".join("?" * len(states))
        query = f"SELECT id, visit_id, action, payload, state, attempts, next_at, last_error FROM outbox WHERE state IN ({marks})"
        args: list[Any] = list(states)
        if due_by is not None:
            query += " AND next_at <= ?"
            args.append(due_by)
        rows = self._db.execute(query + " ORDER BY id", args).fetchall()
        return [Compensation(i, v, a, json.loads(p), st, n, at, e) for i, v, a, p, st, n, at, e in rows]

    def owes(self, visit_id: str, action: str | None = None) -> bool:
        """Whether a compensation of this visit (`action`, or any) is still pending: one indexed
        look-up, not a read of the whole outbox."""
        query = "SELECT 1 FROM outbox WHERE state = 'pending' AND visit_id = ?"
        args: list[Any] = [visit_id]
        if action is not None:
            query += " AND action = ?"
            args.append(action)
        return self._db.execute(query + " LIMIT 1", args).fetchone() is not None

    def update_compensation(self, item_id: int, *, state: str, attempts: int, next_at: float, error: str = "") -> None:
        with self._lock:
            self._db.execute(
                "UPDATE outbox SET state = ?, attempts = ?, next_at = ?, last_error = ? WHERE id = ?",
                (state, attempts, next_at, error or None, item_id),
            )
            self._wrote()

    def close(self) -> None:
        with self._lock:
            if self._readonly:
                self._db.close()
                return
            self._db.close()  # SQLite checkpoints the WAL into the file here
            if not self.broken:
                self._anchor(closing=True)  # ... so the anchor records the files as they are now
            self.anchor.close()


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


def _comparable(visit: dict[str, Any] | None) -> tuple[Any, ...] | None:
    if visit is None:
        return None
    return tuple(None if visit[name] is None else str(visit[name]) for name in _VISIT_FIELDS)


def _open_error(path: Path, exc: sqlite3.Error) -> JournalError:
    if "full" in str(exc):
        return _write_error(exc, path)
    return JournalError(f"cannot open the journal at {path}: {exc}")
