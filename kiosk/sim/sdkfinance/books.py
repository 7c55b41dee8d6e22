"""The simulated SDK.finance platform's books, in SQLite so they survive a restart.

Users (customers and the cash point), their coins (wallet accounts), access tokens, pending
one-time codes and the top-up / withdrawal requests. No business rules live here (rules.py
holds them): this module stores and fetches, one atomic, durable transaction at a time.

Durability: WAL with synchronous=FULL (a request the simulator has answered for is on disk;
a crash test that kills the simulator must not lose an accepted withdrawal). Amounts are
decimal text, never REAL. Passwords are kept as salted hashes; tokens as their SHA-256.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from kiosk.sim.books import SqliteBooks

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS users (
    user_id TEXT PRIMARY KEY, login TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('individual', 'merchant', 'administrator')),
    password_salt TEXT NOT NULL, password_hash TEXT NOT NULL,
    shown_password TEXT,              -- demo users only: what /_sim/sdkfinance/info shows
    otp_required INTEGER NOT NULL, organization_id TEXT NOT NULL, organization_name TEXT NOT NULL,
    created_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS coins (
    serial TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(user_id), name TEXT NOT NULL,
    currency TEXT NOT NULL, amount TEXT NOT NULL, held TEXT NOT NULL,
    active INTEGER NOT NULL, main INTEGER NOT NULL, created_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS tokens (
    token_hash TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(user_id),
    issued_at REAL NOT NULL, expires_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS otps (
    login TEXT PRIMARY KEY, code TEXT NOT NULL, sent_at REAL NOT NULL,
    expires_at REAL NOT NULL, failures INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS requests (
    request_id INTEGER PRIMARY KEY, kind TEXT NOT NULL CHECK (kind IN ('topup', 'withdrawal')),
    user_id TEXT NOT NULL, coin_serial TEXT NOT NULL, currency TEXT NOT NULL,
    amount TEXT NOT NULL, commission TEXT NOT NULL, total TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('PENDING', 'ACCEPTED', 'DECLINED')),
    description TEXT, bank_id TEXT, created_at REAL NOT NULL,
    processed_at REAL, processed_by TEXT, attempts INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS currencies (
    code TEXT PRIMARY KEY, digital_code TEXT, symbol TEXT NOT NULL, name TEXT NOT NULL,
    description TEXT, created_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS issuers (
    issuer_id TEXT PRIMARY KEY, sn_prefix TEXT NOT NULL UNIQUE, currency TEXT NOT NULL, name TEXT NOT NULL,
    description TEXT, active INTEGER NOT NULL, created_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS banks (
    bank_id TEXT PRIMARY KEY, name TEXT NOT NULL, bic TEXT NOT NULL UNIQUE, swift TEXT NOT NULL UNIQUE,
    created_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS registrations (
    login TEXT PRIMARY KEY, role TEXT NOT NULL, legal_type TEXT, code TEXT NOT NULL, sent_at REAL NOT NULL,
    expires_at REAL NOT NULL, failures INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS smart_cards (
    card_id TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(user_id), brand TEXT NOT NULL,
    last4 TEXT NOT NULL, expiry TEXT NOT NULL, created_at REAL NOT NULL);   -- never a full card number
CREATE TABLE IF NOT EXISTS templates (
    template_id TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(user_id), name TEXT NOT NULL,
    tool_type TEXT NOT NULL CHECK (tool_type IN ('COIN', 'SMART_CARD')), source TEXT NOT NULL,
    recipient TEXT NOT NULL, created_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS transfers (
    process_id TEXT PRIMARY KEY, user_id TEXT NOT NULL, tool_type TEXT NOT NULL, source TEXT NOT NULL,
    recipient TEXT NOT NULL, currency TEXT NOT NULL, amount TEXT NOT NULL, commission TEXT NOT NULL,
    total TEXT NOT NULL, created_at REAL NOT NULL);
"""

FIRST_REQUEST_ID = 100001


@dataclass(frozen=True)
class User:
    user_id: str
    login: str
    name: str
    role: str  # "individual" (a customer) | "merchant" (the cash point)
    otp_required: bool
    organization_id: str
    organization_name: str
    shown_password: str | None = None

    def __repr__(self) -> str:
        return f"User(user_id={self.user_id!r}, role={self.role!r})"


