"""SDK.finance cloud-wallet client (seed 002, REFERENCE §2): cash top-ups and cash withdrawals
as requests the cash point accepts or declines.

Who signs in. The kiosk holds two identities, each a login + password kept in memory only
(as SecretStr) plus the access token the platform gave for it:

- the cash point: a "merchant" user of the store's organisation, from settings, signed in for
  the whole shift (no second factor: it is a terminal). Only it may ACCEPT or DECLINE a
  request, and it looks requests up (its view covers every customer's requests, so recovery
  after a crash needs no customer);
- the customer: signs in per visit (`sign_in`); when their account has two-factor sign-in the
  platform answers OTP_SENT and the code they receive is typed in (`confirm_otp`). The
  customer's token lists coins, calculates commissions and CREATES the requests.

A visit: `coins()` -> `topup_calculate` (commission shown) -> `topup_create` -> cash into the
drawer -> `topup_accept` (or `topup_decline`); `withdrawal_calculate` -> `withdrawal_create`
(the total is held on the coin) -> cash handed over -> `withdrawal_accept` (or `..._decline`).

Re-authentication: a 401 on any call signs the same identity in again, once, with its stored
credentials and repeats the call (a 401 is a refusal before anything is applied, so the repeat
is safe). A token whose `expiresAt` has passed is renewed before the call. A customer who needed
a one-time code cannot be signed in again silently (that would text them a new code):
CustomerSignInExpired asks for a new sign-in.

Unknown outcomes, and how to settle them (no idempotency header is documented):
- accept / decline: send the same call again. The platform never applies a request twice: it
  answers 409 REQUEST_ALREADY_ACCEPTED / _DECLINED. The client turns a 409 that matches what
  was asked into the normal result (`already_settled=True`), and raises RequestAlreadySettled
  (with `.status`) when the request went the other way;
- create: pass a unique `reference` (sent as the request's `description`); after an
  OutcomeUnknown, `topup_find(reference)` / `withdrawal_find(reference)` tell whether the
  request exists (and its id), then decline or accept it;
- `topup_status(id)` / `withdrawal_status(id)` read a request's status without changing it.

Error kinds (kiosk.backends.base; this module's subclasses in brackets):

    connect error / connect timeout / DNS / TLS / pool timeout     -> HostUnreachable (nothing sent)
    HTTP 408 / 429                                                 -> HostUnreachable (busy; nothing applied)
    read timeout, broken connection, 5xx, unreadable 2xx body:
        create / accept / decline                                  -> OutcomeUnknown
        sign-in, coins, calculate, status / find (change nothing)  -> HostUnreachable
    401 INVALID_CREDENTIALS at sign-in: customer                   -> BusinessError [SignInRejected]
                                        cash point                 -> AuthenticationFailed
    OTP_INVALID / OTP_EXPIRED / OTP_ATTEMPTS_EXCEEDED              -> OtpRejected
    401 on a call, again after one re-sign-in                      -> AuthenticationFailed
        (a two-factor customer: SessionRejected [CustomerSignInExpired], without a retry)
    403 ACCESS_DENIED on a cash-point call                         -> AuthenticationFailed
    400 INSUFFICIENT_FUNDS                                         -> InsufficientFunds
    400 AMOUNT_TOO_SMALL / AMOUNT_TOO_LARGE                        -> BusinessError [AmountOutsideLimits]
    404 REQUEST_NOT_FOUND                                          -> BusinessError [RequestNotFound]
    409 REQUEST_ALREADY_* not matching the call                    -> BusinessError [RequestAlreadySettled]
    anything else refused (400 VALIDATION_ERROR, COIN_INACTIVE,
        COIN_NOT_FOUND, 403 on a customer call, other 4xx)         -> BusinessError, in plain words

Secrets: passwords, tokens and one-time codes never appear in a log line, an exception or a
repr; logins (an e-mail or a phone number) are masked. httpx exceptions are never passed on
(their text holds the URL); each becomes a message written here, raised outside the `except`
block so no traceback carries the original.
"""

from __future__ import annotations

import json
import logging
import re
import time
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

import httpx
from pydantic import AliasChoices, BaseModel, BeforeValidator, ConfigDict, Field, SecretStr, ValidationError

from kiosk.backends.base import (
    AuthenticationFailed,
    BackendError,
    BusinessError,
    HostUnreachable,
    InsufficientFunds,
    OtpRejected,
    OutcomeUnknown,
    SessionRejected,
)
from kiosk.backends.http import HttpClientBase, refuse_non_ascii
from kiosk.digits import is_digits
from kiosk.money import Money, MoneyError, check_currency, parse_host_amount

log = logging.getLogger("kiosk.backends.sdkfinance")

# httpx logs each request's URL at INFO; no secret travels in these URLs, but keep the library
# quiet so the kiosk's log holds our own lines (same policy as the Rapyd client).
for _name in ("httpx", "httpcore"):
    logging.getLogger(_name).setLevel(max(logging.getLogger(_name).level, logging.WARNING))

Call = Literal["sign_in", "confirm", "coins", "calculate", "create", "accept", "decline", "view"]
Flow = Literal["topup", "withdrawal"]
Who = Literal["customer", "cash_point"]
Status = Literal["PENDING", "ACCEPTED", "DECLINED"]

