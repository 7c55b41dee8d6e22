"""Flexiti POS API v2.5 client: verify an in-store customer, look them up, take a payment or
a deposit on their Flexiti account (seed 004; REFERENCE §2).

    flexiti = FlexitiClient("https://posapi.example/flexiti/pos-api/v2.5", client_id, secret)
    flow = flexiti.new_flow()                          # one x-reference-id + request_id per customer
    account = flexiti.lookup_by_account("116574819", flow=flow)
    flexiti.verify(account.account_number, "sms", request_id=flow.request_id, flow=flow)
    # ... the customer reads the PIN from their phone, the cashier types it ...
    result = flexiti.transaction("deposit", account.account_number, Money(Decimal("50.00"), "CAD"),
                                 pin, flow.request_id, idempotency_key, flow=flow)

Synchronous; every call bounded by the timeouts; the client never retries a transaction by
itself (the teller journals the idempotency key first and re-sends it to settle an unknown
outcome). The one automatic repeat is after HTTP 401: the token is fetched anew and the same
request sent once more, which is safe because a 401 is answered before anything is applied.

OAuth: client credentials (form-encoded, scope=merchant), fetched lazily, refreshed with the
refresh token `refresh_margin` seconds before expiry (or fetched anew when that fails), and
fetched anew once on a 401. A failure to get a token means the business request was never
sent: HostUnreachable (transport, 5xx, garbled) or AuthenticationFailed (credentials refused).

How answers map to error kinds (kiosk.backends.base, plus the subclasses below):

    connect error / connect timeout / pool timeout / proxy       -> HostUnreachable (not sent)
    HTTP 408 / 429                                                -> HostUnreachable (busy)
    read/write timeout, broken connection, 5xx, garbled 2xx       -> transaction: OutcomeUnknown
                                                                     verify: OutcomeUnknown (a PIN may have gone out)
                                                                     look-ups: HostUnreachable (nothing changes)
    401 twice, 403, 465-467, invalid_client, invalid_role         -> AuthenticationFailed
    404 not_found                                                 -> CustomerNotFound (search: an empty list)
    409 tries_exceed                                              -> TriesExceeded
    409 merchant_override_is_not_allowed                          -> OverrideNotAllowed
    409 regular_purchase_bypass_is_not_allowed                    -> BypassNotAllowed
    409 secret_answer_mismatch / piw_mismatch                     -> WrongSecurityAnswer (an OtpRejected)
    409 wrong_verification_code                                   -> WrongVerificationCode (an OtpRejected)
    409 not_verified                                              -> NotVerified (a SessionRejected)
    409 not_enough_credit                                         -> NotEnoughCredit (an InsufficientFunds)
    409 limit_payment_amount_24                                   -> PaymentLimitExceeded
    409 user_not_active                                           -> UserNotActive
    409 user_not_able_to_purchase                                 -> AccountOnHold
    400 sms_not_valid_phone / email_not_valid                     -> NoContactOnFile
    400/409 wrong_inputs, invalid_transaction_type,
        verification_code_required, context_hash_mismatch         -> InvalidRequest
    anything else refused                                         -> BusinessError

Secrets: the client secret, tokens, PINs, security answers and licence scans never reach a log
line, an exception message or a repr. Log lines name the call, never the path (it holds the
account number; search queries hold names and dates of birth). httpx exceptions are never
passed on (their text holds the URL); each becomes a message written here, raised outside the
`except` block so no traceback carries the original.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
import time
import unicodedata
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Literal

import httpx
from pydantic import SecretStr

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
from kiosk.backends.http import HttpClientBase, quiet_library_loggers, refuse_non_ascii
from kiosk.digits import is_digits
from kiosk.money import Money, MoneyError, parse_host_amount

log = logging.getLogger("kiosk.backends.flexiti")

CURRENCY = "CAD"  # Flexiti lends in Canadian dollars
DEFAULT_BASE_PATH = "/flexiti/pos-api/v2.5"
VerifyFormat = Literal["email", "sms", "security_question", "regular_purchase_bypass", "merchant_override"]
VERIFY_FORMATS: tuple[str, ...] = ("email", "sms", "security_question", "regular_purchase_bypass", "merchant_override")
TransactionKind = Literal["deposit", "instore_payment"]
TRANSACTION_KINDS: tuple[str, ...] = ("deposit", "instore_payment")
MAX_TRIES = 3  # Flexiti locks verification after 3 failed tries in 48 hours

Call = Literal["verify", "lookup", "search", "licence", "transaction"]
_WHAT: dict[str, str] = {
    "verify": "customer verification",
    "lookup": "account look-up",
    "search": "customer search",
    "licence": "driver's licence reading",
    "transaction": "transaction",
}

# ---------------------------------------------------------------------------------------------
# Error kinds particular to Flexiti (each a subclass of the kind the teller already handles)


class TriesExceeded(BusinessError):
    """Three failed tries (security answers or PINs) in 48 hours: Flexiti has locked verification."""

    code = "TRIES_EXCEEDED"


class OverrideNotAllowed(BusinessError):
    code = "OVERRIDE_NOT_ALLOWED"


class BypassNotAllowed(BusinessError):
    code = "BYPASS_NOT_ALLOWED"


class WrongSecurityAnswer(OtpRejected):
    code = "WRONG_SECURITY_ANSWER"


class WrongVerificationCode(OtpRejected):
    code = "WRONG_VERIFICATION_CODE"


class NotVerified(SessionRejected):
    """The transaction's request_id is not the one verified (or the verification ran out)."""

    code = "NOT_VERIFIED"


