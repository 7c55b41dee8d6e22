"""The simulated gift card server's books, in SQLite so they survive a restart.

Cards (number, security code, balance, status, wrong-code counter and lockout), card tokens,
money transactions and store batches. No business rules here (those are in simulator.py):
this module stores and fetches, and gives callers one atomic, durable transaction at a time.

Durability as for every simulator (kiosk.sim.books): WAL with synchronous=FULL, amounts as
decimal text.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from kiosk.sim.books import SqliteBooks

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS cards (
    number TEXT PRIMARY KEY, security_code TEXT NOT NULL, currency TEXT NOT NULL,
    balance TEXT NOT NULL, status TEXT NOT NULL CHECK (status IN ('active', 'inactive', 'blocked')),
    failed_codes INTEGER NOT NULL DEFAULT 0, locked_until REAL NOT NULL DEFAULT 0,
    reason TEXT NOT NULL DEFAULT '', created_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS tokens (
    token TEXT PRIMARY KEY, number TEXT NOT NULL REFERENCES cards(number), user TEXT NOT NULL,
    created_at REAL NOT NULL, expires_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS batches (
    batch_id INTEGER PRIMARY KEY AUTOINCREMENT, store_id TEXT NOT NULL,
    opened_at REAL NOT NULL, closed_at REAL);
CREATE UNIQUE INDEX IF NOT EXISTS one_open_batch ON batches (store_id) WHERE closed_at IS NULL;
CREATE TABLE IF NOT EXISTS transactions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, host_ref TEXT NOT NULL UNIQUE,
    batch_id INTEGER NOT NULL REFERENCES batches(batch_id), kind TEXT NOT NULL,
    number TEXT NOT NULL, amount TEXT NOT NULL, previous_balance TEXT NOT NULL,
    new_balance TEXT NOT NULL, pos_ref TEXT NOT NULL, franchisee_id TEXT NOT NULL,
    user TEXT NOT NULL, created_at REAL NOT NULL);
"""


@dataclass(frozen=True)
class Card:
    number: str
    security_code: str
    currency: str
    balance: Decimal
    status: str  # "active" | "inactive" (not sold yet) | "blocked"
    failed_codes: int
    locked_until: float
    reason: str

    @property
    def last4(self) -> str:
        return self.number[-4:]


@dataclass(frozen=True)
class CardTokenRow:
    token: str
    number: str
    user: str
    created_at: float
    expires_at: float


@dataclass(frozen=True)
class Batch:
    batch_id: int
    store_id: str
    opened_at: float
    closed_at: float | None


@dataclass(frozen=True)
class Movement:
    """One money transaction: a sale, a reload or a redemption (amount = what was approved)."""

    host_ref: str
    batch_id: int
    kind: str  # "sell" | "reload" | "redeem"
    number: str
    amount: Decimal
    previous_balance: Decimal
    new_balance: Decimal
    pos_ref: str
    franchisee_id: str
    user: str
    created_at: float

    def to_json(self) -> dict[str, Any]:
        return {
            "host_ref": self.host_ref,
            "batch_id": self.batch_id,
            "kind": self.kind,
            "card_number": self.number,
            "amount": str(self.amount),
            "previous_balance": str(self.previous_balance),
            "new_balance": str(self.new_balance),
            "pos_ref": self.pos_ref,
            "franchisee_id": self.franchisee_id,
            "created_at": self.created_at,
        }


