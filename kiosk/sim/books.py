"""What every simulator's books share: one SQLite database, durable, one transaction at a time.

Each simulator subclasses SqliteBooks with its own SCHEMA and its own store-and-fetch methods (no
business rules in either). This base only opens the database and hands out transactions:

Durability: WAL with synchronous=FULL, so a change a simulator has answered for is on disk (a
crash test that kills the simulator must not lose an applied withdrawal). Amounts are stored as
decimal text, never REAL (the subclasses' business, stated here once).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


class SqliteBooks:
    """One SQLite database; every method is atomic, `transaction()` groups several."""

    # The subclass's CREATE ... IF NOT EXISTS statements, with a `meta (key, value)` table.
    SCHEMA = ""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        # One connection shared by the server's event loop and in-process callers (tests),
        # serialised by a re-entrant lock so a business operation can nest reads.
        self._db = sqlite3.connect(
            ":memory:" if path is None else str(path), isolation_level=None, check_same_thread=False
        )
        self._db.row_factory = sqlite3.Row
        self._lock = threading.RLock()
        self._depth = 0
        if path is not None:  # an in-memory database has no journal to make durable
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.executescript(self.SCHEMA)

    def ensure_column(self, table: str, column: str, declaration: str) -> None:
        """Add a column that books written by an older simulator lack (names are the
        subclass's own constants, never request data)."""
        with self._lock:
            present = {row["name"] for row in self._db.execute(f"PRAGMA table_info({table})")}
            if column not in present:
                self._db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def pragma(self, name: str) -> Any:
        """A PRAGMA's current value (tests check the durability settings)."""
        with self._lock:
            return self._db.execute(f"PRAGMA {name}").fetchone()[0]

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """BEGIN IMMEDIATE ... COMMIT around the block (nested blocks join the outer one)."""
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            self._db.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            else:
                self._db.execute("COMMIT")
            finally:
                self._depth = 0

    def _all(self, sql: str, *args: Any) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    def _one(self, sql: str, *args: Any) -> sqlite3.Row | None:
        with self._lock:
            return self._db.execute(sql, args).fetchone()

    def _run(self, sql: str, *args: Any) -> sqlite3.Cursor:
        with self.transaction():
            return self._db.execute(sql, args)

    # -- meta: per-database settings (the OTP master key, "demo_seeded") --------------------

    def meta(self, key: str) -> str | None:
        row = self._one("SELECT value FROM meta WHERE key = ?", key)
        return None if row is None else row["value"]

    def set_meta(self, key: str, value: str) -> None:
        self._run("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", key, value)
