"""The simulated Flexiti books in SQLite: customers, verifications, failed tries, transactions,
OAuth tokens and idempotency records. No rules here (rules.py): store, fetch, one atomic
durable transaction at a time.

Durability as for every simulator (kiosk.sim.books): WAL with synchronous=FULL, so an
answered change is on disk; amounts as decimal text, never REAL.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from kiosk.sim.books import SqliteBooks

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS customers (
    account_number TEXT PRIMARY KEY, customer_id TEXT NOT NULL, first_name TEXT NOT NULL,
    middle_name TEXT NOT NULL DEFAULT '', last_name TEXT NOT NULL, dob TEXT NOT NULL,
    email TEXT NOT NULL DEFAULT '', phone TEXT NOT NULL DEFAULT '',
    account_status TEXT NOT NULL, active INTEGER NOT NULL, credit_limit TEXT NOT NULL,
    balance TEXT NOT NULL, security_qid TEXT NOT NULL, security_answer TEXT NOT NULL,
    bypass INTEGER NOT NULL, address_1 TEXT NOT NULL DEFAULT '', city TEXT NOT NULL DEFAULT '',
    province TEXT NOT NULL DEFAULT '', postal_code TEXT NOT NULL DEFAULT '',
    card_ending_in TEXT NOT NULL DEFAULT '', created_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS verifications (
    account_number TEXT PRIMARY KEY, request_id TEXT NOT NULL, pin TEXT NOT NULL,
    format TEXT NOT NULL, issued_at REAL NOT NULL, reference_id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sent_pins (
    account_number TEXT PRIMARY KEY, pin TEXT NOT NULL, channel TEXT NOT NULL,
    request_id TEXT NOT NULL, sent_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS failures (
    id INTEGER PRIMARY KEY, account_number TEXT NOT NULL, kind TEXT NOT NULL, at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS failures_by_account ON failures (account_number, at);
CREATE TABLE IF NOT EXISTS transactions (
    seq INTEGER PRIMARY KEY, transaction_id TEXT UNIQUE NOT NULL, account_number TEXT NOT NULL,
    transaction_type TEXT NOT NULL, amount TEXT NOT NULL, balance_after TEXT NOT NULL,
    request_id TEXT NOT NULL, reference_id TEXT NOT NULL, idempotency_key TEXT,
    location_id TEXT, created_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS tokens (
    access_token TEXT PRIMARY KEY, refresh_token TEXT UNIQUE, client_id TEXT NOT NULL,
    scope TEXT NOT NULL, issued_at REAL NOT NULL, expires_at REAL NOT NULL,
    refresh_used INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS idempotency (
    client_id TEXT NOT NULL, key TEXT NOT NULL, context_hash TEXT, status INTEGER NOT NULL,
    body BLOB NOT NULL, created_at REAL NOT NULL, fingerprint TEXT, PRIMARY KEY (client_id, key));
"""


@dataclass(frozen=True)
class Customer:
    account_number: str
    customer_id: str
    first_name: str
    middle_name: str
    last_name: str
    dob: str  # YYYY-MM-DD
    email: str
    phone: str
    account_status: str
    active: bool
    credit_limit: Decimal
    balance: Decimal
    security_qid: str
    security_answer: str
    bypass: bool
    address_1: str
    city: str
    province: str
    postal_code: str
    card_ending_in: str
    created_at: float

    @property
    def available_credit(self) -> Decimal:
        return self.credit_limit - self.balance


@dataclass(frozen=True)
class Verification:
    account_number: str
    request_id: str
    pin: str
    format: str
    issued_at: float
    reference_id: str


@dataclass(frozen=True)
class SentPin:
    account_number: str
    pin: str
    channel: str  # "sms" | "email"
    request_id: str
    sent_at: float


@dataclass(frozen=True)
class Transaction:
    transaction_id: str
    account_number: str
    transaction_type: str
    amount: Decimal
    balance_after: Decimal
    request_id: str
    reference_id: str
    idempotency_key: str | None
    location_id: str | None
    created_at: float

    def to_json(self) -> dict[str, Any]:
        return {
            "transaction_id": self.transaction_id,
            "account_number": self.account_number,
            "transaction_type": self.transaction_type,
            "amount": f"{self.amount:.2f}",
            "balance_after": f"{self.balance_after:.2f}",
            "request_id": self.request_id,
            "reference_id": self.reference_id,
            "idempotency_key": self.idempotency_key,
            "external_location_id": self.location_id,
            "created_at": self.created_at,
        }