class NotEnoughCredit(InsufficientFunds):
    code = "NOT_ENOUGH_CREDIT"


class PaymentLimitExceeded(BusinessError):
    code = "PAYMENT_LIMIT_EXCEEDED"


class UserNotActive(BusinessError):
    code = "USER_NOT_ACTIVE"


class AccountOnHold(BusinessError):
    """user_not_able_to_purchase: the account status is not normal (past due, frozen, ...)."""

    code = "ACCOUNT_ON_HOLD"


class NoContactOnFile(BusinessError):
    """No valid mobile number / e-mail on file for the PIN to be sent to."""

    code = "NO_CONTACT_ON_FILE"


class CustomerNotFound(BusinessError):
    code = "CUSTOMER_NOT_FOUND"


class InvalidRequest(BusinessError):
    """Flexiti found the request malformed: a bug or a configuration problem, not the customer."""

    code = "INVALID_REQUEST"


_LOCKOUT_NOTE = f"After {MAX_TRIES} wrong answers or PINs in 48 hours Flexiti locks the account's verification."
_TRIES_LEFT = re.compile(r"\b(no|\d) tries? left\b", re.IGNORECASE)

# ---------------------------------------------------------------------------------------------
# Values handed to the teller


@dataclass(frozen=True)
class Flow:
    """One customer at the till: the x-reference-id on every call (Flexiti's trace id for the
    flow) and the in-store request_id tying a verification to its transaction."""

    reference_id: str
    request_id: str

    @classmethod
    def new(cls) -> Flow:
        return cls(uuid.uuid4().hex, uuid.uuid4().hex)


@dataclass(frozen=True)
class Verification:
    format: str
    pin: str | None = field(repr=False)  # None when the PIN went to the customer's phone or e-mail
    sent_to: Literal["sms", "email"] | None = None

    def __repr__(self) -> str:
        shown = "None" if self.pin is None else "'******'"
        return f"Verification(format={self.format!r}, sent_to={self.sent_to!r}, pin={shown})"


@dataclass(frozen=True)
class SecurityQuestion:
    id: str
    text: str


@dataclass(frozen=True)
class CustomerAccount:
    """A Flexiti account as a look-up or a search reported it (fields it lacked are empty)."""

    account_number: str
    customer_id: str
    first_name: str
    last_name: str
    account_status: str  # N normal, A auth prohibited, F frozen, Z charged off, C closed
    available_credit: Money | None
    credit_limit: Money | None = None
    security_question: SecurityQuestion | None = None
    card_ending_in: str = ""
    phone_ending: str = ""  # last 4 digits of the mobile on file: where an sms PIN goes
    email_hint: str = ""  # e.g. j***@example.com: where an e-mail PIN goes

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def in_good_standing(self) -> bool:
        return self.account_status == "N"


@dataclass(frozen=True)
class LicenceHolder:
    """Who a driver's licence says the customer is (no licence number kept)."""

    first_name: str
    middle_name: str
    last_name: str
    dob: date = field(repr=False)
    expiry: date | None = None
    province: str = ""

    def expired(self, today: date) -> bool:
        return self.expiry is not None and self.expiry < today


@dataclass(frozen=True)
class LicenceLookup:
    holder: LicenceHolder
    accounts: list[CustomerAccount]


@dataclass(frozen=True)
class TransactionResult:
    transaction_id: str
    kind: str
    amount: Money
    account_number: str
    available_credit: Money | None = None
    verified: bool = True


# ---------------------------------------------------------------------------------------------
# Redaction and validation

_PLAIN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")
_PRINTABLE_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
_TOKEN = re.compile(r"^[A-Za-z0-9._~+/=-]{8,2000}$")
_LOOPBACK = {"localhost", "127.0.0.1", "::1"}
_QUERY = re.compile(r"(/flexiti/[^\s?\"'<>]*)\?[^\s\"'<>]*")
_ACCOUNT_SEGMENT = re.compile(r"(/account/)\d+(?=\d{4}/)")


