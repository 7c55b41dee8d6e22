"""The simulated wallet provider's books, in SQLite so they survive a restart.

Holds wallets and their currency accounts, transactions, POS sessions, idempotency records
and used OTP time steps. No business rules live here (those are in operations.py): this
module stores and fetches, and gives callers one atomic, durable transaction at a time.

Durability: WAL with synchronous=FULL, so a change the simulator has answered for is on disk
(a crash test that kills the simulator must not lose an applied withdrawal). Amounts are
stored as decimal text, never REAL.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from kiosk.sim.books import SqliteBooks

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS wallets (
    phone TEXT PRIMARY KEY, name TEXT NOT NULL DEFAULT '', created_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS accounts (
    account_id TEXT PRIMARY KEY, phone TEXT NOT NULL REFERENCES wallets(phone),
    currency TEXT NOT NULL, alias TEXT NOT NULL, balance TEXT NOT NULL, created_at REAL NOT NULL,
    UNIQUE (phone, currency));
CREATE TABLE IF NOT EXISTS transactions (
    transaction_id TEXT PRIMARY KEY, kind TEXT NOT NULL, phone TEXT NOT NULL,
    account_id TEXT NOT NULL, currency TEXT NOT NULL, amount TEXT NOT NULL,
    created_at REAL NOT NULL, pos_id TEXT NOT NULL, token_id TEXT NOT NULL,
    reverses TEXT, reversed_by TEXT, metadata TEXT);
CREATE TABLE IF NOT EXISTS sessions (
    token_id TEXT PRIMARY KEY, operation_id TEXT NOT NULL, access_key TEXT NOT NULL,
    phone TEXT NOT NULL, pos_id TEXT NOT NULL, created_at REAL NOT NULL,
    last_used_at REAL NOT NULL, closed_at REAL, action_txn TEXT);
CREATE TABLE IF NOT EXISTS idempotency (
    access_key TEXT NOT NULL, key TEXT NOT NULL, status INTEGER NOT NULL,
    content_type TEXT NOT NULL, body BLOB NOT NULL, created_at REAL NOT NULL, fingerprint TEXT,
    PRIMARY KEY (access_key, key));
CREATE TABLE IF NOT EXISTS used_otps (
    phone TEXT NOT NULL, pos_id TEXT NOT NULL, counter INTEGER NOT NULL, used_at REAL NOT NULL,
    PRIMARY KEY (phone, pos_id, counter));
"""


@dataclass(frozen=True)
class Account:
    account_id: str
    phone: str
    currency: str
    alias: str
    balance: Decimal


@dataclass(frozen=True)
class Transaction:
    transaction_id: str
    kind: str  # "deposit" | "withdraw" | "reversal"
    phone: str
    account_id: str
    currency: str
    amount: Decimal
    created_at: float
    pos_id: str
    token_id: str
    reverses: str | None = None  # reversal -> the withdrawal it reverses
    reversed_by: str | None = None  # withdrawal -> its reversal
    metadata: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        """For the control endpoint: amounts as exact decimal strings; no session token."""
        return {
            "transaction_id": self.transaction_id,
            "kind": self.kind,
            "phone": self.phone,
            "account_id": self.account_id,
            "currency": self.currency,
            "amount": str(self.amount),
            "created_at": self.created_at,
            "pos_id": self.pos_id,
            "reverses": self.reverses,
            "reversed_by": self.reversed_by,
            "metadata": self.metadata,
        }


@dataclass(frozen=True)
class Session:
    token_id: str
    operation_id: str
    access_key: str
    phone: str
    pos_id: str
    created_at: float
    last_used_at: float
    closed_at: float | None
    action_txn: str | None


@dataclass(frozen=True)
class StoredReply:
    status: int
    content_type: str
    body: bytes
    created_at: float
    # What request the reply answers (kiosk.sim.rapyd.request_fingerprint); None in books written
    # before replies were bound to requests, which then match no request at all.
    fingerprint: str | None = None


