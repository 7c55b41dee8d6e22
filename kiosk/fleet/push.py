"""One push: what the server acknowledged, then every later row, in batches.

The server is the truth for the cursor: each push starts by asking it (fleet.cursor) for the
till's chain, last sequence and head. When the till's row at that sequence has the same hash,
shipping resumes just after it. When it does not (the journal was replaced, or rows the server
already holds were rewritten), the whole journal is sent once so that the server finds and
records every difference; the local cache remembers that divergence so the next push does not
send everything again. The cache (fleet-cursor.json in the data dir, written atomically) is
only that memory and what `kiosk fleet push` prints offline; it is never trusted over the server.

Each batch is one fleet.ship call in its own transaction: a push killed half-way leaves whole
batches acknowledged and the rest to the next push; a batch sent twice is recognised row by row.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiosk.datadir import give_to_data_dir_owner
from kiosk.fleet.tilljournal import TillJournal, TillJournalError

CURSOR_FILE = "fleet-cursor.json"


class FleetError(Exception):
    """Shipping or reading the fleet database failed; the message is safe to show (no DSN)."""

    def __init__(self, message: str, *, usage: bool = False) -> None:
        super().__init__(message)
        self.usage = usage  # a setting is wrong (exit 2), not the server or the network


@dataclass
class PushResult:
    till_id: str
    shipped: int = 0
    duplicates: int = 0
    breaks: int = 0
    batches: int = 0
    last_seq: int = 0
    chain: int = 1
    complete: bool = True  # False: stopped by the deadline, the rest goes next time
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)


def till_identity(settings: Any) -> tuple[str, str]:
    fleet = settings.fleet
    return fleet.till_id or settings.store.terminal_id, fleet.store_id


def connect(settings: Any, *, application: str = "kiosk-fleet") -> Any:
    """A psycopg connection (autocommit) with bounded waits; FleetError, never the DSN."""
    fleet = settings.fleet
    if fleet.dsn is None or not fleet.dsn.get_secret_value().strip():
        raise FleetError(
            "Missing setting:\n  fleet.dsn (KIOSK_FLEET__DSN) is not set\nGive head office's PostgreSQL connection "
            "string as a credential or in the environment.",
            usage=True,
        )
    import psycopg

    try:
        conninfo = psycopg.conninfo.make_conninfo(
            fleet.dsn.get_secret_value(),
            connect_timeout=max(1, int(round(fleet.connect_timeout))),
            application_name=application,
            options=f"-c statement_timeout={int(fleet.statement_timeout * 1000)} -c lock_timeout={int(fleet.statement_timeout * 1000)}",
        )
    except psycopg.ProgrammingError:
        raise FleetError(
            "fleet.dsn (KIOSK_FLEET__DSN) is not a valid PostgreSQL connection string "
            "(e.g. \"host=ho.example dbname=fleet user=till_t01\" or postgresql://...).",
            usage=True,
        ) from None
    try:
        return psycopg.connect(conninfo, autocommit=True)
    except psycopg.Error as exc:
        raise FleetError(f"Cannot reach head office's database: {_first_line(exc)}. The till keeps its journal; "
                         "it is shipped when the server is back.") from None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0].rstrip(".") if text else type(exc).__name__


def database_error(exc: BaseException) -> FleetError:
    import psycopg

    if isinstance(exc, psycopg.errors.UndefinedFunction) or isinstance(exc, psycopg.errors.InvalidSchemaName):
        return FleetError("Head office's database has no fleet schema yet: run `kiosk fleet init` there first.")
    if isinstance(exc, psycopg.errors.UndefinedTable):
        return FleetError("Head office's database has no fleet schema yet: run `kiosk fleet init` there first.")
    if isinstance(exc, psycopg.errors.InsufficientPrivilege):
        return FleetError(f"Head office's database refused: {_first_line(exc)}.")
    return FleetError(f"Head office's database failed: {_first_line(exc)}.")


# --- the local cache ---------------------------------------------------------------------------


def read_cache(data_dir: Path) -> dict[str, Any]:
    try:
        found = json.loads((Path(data_dir) / CURSOR_FILE).read_text())
        return found if isinstance(found, dict) else {}
    except (OSError, ValueError):
        return {}


def write_cache(data_dir: Path, state: dict[str, Any]) -> None:
    """Atomically (temp file, fsync, rename): a kill never leaves half a file."""
    data_dir = Path(data_dir)
    fd, tmp = tempfile.mkstemp(prefix=".fleet-cursor.", dir=data_dir)
    try:
        with os.fdopen(fd, "w") as handle:
            json.dump(state, handle, sort_keys=True)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, data_dir / CURSOR_FILE)
        give_to_data_dir_owner(data_dir / CURSOR_FILE)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


# --- pushing -----------------------------------------------------------------------------------


def push(
    settings: Any,
    *,
    deadline: float | None = None,
    stop: threading.Event | None = None,
) -> PushResult:
    """Ship every row the server has not acknowledged. `deadline` (time.monotonic()) or `stop`
    end it between batches (complete=False); the rest goes with the next push."""
    till, store = till_identity(settings)
    started = time.monotonic()
    result = PushResult(till)
    data_dir = Path(settings.data_dir)
    # First: a wrong fleet.dsn is reported even before the first visit.
    conn = connect(settings, application=f"kiosk-fleet {till}")
    try:
        try:
            journal = TillJournal(data_dir / "journal.sqlite3")
        except TillJournalError as exc:
            result.notes.append(str(exc))
            return result
        try:
            _ship_all(conn, journal, settings, till, store, result, deadline, stop)
        finally:
            journal.close()
    finally:
        conn.close()
    result.seconds = time.monotonic() - started
    return result


def _ship_all(conn, journal, settings, till, store, result, deadline, stop) -> None:
    import psycopg

    try:
        chain, acked, head = conn.execute("SELECT chain, last_seq, head FROM fleet.cursor(%s)", (till,)).fetchone()
        cache = read_cache(Path(settings.data_dir))
        after = _resume_after(journal, cache, till, chain, acked, head, result)
        escalations = journal.escalations_json()
        # The next batch is read from the journal while the server takes this one.
        with ThreadPoolExecutor(1, thread_name_prefix="kiosk-fleet-read") as reader:
            _ship_batches(conn, journal, reader, settings, till, store, result, deadline, stop, after, escalations, cache)
    except psycopg.OperationalError as exc:
        raise FleetError(f"Lost head office's database during the push: {_first_line(exc)}. What was acknowledged "
                         "stays acknowledged; the rest goes with the next push.") from None
    except psycopg.Error as exc:
        raise database_error(exc) from None
    except TillJournalError as exc:
        raise FleetError(str(exc)) from None


def _ship_batches(conn, journal, reader, settings, till, store, result, deadline, stop, after, escalations, cache) -> None:
    data_dir, size = Path(settings.data_dir), settings.fleet.batch_size
    ensured: set[str] = set()  # day partitions known to exist: asked once a push
    pending = reader.submit(journal.batch, after, size)
    while True:
        if (stop is not None and stop.is_set()) or (deadline is not None and time.monotonic() > deadline):
            result.complete = False
            break
        batch = pending.result()
        if batch is None and result.batches:
            break
        if batch is not None:
            pending = reader.submit(journal.batch, batch.last_seq, size)
        if batch is not None and not ensured.issuperset(batch.days):
            conn.execute("SELECT fleet.ensure_days(%s::date[])", (batch.days,))
            ensured.update(batch.days)
        answer = conn.execute(
            "SELECT fleet.ship(%s, %s, %s::json, %s::json, %s::json)",
            (till, store, batch.rows_json if batch else "[]", batch.visits_json if batch else "[]", escalations),
        ).fetchone()[0]
        result.batches += 1
        result.shipped += answer["inserted"]
        result.duplicates += answer["duplicates"]
        result.breaks += answer["breaks"]
        result.chain, result.last_seq = answer["chain"], answer["last_seq"]
        cache = {**cache, "till_id": till, "chain": answer["chain"], "last_seq": answer["last_seq"],
                 "head": answer["head"], "pushed_at": time.time()}
        write_cache(data_dir, cache)
        if batch is None:
            break


def _resume_after(journal: TillJournal, cache: dict[str, Any], till: str, chain: int, acked: int, head: str,
                  result: PushResult) -> int:
    if acked == 0 or journal.hash_at(acked) == head:
        return acked
    marker = [till, chain, acked, head]
    if cache.get("diverged") == marker:
        return acked  # already sent once in full: the server recorded what differs
    result.notes.append(
        f"the journal differs from what head office acknowledged (row {acked}): sending it all once to be checked"
    )
    cache["diverged"] = marker
    return 0
