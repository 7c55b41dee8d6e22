"""The terminal's cashiers and supervisors, in `accounts.sqlite3` under the data dir.

One row per person: role, argon2id PIN hash (see pins.py), disabled flag, and the sign-in
failure count with the time a lockout ends; lockouts survive a restart of the kiosk. The
file is created owner-only (0600) and holds no PIN, only hashes that need the pepper.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Literal

from kiosk.auth.pins import PinFormError, PinHasher, check_name, check_pin_form

Role = Literal["cashier", "supervisor"]
ROLES: tuple[Role, ...] = ("cashier", "supervisor")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    name         TEXT PRIMARY KEY,
    role         TEXT NOT NULL,
    pin_hash     TEXT NOT NULL,
    disabled     INTEGER NOT NULL DEFAULT 0,
    failures     INTEGER NOT NULL DEFAULT 0,
    locked_until REAL NOT NULL DEFAULT 0,
    created_at   REAL NOT NULL,
    pin_set_at   REAL NOT NULL
);
"""


class AccountError(Exception):
    """A user that cannot be added, changed or found; the message says why."""


@dataclass(frozen=True)
class User:
    name: str
    role: Role
    disabled: bool
    failures: int
    locked_until: float

    def locked(self, now: float) -> bool:
        return self.locked_until > now


class Accounts:
    """Thread-safe store of users. PIN checks and lockout rules are the Guard's (guard.py)."""

    FILE_NAME = "accounts.sqlite3"

    def __init__(self, path: Path, hasher: PinHasher, *, clock: Callable[[], float] = time.time) -> None:
        self.path = Path(path)
        self.hasher = hasher
        self.clock = clock
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if not self.path.exists():
            # Owner-only from the first byte (SQLite gives its side files the same mode).
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA busy_timeout=5000")
            self._db.execute("PRAGMA secure_delete=ON")  # an old PIN hash is zeroed, not left in a free page
            self._db.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            raise AccountError(f"cannot open the accounts file {self.path}: {exc}") from None
        self._lock = threading.Lock()

    @classmethod
    def in_data_dir(cls, data_dir: Path, hasher: PinHasher, **kwargs) -> Accounts:
        return cls(Path(data_dir) / cls.FILE_NAME, hasher, **kwargs)

    def close(self) -> None:
        self._db.close()

    # --- reading ---------------------------------------------------------------------------

    def get(self, name: str) -> User | None:
        row = self._db.execute(
            "SELECT name, role, disabled, failures, locked_until FROM users WHERE name = ?", ((name or "").strip().lower(),)
        ).fetchone()
        return User(row[0], row[1], bool(row[2]), row[3], row[4]) if row else None

    def list(self) -> list[User]:
        rows = self._db.execute("SELECT name, role, disabled, failures, locked_until FROM users ORDER BY name")
        return [User(r[0], r[1], bool(r[2]), r[3], r[4]) for r in rows]

    def check_pin(self, name: str, pin: str) -> bool:
        """True when `pin` is this user's PIN (no lockout logic here). Spends the same time
        for an unknown name."""
        row = self._db.execute("SELECT pin_hash FROM users WHERE name = ?", ((name or "").strip().lower(),)).fetchone()
        if row is None:
            self.hasher.dummy_verify()
            return False
        ok = self.hasher.verify(row[0], pin)
        if ok and self.hasher.needs_rehash(row[0]):
            self._write("UPDATE users SET pin_hash = ? WHERE name = ?", (self.hasher.hash(pin), name.strip().lower()))
        return ok

    # --- changing --------------------------------------------------------------------------

    def add(self, name: str, role: str, pin: str) -> User:
        name = check_name(name.lower())
        if role not in ROLES:
            raise AccountError(f"The role is cashier or supervisor, not {role!r}.")
        check_pin_form(pin)
        if self.get(name) is not None:
            raise AccountError(f"User {name} exists already (use reset-pin to change the PIN).")
        now = self.clock()
        self._write(
            "INSERT INTO users(name, role, pin_hash, created_at, pin_set_at) VALUES (?,?,?,?,?)",
            (name, role, self.hasher.hash(pin), now, now),
        )
        return self._must(name)

    def reset_pin(self, name: str, pin: str) -> User:
        user = self._must(name)
        check_pin_form(pin)
        self._write(
            "UPDATE users SET pin_hash = ?, failures = 0, locked_until = 0, pin_set_at = ? WHERE name = ?",
            (self.hasher.hash(pin), self.clock(), user.name),
        )
        return self._must(user.name)

    def set_disabled(self, name: str, disabled: bool) -> User:
        user = self._must(name)
        self._write("UPDATE users SET disabled = ? WHERE name = ?", (int(disabled), user.name))
        return self._must(user.name)

    def note_failure(self, name: str, *, max_failures: int, lockout_seconds: float) -> User:
        """One more failed PIN; at `max_failures` in a row the user is locked out."""
        user = self._must(name)
        failures = user.failures + 1
        locked_until = user.locked_until
        if failures >= max_failures:
            locked_until, failures = self.clock() + lockout_seconds, 0
        self._write("UPDATE users SET failures = ?, locked_until = ? WHERE name = ?", (failures, locked_until, user.name))
        return self._must(user.name)

    def clear_failures(self, name: str) -> User:
        user = self._must(name)
        self._write("UPDATE users SET failures = 0, locked_until = 0 WHERE name = ?", (user.name,))
        return self._must(user.name)

    def _must(self, name: str) -> User:
        user = self.get(name)
        if user is None:
            raise AccountError(f"There is no user {(name or '').strip().lower()!r}: see `kiosk users list`.")
        return user

    def _write(self, sql: str, args: tuple) -> None:
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                self._db.execute(sql, args)
                self._db.execute("COMMIT")
            except BaseException:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise


__all__ = ["Accounts", "AccountError", "PinFormError", "ROLES", "Role", "User"]