_MOVES_MONEY: frozenset[str] = frozenset({"create", "accept", "decline"})
_PATHS: dict[Flow, str] = {"topup": "/bank-top-ups", "withdrawal": "/bank-withdrawals"}
_FLOW_WORD: dict[Flow, str] = {"topup": "top-up", "withdrawal": "withdrawal"}
_WHAT: dict[str, str] = {
    "sign_in": "sign-in",
    "confirm": "one-time code confirmation",
    "coins": "wallet account list",
    "calculate": "commission calculation",
    "create": "request",
    "accept": "acceptance",
    "decline": "decline",
    "view": "request look-up",
}
_REFRESH_MARGIN = 30.0  # renew a token this long before the platform's expiresAt
_REFERENCE = re.compile(r"^[\x21-\x7e]{1,255}$")
_SERIAL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")
_LOOPBACK = {"localhost", "127.0.0.1", "::1"}
REDACTED = "******"


# ---------------------------------------------------------------------------------------------
# Error kinds specific to this back end (all subclasses of kiosk.backends.base kinds)


class SignInRejected(BusinessError):
    """The customer's login or password is wrong (the platform does not say which)."""

    code = "SIGN_IN_REJECTED"


class CustomerSignInExpired(SessionRejected):
    """The customer's access ended and needs a new sign-in with a new one-time code."""

    code = "CUSTOMER_SIGN_IN_EXPIRED"


class RequestNotFound(BusinessError):
    code = "REQUEST_NOT_FOUND"


class RequestAlreadySettled(BusinessError):
    """The request was already accepted or declined, the other way than asked: `.status`."""

    code = "REQUEST_ALREADY_SETTLED"

    def __init__(self, message: str, *, status: str, host_code: str = "") -> None:
        super().__init__(message, host_code=host_code)
        self.status = status


class AmountOutsideLimits(BusinessError):
    code = "AMOUNT_OUTSIDE_LIMITS"


# ---------------------------------------------------------------------------------------------
# What the kiosk gets back


@dataclass(frozen=True)
class SignedIn:
    """A successful sign-in. `token` is the access token (a SecretStr: it never prints)."""

    role: str  # "individual" (a customer) or "merchant" (a cash point), lower case
    user_id: str
    user_name: str
    organization_id: str
    organization_name: str
    expires_at: float | None  # Unix seconds, when the platform said
    token: SecretStr = field(repr=False)


@dataclass(frozen=True)
class OtpRequired:
    """The platform sent the customer a one-time code: call `confirm_otp(login, code)`."""

    login_hint: str  # the login, masked, for the cashier's screen


@dataclass(frozen=True)
class Coin:
    """One of the customer's wallet accounts ("coins")."""

    serial: str
    name: str
    currency: str
    amount: Money  # the balance
    available: Money  # what can be withdrawn now (balance minus holds)
    held: Money  # held by pending withdrawal requests
    active: bool = True
    main: bool = False


@dataclass(frozen=True)
class Quote:
    """A commission calculation: `amount` reaches the wallet (top-up) or the customer's hand
    (withdrawal); `total` = amount + commission is the cash taken (top-up) or the sum that
    leaves the wallet (withdrawal)."""

    coin_serial: str
    amount: Money
    commission: Money
    total: Money


@dataclass(frozen=True)
class TransferRequest:
    """A top-up or withdrawal request as the platform reported it."""

    request_id: int
    flow: Flow
    status: Status
    coin_serial: str = ""
    amount: Money | None = None
    commission: Money | None = None
    total: Money | None = None
    reference: str | None = None
    #: True when an accept / decline was answered "already accepted / declined" (a repeat).
    already_settled: bool = False


# ---------------------------------------------------------------------------------------------
# Wire models: tolerant of the documented variants, strict about what matters


def _loose_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        raise ValueError("a boolean is not text")
    if isinstance(value, (str, int, Decimal)):
        return str(value).strip()
    raise ValueError("not text")


def _serial(value: object) -> str:
    """A coin reference: a serial string, or an object holding one ({"serial": ...})."""
    if isinstance(value, Mapping):
        value = value.get("serial") or value.get("coinSerial")
    text = _loose_text(value)
    if not _SERIAL.match(text):
        raise ValueError("not a coin serial")
    return text


LooseText = Annotated[str, BeforeValidator(_loose_text)]
Serial = Annotated[str, BeforeValidator(_serial)]


class _Model(BaseModel):
    # Built on first use: a command validates a few of these answers, never all (start-up time).
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True, defer_build=True)


class _WireToken(_Model):
    token: LooseText
    expires_at: Any = Field(None, validation_alias=AliasChoices("expiresAt", "expires_at", "expires"))


class _WireMember(_Model):
    token: _WireToken
    user: dict[str, Any] = {}
    organization: dict[str, Any] = {}
    role: LooseText = ""


class _WireSignIn(_Model):
    action: LooseText = ""
    members: list[_WireMember] = []


class _WireCoin(_Model):
    serial: Serial = Field(validation_alias=AliasChoices("serial", "coinSerial", "coin"))
    name: LooseText = ""
    amount: Any
    available: Any = Field(None, validation_alias=AliasChoices("availableAmount", "available"))
    held: Any = Field(None, validation_alias=AliasChoices("heldAmount", "held"))
    issuer: Any = None
    currency: Any = None
    active: bool = True
    main: bool = False


class _WireQuote(_Model):
    coin: Serial | None = Field(None, validation_alias=AliasChoices("coinSerial", "coin"))
    amount: Any = None
    commission: Any
    total: Any = Field(None, validation_alias=AliasChoices("totalAmount", "total", "transactionAmount"))
    currency: Any = None