def redact_url(text: str) -> str:
    """A URL (or a log line holding one) with Flexiti query strings removed (names, dates of
    birth, account numbers) and account numbers in paths cut to their last 4 digits."""
    return _ACCOUNT_SEGMENT.sub(r"\1****", _QUERY.sub(r"\1?******", text))


# httpx would log query strings (names, dates of birth) at INFO (see kiosk.backends.http).
quiet_library_loggers(redact_url)


def _printable(text: str, limit: int = 1000) -> str:
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text or "")
    text = "".join(" " if unicodedata.category(ch).startswith("C") else ch for ch in text)
    return " ".join(text.split())[:limit]


def _safe_code(code: object) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "", code if isinstance(code, str) else "")[:64]


def _reveal(value: str | SecretStr) -> str:
    return (value.get_secret_value() if isinstance(value, SecretStr) else str(value or "")).strip()


def _mask_email(email: str) -> str:
    local, _, domain = (email or "").partition("@")
    if not local or not domain:
        return ""
    return f"{local[0]}***@{_printable(domain, 64)}"


def _json_bytes(payload: Mapping[str, Any]) -> bytes:
    """Compact ASCII JSON where Decimal values become numbers with their exact digits."""
    numbers: dict[str, str] = {}

    def mark(value: Any) -> Any:
        if isinstance(value, Decimal):
            token = f"@@n{len(numbers)}@@"
            numbers[token] = format(value.normalize(), "f")
            return token
        return value

    text = json.dumps({k: mark(v) for k, v in payload.items()}, separators=(",", ":"), ensure_ascii=True,
                      allow_nan=False)
    for token, number in numbers.items():
        text = text.replace(f'"{token}"', number, 1)
    return text.encode("ascii")


def _text(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, (str, int)):
        return str(value).strip()
    return ""


def _amount_or_none(value: Any) -> Money | None:
    if value is None or value == "":
        return None
    try:
        return parse_host_amount(value, CURRENCY)
    except MoneyError:
        raise _Garbled("an amount is not a number") from None


class _Garbled(Exception):
    """A success answer whose content cannot be trusted."""


# ---------------------------------------------------------------------------------------------
# The client


