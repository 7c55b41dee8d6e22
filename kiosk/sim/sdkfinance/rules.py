"""The SDK.finance platform's rules as a cash point meets them (seed 002, REFERENCE §2).

Each operation runs inside one books transaction and either returns the JSON document of a
successful answer or raises ApiError (HTTP status, code, message, field errors). Rules, and why:

Who may do what. A customer ("individual" role) signs in with login + password, and, when
their account has two-factor sign-in, confirms with the one-time code sent to their phone
(POST /authorization answers {"action": "OTP_SENT"}; POST /authorization/confirm {login, otp}).
The customer's token lists their coins, calculates commissions and CREATES top-up and
withdrawal requests on their own coins. The cash point is a "merchant" user of the store's
organisation (no second factor: it is a terminal); only its token may ACCEPT or DECLINE a
request, which is the moment money moves. So the kiosk holds two tokens during a visit: its
own (for the whole shift, renewed by signing in again) and the customer's (for the visit).

Money. A calculate answers {amount, commission, totalAmount}, where amount is what lands in
the wallet (top-up) or in the customer's hand (withdrawal) and the commission comes on top:
a top-up's total is the cash the customer hands over, a withdrawal's total is what leaves the
coin. Commission = round_half_up(amount x percent / 100, currency decimals) + fixed, per flow
and currency. Each currency has per-request limits (minimum, maximum) on amount.

- Top-up request: created PENDING, nothing moves; accept credits amount to the coin;
  decline ends it.
- Withdrawal request: created PENDING only if availableAmount >= total, and the total is then
  HELD (heldAmount += total, availableAmount -= total); accept debits the total and releases the
  hold; decline releases the hold.
- Accepting or declining a request that is no longer PENDING never applies twice: HTTP 409
  REQUEST_ALREADY_ACCEPTED or REQUEST_ALREADY_DECLINED, with the request's requestIdentifier and
  status in the body, so a caller whose first call's answer was lost learns what happened.
- A created request whose answer was lost is found again with POST .../view and a filter on
  the `description` the caller gave it (or on status / coin).

Errors (body {"code", "message", "fieldErrors"?: [{"field", "code", "message"}]}):

    400 VALIDATION_ERROR        malformed JSON, a missing or malformed field (fieldErrors say which)
    400 AMOUNT_TOO_SMALL / AMOUNT_TOO_LARGE   outside the currency's per-request limits
    400 INSUFFICIENT_FUNDS      withdrawal total above the coin's availableAmount
    400 COIN_INACTIVE           the coin is blocked
    400 OTP_INVALID / OTP_EXPIRED / OTP_ATTEMPTS_EXCEEDED   on /authorization/confirm, /registration/confirm
    400 CURRENCY_MISMATCH       a transfer to a coin in another currency (transfers.py)
    401 INVALID_CREDENTIALS     wrong login or password (an unknown login answers the same)
    401 UNAUTHORIZED / TOKEN_EXPIRED   missing, unknown or expired access token
    403 ACCESS_DENIED           the role may not do this (a customer accepting, the cash point creating,
                                anyone but an administrator calling a set-up call: admin.py)
    404 COIN_NOT_FOUND / REQUEST_NOT_FOUND / BANK_NOT_FOUND   unknown, or not the caller's
    404 CURRENCY_NOT_FOUND / ORGANIZATION_NOT_FOUND / TEMPLATE_NOT_FOUND / OPERATION_NOT_FOUND / SMART_CARD_NOT_FOUND
    409 REQUEST_ALREADY_ACCEPTED / REQUEST_ALREADY_DECLINED
    409 USER_ALREADY_EXISTS / CURRENCY_ALREADY_EXISTS / ISSUER_ALREADY_EXISTS / BANK_ALREADY_EXISTS
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Protocol

from kiosk.sim import currencies
from kiosk.sim.sdkfinance.books import Bank, Books, Coin, Request, User

OTP_ATTEMPTS = 3
MAX_PAGE_SIZE = 100
_KIND_TYPE = {"topup": "TOP_UP", "withdrawal": "WITHDRAWAL"}
_WHAT = {"topup": "top-up", "withdrawal": "withdrawal"}


class ApiError(Exception):
    def __init__(
        self,
        http_status: int,
        code: str,
        message: str,
        field_errors: list[dict[str, str]] | None = None,
        *,
        keep_writes: bool = False,
        **extra: Any,
    ) -> None:
        super().__init__(message)
        # Most refusals roll back what the operation wrote; a few must leave a trace (a wrong
        # one-time code counts towards the limit even though the answer is an error).
        self.keep_writes = keep_writes
        self.http_status = http_status
        self.code = code
        self.message = message
        self.field_errors = field_errors or []
        self.extra = extra

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field_errors:
            body["fieldErrors"] = self.field_errors
        body.update(self.extra)
        return body


def invalid(field: str, code: str, message: str) -> ApiError:
    errors = [{"field": field, "code": code, "message": message}]
    return ApiError(400, "VALIDATION_ERROR", "Request validation failed", errors)


@dataclass(frozen=True)
class Fee:
    percent: Decimal
    fixed: Decimal


@dataclass(frozen=True)
class Limit:
    minimum: Decimal
    maximum: Decimal


def iso_time(t: float) -> str:
    """Unix seconds as the platform writes times: ISO 8601, UTC, milliseconds."""
    return datetime.fromtimestamp(t, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def currency_json(code: str) -> dict[str, Any]:
    return {"code": code, "symbol": currencies.symbol(code), "fraction": currencies.minor_units(code)}


def issuer_id(code: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"sdkfinance-sim:issuer:{code}"))


class Platform:
    def __init__(
        self,
        books: Books,
        clock: Callable[[], float],
        *,
        token_lifetime: float,
        otp_lifetime: float,
        commissions: Mapping[str, Mapping[str, Fee]],
        limits: Mapping[str, Limit],
        banks: tuple[Bank, ...],
        coin_field: str,
    ) -> None:
        self._books = books
        self._clock = clock
        self.token_lifetime = token_lifetime
        self.otp_lifetime = otp_lifetime
        self.commissions = commissions
        self.limits = limits
        self.banks = banks
        self.coin_field = coin_field

    # -- sign-in ----------------------------------------------------------------------------

    def authorization(self, body: Mapping[str, Any]) -> dict[str, Any]:
        login = login_field(body)
        password = required_text(body, "password", strip=False)
        user = self._books.user_by_login(login)
        # An unknown login answers exactly like a wrong password: logins are not disclosed.
        if user is None or not self._books.password_matches(user.user_id, password):
            raise ApiError(401, "INVALID_CREDENTIALS", "Invalid login or password")
        if user.otp_required:
            now = self._clock()
            code = f"{secrets.randbelow(1_000_000):06d}"
            self._books.set_otp(user.login, code, now, now + self.otp_lifetime)  # a new code replaces the old
            return {"action": "OTP_SENT"}
        return self.members(user)

    def confirm(self, body: Mapping[str, Any]) -> dict[str, Any]:
        login = login_field(body)
        otp = required_text(body, "otp")
        if not (otp.isascii() and otp.isdigit()):
            raise invalid("otp", "Pattern", "must be digits 0-9")
        user = self._books.user_by_login(login)
        pending = self._books.otp(user.login) if user is not None else None
        judge_code(pending, otp, self._clock(), "sign in again",
                   drop=self._books.drop_otp, count_failure=self._books.count_otp_failure)
        assert user is not None
        return self.members(user)

    def members(self, user: User) -> dict[str, Any]:
        now = self._clock()
        token = secrets.token_urlsafe(32)
        expires_at = now + self.token_lifetime
        self._books.forget_tokens_before(now - 86400)
        self._books.add_token(token, user.user_id, now, expires_at)
        return {
            "members": [
                {
                    "token": {"token": token, "expiresAt": iso_time(expires_at)},
                    "user": {"id": user.user_id, "name": user.name, "login": user.login},
                    "organization": {
                        "id": user.organization_id,
                        "name": user.organization_name,
                        # administrators are members of the system organisation
                        "type": "system" if user.role == "administrator" else user.role,
                    },
                    "role": user.role,
                }
            ]
        }

    def authenticate(self, header: str) -> User:
        """The user behind an Authorization header ("Bearer <token>" or the bare token)."""
        value = header.strip()
        if value[:7].lower() == "bearer ":
            value = value[7:].strip()
        if not value:
            raise ApiError(401, "UNAUTHORIZED", "Full authentication is required to access this resource")
        found = self._books.token(value)
        if found is None:
            raise ApiError(401, "UNAUTHORIZED", "Invalid access token")
        user_id, expires_at = found
        if expires_at <= self._clock():
            raise ApiError(401, "TOKEN_EXPIRED", "Access token expired")
        user = self._books.user(user_id)
        if user is None:  # pragma: no cover - users are never deleted
            raise ApiError(401, "UNAUTHORIZED", "Invalid access token")
        return user

    # -- coins and banks --------------------------------------------------------------------

    def coins(self, user: User) -> dict[str, Any]:
        return {"coins": [coin_json(c) for c in self._books.coins(user.user_id)]}

    def all_banks(self) -> list[Bank]:
        """The banks the platform was deployed with, then those an administrator added."""
        return [*self.banks, *self._books.banks()]

    def bank_catalog(self, user: User) -> dict[str, Any]:
        banks = self.all_banks()
        return {"records": [bank_json(b) for b in banks], "totalRecords": len(banks)}

    # -- requests ---------------------------------------------------------------------------

    def calculate(self, kind: str, user: User, body: Mapping[str, Any]) -> dict[str, Any]:
        coin, amount = self._coin_andamount_field(kind, user, body)
        commission = self.commission(kind, coin.currency, amount)
        return {
            self.coin_field: coin.serial,
            "amount": amount,
            "commission": commission,
            "totalAmount": amount + commission,
            "currency": coin.currency,
        }

    def create(self, kind: str, user: User, body: Mapping[str, Any]) -> dict[str, Any]:
        description = body.get("description")
        if description is not None and (not isinstance(description, str) or len(description) > 255):
            raise invalid("description", "Size", "must be text of at most 255 characters")
        bank_id = body.get("bankId")
        if bank_id is not None:
            if not isinstance(bank_id, (str, int)) or isinstance(bank_id, bool):
                raise invalid("bankId", "Type", "must be a bank id")
            bank_id = str(bank_id)
            if not any(b.bank_id == bank_id for b in self.all_banks()):
                raise ApiError(404, "BANK_NOT_FOUND", "Bank not found")
        coin, amount = self._coin_andamount_field(kind, user, body)
        commission = self.commission(kind, coin.currency, amount)
        total = amount + commission
        if kind == "withdrawal":
            if coin.available < total:
                raise self.insufficient(coin, total)
            self._books.set_coin_balances(coin.serial, coin.amount, coin.held + total)
        request = self._books.add_request(
            kind, user.user_id, coin, amount, commission, total, description, bank_id, self._clock()
        )
        return self.request_json(request)

    def accept(self, kind: str, user: User, request_id: str) -> dict[str, Any]:
        request = self._pending(kind, user, request_id)
        coin = self._books.coin(request.coin_serial)
        assert coin is not None
        if kind == "topup":
            self._books.set_coin_balances(coin.serial, coin.amount + request.amount, coin.held)
        else:
            self._books.set_coin_balances(coin.serial, coin.amount - request.total, coin.held - request.total)
        self._books.settle_request(request.request_id, "ACCEPTED", self._clock(), user.user_id)
        return self._settled(request.request_id)

    def decline(self, kind: str, user: User, request_id: str) -> dict[str, Any]:
        request = self._pending(kind, user, request_id)
        if kind == "withdrawal":
            coin = self._books.coin(request.coin_serial)
            assert coin is not None
            self._books.set_coin_balances(coin.serial, coin.amount, coin.held - request.total)
        self._books.settle_request(request.request_id, "DECLINED", self._clock(), user.user_id)
        return self._settled(request.request_id)

    def view(self, kind: str, user: User, body: Mapping[str, Any]) -> dict[str, Any]:
        flt = view_filter(body)
        wanted_id = flt.get("requestIdentifier")
        if wanted_id is not None:
            wanted_id = request_number(wanted_id, "filter.requestIdentifier")
        wanted_status = flt.get("status")
        if wanted_status is not None and wanted_status not in ("PENDING", "ACCEPTED", "DECLINED"):
            raise invalid("filter.status", "Pattern", "must be PENDING, ACCEPTED or DECLINED")
        wanted_coin = coin_reference(flt, "filter.", required=False)
        wanted_description = flt.get("description")
        owner = None if user.role == "merchant" else user.user_id
        records = [
            r for r in self._books.requests(kind, owner)
            if (wanted_id is None or r.request_id == wanted_id)
            and (wanted_status is None or r.status == wanted_status)
            and (wanted_coin is None or r.coin_serial == wanted_coin)
            and (wanted_description is None or r.description == wanted_description)
        ]
        return page(body, [self.request_json(r) for r in records])

    # -- helpers ----------------------------------------------------------------------------

    def commission(self, kind: str, currency: str, amount: Decimal) -> Decimal:
        fee = self.commissions.get(kind, {}).get(currency)
        quantum = Decimal(1).scaleb(-currencies.minor_units(currency))
        if fee is None:
            return Decimal(0).quantize(quantum)
        percent = (amount * fee.percent / 100).quantize(quantum, rounding=ROUND_HALF_UP)
        return (percent + fee.fixed).quantize(quantum)

    def request_json(self, r: Request) -> dict[str, Any]:
        return {
            "requestIdentifier": r.request_id,
            "type": _KIND_TYPE[r.kind],
            "status": r.status,
            self.coin_field: r.coin_serial,
            "amount": r.amount,
            "commission": r.commission,
            "totalAmount": r.total,
            "currency": r.currency,
            "description": r.description,
            "bankId": r.bank_id,
            "createdAt": iso_time(r.created_at),
            "processedAt": None if r.processed_at is None else iso_time(r.processed_at),
        }

    def _settled(self, request_id: int) -> dict[str, Any]:
        request = self._books.request(request_id)
        assert request is not None
        return self.request_json(request)

    def _pending(self, kind: str, user: User, request_id: str) -> Request:
        number = request_number(request_id, "requestIdentifier")
        if user.role != "merchant":
            raise ApiError(403, "ACCESS_DENIED", f"Only a cash point may accept or decline a {_WHAT[kind]} request")
        request = self._books.request(number)
        if request is None or request.kind != kind:
            raise ApiError(404, "REQUEST_NOT_FOUND", f"Request {number} not found")
        if request.status != "PENDING":
            raise ApiError(
                409, f"REQUEST_ALREADY_{request.status}",
                f"Request {number} is already {request.status.lower()}",
                requestIdentifier=number, status=request.status,
            )
        return request

    def _coin_andamount_field(self, kind: str, user: User, body: Mapping[str, Any]) -> tuple[Coin, Decimal]:
        if user.role == "merchant":
            raise ApiError(403, "ACCESS_DENIED", f"A cash point cannot create a {_WHAT[kind]} request for itself")
        errors: list[dict[str, str]] = []
        serial: str | None = None
        try:
            serial = coin_reference(body, "", required=True)
        except ApiError as exc:
            errors += exc.field_errors
        raw_amount = body.get("amount")
        if raw_amount is None:
            errors.append({"field": "amount", "code": "NotNull", "message": "must not be null"})
        if errors:
            raise ApiError(400, "VALIDATION_ERROR", "Request validation failed", errors)
        assert serial is not None
        coin = self._books.coin(serial)
        if coin is None or coin.user_id != user.user_id:
            raise ApiError(404, "COIN_NOT_FOUND", "Coin not found")
        amount = amount_field(raw_amount, coin.currency)
        if not coin.active:
            raise ApiError(400, "COIN_INACTIVE", "The coin is not active")
        self.check_limits(_WHAT[kind], coin.currency, amount)
        return coin, amount

    def check_limits(self, what: str, currency: str, amount: Decimal) -> None:
        """The currency's per-request limits on an amount."""
        limit = self.limits.get(currency)
        if limit is not None and amount < limit.minimum:
            raise ApiError(
                400, "AMOUNT_TOO_SMALL",
                f"The minimum {what} amount is {_text(limit.minimum)} {currency}",
                [{"field": "amount", "code": "Min", "message": f"must be at least {_text(limit.minimum)}"}],
            )
        if limit is not None and amount > limit.maximum:
            raise ApiError(
                400, "AMOUNT_TOO_LARGE",
                f"The maximum {what} amount is {_text(limit.maximum)} {currency}",
                [{"field": "amount", "code": "Max", "message": f"must be at most {_text(limit.maximum)}"}],
            )

    def insufficient(self, coin: Coin, total: Decimal) -> ApiError:
        return ApiError(
            400, "INSUFFICIENT_FUNDS",
            f"Insufficient funds: available {_text(coin.available)} {coin.currency}, "
            f"required {_text(total)} {coin.currency}",
        )