@dataclass(frozen=True)
class Coin:
    serial: str
    user_id: str
    name: str
    currency: str
    amount: Decimal
    held: Decimal
    active: bool
    main: bool

    @property
    def available(self) -> Decimal:
        return self.amount - self.held


@dataclass(frozen=True)
class Request:
    request_id: int
    kind: str  # "topup" | "withdrawal"
    user_id: str
    coin_serial: str
    currency: str
    amount: Decimal
    commission: Decimal
    total: Decimal
    status: str  # "PENDING" | "ACCEPTED" | "DECLINED"
    description: str | None
    bank_id: str | None
    created_at: float
    processed_at: float | None
    processed_by: str | None
    attempts: int


@dataclass(frozen=True)
class Bank:
    bank_id: str
    name: str
    bic: str
    swift: str


@dataclass(frozen=True)
class Currency:
    code: str
    digital_code: str | None
    symbol: str
    name: str
    description: str | None


@dataclass(frozen=True)
class Issuer:
    issuer_id: str
    sn_prefix: str
    currency: str
    name: str
    description: str | None
    active: bool


@dataclass(frozen=True)
class Registration:
    login: str
    role: str
    legal_type: str | None
    code: str
    expires_at: float
    failures: int

    def __repr__(self) -> str:
        return f"Registration(role={self.role!r}, expires_at={self.expires_at!r}, failures={self.failures})"


@dataclass(frozen=True)
class SmartCard:
    card_id: str
    user_id: str
    brand: str
    last4: str
    expiry: str  # MM/YY


@dataclass(frozen=True)
class Template:
    template_id: str
    user_id: str
    name: str
    tool_type: str  # "COIN" | "SMART_CARD"
    source: str  # the payer's coin serial
    recipient: str  # a coin serial (COIN) or a smart card id (SMART_CARD)
    created_at: float


@dataclass(frozen=True)
class Transfer:
    process_id: str
    user_id: str
    tool_type: str
    source: str
    recipient: str
    currency: str
    amount: Decimal
    commission: Decimal
    total: Decimal
    created_at: float


@dataclass(frozen=True)
class PendingOtp:
    login: str
    code: str
    sent_at: float
    expires_at: float
    failures: int

    def __repr__(self) -> str:
        return f"PendingOtp(expires_at={self.expires_at!r}, failures={self.failures})"