class Ledger(SqliteBooks):
    """The Rapyd simulator's books (wallets, accounts, transactions, sessions, replies, OTPs)."""

    SCHEMA = _SCHEMA

    def __init__(self, path: Path | None) -> None:
        super().__init__(path)
        self.ensure_column("idempotency", "fingerprint", "TEXT")

    # -- wallets and accounts ---------------------------------------------------------------

    def add_wallet(self, phone: str, name: str, now: float) -> None:
        self._run("INSERT OR IGNORE INTO wallets (phone, name, created_at) VALUES (?, ?, ?)", phone, name, now)

    def wallet_exists(self, phone: str) -> bool:
        return self._one("SELECT 1 FROM wallets WHERE phone = ?", phone) is not None

    def wallets(self) -> list[tuple[str, str]]:
        return [(r["phone"], r["name"]) for r in self._all("SELECT phone, name FROM wallets ORDER BY rowid")]

    @staticmethod
    def _account(row: sqlite3.Row) -> Account:
        return Account(row["account_id"], row["phone"], row["currency"], row["alias"], Decimal(row["balance"]))

    def accounts(self, phone: str) -> list[Account]:
        rows = self._all("SELECT * FROM accounts WHERE phone = ? ORDER BY rowid", phone)
        return [self._account(r) for r in rows]

    def account(self, account_id: str) -> Account | None:
        row = self._one("SELECT * FROM accounts WHERE account_id = ?", account_id)
        return None if row is None else self._account(row)

    def account_for(self, phone: str, currency: str) -> Account | None:
        row = self._one("SELECT * FROM accounts WHERE phone = ? AND currency = ?", phone, currency)
        return None if row is None else self._account(row)

    def add_account(
        self, phone: str, currency: str, balance: Decimal, now: float, account_id: str | None = None
    ) -> Account:
        account = Account(account_id or str(uuid.uuid4()), phone, currency, currency, balance)
        self._run(
            "INSERT INTO accounts (account_id, phone, currency, alias, balance, created_at) VALUES (?,?,?,?,?,?)",
            account.account_id, phone, currency, account.alias, str(balance), now,
        )
        return account

    def set_balance(self, account_id: str, balance: Decimal) -> None:
        assert balance >= 0, "a wallet account never goes below zero"
        self._run("UPDATE accounts SET balance = ? WHERE account_id = ?", str(balance), account_id)

    # -- transactions -----------------------------------------------------------------------

    def add_transaction(self, t: Transaction) -> None:
        self._run(
            "INSERT INTO transactions (transaction_id, kind, phone, account_id, currency, amount, created_at,"
            " pos_id, token_id, reverses, reversed_by, metadata) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            t.transaction_id, t.kind, t.phone, t.account_id, t.currency, str(t.amount), t.created_at,
            t.pos_id, t.token_id, t.reverses, t.reversed_by,
            None if t.metadata is None else json.dumps(t.metadata),
        )

    @staticmethod
    def _transaction(row: sqlite3.Row) -> Transaction:
        return Transaction(
            row["transaction_id"], row["kind"], row["phone"], row["account_id"], row["currency"],
            Decimal(row["amount"]), row["created_at"], row["pos_id"], row["token_id"],
            row["reverses"], row["reversed_by"],
            None if row["metadata"] is None else json.loads(row["metadata"]),
        )

    def transaction_by_id(self, transaction_id: str) -> Transaction | None:
        row = self._one("SELECT * FROM transactions WHERE transaction_id = ?", transaction_id)
        return None if row is None else self._transaction(row)

    def transactions(self) -> list[Transaction]:
        return [self._transaction(r) for r in self._all("SELECT * FROM transactions ORDER BY rowid")]

    def set_reversed_by(self, transaction_id: str, reversal_id: str) -> None:
        self._run("UPDATE transactions SET reversed_by = ? WHERE transaction_id = ?", reversal_id, transaction_id)

    # -- sessions ---------------------------------------------------------------------------

    def add_session(self, s: Session) -> None:
        self._run(
            "INSERT INTO sessions (token_id, operation_id, access_key, phone, pos_id, created_at,"
            " last_used_at, closed_at, action_txn) VALUES (?,?,?,?,?,?,?,?,?)",
            s.token_id, s.operation_id, s.access_key, s.phone, s.pos_id, s.created_at,
            s.last_used_at, s.closed_at, s.action_txn,
        )

    def session(self, token_id: str) -> Session | None:
        row = self._one("SELECT * FROM sessions WHERE token_id = ?", token_id)
        return None if row is None else Session(**{k: row[k] for k in row.keys()})

    def sessions(self) -> list[Session]:
        return [Session(**{k: r[k] for k in r.keys()}) for r in self._all("SELECT * FROM sessions ORDER BY rowid")]

    def touch_session(self, token_id: str, now: float) -> None:
        self._run("UPDATE sessions SET last_used_at = ? WHERE token_id = ?", now, token_id)

    def set_session_action(self, token_id: str, transaction_id: str) -> None:
        self._run("UPDATE sessions SET action_txn = ? WHERE token_id = ?", transaction_id, token_id)

    def close_session(self, token_id: str, now: float) -> None:
        self._run("UPDATE sessions SET closed_at = ? WHERE token_id = ?", now, token_id)

    # -- idempotency ------------------------------------------------------------------------

    def stored_reply(self, access_key: str, key: str, not_before: float) -> StoredReply | None:
        row = self._one(
            "SELECT status, content_type, body, created_at, fingerprint FROM idempotency"
            " WHERE access_key = ? AND key = ? AND created_at >= ?",
            access_key, key, not_before,
        )
        return None if row is None else StoredReply(row[0], row[1], bytes(row[2]), row[3], row[4])

    def store_reply(self, access_key: str, key: str, reply: StoredReply) -> None:
        # REPLACE: an expired record under the same key gives way to the new request.
        self._run(
            "INSERT OR REPLACE INTO idempotency (access_key, key, status, content_type, body, created_at,"
            " fingerprint) VALUES (?,?,?,?,?,?,?)",
            access_key, key, reply.status, reply.content_type, reply.body, reply.created_at, reply.fingerprint,
        )

    def forget_replies_before(self, cutoff: float) -> None:
        self._run("DELETE FROM idempotency WHERE created_at < ?", cutoff)

    # -- used one-time codes ----------------------------------------------------------------

    def otp_used(self, phone: str, pos_id: str, counter: int) -> bool:
        row = self._one("SELECT 1 FROM used_otps WHERE phone = ? AND pos_id = ? AND counter = ?", phone, pos_id, counter)
        return row is not None

    def mark_otp_used(self, phone: str, pos_id: str, counter: int, now: float) -> None:
        self._run("INSERT OR IGNORE INTO used_otps (phone, pos_id, counter, used_at) VALUES (?,?,?,?)",
                  phone, pos_id, counter, now)