class FlexitiClient(HttpClientBase):
    """The Flexiti POS API (in-store channel) over a synchronous httpx client."""

    name = "flexiti"

    def __init__(
        self,
        base_url: str,
        client_id: str,
        client_secret: str | SecretStr,
        *,
        timeout: float = 10.0,
        connect_timeout: float = 3.0,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.time,
        refresh_margin: float = 30.0,
        location_id: str | None = None,
        employee_id: str | None = None,
    ) -> None:
        url = httpx.URL(base_url)
        if url.scheme not in ("http", "https") or not url.host:
            raise ValueError("the Flexiti base URL must be an http(s) URL with a host")
        if url.userinfo or url.query or url.fragment:
            raise ValueError("the Flexiti base URL must not carry a user, password, query or fragment")
        if url.path in ("", "/"):
            url = url.copy_with(path=DEFAULT_BASE_PATH)
        if url.scheme == "http" and url.host not in _LOOPBACK:
            log.warning("Flexiti base URL %s is not HTTPS: requests travel unencrypted", url.host)
        client_id = (client_id or "").strip()
        secret = _reveal(client_secret)
        if not client_id or not _PLAIN_ID.match(client_id):
            raise ValueError("the Flexiti client id must be a plain identifier")
        if not secret:
            raise ValueError("the Flexiti client secret must be set")
        if timeout <= 0 or connect_timeout <= 0 or refresh_margin < 0:
            raise ValueError("timeouts must be positive and the refresh margin not negative")
        for name, value in (("location_id", location_id), ("employee_id", employee_id)):
            if value is not None and not _PLAIN_ID.match(value):
                raise ValueError(f"the Flexiti {name} must be a plain identifier")

        self._client_id = client_id
        self._secret = SecretStr(secret)
        self._clock = clock
        self._timeout = timeout
        self._margin = refresh_margin
        self._location_id = location_id
        self._employee_id = employee_id
        self._display_url = str(url).rstrip("/")
        self._http = httpx.Client(
            base_url=self._display_url + "/",
            timeout=httpx.Timeout(timeout, connect=connect_timeout),
            transport=transport,
            follow_redirects=False,
            headers={"User-Agent": "cashpoint-kiosk", "Accept": "application/json"},
        )
        self._token_lock = threading.Lock()
        self._access: SecretStr | None = None
        self._refresh: SecretStr | None = None
        self._expires_at = 0.0
        self._lifetime = 0.0

    def __repr__(self) -> str:
        return f"FlexitiClient(base_url={self._display_url!r}, client_id={self._client_id!r})"

    @staticmethod
    def new_flow() -> Flow:
        """A fresh x-reference-id and request_id for the next customer."""
        return Flow.new()

    # -- calls --------------------------------------------------------------------------------

    def verify(
        self,
        account_number: str,
        format: VerifyFormat,
        *,
        request_id: str,
        security_qid: str | None = None,
        security_answer: str | None = None,
        flow: Flow | None = None,
    ) -> Verification:
        """Verify the customer in store. sms / email: Flexiti sends the PIN to the customer
        (pin None; the cashier types what the customer received); the other formats answer
        with the PIN itself. merchant_override is a supervisor's decision: the teller gates it."""
        number = _check_account(account_number)
        if format not in VERIFY_FORMATS:
            raise ValueError(f"unknown verification format {format!r}; one of {', '.join(VERIFY_FORMATS)}")
        _check_request_id(request_id)
        payload: dict[str, Any] = {"format": format, "request_id": request_id}
        hide: tuple[str, ...] = ()
        if format == "security_question":
            answer = (security_answer or "").strip()
            if not security_qid or not answer:
                raise ValueError("security_question needs security_qid and security_answer")
            payload["security_qid"] = str(security_qid)
            payload["security_answer"] = answer
            hide = (answer,)
        document = self._request("verify", "POST", f"client-id/{self._client_id}/account/{number}/verify",
                                 flow=flow, payload=payload, hide=hide)
        code = document.get("verification_code") if isinstance(document, dict) else None
        if code in ("verification_sent_to_sms", "verification_sent_to_email"):
            channel: Literal["sms", "email"] = "sms" if code.endswith("sms") else "email"
            return Verification(format, None, channel)
        if isinstance(code, int) and not isinstance(code, bool) and code > 0:
            return Verification(format, str(code))
        if isinstance(code, str) and is_digits(code.strip(), 4, 10):
            return Verification(format, code.strip())
        raise self._garbled("verify", "it holds no verification code")

    def lookup_by_account(self, account_number: str, *, flow: Flow | None = None) -> CustomerAccount:
        number = _check_account(account_number)
        document = self._request("lookup", "GET", f"client-id/{self._client_id}/customers/lookup",
                                 flow=flow, params={"account_number": number})
        try:
            return _account(document)
        except _Garbled as exc:
            failure = self._garbled("lookup", str(exc))
        raise failure

    def lookup_by_name(self, first_name: str, last_name: str, dob: date | str, *,
                       flow: Flow | None = None) -> list[CustomerAccount]:
        """The customer's accounts (several are possible); an empty list when none matches."""
        first, last = (first_name or "").strip(), (last_name or "").strip()
        if not first or not last or len(first) > 80 or len(last) > 130:
            raise ValueError("first and last name are required (at most 80 and 130 characters)")
        birth = dob if isinstance(dob, date) else date.fromisoformat(str(dob).strip())
        try:
            document = self._request("search", "GET", f"client-id/{self._client_id}/customers/search", flow=flow,
                                     params={"first_name": first, "last_name": last, "dob": birth.isoformat()})
        except CustomerNotFound:
            return []
        items = document if isinstance(document, list) else None
        if items is None and isinstance(document, dict):  # tolerate a wrapped list
            items = next((v for v in document.values() if isinstance(v, list)), None)
        if items is None:
            raise self._garbled("search", "it is not a list of accounts")
        try:
            return [_account(item) for item in items]
        except _Garbled as exc:
            failure = self._garbled("search", str(exc))
        raise failure

    def lookup_by_licence(self, scan_text: str, *, flow: Flow | None = None) -> LicenceLookup:
        """Decode a driver's licence scan (PDF417 text) at Flexiti, then find the holder's accounts."""
        if not isinstance(scan_text, str) or not scan_text.strip() or len(scan_text) > 4000:
            raise ValueError("the licence scan must be the text the reader produced (at most 4000 characters)")
        flow = flow or Flow.new()
        document = self._request("licence", "POST", f"client-id/{self._client_id}/customers/driverslicense",
                                 flow=flow, payload={"code": scan_text}, hide=(scan_text,))
        try:
            holder = _holder(document)
        except _Garbled as exc:
            failure = self._garbled("licence", str(exc))
        else:
            return LicenceLookup(holder, self.lookup_by_name(holder.first_name, holder.last_name, holder.dob, flow=flow))
        raise failure

    def transaction(
        self,
        kind: TransactionKind,
        account_number: str,
        amount: Money,
        verification_code: str,
        request_id: str,
        idempotency_key: str,
        *,
        flow: Flow | None = None,
    ) -> TransactionResult:
        """A deposit (pays down what the customer owes) or an in-store payment (drawn on the
        customer's available credit), carrying the verified request_id and its PIN.

        Re-sending with the same idempotency_key returns Flexiti's first successful answer
        instead of applying again: that is how an OutcomeUnknown is settled."""
        if kind not in TRANSACTION_KINDS:
            raise ValueError(f"unknown transaction kind {kind!r}; one of {', '.join(TRANSACTION_KINDS)}")
        number = _check_account(account_number)
        if not isinstance(amount, Money) or amount.currency != CURRENCY or amount.amount <= 0:
            raise ValueError("the amount must be a positive Money in CAD")
        pin = re.sub(r"\s", "", verification_code or "")
        if not is_digits(pin, 4, 10):
            raise WrongVerificationCode("The PIN is the 4 to 10 digits the customer received or Flexiti gave: "
                                        "type it again.")
        _check_request_id(request_id)
        if not isinstance(idempotency_key, str) or not _PRINTABLE_KEY.match(idempotency_key):
            raise ValueError("the idempotency key must be 1-255 printable ASCII characters")
        payload: dict[str, Any] = {
            "transaction_type": kind,
            "amount": amount.amount,
            "account_number": number,
            "verification_code": pin,
            "request_id": request_id,
        }
        if self._location_id:
            payload["external_location_id"] = self._location_id
        if self._employee_id:
            payload["external_employee_id"] = self._employee_id
        document = self._request("transaction", "POST", f"client-id/{self._client_id}/transactions",
                                 flow=flow, payload=payload, idempotency_key=idempotency_key, hide=(pin,))
        try:
            return _transaction_result(document, kind, amount, number)
        except _Garbled as exc:
            failure = self._garbled("transaction", str(exc))
        raise failure

    # -- OAuth ----------------------------------------------------------------------------------

    def _bearer(self, *, renew: bool = False) -> str:
        with self._token_lock:
            now = self._clock()
            margin = min(self._margin, self._lifetime / 2)
            if self._access is not None and not renew and now < self._expires_at - margin:
                return self._access.get_secret_value()
            if self._access is not None and self._refresh is not None and not renew and now < self._expires_at:
                try:
                    return self._grant({"grant_type": "refresh_token",
                                        "refresh_token": self._refresh.get_secret_value()})
                except AuthenticationFailed:
                    log.debug("Flexiti refused the refresh token; fetching a new access token")
                except HostUnreachable:
                    # The current token still has up to `margin` seconds: use it rather than fail.
                    return self._access.get_secret_value()
            return self._grant({"grant_type": "client_credentials", "scope": "merchant"})

    def _grant(self, form: dict[str, str]) -> str:
        """POST oauth/token; stores and returns the new access token (call with the lock held)."""
        grant = form["grant_type"]
        started = self._clock()
        failure: BackendError | None = None
        response: httpx.Response | None = None
        try:
            response = self._http.post(
                "oauth/token",
                data={"client_id": self._client_id, "client_secret": self._secret.get_secret_value(), **form},
                headers={"x-reference-id": uuid.uuid4().hex},
            )
        except httpx.HTTPError as exc:
            failure = HostUnreachable(
                f"Could not get an access token from Flexiti ({type(exc).__name__}); "
                "nothing was sent for the customer. Try again in a moment."
            )
        log.debug("oauth token (%s) -> %s", grant, response.status_code if response is not None else "failed")
        if failure is not None:
            raise failure
        assert response is not None
        status = response.status_code
        document = _parse_json(response.content)
        error = _safe_code(document.get("error")) if isinstance(document, dict) else ""
        if 400 <= status < 500 and status not in (408, 429):
            if error == "invalid_grant":
                raise AuthenticationFailed("Flexiti refused the refresh token.", host_code=error)
            raise AuthenticationFailed(
                f"Flexiti refused this terminal's credentials ({error or f'HTTP {status}'}): check the "
                "flexiti client id and client secret settings.",
                host_code=error or f"HTTP_{status}",
            )
        if status != 200 or not isinstance(document, dict):
            raise HostUnreachable(
                f"Flexiti's token service did not answer usably (HTTP {status}); nothing was sent for the "
                "customer. Try again in a moment.",
                host_code=error or f"HTTP_{status}",
            )
        access = document.get("access_token")
        refresh = document.get("refresh_token")
        lifetime = document.get("expires_in")
        try:
            seconds = float(lifetime) if not isinstance(lifetime, bool) else -1.0
        except (TypeError, ValueError):
            seconds = -1.0
        if not isinstance(access, str) or not _TOKEN.match(access) or not 0 < seconds <= 86400 * 30:
            raise HostUnreachable("Flexiti's token answer could not be read; nothing was sent for the customer.")
        self._access = SecretStr(access)
        self._refresh = SecretStr(refresh) if isinstance(refresh, str) and _TOKEN.match(refresh) else None
        self._lifetime = seconds
        self._expires_at = started + seconds  # from before the request: errs on the early side
        return access

    # -- one request ----------------------------------------------------------------------------

    def _request(
        self,
        call: Call,
        method: str,
        path: str,
        *,
        flow: Flow | None,
        params: dict[str, str] | None = None,
        payload: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
        hide: tuple[str, ...] = (),
    ) -> Any:
        refuse_non_ascii(path, params=params)
        reference_id = (flow or Flow.new()).reference_id
        body = _json_bytes(payload) if payload is not None else None
        headers = {"x-reference-id": reference_id}
        if body is not None:
            headers["Content-Type"] = "application/json"
        if idempotency_key is not None:
            headers["x-idempotency-key"] = idempotency_key
            headers["x-context-hash"] = hashlib.sha256(body or b"").hexdigest()
        response: httpx.Response | None = None
        for attempt in (1, 2):
            headers["authorization"] = f"Bearer {self._bearer(renew=attempt == 2)}"
            started = time.monotonic()
            failure: BackendError | None = None
            try:
                response = self._http.request(method, path, params=params, content=body, headers=headers)
            except httpx.HTTPError as exc:
                failure = self._transport_failure(call, exc)
                outcome = type(exc).__name__
            else:
                outcome = str(response.status_code)
            log.debug("flexiti %s -> %s in %.0f ms (reference %s)", call, outcome,
                      (time.monotonic() - started) * 1000, reference_id)
            if failure is not None:
                raise failure
            assert response is not None
            if response.status_code != 401:
                break
            log.debug("flexiti refused the access token; fetching a new one and sending once more")
        assert response is not None
        return self._interpret(call, response, hide)

    def _transport_failure(self, call: Call, exc: httpx.HTTPError) -> BackendError:
        what, kind = _WHAT[call], type(exc).__name__
        host = httpx.URL(self._display_url).host
        if isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.ProxyError,
                            httpx.UnsupportedProtocol)):
            return HostUnreachable(f"Could not reach Flexiti at {host} ({kind}); the {what} was not sent.")
        if isinstance(exc, httpx.TimeoutException):
            return self._no_answer(call, f"No answer from Flexiti within {self._timeout:g} s to the {what} ({kind}).")
        return self._no_answer(call, f"The connection to Flexiti broke during the {what} ({kind}).")

    @staticmethod
    def _no_answer(call: Call, message: str, host_code: str = "") -> BackendError:
        if call == "transaction":
            return OutcomeUnknown(
                f"{message} It may have been applied: send it again with the same idempotency key "
                "to learn the outcome.", host_code=host_code)
        if call == "verify":
            return OutcomeUnknown(
                f"{message} A PIN may have been sent to the customer; verify again if none arrives.",
                host_code=host_code)
        return HostUnreachable(f"{message} Nothing was changed; try again.", host_code=host_code)

    def _garbled(self, call: Call, what_came: str, host_code: str = "") -> BackendError:
        return self._no_answer(call, f"Flexiti's answer to the {_WHAT[call]} could not be read ({what_came}).",
                               host_code)

    def _interpret(self, call: Call, response: httpx.Response, hide: tuple[str, ...]) -> Any:
        status = response.status_code
        document = _parse_json(response.content)
        error = _safe_code(document.get("error")) if isinstance(document, dict) else ""
        if 200 <= status < 300:
            if document is None:
                raise self._garbled(call, f"HTTP {status} with a body that is not JSON")
            return document
        if status >= 500:
            raise self._no_answer(call, f"Flexiti failed (HTTP {status}) during the {_WHAT[call]}.",
                                  error or f"HTTP_{status}")
        if status in (408, 429):
            raise HostUnreachable(f"Flexiti is busy (HTTP {status}) and did not take the {_WHAT[call]}; "
                                  "try again in a moment.", host_code=error or f"HTTP_{status}")
        if 400 <= status < 500:
            raise self._refusal(call, status, error, document, hide)
        raise self._garbled(call, f"an unexpected HTTP {status}", error)

    def _refusal(self, call: Call, status: int, error: str, document: Any, hide: tuple[str, ...]) -> BackendError:
        what = _WHAT[call]
        host_code = error or f"HTTP_{status}"
        raw = ""
        if isinstance(document, dict):
            raw = _text(document.get("message")) or _text(document.get("error_description"))
        hint = self._safe_text(raw, hide)
        if status == 401:
            return AuthenticationFailed(
                "Flexiti refused this terminal's access token twice in a row: check the flexiti client "
                "settings and the terminal clock.", host_code=host_code)
        if status in (403, 465, 466, 467) or error in ("invalid_client", "invalid_role", "insufficient_scope"):
            return AuthenticationFailed(
                f"Flexiti does not allow this terminal to make the {what} ({host_code}): the merchant account "
                "is not provisioned for it. Contact Flexiti implementation support.", host_code=host_code)
        if error == "tries_exceed":
            return TriesExceeded(
                f"Locked: this customer has had {MAX_TRIES} wrong security answers or PINs in the last 48 "
                "hours, so Flexiti will not verify them now. Do not try again: ask the customer to call "
                "Flexiti, or to come back once 48 hours have passed.", host_code=error)
        if error == "merchant_override_is_not_allowed":
            return OverrideNotAllowed(
                "This store is not set up for merchant override with Flexiti: verify the customer by text "
                "message, e-mail or security question instead.", host_code=error)
        if error == "regular_purchase_bypass_is_not_allowed":
            return BypassNotAllowed(
                "This customer does not qualify for the regular-purchase bypass: verify them by text "
                "message, e-mail or security question instead.", host_code=error)
        if error in ("secret_answer_mismatch", "piw_mismatch"):
            return WrongSecurityAnswer(
                f"The answer to the security question is wrong{_tries_left(hint)}. {_LOCKOUT_NOTE}",
                host_code=error)
        if error == "wrong_verification_code":
            return WrongVerificationCode(
                f"The PIN is wrong{_tries_left(hint)}: check it with the customer and type it again. "
                f"{_LOCKOUT_NOTE}", host_code=error)
        if error == "not_verified":
            return NotVerified(
                "Flexiti has no current verification for this transaction (it belongs to another request, "
                "or has run out): verify the customer again, then repeat the transaction.", host_code=error)
        if error == "not_enough_credit":
            return NotEnoughCredit(
                "The customer's Flexiti account does not have enough available credit for this payment.",
                host_code=error)
        if error == "limit_payment_amount_24":
            return PaymentLimitExceeded(
                "Flexiti accepts at most $10,000 of payments on one account in a day, and this one would go "
                "over: take a smaller amount.", host_code=error)
        if error == "user_not_active":
            return UserNotActive(
                "This Flexiti account is not activated yet: the customer must activate it with Flexiti "
                "before it can be used.", host_code=error)
        if error == "user_not_able_to_purchase":
            return AccountOnHold(
                "This Flexiti account is on hold (its status is not normal) and cannot be used for this "
                "transaction: the customer should contact Flexiti.", host_code=error)
        if error in ("sms_not_valid_phone", "email_not_valid"):
            where = "mobile number" if error.startswith("sms") else "e-mail address"
            return NoContactOnFile(
                f"Flexiti has no valid {where} for this customer, so no PIN could be sent: verify them "
                "another way.", host_code=error)
        if status == 404 or error == "not_found":
            subject = "that account number" if call in ("lookup", "verify", "transaction") else "those details"
            return CustomerNotFound(
                f"No Flexiti account matches {subject}: check it with the customer.", host_code=host_code)
        if error == "external_location_id_not_found":
            return BusinessError(
                "Flexiti does not know this till's location id: check the flexiti location_id setting.",
                host_code=error)
        if error in ("wrong_inputs", "wrong_input", "invalid_transaction_type", "verification_code_required",
                     "context_hash_mismatch", "invalid_request"):
            params = _field_params(document)
            fields = f" (fields: {', '.join(params)})" if params else ""
            return InvalidRequest(
                f"Flexiti refused the {what} as malformed ({error}){fields}. This is a kiosk or "
                "configuration problem, not the customer's: report it.", host_code=error)
        if error == "general_error":
            return BusinessError(
                "Flexiti reported a general error, usually in the merchant set-up: contact Flexiti "
                "implementation support.", host_code=error)
        reason = hint or f"HTTP {status}, no reason given"
        suffix = f" ({error})" if error and error not in reason else ""
        return BusinessError(f"Flexiti declined the {what}: {reason}{suffix}.", host_code=host_code)

    def _safe_text(self, text: str, hide: tuple[str, ...]) -> str:
        """A host message fit for a screen and a log: one line, short, no secrets or PIN-like digits."""
        text = _printable(text)
        secrets_ = [*hide, self._secret.get_secret_value()]
        if self._access is not None:
            secrets_.append(self._access.get_secret_value())
        if self._refresh is not None:
            secrets_.append(self._refresh.get_secret_value())
        for secret in secrets_:
            for form in {secret, secret.strip()}:
                if len(form) >= 3:
                    text = re.sub(re.escape(form), "******", text, flags=re.IGNORECASE)
        text = re.sub(r"\d(?:[\s-]?\d){3,}", "******", text)  # PINs, account and phone numbers
        return redact_url(text)[:200].rstrip(" .")