class PendingCode(Protocol):
    @property
    def login(self) -> str: ...
    @property
    def code(self) -> str: ...
    @property
    def expires_at(self) -> float: ...
    @property
    def failures(self) -> int: ...


def judge_code(pending: PendingCode | None, otp: str, now: float, again: str, *,
               drop: Callable[[str], None], count_failure: Callable[[str], None]) -> None:
    """A one-time code against the one pending (a sign-in's or a registration's): expired or
    none -> OTP_EXPIRED; wrong -> OTP_INVALID, the third time OTP_ATTEMPTS_EXCEEDED and the code
    is gone; right -> the code is used up. The refusals keep their writes (a wrong try counts)."""
    if pending is None or pending.expires_at <= now:
        if pending is not None:
            drop(pending.login)
        raise ApiError(400, "OTP_EXPIRED", f"The one-time password has expired or was not requested; {again}",
                       keep_writes=True)
    if not secrets.compare_digest(pending.code, otp):
        if pending.failures + 1 >= OTP_ATTEMPTS:
            drop(pending.login)
            raise ApiError(400, "OTP_ATTEMPTS_EXCEEDED", f"Too many wrong one-time passwords; {again}",
                           keep_writes=True)
        count_failure(pending.login)
        left = OTP_ATTEMPTS - pending.failures - 1
        raise ApiError(400, "OTP_INVALID", f"Wrong one-time password; {left} attempt(s) left", keep_writes=True)
    drop(pending.login)