class _WireRequest(_Model):
    request_id: int = Field(validation_alias=AliasChoices("requestIdentifier", "requestId", "id"))
    status: LooseText = ""
    coin: Serial | None = Field(None, validation_alias=AliasChoices("coinSerial", "coin"))
    amount: Any = None
    commission: Any = None
    total: Any = Field(None, validation_alias=AliasChoices("totalAmount", "total"))
    currency: Any = None
    description: str | None = None


class _WireError(_Model):
    code: LooseText = Field("", validation_alias=AliasChoices("code", "errorCode", "error"))
    message: LooseText = Field("", validation_alias=AliasChoices("message", "errorMessage", "description"))
    field_errors: list[dict[str, Any]] = Field(
        [], validation_alias=AliasChoices("fieldErrors", "field_errors", "errors")
    )
    status: LooseText = ""


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _parse_json(content: bytes) -> Any:
    """The body as JSON with every fraction a Decimal; None when it is not JSON."""
    try:
        return json.loads(content.decode("utf-8"), parse_float=Decimal, parse_constant=_refuse_constant)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None


def _currency_of(*candidates: Any) -> str | None:
    """The first ISO 4217 code among the places a version puts it: "EUR", {"code": "EUR"}, ..."""
    for value in candidates:
        if isinstance(value, Mapping):
            value = value.get("code") or value.get("currency") or value.get("sn")
            if isinstance(value, Mapping):
                value = value.get("code")
        if isinstance(value, str) and value.strip():
            try:
                return check_currency(value)
            except MoneyError:
                continue
    return None


def _commission_value(value: Any) -> Any:
    """A commission is a number, or an object holding one under "amount" / "value"."""
    if isinstance(value, Mapping):
        return value.get("amount", value.get("value"))
    return value