# ---------------------------------------------------------------------------------------------
# Parsing answers


def _parse_json(content: bytes) -> Any:
    try:
        return json.loads(content.decode("utf-8"), parse_float=Decimal,
                          parse_constant=lambda name: (_ for _ in ()).throw(ValueError(name)))
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None


def _check_account(account_number: str | int) -> str:
    text = str(account_number).strip() if isinstance(account_number, (str, int)) else ""
    if isinstance(account_number, bool) or not is_digits(text, 1, 14):
        raise ValueError("a Flexiti account number is 1 to 14 digits")
    return text


def _check_request_id(request_id: str) -> None:
    if not isinstance(request_id, str) or not re.fullmatch(r"[\x21-\x7e]{1,64}", request_id):
        raise ValueError("the request_id must be 1-64 printable ASCII characters")


def _tries_left(hint: str) -> str:
    match = _TRIES_LEFT.search(hint)
    if match is None:
        return ""
    left = match.group(1).lower()
    if left in ("no", "0"):
        return " and that was the last try: verification is now locked for 48 hours"
    return f" ({left} {'try' if left == '1' else 'tries'} left)"


def _field_params(document: Any) -> list[str]:
    """The names of the fields Flexiti complained about (never their values: they may be secret)."""
    items = document.get("field_errors") if isinstance(document, dict) else None
    if not isinstance(items, list):
        return []
    names = []
    for item in items[:8]:
        if isinstance(item, dict):
            name = re.sub(r"[^A-Za-z0-9_.-]", "", _text(item.get("param")))[:40]
            if name:
                names.append(name)
    return names