def require_administrator(user: User, what: str) -> None:
    """Seed 002: "To call the listed below APIs, authorisation as administrator is required"."""
    if user.role != "administrator":
        raise ApiError(403, "ACCESS_DENIED", f"Only an administrator may {what}")


def view_filter(body: Mapping[str, Any]) -> Mapping[str, Any]:
    """The `filter` object of a .../view call (absent: no filter)."""
    flt = body.get("filter") or {}
    if not isinstance(flt, Mapping):
        raise invalid("filter", "Type", "must be an object")
    return flt


def page(body: Mapping[str, Any], records: list[dict[str, Any]]) -> dict[str, Any]:
    """One page of a view's records, as every .../view call answers: pageNumber from 0."""
    page_number = page_int(body, "pageNumber", 0, 0, 1_000_000)
    page_size = page_int(body, "pageSize", 20, 1, MAX_PAGE_SIZE)
    start = page_number * page_size
    return {
        "records": records[start:start + page_size],
        "totalRecords": len(records),
        "pageNumber": page_number,
        "pageSize": page_size,
    }


def bank_json(b: Bank) -> dict[str, Any]:
    return {"id": b.bank_id, "name": b.name, "bic": b.bic, "swift": b.swift}


def coin_json(c: Coin) -> dict[str, Any]:
    return {
        "serial": c.serial,
        "name": c.name,
        "amount": c.amount,
        "availableAmount": c.available,
        "heldAmount": c.held,
        "issuer": {"id": issuer_id(c.currency), "sn": c.currency, "currency": currency_json(c.currency)},
        "active": c.active,
        "main": c.main,
    }