@dataclass(frozen=True)
class Token:
    access_token: str
    refresh_token: str | None
    client_id: str
    scope: str
    issued_at: float
    expires_at: float
    refresh_used: bool


@dataclass(frozen=True)
class StoredReply:
    status: int
    body: bytes
    context_hash: str | None
    created_at: float
    # The request the reply answers (kiosk.sim.flexiti.simulator.request_fingerprint); None in
    # books written before replies were bound to requests, which then match no request.
    fingerprint: str | None = None


class Books(SqliteBooks):
    """Flexiti's books: customers, verifications, failed tries, transactions, tokens, replies."""

    SCHEMA = _SCHEMA

    def __init__(self, path: Path | None) -> None:
        super().__init__(path)
        self.ensure_column("idempotency", "fingerprint", "TEXT")

    # -- customers --------------------------------------------------------------------------

    @staticmethod
    def _customer(row: sqlite3.Row) -> Customer:
        data = dict(row)
        data["active"] = bool(data["active"])
        data["bypass"] = bool(data["bypass"])
        data["credit_limit"] = Decimal(data["credit_limit"])
        data["balance"] = Decimal(data["balance"])
        return Customer(**data)

    def add_customer(self, c: Customer) -> None:
        self._run(
            "INSERT OR IGNORE INTO customers (account_number, customer_id, first_name, middle_name,"
            " last_name, dob, email, phone, account_status, active, credit_limit, balance,"
            " security_qid, security_answer, bypass, address_1, city, province, postal_code,"
            " card_ending_in, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            c.account_number, c.customer_id, c.first_name, c.middle_name, c.last_name, c.dob,
            c.email, c.phone, c.account_status, int(c.active), str(c.credit_limit), str(c.balance),
            c.security_qid, c.security_answer, int(c.bypass), c.address_1, c.city, c.province,
            c.postal_code, c.card_ending_in, c.created_at,
        )

    def customer(self, account_number: str) -> Customer | None:
        row = self._one("SELECT * FROM customers WHERE account_number = ?", account_number)
        return None if row is None else self._customer(row)

    def customers(self) -> list[Customer]:
        return [self._customer(r) for r in self._all("SELECT * FROM customers ORDER BY rowid")]

    def find_customers(self, first_name: str, last_name: str, dob: str) -> list[Customer]:
        rows = self._all(
            "SELECT * FROM customers WHERE lower(first_name) = lower(?) AND lower(last_name) = lower(?)"
            " AND dob = ? ORDER BY rowid",
            first_name, last_name, dob,
        )
        return [self._customer(r) for r in rows]

    def set_balance(self, account_number: str, balance: Decimal) -> None:
        self._run("UPDATE customers SET balance = ? WHERE account_number = ?", str(balance), account_number)

    # -- verifications and failed tries -----------------------------------------------------

    def verification(self, account_number: str) -> Verification | None:
        row = self._one("SELECT * FROM verifications WHERE account_number = ?", account_number)
        return None if row is None else Verification(**dict(row))

    def set_verification(self, v: Verification) -> None:
        self._run(
            "INSERT OR REPLACE INTO verifications (account_number, request_id, pin, format, issued_at,"
            " reference_id) VALUES (?,?,?,?,?,?)",
            v.account_number, v.request_id, v.pin, v.format, v.issued_at, v.reference_id,
        )

    def sent_pin(self, account_number: str) -> SentPin | None:
        row = self._one("SELECT * FROM sent_pins WHERE account_number = ?", account_number)
        return None if row is None else SentPin(**dict(row))

    def set_sent_pin(self, p: SentPin) -> None:
        self._run(
            "INSERT OR REPLACE INTO sent_pins (account_number, pin, channel, request_id, sent_at)"
            " VALUES (?,?,?,?,?)",
            p.account_number, p.pin, p.channel, p.request_id, p.sent_at,
        )

    def add_failure(self, account_number: str, kind: str, at: float) -> None:
        self._run("INSERT INTO failures (account_number, kind, at) VALUES (?,?,?)", account_number, kind, at)

    def failures_since(self, account_number: str, since: float) -> list[float]:
        rows = self._all(
            "SELECT at FROM failures WHERE account_number = ? AND at > ? ORDER BY at", account_number, since
        )
        return [r["at"] for r in rows]

    def clear_failures(self, account_number: str) -> None:
        self._run("DELETE FROM failures WHERE account_number = ?", account_number)

    # -- transactions -----------------------------------------------------------------------

    def add_transaction(
        self, account_number: str, transaction_type: str, amount: Decimal, balance_after: Decimal,
        request_id: str, reference_id: str, idempotency_key: str | None, location_id: str | None,
        now: float,
    ) -> Transaction:
        with self.transaction():
            row = self._one("SELECT COALESCE(MAX(seq), 0) + 1 AS next FROM transactions")
            seq = int(row["next"]) if row else 1
            transaction = Transaction(
                str(700000 + seq), account_number, transaction_type, amount, balance_after,
                request_id, reference_id, idempotency_key, location_id, now,
            )
            self._db.execute(
                "INSERT INTO transactions (seq, transaction_id, account_number, transaction_type, amount,"
                " balance_after, request_id, reference_id, idempotency_key, location_id, created_at)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (seq, transaction.transaction_id, account_number, transaction_type, str(amount),
                 str(balance_after), request_id, reference_id, idempotency_key, location_id, now),
            )
        return transaction

    @staticmethod
    def _transaction(row: sqlite3.Row) -> Transaction:
        return Transaction(
            row["transaction_id"], row["account_number"], row["transaction_type"], Decimal(row["amount"]),
            Decimal(row["balance_after"]), row["request_id"], row["reference_id"], row["idempotency_key"],
            row["location_id"], row["created_at"],
        )

    def transactions(self, account_number: str | None = None) -> list[Transaction]:
        if account_number is None:
            rows = self._all("SELECT * FROM transactions ORDER BY seq")
        else:
            rows = self._all("SELECT * FROM transactions WHERE account_number = ? ORDER BY seq", account_number)
        return [self._transaction(r) for r in rows]

    def paid_since(self, account_number: str, types: tuple[str, ...], since: float) -> Decimal:
        marks = ",".join("?" for _ in types)
        rows = self._all(
            f"SELECT amount FROM transactions WHERE account_number = ? AND created_at >= ?"
            f" AND transaction_type IN ({marks})",
            account_number, since, *types,
        )
        return sum((Decimal(r["amount"]) for r in rows), Decimal(0))

    # -- OAuth tokens -----------------------------------------------------------------------

    def add_token(self, t: Token) -> None:
        self._run(
            "INSERT INTO tokens (access_token, refresh_token, client_id, scope, issued_at, expires_at,"
            " refresh_used) VALUES (?,?,?,?,?,?,?)",
            t.access_token, t.refresh_token, t.client_id, t.scope, t.issued_at, t.expires_at, int(t.refresh_used),
        )

    @staticmethod
    def _token(row: sqlite3.Row) -> Token:
        data = dict(row)
        data["refresh_used"] = bool(data["refresh_used"])
        return Token(**data)

    def token(self, access_token: str) -> Token | None:
        row = self._one("SELECT * FROM tokens WHERE access_token = ?", access_token)
        return None if row is None else self._token(row)

    def token_by_refresh(self, refresh_token: str) -> Token | None:
        row = self._one("SELECT * FROM tokens WHERE refresh_token = ?", refresh_token)
        return None if row is None else self._token(row)

    def tokens(self) -> list[Token]:
        return [self._token(r) for r in self._all("SELECT * FROM tokens ORDER BY issued_at")]

    def use_refresh(self, access_token: str) -> None:
        self._run("UPDATE tokens SET refresh_used = 1 WHERE access_token = ?", access_token)

    def forget_tokens_before(self, cutoff: float) -> None:
        self._run("DELETE FROM tokens WHERE expires_at < ?", cutoff)

    # -- idempotency ------------------------------------------------------------------------

    def stored_reply(self, client_id: str, key: str, not_before: float) -> StoredReply | None:
        row = self._one(
            "SELECT status, body, context_hash, created_at, fingerprint FROM idempotency"
            " WHERE client_id = ? AND key = ? AND created_at >= ?",
            client_id, key, not_before,
        )
        return None if row is None else StoredReply(row[0], bytes(row[1]), row[2], row[3], row[4])

    def store_reply(self, client_id: str, key: str, reply: StoredReply) -> None:
        self._run(
            "INSERT OR REPLACE INTO idempotency (client_id, key, context_hash, status, body, created_at,"
            " fingerprint) VALUES (?,?,?,?,?,?,?)",
            client_id, key, reply.context_hash, reply.status, reply.body, reply.created_at, reply.fingerprint,
        )

    def forget_replies_before(self, cutoff: float) -> None:
        self._run("DELETE FROM idempotency WHERE created_at < ?", cutoff)