def parse_expiry(value: Any) -> float | None:
    """expiresAt as Unix seconds: an ISO 8601 text, or a number of seconds / milliseconds."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, Decimal, float)):
        number = float(value)
        return number / 1000 if number > 1e11 else number
    if isinstance(value, str):
        text = value.strip().replace("Z", "+00:00")
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return None
        if moment.tzinfo is None:  # no zone given: the platform writes UTC
            moment = moment.replace(tzinfo=UTC)
        return moment.timestamp()
    return None


def mask_login(login: str) -> str:
    """A login for screens and logs: an e-mail as a***@domain, a phone as its last 4 digits."""
    login = (login or "").strip()
    if "@" in login:
        local, _, domain = login.partition("@")
        return f"{local[:1]}***@{domain}"
    digits = re.sub(r"\D", "", login)
    if len(digits) >= 4:
        return f"***{digits[-4:]}"
    return "***"


# ---------------------------------------------------------------------------------------------
# Identities held in memory


class _Identity:
    """A login with its password and current token; never printed."""

    __slots__ = ("login", "password", "token", "expires_at", "needs_otp")

    def __init__(self, login: str, password: SecretStr) -> None:
        self.login = login
        self.password = password
        self.token: SecretStr | None = None
        self.expires_at: float | None = None
        self.needs_otp = False

    def __repr__(self) -> str:
        return f"_Identity(login={mask_login(self.login)!r}, signed_in={self.token is not None})"

class SdkFinanceClient(HttpClientBase):
    """The SDK.finance cloud-wallet API over a synchronous httpx client."""

    name = "sdkfinance"

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 10.0,
        connect_timeout: float = 3.0,
        transport: httpx.BaseTransport | None = None,
        cash_point_login: str | None = None,
        cash_point_password: str | SecretStr | None = None,
        coin_field: Literal["coinSerial", "coin"] = "coinSerial",
        clock: Callable[[], float] = time.time,
    ) -> None:
        """`base_url` includes the API path, e.g. "https://host/api/v1" (the simulator's
        BASE_PATH). `coin_field` names the coin in requests: "coinSerial" (newer versions) or
        "coin" (older); answers are read in either form."""
        url = httpx.URL(base_url)
        if url.scheme not in ("http", "https") or not url.host:
            raise ValueError("the SDK.finance base URL must be an http(s) URL with a host")
        if url.userinfo or url.query or url.fragment:
            raise ValueError("the SDK.finance base URL must not carry a user, password, query or fragment")
        if url.scheme == "http" and url.host not in _LOOPBACK:
            log.warning("SDK.finance base URL %s is not HTTPS: passwords and tokens travel unencrypted", url.host)
        if timeout <= 0 or connect_timeout <= 0:
            raise ValueError("timeouts must be positive")
        if coin_field not in ("coinSerial", "coin"):
            raise ValueError("coin_field is 'coinSerial' or 'coin'")
        self._timeout = timeout
        self._clock = clock
        self._coin_field = coin_field
        self._display_url = str(url).rstrip("/")
        self._host = url.host
        self._cash_point: _Identity | None = None
        self._customer: _Identity | None = None
        self._pending_otp_login: str | None = None
        if cash_point_login or cash_point_password:
            self._cash_point = _identity(cash_point_login or "", cash_point_password)
        self._http = httpx.Client(
            base_url=self._display_url + "/",
            timeout=httpx.Timeout(timeout, connect=connect_timeout),
            transport=transport,
            follow_redirects=False,  # a redirected POST is not an answer
            headers={"User-Agent": "cashpoint-kiosk", "Accept": "application/json"},
        )

    def __repr__(self) -> str:
        return f"SdkFinanceClient(base_url={self._display_url!r})"

    # -- signing in -----------------------------------------------------------------------------

    def sign_in_cash_point(self, login: str | None = None, password: str | SecretStr | None = None) -> SignedIn:
        """Sign the cash point in (with these credentials, or those given to the constructor)."""
        if login is not None or password is not None:
            self._cash_point = _identity(login or "", password)
        if self._cash_point is None:
            raise AuthenticationFailed("No cash-point login is configured for the SDK.finance back end.")
        return self._sign_in_identity("cash_point", self._cash_point)

    def sign_in(self, login: str, password: str | SecretStr) -> SignedIn | OtpRequired:
        """The customer's sign-in: SignedIn, or OtpRequired when a code was sent to them."""
        identity = _identity(login, password, customer=True)
        self._customer = identity
        self._pending_otp_login = None
        result = self._sign_in_identity("customer", identity)
        return result

    def confirm_otp(self, login: str, otp: str) -> SignedIn:
        """The one-time code the customer received after `sign_in` answered OtpRequired."""
        login = (login or "").strip()
        code = re.sub(r"\s", "", otp or "")
        if not is_digits(code, 4, 10):
            raise OtpRejected("The one-time code is the digits the customer received.")
        identity = self._customer
        if identity is None or identity.login.lower() != login.lower():
            raise SessionRejected("Sign the customer in first: the code belongs to that sign-in.")
        document = self._send_json(
            "confirm", "POST", "authorization/confirm", {"login": login, "otp": code}, token=None,
            hide=(identity.login, identity.password.get_secret_value(), code),
        )
        signed = self._signed_in("confirm", document, expect="individual")
        if signed is None:
            raise self._garbled("confirm", "no access token in the answer")
        identity.needs_otp = True
        self._store_token(identity, signed)
        self._pending_otp_login = None
        return signed

    def sign_out_customer(self) -> None:
        """Forget the customer's credentials and token (end of the visit; local only)."""
        self._customer = None
        self._pending_otp_login = None

    @property
    def customer_signed_in(self) -> bool:
        return self._customer is not None and self._customer.token is not None

    # -- the customer's calls ---------------------------------------------------------------------

    def coins(self) -> list[Coin]:
        document = self._authorized("customer", "coins", "GET", "coins")
        items = _unwrap(document, "coins", "records", "content")
        if items is None:
            raise self._garbled("coins", "no coin list")
        coins: list[Coin] = []
        for item in items:
            coin = self._coin(item)
            if coin is not None:
                coins.append(coin)
        return coins

    def topup_calculate(self, coin: Coin | str, amount: Money) -> Quote:
        return self._calculate("topup", coin, amount)

    def withdrawal_calculate(self, coin: Coin | str, amount: Money) -> Quote:
        return self._calculate("withdrawal", coin, amount)

    def topup_create(
        self, coin: Coin | str, amount: Money, *, reference: str | None = None, bank_id: str | None = None
    ) -> int:
        """Create a pending top-up request; its id. Give a unique `reference` to be able to
        find the request after an OutcomeUnknown (`topup_find`)."""
        return self._create("topup", coin, amount, reference, bank_id)

    def withdrawal_create(
        self, coin: Coin | str, amount: Money, *, reference: str | None = None, bank_id: str | None = None
    ) -> int:
        """Create a pending withdrawal request (the total is held on the coin); its id."""
        return self._create("withdrawal", coin, amount, reference, bank_id)

    # -- the cash point's calls -------------------------------------------------------------------

    def topup_accept(self, request_id: int) -> TransferRequest:
        """Accept once the cash is in the drawer: the wallet is credited."""
        return self._settle("topup", "accept", request_id)

    def topup_decline(self, request_id: int) -> TransferRequest:
        return self._settle("topup", "decline", request_id)

    def withdrawal_accept(self, request_id: int) -> TransferRequest:
        """Accept once the cash is handed over: the held total leaves the wallet."""
        return self._settle("withdrawal", "accept", request_id)

    def withdrawal_decline(self, request_id: int) -> TransferRequest:
        """Decline (cash not handed over): the hold is released."""
        return self._settle("withdrawal", "decline", request_id)

    def topup_status(self, request_id: int) -> TransferRequest:
        return self._status("topup", request_id)

    def withdrawal_status(self, request_id: int) -> TransferRequest:
        return self._status("withdrawal", request_id)

    def topup_find(self, reference: str) -> TransferRequest | None:
        return self._find("topup", reference)

    def withdrawal_find(self, reference: str) -> TransferRequest | None:
        return self._find("withdrawal", reference)

    # -- flows ------------------------------------------------------------------------------------

    def _calculate(self, flow: Flow, coin: Coin | str, amount: Money) -> Quote:
        serial = _check_coin(coin, amount)
        document = self._authorized(
            "customer", "calculate", "POST", f"{_PATHS[flow].lstrip('/')}/calculate",
            {self._coin_field: serial, "amount": amount.amount},
        )
        try:
            wire = _WireQuote.model_validate(document)
        except ValidationError:
            wire = None
        if wire is None:
            raise self._garbled("calculate", "no commission in the answer")
        currency = _currency_of(wire.currency) or amount.currency
        if currency != amount.currency:
            raise self._garbled("calculate", "the commission is in another currency")
        commission = _host_money(_commission_value(wire.commission), currency)
        quoted = amount if wire.amount is None else _host_money(wire.amount, currency)
        if commission is None or quoted is None:
            raise self._garbled("calculate", "an amount is not a number")
        total = quoted + commission if wire.total is None else _host_money(wire.total, currency)
        if total is None:
            raise self._garbled("calculate", "an amount is not a number")
        if commission.amount < 0 or quoted != amount or total != quoted + commission:
            raise self._garbled("calculate", "the quote does not match the amount asked")
        return Quote(serial, quoted, commission, total)

    def _create(self, flow: Flow, coin: Coin | str, amount: Money, reference: str | None, bank_id: str | None) -> int:
        serial = _check_coin(coin, amount)
        payload: dict[str, Any] = {self._coin_field: serial, "amount": amount.amount}
        if reference is not None:
            if not _REFERENCE.match(reference):
                raise ValueError("the reference must be 1-255 printable ASCII characters")
            payload["description"] = reference
        if bank_id is not None:
            payload["bankId"] = bank_id
        document = self._authorized(
            "customer", "create", "POST", f"{_PATHS[flow].lstrip('/')}/{'with-bank' if flow == 'withdrawal' else 'create-request'}", payload
        )
        try:
            wire = _WireRequest.model_validate(document)
        except ValidationError:
            wire = None
        if wire is None or wire.request_id <= 0:
            raise self._garbled("create", "no request identifier in the answer")
        return wire.request_id

    def _settle(self, flow: Flow, action: Literal["accept", "decline"], request_id: int) -> TransferRequest:
        number = _check_request_id(request_id)
        wanted: Status = "ACCEPTED" if action == "accept" else "DECLINED"
        try:
            document = self._authorized(
                "cash_point", action, "POST", f"{_PATHS[flow].lstrip('/')}/{number}/{action}", None
            )
        except _AlreadySettled as settled:
            if settled.status == wanted:
                return TransferRequest(number, flow, wanted, already_settled=True)
            raise RequestAlreadySettled(
                f"The {_FLOW_WORD[flow]} request {number} was already {settled.status.lower()}; "
                f"it cannot be {'accepted' if action == 'accept' else 'declined'} now.",
                status=settled.status, host_code=settled.host_code,
            ) from None
        # The documented answer carries the requestIdentifier; newer versions add the record.
        # Anything that names another request, or another outcome, cannot be trusted.
        if not isinstance(document, dict):
            raise self._garbled(action, "the answer is not an object")
        if not any(k in document for k in ("requestIdentifier", "requestId", "id")):
            return TransferRequest(number, flow, wanted)
        request = self._request(flow, {"status": wanted, **document}, action)
        if request.request_id != number or request.status != wanted:
            raise self._garbled(action, "the answer is about another request or outcome")
        return request

    def _status(self, flow: Flow, request_id: int) -> TransferRequest:
        number = _check_request_id(request_id)
        records = self._view(flow, {"requestIdentifier": number})
        found = [r for r in records if r.request_id == number]
        if not found:
            raise RequestNotFound(f"The wallet host has no {_FLOW_WORD[flow]} request {number}.")
        return found[0]

    def _find(self, flow: Flow, reference: str) -> TransferRequest | None:
        if not _REFERENCE.match(reference or ""):
            raise ValueError("the reference must be 1-255 printable ASCII characters")
        records = [r for r in self._view(flow, {"description": reference}) if r.reference == reference]
        return records[-1] if records else None

    def _view(self, flow: Flow, flt: dict[str, Any]) -> list[TransferRequest]:
        document = self._authorized(
            "cash_point", "view", "POST", f"{_PATHS[flow].lstrip('/')}/view",
            {"filter": flt, "pageNumber": 0, "pageSize": 100},
        )
        items = _unwrap(document, "records", "content")
        if items is None:
            raise self._garbled("view", "no record list")
        return [self._request(flow, item, "view") for item in items]

    def _request(self, flow: Flow, item: Any, call: Call) -> TransferRequest:
        try:
            wire = _WireRequest.model_validate(item)
        except ValidationError:
            wire = None
        status = wire.status.upper() if wire is not None else ""
        if wire is None or status not in ("PENDING", "ACCEPTED", "DECLINED"):
            raise self._garbled(call, "a request record is malformed")
        currency = _currency_of(wire.currency)
        money: list[Money | None] = []
        for value in (wire.amount, _commission_value(wire.commission), wire.total):
            parsed = None if value is None or currency is None else _host_money(value, currency)
            if value is not None and currency is not None and parsed is None:
                raise self._garbled(call, "a request amount is not a number")
            money.append(parsed)
        return TransferRequest(
            wire.request_id, flow, status, wire.coin or "", money[0], money[1], money[2], wire.description,
        )

    def _coin(self, item: Any) -> Coin | None:
        try:
            wire = _WireCoin.model_validate(item)
        except ValidationError:
            wire = None
        if wire is None:
            raise self._garbled("coins", "a coin is malformed")
        issuer = wire.issuer if isinstance(wire.issuer, Mapping) else {}
        currency = _currency_of(wire.currency, issuer.get("currency"), issuer.get("sn"), issuer.get("code"))
        if currency is None:
            log.warning("SDK.finance coin ...%s dropped: no currency the kiosk handles", wire.serial[-4:])
            return None
        amount = _host_money(wire.amount, currency)
        held = Money.zero(currency) if wire.held is None else _host_money(wire.held, currency)
        if amount is None or held is None:
            raise self._garbled("coins", "a coin balance is not a number")
        available = amount - held if wire.available is None else _host_money(wire.available, currency)
        if available is None:
            raise self._garbled("coins", "a coin balance is not a number")
        name = _printable(wire.name, 64) or currency
        return Coin(wire.serial, name, currency, amount, available, held, wire.active, wire.main)

    # -- sign-in plumbing -------------------------------------------------------------------------

    def _sign_in_identity(self, who: Who, identity: _Identity) -> SignedIn | OtpRequired:
        document = self._send_json(
            "sign_in", "POST", "authorization",
            {"login": identity.login, "password": identity.password.get_secret_value()},
            token=None, who=who, hide=(identity.login, identity.password.get_secret_value()),
        )
        try:
            action = _WireSignIn.model_validate(document).action.upper() if isinstance(document, dict) else ""
        except ValidationError:
            action = ""
        if action == "OTP_SENT":
            if who == "cash_point":
                raise AuthenticationFailed(
                    "The cash-point login has two-factor sign-in switched on; a terminal cannot receive "
                    "one-time codes. Use a cash-point login without it."
                )
            identity.needs_otp = True
            identity.token = None
            self._pending_otp_login = identity.login
            return OtpRequired(mask_login(identity.login))
        signed = self._signed_in("sign_in", document, expect="merchant" if who == "cash_point" else "individual")
        if signed is None:
            raise self._garbled("sign_in", "neither a token nor OTP_SENT in the answer")
        if who == "cash_point" and signed.role == "individual":
            raise AuthenticationFailed(
                "The cash-point login belongs to a customer wallet, not to a cash point: it cannot "
                "accept or decline requests."
            )
        self._store_token(identity, signed)
        return signed

    def _signed_in(self, call: Call, document: Any, *, expect: str) -> SignedIn | None:
        try:
            wire = _WireSignIn.model_validate(document)
        except ValidationError:
            return None
        if not wire.members:
            return None
        member = next((m for m in wire.members if m.role.lower() == expect), wire.members[0])
        if not member.token.token:
            return None
        user, org = member.user, member.organization
        return SignedIn(
            role=member.role.lower(),
            user_id=_loose(user.get("id")),
            user_name=_printable(_loose(user.get("name")), 80),
            organization_id=_loose(org.get("id")),
            organization_name=_printable(_loose(org.get("name")), 80),
            expires_at=parse_expiry(member.token.expires_at),
            token=SecretStr(member.token.token),
        )

    @staticmethod
    def _store_token(identity: _Identity, signed: SignedIn) -> None:
        identity.token = signed.token
        identity.expires_at = signed.expires_at

    def _identity(self, who: Who) -> _Identity:
        identity = self._cash_point if who == "cash_point" else self._customer
        if identity is None:
            if who == "cash_point":
                raise AuthenticationFailed("No cash-point login is configured for the SDK.finance back end.")
            raise SessionRejected("No customer is signed in to the wallet: sign the customer in first.")
        return identity

    def _ensure_token(self, who: Who, identity: _Identity) -> None:
        due = identity.expires_at is not None and self._clock() >= identity.expires_at - _REFRESH_MARGIN
        if identity.token is not None and not due:
            return
        if identity.token is None and who == "customer" and identity.needs_otp:
            raise CustomerSignInExpired(
                "The customer has not finished signing in: type the one-time code they received."
            )
        if identity.needs_otp:
            return  # cannot renew silently; let the host decide (it may still accept the token)
        self._sign_in_identity(who, identity)

    def _reauthenticate(self, who: Who, identity: _Identity) -> None:
        if who == "customer" and identity.needs_otp:
            identity.token = None
            raise CustomerSignInExpired(
                "The customer's wallet sign-in has ended. Ask the customer to sign in again; a new "
                "one-time code will be sent to them."
            )
        log.info("SDK.finance %s token refused; signing in again", who.replace("_", "-"))
        result = self._sign_in_identity(who, identity)
        if isinstance(result, OtpRequired):  # the platform switched two-factor on meanwhile
            raise CustomerSignInExpired(
                "The customer's wallet now asks for a one-time code: it was sent to them. Type it in "
                "to continue."
            )

    # -- one request ------------------------------------------------------------------------------

    def _authorized(self, who: Who, call: Call, method: str, path: str, payload: dict[str, Any] | None = None) -> Any:
        identity = self._identity(who)
        self._ensure_token(who, identity)
        hide = (identity.login, identity.password.get_secret_value())
        try:
            return self._send_json(call, method, path, payload, token=identity.token, who=who, hide=hide)
        except _TokenRefused:
            pass
        self._reauthenticate(who, identity)
        try:
            return self._send_json(call, method, path, payload, token=identity.token, who=who, hide=hide)
        except _TokenRefused as refused:
            failure = AuthenticationFailed(
                f"The wallet host refused the {'cash point' if who == 'cash_point' else 'customer'}'s "
                f"access even after signing in again ({refused.host_code or 'HTTP 401'}).",
                host_code=refused.host_code or "HTTP_401",
            )
        raise failure

    def _send_json(
        self,
        call: Call,
        method: str,
        path: str,
        payload: dict[str, Any] | None,
        *,
        token: SecretStr | None,
        who: Who = "customer",
        hide: tuple[str, ...] = (),
    ) -> Any:
        headers = {}
        if payload is not None:
            headers["Content-Type"] = "application/json"
        if token is not None:
            headers["Authorization"] = f"Bearer {token.get_secret_value()}"
        refuse_non_ascii(path)
        body = _compact_json(payload) if payload is not None else None
        started = time.monotonic()
        failure: BackendError | None = None
        response: httpx.Response | None = None
        try:
            response = self._http.request(method, path, content=body, headers=headers)
        except httpx.HTTPError as exc:
            failure = self._transport_failure(call, exc)
            outcome = type(exc).__name__
        else:
            outcome = str(response.status_code)
        log.debug("%s /%s -> %s in %.0f ms", method, path, outcome, (time.monotonic() - started) * 1000)
        if failure is not None:
            raise failure  # outside the except block: the httpx exception is not its context
        assert response is not None
        return self._interpret(call, who, response, token is not None, hide)

    def _transport_failure(self, call: Call, exc: httpx.HTTPError) -> BackendError:
        what, kind = _WHAT[call], type(exc).__name__
        if isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout,
                            httpx.ProxyError, httpx.UnsupportedProtocol)):
            return HostUnreachable(f"Could not reach the wallet host {self._host} ({kind}); the {what} was not sent.")
        if isinstance(exc, httpx.TimeoutException):
            return _unknown(call, f"No answer from the wallet host within {self._timeout:g} s to the {what} ({kind}).")
        return _unknown(call, f"The connection to the wallet host broke during the {what} ({kind}).")

    def _interpret(self, call: Call, who: Who, response: httpx.Response, with_token: bool,
                   hide: tuple[str, ...]) -> Any:
        status = response.status_code
        document = _parse_json(response.content)
        if 200 <= status < 300:
            if document is None and call in ("accept", "decline") and not response.content.strip():
                return {}  # an empty 2xx to an accept / decline: done, nothing more to say
            if document is None:
                raise self._garbled(call, f"HTTP {status} with a body that is not JSON")
            return document
        error = _error(document)
        code = _safe_code(error.code) if error else ""
        host_code = code or f"HTTP_{status}"
        if status >= 500:
            raise _unknown(call, f"The wallet host failed (HTTP {status}) during the {_WHAT[call]}.",
                           host_code=host_code)
        if status in (408, 429):
            raise HostUnreachable(
                f"The wallet host is busy (HTTP {status}) and did not take the {_WHAT[call]}; try again in a moment.",
                host_code=host_code,
            )
        if status == 401 and with_token:
            raise _TokenRefused(host_code)
        if status == 409 and code.startswith("REQUEST_ALREADY_"):
            settled = (error.status if error else "") or code.removeprefix("REQUEST_ALREADY_")
            raise _AlreadySettled(settled.upper(), host_code)
        if 400 <= status < 500:
            raise self._refusal(call, who, status, code, error, hide)
        raise self._garbled(call, f"an unexpected HTTP {status}", host_code)

    def _refusal(self, call: Call, who: Who, status: int, code: str, error: _WireError | None,
                 hide: tuple[str, ...]) -> BackendError:
        host_code = code or f"HTTP_{status}"
        reason = self._reason(error, hide)
        if call == "sign_in" and (status == 401 or code in ("INVALID_CREDENTIALS", "BAD_CREDENTIALS")):
            if who == "cash_point":
                return AuthenticationFailed(
                    "The wallet host refused the cash point's own login or password: check the "
                    "sdkfinance cash-point settings.",
                    host_code=host_code,
                )
            return SignInRejected(
                "The wallet login or password is wrong. Ask the customer to check them and try again.",
                host_code=host_code,
            )
        if code.startswith("OTP_") or call == "confirm":
            if code == "OTP_INVALID":
                detail = reason or "wrong one-time code"
                return OtpRejected(f"The one-time code is wrong ({detail}).", host_code=host_code)
            if code in ("OTP_EXPIRED", "OTP_ATTEMPTS_EXCEEDED"):
                return OtpRejected(
                    "The one-time code has expired or was typed wrong too often: sign the customer in "
                    "again to send a new code.",
                    host_code=host_code,
                )
            return OtpRejected(f"The wallet host refused the one-time code ({reason or host_code}).",
                               host_code=host_code)
        if code == "INSUFFICIENT_FUNDS" or (call == "create" and "insufficient" in reason.lower()):
            return InsufficientFunds(
                "The wallet account does not hold enough money for this withdrawal and its commission.",
                host_code=host_code,
            )
        if code in ("AMOUNT_TOO_SMALL", "AMOUNT_TOO_LARGE"):
            return AmountOutsideLimits(
                f"The amount is outside the wallet's limits: {reason or code}.", host_code=host_code
            )
        if code == "REQUEST_NOT_FOUND" or (status == 404 and call in ("accept", "decline")):
            return RequestNotFound("The wallet host does not know that request.", host_code=host_code)
        if status == 403 and who == "cash_point":
            return AuthenticationFailed(
                f"The cash-point login may not do this ({reason or 'access denied'}): it must be a cash-"
                "point (merchant) user of the store.",
                host_code=host_code,
            )
        if code == "COIN_NOT_FOUND":
            return BusinessError("That wallet account (coin) is not one of the customer's.", host_code=host_code)
        if code == "COIN_INACTIVE":
            return BusinessError("That wallet account is blocked: choose another one.", host_code=host_code)
        if code == "VALIDATION_ERROR" and error is not None and error.field_errors:
            fields = "; ".join(self._field_error(f, hide) for f in error.field_errors[:4])
            return BusinessError(f"The wallet host refused the {_WHAT[call]}: {fields}.", host_code=host_code)
        suffix = f" ({code})" if code and code not in reason else ""
        shown = reason or f"HTTP {status}, no reason given"
        return BusinessError(f"The wallet host declined the {_WHAT[call]}: {shown}{suffix}.", host_code=host_code)

    def _field_error(self, item: Mapping[str, Any], hide: tuple[str, ...]) -> str:
        name = self._safe_text(_loose(item.get("field")), hide)[:40]
        message = self._safe_text(_loose(item.get("message") or item.get("code")), hide)[:80]
        return f"{name}: {message}" if name else message

    def _reason(self, error: _WireError | None, hide: tuple[str, ...]) -> str:
        return self._safe_text(error.message, hide) if error is not None else ""

    def _safe_text(self, text: str, hide: tuple[str, ...]) -> str:
        """Host text fit for a cashier's screen and a log: one line, short, no secrets."""
        text = _printable(text)
        secrets = [*hide]
        for identity in (self._cash_point, self._customer):
            if identity is not None:
                secrets += [identity.login, identity.password.get_secret_value()]
                if identity.token is not None:
                    secrets.append(identity.token.get_secret_value())
        for secret in sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True):
            text = text.replace(secret, mask_login(secret) if _looks_like_login(secret) else REDACTED)
        text = re.sub(r"\+?\d(?:[\s-]?\d){8,}", REDACTED, text)  # phone numbers echoed back
        return text[:200].rstrip(" .")

    def _garbled(self, call: Call, what_came: str, host_code: str = "") -> BackendError:
        return _unknown(call, f"The wallet host's answer to the {_WHAT[call]} could not be read ({what_came}).",
                        host_code=host_code)