def _account(item: Any) -> CustomerAccount:
    if not isinstance(item, dict):
        raise _Garbled("an account is not an object")
    number = _text(item.get("account_number"))
    if not is_digits(number, 1, 14):
        raise _Garbled("an account number is missing or malformed")
    question = item.get("security_qid")
    security: SecurityQuestion | None = None
    if isinstance(question, dict) and _text(question.get("id")):
        security = SecurityQuestion(_text(question.get("id"))[:20], _printable(_text(question.get("text")), 200))
    phone = re.sub(r"\D", "", _text(item.get("phone_number")))
    return CustomerAccount(
        account_number=number,
        customer_id=_printable(_text(item.get("customer_id")), 40),
        first_name=_printable(_text(item.get("first_name")), 80),
        last_name=_printable(_text(item.get("last_name")), 130),
        account_status=_printable(_text(item.get("account_status")), 2).upper(),
        available_credit=_amount_or_none(item.get("available_credit")),
        credit_limit=_amount_or_none(item.get("credit_limit")),
        security_question=security,
        card_ending_in=re.sub(r"\D", "", _text(item.get("card_ending_in")))[-4:],
        phone_ending=phone[-4:] if len(phone) >= 4 else "",
        email_hint=_mask_email(_text(item.get("email"))),
    )