def _hash_password(salt: str, password: str) -> str:
    # A token work factor: this is a simulator (its demo passwords are shown by /info), the
    # hash only keeps the books from holding every password in clear.
    return hashlib.pbkdf2_hmac("sha256", password.encode(), bytes.fromhex(salt), 100).hex()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Books(SqliteBooks):
    """The platform's books: users, coins, tokens, pending codes and requests."""

    SCHEMA = _SCHEMA

    def __init__(self, path: Path | None) -> None:
        super().__init__(path)
        self._allow_administrators()

    def _allow_administrators(self) -> None:
        """Books written before the administrator role existed refuse it in a CHECK; SQLite
        cannot alter a CHECK, so the users table is rebuilt once, rows unchanged."""
        row = self._one("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'users'")
        if row is None or "administrator" in row["sql"]:
            return
        with self._lock:
            self._db.execute("PRAGMA foreign_keys=OFF")  # coins and tokens point at users
            try:
                with self.transaction():  # SQLite's own recipe: new table, copy, drop, rename
                    create = _SCHEMA.split(";")[1].replace("IF NOT EXISTS users", "users_with_roles")
                    self._db.execute(create)
                    self._db.execute("INSERT INTO users_with_roles SELECT * FROM users")
                    self._db.execute("DROP TABLE users")
                    self._db.execute("ALTER TABLE users_with_roles RENAME TO users")
            finally:
                self._db.execute("PRAGMA foreign_keys=ON")

    # -- users ------------------------------------------------------------------------------

    @staticmethod
    def _user(row: sqlite3.Row) -> User:
        return User(
            row["user_id"], row["login"], row["name"], row["role"], bool(row["otp_required"]),
            row["organization_id"], row["organization_name"], row["shown_password"],
        )

    def add_user(self, user: User, password: str, now: float) -> None:
        salt = secrets.token_hex(16)
        self._run(
            "INSERT INTO users (user_id, login, name, role, password_salt, password_hash, shown_password,"
            " otp_required, organization_id, organization_name, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            user.user_id, user.login, user.name, user.role, salt, _hash_password(salt, password),
            user.shown_password, int(user.otp_required), user.organization_id, user.organization_name, now,
        )

    def user(self, user_id: str) -> User | None:
        row = self._one("SELECT * FROM users WHERE user_id = ?", user_id)
        return None if row is None else self._user(row)

    def user_by_login(self, login: str) -> User | None:
        row = self._one("SELECT * FROM users WHERE login = ? COLLATE NOCASE", login)
        return None if row is None else self._user(row)

    def users(self) -> list[User]:
        return [self._user(r) for r in self._all("SELECT * FROM users ORDER BY rowid")]

    def password_matches(self, user_id: str, password: str) -> bool:
        row = self._one("SELECT password_salt, password_hash FROM users WHERE user_id = ?", user_id)
        if row is None:
            return False
        return hmac.compare_digest(_hash_password(row["password_salt"], password), row["password_hash"])

    # -- coins ------------------------------------------------------------------------------

    @staticmethod
    def _coin(row: sqlite3.Row) -> Coin:
        return Coin(
            row["serial"], row["user_id"], row["name"], row["currency"], Decimal(row["amount"]),
            Decimal(row["held"]), bool(row["active"]), bool(row["main"]),
        )

    def add_coin(self, coin: Coin, now: float) -> None:
        self._run(
            "INSERT INTO coins (serial, user_id, name, currency, amount, held, active, main, created_at)"
            " VALUES (?,?,?,?,?,?,?,?,?)",
            coin.serial, coin.user_id, coin.name, coin.currency, str(coin.amount), str(coin.held),
            int(coin.active), int(coin.main), now,
        )

    def coin(self, serial: str) -> Coin | None:
        row = self._one("SELECT * FROM coins WHERE serial = ?", serial)
        return None if row is None else self._coin(row)

    def coins(self, user_id: str | None = None) -> list[Coin]:
        if user_id is None:
            return [self._coin(r) for r in self._all("SELECT * FROM coins ORDER BY rowid")]
        return [self._coin(r) for r in self._all("SELECT * FROM coins WHERE user_id = ? ORDER BY rowid", user_id)]

    def set_coin_balances(self, serial: str, amount: Decimal, held: Decimal) -> None:
        # The platform's invariants, asserted where the numbers are written.
        assert held >= 0, "a hold is never negative"
        assert amount >= held, "a coin never holds more than it has"
        self._run("UPDATE coins SET amount = ?, held = ? WHERE serial = ?", str(amount), str(held), serial)

    def set_coin_active(self, serial: str, active: bool) -> None:
        self._run("UPDATE coins SET active = ? WHERE serial = ?", int(active), serial)

    # -- tokens -----------------------------------------------------------------------------

    def add_token(self, token: str, user_id: str, issued_at: float, expires_at: float) -> None:
        self._run(
            "INSERT INTO tokens (token_hash, user_id, issued_at, expires_at) VALUES (?,?,?,?)",
            token_hash(token), user_id, issued_at, expires_at,
        )

    def token(self, token: str) -> tuple[str, float] | None:
        """(user_id, expires_at) for a token, or None if it was never issued."""
        row = self._one("SELECT user_id, expires_at FROM tokens WHERE token_hash = ?", token_hash(token))
        return None if row is None else (row["user_id"], row["expires_at"])

    def forget_tokens_before(self, cutoff: float) -> None:
        self._run("DELETE FROM tokens WHERE expires_at < ?", cutoff)

    # -- one-time codes ---------------------------------------------------------------------

    def set_otp(self, login: str, code: str, sent_at: float, expires_at: float) -> None:
        self._run(
            "INSERT OR REPLACE INTO otps (login, code, sent_at, expires_at, failures) VALUES (?,?,?,?,0)",
            login, code, sent_at, expires_at,
        )

    def otp(self, login: str) -> PendingOtp | None:
        row = self._one("SELECT * FROM otps WHERE login = ?", login)
        if row is None:
            return None
        return PendingOtp(row["login"], row["code"], row["sent_at"], row["expires_at"], row["failures"])

    def count_otp_failure(self, login: str) -> None:
        self._run("UPDATE otps SET failures = failures + 1 WHERE login = ?", login)

    def drop_otp(self, login: str) -> None:
        self._run("DELETE FROM otps WHERE login = ?", login)

    # -- requests ---------------------------------------------------------------------------

    @staticmethod
    def _request(row: sqlite3.Row) -> Request:
        return Request(
            row["request_id"], row["kind"], row["user_id"], row["coin_serial"], row["currency"],
            Decimal(row["amount"]), Decimal(row["commission"]), Decimal(row["total"]), row["status"],
            row["description"], row["bank_id"], row["created_at"], row["processed_at"],
            row["processed_by"], row["attempts"],
        )

    def add_request(
        self, kind: str, user_id: str, coin: Coin, amount: Decimal, commission: Decimal, total: Decimal,
        description: str | None, bank_id: str | None, now: float,
    ) -> Request:
        with self.transaction():
            row = self._one("SELECT MAX(request_id) FROM requests")  # one row, NULL when there are none
            highest = row[0] if row is not None else None
            request_id = max(FIRST_REQUEST_ID, (highest or 0) + 1)
            self._run(
                "INSERT INTO requests (request_id, kind, user_id, coin_serial, currency, amount, commission,"
                " total, status, description, bank_id, created_at) VALUES (?,?,?,?,?,?,?,?,'PENDING',?,?,?)",
                request_id, kind, user_id, coin.serial, coin.currency, str(amount), str(commission), str(total),
                description, bank_id, now,
            )
        request = self.request(request_id)
        assert request is not None
        return request

    def request(self, request_id: int) -> Request | None:
        row = self._one("SELECT * FROM requests WHERE request_id = ?", request_id)
        return None if row is None else self._request(row)

    def requests(self, kind: str | None = None, user_id: str | None = None) -> list[Request]:
        sql = "SELECT * FROM requests WHERE 1=1"
        args: list[str] = []
        if kind is not None:
            sql, args = sql + " AND kind = ?", [*args, kind]
        if user_id is not None:
            sql, args = sql + " AND user_id = ?", [*args, user_id]
        return [self._request(r) for r in self._all(sql + " ORDER BY request_id", *args)]

    def settle_request(self, request_id: int, status: str, now: float, by: str) -> None:
        self._run(
            "UPDATE requests SET status = ?, processed_at = ?, processed_by = ?"
            " WHERE request_id = ? AND status = 'PENDING'",
            status, now, by, request_id,
        )

    def count_attempt(self, request_id: int) -> int:
        """Counts an accept / decline call on the request; returns the count before this one."""
        with self.transaction():
            row = self._one("SELECT attempts FROM requests WHERE request_id = ?", request_id)
            if row is None:
                return 0
            self._run("UPDATE requests SET attempts = attempts + 1 WHERE request_id = ?", request_id)
            return int(row[0])

    # -- the administrator's catalogue: currencies, issuers, banks -------------------------

    def add_currency(self, c: Currency, now: float) -> None:
        self._run("INSERT INTO currencies (code, digital_code, symbol, name, description, created_at)"
                  " VALUES (?,?,?,?,?,?)", c.code, c.digital_code, c.symbol, c.name, c.description, now)

    def currencies(self) -> list[Currency]:
        rows = self._all("SELECT * FROM currencies ORDER BY rowid")
        return [Currency(r["code"], r["digital_code"], r["symbol"], r["name"], r["description"]) for r in rows]

    def add_issuer(self, i: Issuer, now: float) -> None:
        self._run("INSERT INTO issuers (issuer_id, sn_prefix, currency, name, description, active, created_at)"
                  " VALUES (?,?,?,?,?,?,?)", i.issuer_id, i.sn_prefix, i.currency, i.name, i.description,
                  int(i.active), now)

    def issuers(self) -> list[Issuer]:
        rows = self._all("SELECT * FROM issuers ORDER BY rowid")
        return [Issuer(r["issuer_id"], r["sn_prefix"], r["currency"], r["name"], r["description"], bool(r["active"]))
                for r in rows]

    def add_bank(self, b: Bank, now: float) -> None:
        self._run("INSERT INTO banks (bank_id, name, bic, swift, created_at) VALUES (?,?,?,?,?)",
                  b.bank_id, b.name, b.bic, b.swift, now)

    def banks(self) -> list[Bank]:
        return [Bank(r["bank_id"], r["name"], r["bic"], r["swift"])
                for r in self._all("SELECT * FROM banks ORDER BY rowid")]

    # -- self-registration ------------------------------------------------------------------

    def set_registration(self, login: str, role: str, legal_type: str | None, code: str, sent_at: float,
                         expires_at: float) -> None:
        self._run("INSERT OR REPLACE INTO registrations (login, role, legal_type, code, sent_at, expires_at, failures)"
                  " VALUES (?,?,?,?,?,?,0)", login, role, legal_type, code, sent_at, expires_at)

    def registration(self, login: str) -> Registration | None:
        r = self._one("SELECT * FROM registrations WHERE login = ? COLLATE NOCASE", login)
        if r is None:
            return None
        return Registration(r["login"], r["role"], r["legal_type"], r["code"], r["expires_at"], r["failures"])

    def count_registration_failure(self, login: str) -> None:
        self._run("UPDATE registrations SET failures = failures + 1 WHERE login = ?", login)

    def drop_registration(self, login: str) -> None:
        self._run("DELETE FROM registrations WHERE login = ?", login)

    # -- smart cards, transfer templates and transfers --------------------------------------

    def add_card(self, c: SmartCard, now: float) -> None:
        self._run("INSERT INTO smart_cards (card_id, user_id, brand, last4, expiry, created_at) VALUES (?,?,?,?,?,?)",
                  c.card_id, c.user_id, c.brand, c.last4, c.expiry, now)

    def cards(self, user_id: str) -> list[SmartCard]:
        rows = self._all("SELECT * FROM smart_cards WHERE user_id = ? ORDER BY rowid", user_id)
        return [SmartCard(r["card_id"], r["user_id"], r["brand"], r["last4"], r["expiry"]) for r in rows]

    def card(self, card_id: str) -> SmartCard | None:
        r = self._one("SELECT * FROM smart_cards WHERE card_id = ?", card_id)
        return None if r is None else SmartCard(r["card_id"], r["user_id"], r["brand"], r["last4"], r["expiry"])

    @staticmethod
    def _template(r: sqlite3.Row) -> Template:
        return Template(r["template_id"], r["user_id"], r["name"], r["tool_type"], r["source"], r["recipient"],
                        r["created_at"])

    def add_template(self, t: Template) -> None:
        self._run("INSERT INTO templates (template_id, user_id, name, tool_type, source, recipient, created_at)"
                  " VALUES (?,?,?,?,?,?,?)", t.template_id, t.user_id, t.name, t.tool_type, t.source, t.recipient,
                  t.created_at)

    def templates(self, user_id: str) -> list[Template]:
        return [self._template(r) for r in self._all("SELECT * FROM templates WHERE user_id = ? ORDER BY rowid", user_id)]

    def template(self, template_id: str) -> Template | None:
        r = self._one("SELECT * FROM templates WHERE template_id = ?", template_id)
        return None if r is None else self._template(r)

    def add_transfer(self, t: Transfer) -> None:
        self._run("INSERT INTO transfers (process_id, user_id, tool_type, source, recipient, currency, amount,"
                  " commission, total, created_at) VALUES (?,?,?,?,?,?,?,?,?,?)", t.process_id, t.user_id,
                  t.tool_type, t.source, t.recipient, t.currency, str(t.amount), str(t.commission), str(t.total),
                  t.created_at)

    def transfer(self, process_id: str) -> Transfer | None:
        r = self._one("SELECT * FROM transfers WHERE process_id = ?", process_id)
        if r is None:
            return None
        return Transfer(r["process_id"], r["user_id"], r["tool_type"], r["source"], r["recipient"], r["currency"],
                        Decimal(r["amount"]), Decimal(r["commission"]), Decimal(r["total"]), r["created_at"])