def _text(value: Decimal) -> str:
    return format(value, "f")


def required_text(body: Mapping[str, Any], field: str, *, strip: bool = True) -> str:
    value = body.get(field)
    if not isinstance(value, str) or not value.strip():
        raise invalid(field, "NotBlank", "must not be blank")
    return value.strip() if strip else value


def login_field(body: Mapping[str, Any]) -> str:
    """A login (an e-mail address or a phone number): digits in it are ASCII, so a phone typed
    in Arabic-Indic or full-width digits is a validation error, never someone's login."""
    login = required_text(body, "login")
    if any(ch.isdigit() and not ch.isascii() for ch in login):
        raise invalid("login", "Pattern", "digits must be 0-9")
    return login


def coin_reference(body: Mapping[str, Any], prefix: str, *, required: bool,
                   names: tuple[str, ...] = ("coinSerial", "coin")) -> str | None:
    """The coin serial under any of its field names: "coinSerial" or "coin" (a serial, or
    {serial}); /coins/validate also takes "serial". Two names for two coins is an error."""
    values = []
    for name in names:
        value = body.get(name)
        if name == "coin" and isinstance(value, Mapping):
            value = value.get("serial")
        if value is not None:
            values.append(value)
    if not values:
        if required:
            raise invalid(f"{prefix}{names[0]}", "NotNull", f"must not be null ({' or '.join(names)})")
        return None
    if any(not isinstance(v, str) or not v.strip() for v in values):
        raise invalid(f"{prefix}{names[0]}", "Type", "must be a coin serial")
    if len({v.strip() for v in values}) > 1:
        raise invalid(f"{prefix}coin", "Conflict", "coinSerial and coin name different coins")
    return str(values[0]).strip()