class _TokenRefused(Exception):
    """A 401 on a call made with a token: sign in again and repeat (internal)."""

    def __init__(self, host_code: str) -> None:
        super().__init__(host_code)
        self.host_code = host_code


class _AlreadySettled(Exception):
    """A 409 REQUEST_ALREADY_* (internal): the caller decides whether that is its answer."""

    def __init__(self, status: str, host_code: str) -> None:
        super().__init__(status)
        self.status = status
        self.host_code = host_code


def _host_money(value: Any, currency: str) -> Money | None:
    try:
        return parse_host_amount(value, currency)
    except MoneyError:
        return None


def _unknown(call: Call, message: str, *, host_code: str = "") -> BackendError:
    """Sent, but no usable answer: only a money-moving call can have an unknown outcome."""
    if call in _MOVES_MONEY:
        return OutcomeUnknown(f"{message} It may have been applied.", host_code=host_code)
    return HostUnreachable(f"{message} Nothing was changed; try again.", host_code=host_code)


def _error(document: Any) -> _WireError | None:
    if not isinstance(document, dict):
        return None
    try:
        return _WireError.model_validate(document)
    except ValidationError:
        return None


def _unwrap(document: Any, *keys: str) -> list[Any] | None:
    """A list the platform wraps ({"coins": [...]}, {"records": [...]}) or sends bare."""
    if isinstance(document, list):
        return document
    if isinstance(document, dict):
        for key in keys:
            value = document.get(key)
            if isinstance(value, list):
                return value
    return None