class Books(SqliteBooks):
    """The gift card server's books: cards, card tokens, batches and money transactions."""

    SCHEMA = _SCHEMA

    # -- cards ------------------------------------------------------------------------------

    @staticmethod
    def _card(row: sqlite3.Row) -> Card:
        return Card(
            row["number"], row["security_code"], row["currency"], Decimal(row["balance"]), row["status"],
            row["failed_codes"], row["locked_until"], row["reason"],
        )

    def add_card(self, number: str, security_code: str, currency: str, balance: Decimal, status: str,
                 now: float) -> None:
        self._run(
            "INSERT INTO cards (number, security_code, currency, balance, status, created_at)"
            " VALUES (?,?,?,?,?,?)",
            number, security_code, currency, str(balance), status, now,
        )

    def card(self, number: str) -> Card | None:
        row = self._one("SELECT * FROM cards WHERE number = ?", number)
        return None if row is None else self._card(row)

    def cards(self) -> list[Card]:
        return [self._card(r) for r in self._all("SELECT * FROM cards ORDER BY rowid")]

    def set_balance(self, number: str, balance: Decimal) -> None:
        assert balance >= 0, "a gift card balance never goes below zero"
        self._run("UPDATE cards SET balance = ? WHERE number = ?", str(balance), number)

    def set_status(self, number: str, status: str, reason: str) -> None:
        self._run("UPDATE cards SET status = ?, reason = ? WHERE number = ?", status, reason, number)

    def set_code_failures(self, number: str, failed: int, locked_until: float) -> None:
        self._run("UPDATE cards SET failed_codes = ?, locked_until = ? WHERE number = ?", failed, locked_until, number)

    # -- tokens -----------------------------------------------------------------------------

    def add_token(self, row: CardTokenRow) -> None:
        self._run(
            "INSERT INTO tokens (token, number, user, created_at, expires_at) VALUES (?,?,?,?,?)",
            row.token, row.number, row.user, row.created_at, row.expires_at,
        )

    def token(self, token: str) -> CardTokenRow | None:
        row = self._one("SELECT * FROM tokens WHERE token = ?", token)
        return None if row is None else CardTokenRow(**{k: row[k] for k in row.keys()})

    def forget_tokens_before(self, cutoff: float) -> None:
        self._run("DELETE FROM tokens WHERE expires_at < ?", cutoff)

    # -- batches ----------------------------------------------------------------------------

    @staticmethod
    def _batch(row: sqlite3.Row) -> Batch:
        return Batch(row["batch_id"], row["store_id"], row["opened_at"], row["closed_at"])

    def open_batch(self, store_id: str, now: float) -> Batch:
        """The store's open batch, opened now if it has none."""
        with self.transaction():
            row = self._one("SELECT * FROM batches WHERE store_id = ? AND closed_at IS NULL", store_id)
            if row is None:
                self._db.execute("INSERT INTO batches (store_id, opened_at) VALUES (?, ?)", (store_id, now))
                row = self._one("SELECT * FROM batches WHERE store_id = ? AND closed_at IS NULL", store_id)
            assert row is not None
            return self._batch(row)

    def close_batch(self, batch_id: int, now: float) -> None:
        self._run("UPDATE batches SET closed_at = ? WHERE batch_id = ?", now, batch_id)

    def batch(self, batch_id: int) -> Batch | None:
        row = self._one("SELECT * FROM batches WHERE batch_id = ?", batch_id)
        return None if row is None else self._batch(row)

    def batches(self) -> list[Batch]:
        return [self._batch(r) for r in self._all("SELECT * FROM batches ORDER BY batch_id")]

    # -- money transactions -----------------------------------------------------------------

    def next_host_ref(self) -> str:
        row = self._one("SELECT COALESCE(MAX(seq), 0) + 1 FROM transactions")
        assert row is not None
        return str(40_000_000 + int(row[0]))

    def add_movement(self, m: Movement) -> None:
        self._run(
            "INSERT INTO transactions (host_ref, batch_id, kind, number, amount, previous_balance,"
            " new_balance, pos_ref, franchisee_id, user, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            m.host_ref, m.batch_id, m.kind, m.number, str(m.amount), str(m.previous_balance),
            str(m.new_balance), m.pos_ref, m.franchisee_id, m.user, m.created_at,
        )

    @staticmethod
    def _movement(row: sqlite3.Row) -> Movement:
        return Movement(
            row["host_ref"], row["batch_id"], row["kind"], row["number"], Decimal(row["amount"]),
            Decimal(row["previous_balance"]), Decimal(row["new_balance"]), row["pos_ref"],
            row["franchisee_id"], row["user"], row["created_at"],
        )

    def movements(self, batch_id: int | None = None) -> list[Movement]:
        if batch_id is None:
            rows = self._all("SELECT * FROM transactions ORDER BY seq")
        else:
            rows = self._all("SELECT * FROM transactions WHERE batch_id = ? ORDER BY seq", batch_id)
        return [self._movement(r) for r in rows]