def _holder(document: Any) -> LicenceHolder:
    if not isinstance(document, dict):
        raise _Garbled("it is not an object")
    first, last = _printable(_text(document.get("first_name")), 80), _printable(_text(document.get("last_name")), 130)
    try:
        dob = date.fromisoformat(_text(document.get("dob")))
    except ValueError:
        raise _Garbled("the date of birth is missing or malformed") from None
    try:
        expiry_text = _text(document.get("govid_expiry"))
        expiry = date.fromisoformat(expiry_text) if expiry_text else None
    except ValueError:
        expiry = None
    if not first or not last:
        raise _Garbled("the name is missing")
    return LicenceHolder(first, _printable(_text(document.get("middle_name")), 80), last, dob, expiry,
                         _printable(_text(document.get("province")), 4))


def _transaction_result(document: Any, kind: str, amount: Money, number: str) -> TransactionResult:
    if not isinstance(document, dict):
        raise _Garbled("it is not an object")
    transaction_id = _text(document.get("transaction_id"))
    if not _PLAIN_ID.match(transaction_id):
        raise _Garbled("the transaction id is missing or malformed")
    reported = document.get("total_amount", document.get("amount"))
    if reported is not None and _amount_or_none(reported) != amount:
        raise _Garbled("the amount in the answer is not the amount sent")
    verified = document.get("verified", True)
    return TransactionResult(
        transaction_id=transaction_id,
        kind=kind,
        amount=amount,
        account_number=number,
        available_credit=_amount_or_none(document.get("available_credit")),
        verified=verified is not False,
    )