def _identity(login: str, password: str | SecretStr | None, *, customer: bool = False) -> _Identity:
    login = (login or "").strip()
    secret = password.get_secret_value() if isinstance(password, SecretStr) else (password or "")
    if not login or not secret:
        who = "customer's" if customer else "cash point's"
        raise (SignInRejected if customer else AuthenticationFailed)(f"The {who} login and password are both needed.")
    if len(login) > 256 or any(unicodedata.category(ch).startswith("C") for ch in login):
        raise (SignInRejected if customer else AuthenticationFailed)("The login contains characters it cannot have.")
    return _Identity(login, SecretStr(secret))


def _check_coin(coin: Coin | str, amount: Money) -> str:
    if not isinstance(amount, Money) or amount.amount <= 0:
        raise ValueError("the amount must be a positive Money")
    if isinstance(coin, Coin):
        if coin.currency != amount.currency:
            raise ValueError(f"the coin holds {coin.currency}, the amount is in {amount.currency}")
        serial = coin.serial
    else:
        serial = (coin or "").strip()
    if not _SERIAL.match(serial):
        raise ValueError("the coin serial is not a plain identifier")
    return serial


def _check_request_id(request_id: int) -> int:
    if isinstance(request_id, bool) or not isinstance(request_id, int) or request_id <= 0:
        raise ValueError("a request identifier is a positive number")
    return request_id


def _compact_json(payload: dict[str, Any]) -> bytes:
    """JSON text with Decimal amounts as exact JSON numbers (never through float)."""
    numbers: dict[str, str] = {}

    def mark(value: Any) -> Any:
        if isinstance(value, Decimal):
            token = f"@@n{len(numbers)}@@"
            numbers[token] = format(value, "f")
            return token
        if isinstance(value, dict):
            return {k: mark(v) for k, v in value.items()}
        return value

    text = json.dumps(mark(payload), separators=(",", ":"), ensure_ascii=False)
    for token, number in numbers.items():
        text = text.replace(f'"{token}"', number, 1)
    return text.encode()


def _loose(value: Any) -> str:
    try:
        return _loose_text(value)
    except ValueError:
        return ""


def _looks_like_login(text: str) -> bool:
    return "@" in text or bool(re.fullmatch(r"\+?[\d\s-]{7,}", text))


def _printable(text: str, limit: int = 1000) -> str:
    """Host text made fit for a screen, a receipt and a log: no escapes or control characters."""
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text or "")
    text = "".join(" " if unicodedata.category(ch).startswith("C") else ch for ch in text)
    return " ".join(text.split())[:limit]


def _safe_code(code: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "", code or "")[:64].upper()