def amount_field(raw: Any, currency: str) -> Decimal:
    if isinstance(raw, bool) or not isinstance(raw, (int, Decimal, str)):
        raise invalid("amount", "Type", "must be a number")
    if isinstance(raw, str) and not raw.isascii():  # Decimal() would read '١٠' as 10
        raise invalid("amount", "Type", "must be a number in ASCII digits")
    try:
        value = Decimal(str(raw).strip()) if not isinstance(raw, Decimal) else raw
    except InvalidOperation:
        raise invalid("amount", "Type", "must be a number") from None
    if not value.is_finite():
        raise invalid("amount", "Type", "must be a number")
    if value <= 0:
        raise invalid("amount", "Positive", "must be greater than 0")
    exponent = currencies.minor_units(currency)
    quantum = Decimal(1).scaleb(-exponent)
    if value != value.quantize(quantum):
        raise invalid("amount", "Digits", f"{currency} amounts have at most {exponent} decimal places")
    return value.quantize(quantum)


def request_number(raw: Any, field: str) -> int:
    """A request identifier: ASCII digits only (isdigit() and int() would take '١٢' as 12)."""
    text = str(raw).strip() if isinstance(raw, (str, int)) and not isinstance(raw, bool) else ""
    if not (text.isascii() and text.isdigit()) or len(text) > 18:
        raise invalid(field, "Type", "must be a request identifier (a number)")
    return int(text)


def page_int(body: Mapping[str, Any], field: str, default: int, low: int, high: int) -> int:
    value = body.get(field, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise invalid(field, "Range", f"must be a whole number from {low} to {high}")
    return value
