"""Rapyd POS API client: the kiosk's primary wallet back end.

One synchronous call per teller step, each bounded by a timeout, each answered by a typed value
or one of the `BackendError` kinds of `kiosk.backends.base`. The client never retries by itself:
the teller journals the idempotency value first and decides whether to re-send it.

How host answers map to error kinds (the teller's next step depends only on the kind):

    connect error / connect timeout / DNS / TLS / pool timeout  -> HostUnreachable (nothing sent)
    HTTP 429 (rate limited) or 408 (request not read)           -> HostUnreachable ("busy, retry"):
        the host turned the request away unread, so nothing was applied, and re-sending the
        same idempotency value later is safe either way
    read / write timeout, dropped connection, protocol error    -> OutcomeUnknown (sent, no answer)
    HTTP 5xx, 1xx/3xx, garbled or wrong-shape body              -> OutcomeUnknown
        (on echo these become HostUnreachable: echo moves nothing)
    UNAUTHENTICATED_API_CALL / UNAUTHORIZED_API_CALL /
    MISSING_AUTHENTICATION_HEADERS, an unknown POS id, HTTP 401 -> AuthenticationFailed
    OTP wrong / expired / used (login)                          -> OtpRejected
    not enough money (withdraw)                                 -> InsufficientFunds
    session / token / operation id not usable                   -> SessionRejected
    any other refusal (4xx, or an ERROR envelope)               -> BusinessError

Rapyd documents only a few of its error codes, so OTP, funds and session refusals are
recognised from the code *and* the message by keywords; the raw code is kept in `.host_code`.

Secrets: the OTP travels in the Open Session path, so every path that is logged or shown goes
through `redact_url`; phone numbers are masked to their last 4 digits; the secret key leaves
this module only through the signature, the access key only in its own header. httpx exceptions are never passed on (their text holds the
full URL): each becomes a message written here, raised outside the `except` block so that no
traceback carries the original as its context.
"""

from __future__ import annotations

import email.utils
import json
import logging
import re
import time
import unicodedata
from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Any, Literal, TypeVar

import httpx
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    SecretStr,
    ValidationError,
)

from kiosk.backends.base import (
    Account,
    AuthenticationFailed,
    BackendError,
    BusinessError,
    HostReceipt,
    HostUnreachable,
    InsufficientFunds,
    OtpRejected,
    OutcomeUnknown,
    SessionRejected,
    WalletSession,
)
from kiosk.backends.http import HttpClientBase, quiet_library_loggers, refuse_non_ascii
from kiosk.backends.signing import compact_json, new_salt, sign_request
from kiosk.digits import is_digits
from kiosk.money import Money, MoneyError, check_currency, parse_host_amount

log = logging.getLogger("kiosk.backends.rapyd")


Call = Literal["echo", "login", "deposit", "withdraw", "reversal", "logout"]

# ---------------------------------------------------------------------------------------------
# Redaction


_LOGIN_PATH = re.compile(r"(/pos/login/)([^/?#\s\"'<>]*)(/[^?#\s\"'<>]*)?")
REDACTED = "******"


def _redact_login(match: re.Match[str]) -> str:
    prefix, first, rest = match.group(1), match.group(2), match.group(3)
    if rest is None:
        # Only one segment: it cannot be told apart from an OTP, so it is hidden as well.
        return f"{prefix}{REDACTED}"
    return f"{prefix}{first}/{REDACTED}"


def redact_url(path: str) -> str:
    """`path` (or a full URL, or a log line holding one) with the Open Session OTP replaced.

    `/v1/pos/login/{pos_id}/{otp}` becomes `/v1/pos/login/{pos_id}/******`; every other path is
    returned unchanged: no other path carries a secret.
    """
    return _LOGIN_PATH.sub(_redact_login, path)


def mask_phone(phone: str) -> str:
    """A phone number for logs and messages: its last 4 digits only."""
    digits = re.sub(r"\D", "", phone or "")
    return f"***{digits[-4:]}" if len(digits) >= 4 else "***"


# httpx would log the login URL, code included, at INFO (see kiosk.backends.http).
quiet_library_loggers(redact_url)

# ---------------------------------------------------------------------------------------------
# Validation of what goes into paths and headers

_E164 = re.compile(r"\+[1-9][0-9]{6,14}")  # fullmatch; ASCII digits only (kiosk.digits)
# Ids the host gave us (account, token, operation, transaction) go back into paths and headers,
# so they must be plain tokens: no '/', '?', spaces, CR/LF. Rapyd's are UUID-like.
_HOST_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")
_IDEMPOTENCY = re.compile(r"^[\x21-\x7e]{1,255}$")
_LOOPBACK = {"localhost", "127.0.0.1", "::1"}


def _check_id(value: str) -> str:
    if not _HOST_ID.match(value):
        raise ValueError("not a plain identifier")
    return value


def _loose_text(value: object) -> str:
    """Hosts send codes and ids as strings, numbers or null: take them all as text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        raise ValueError("a boolean is not text")
    if isinstance(value, (str, int, Decimal)):
        return str(value).strip()
    raise ValueError("not text")


LooseText = Annotated[str, BeforeValidator(_loose_text)]
HostId = Annotated[str, BeforeValidator(_loose_text), AfterValidator(_check_id)]

# ---------------------------------------------------------------------------------------------
# Response models: tolerant of the documented looseness, strict about what matters


class _Model(BaseModel):
    # Built on first use: a command validates a few of these answers, never all (start-up time).
    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)


_M = TypeVar("_M", bound=_Model)


class HostStatus(_Model):
    error_code: LooseText = ""  # "0", "" or missing on success
    status: LooseText = ""  # "SUCCESS" / "ERROR"
    message: LooseText = ""
    response_code: LooseText = ""
    operation_id: LooseText = ""

    @property
    def outcome(self) -> Literal["success", "error", "unclear"]:
        word = self.status.upper()
        code_ok = self.error_code in ("", "0")
        if word in ("ERROR", "FAILED", "FAILURE"):
            return "error"
        if word in ("SUCCESS", "") and code_ok:
            return "success"
        if word == "" and not code_ok:
            return "error"
        return "unclear"  # e.g. SUCCESS with an error code: contradictory, trust neither


class Envelope(_Model):
    status: HostStatus
    data: Any = None


class HostAccount(_Model):
    account_id: HostId
    account_currency: LooseText
    account_alias: LooseText = ""
    account_balance: Any  # JSON number (read as Decimal) or numeric string; see parse_host_amount
    account_currency_symbol: LooseText = ""


class LoginData(_Model):
    token_id: HostId
    operation_id: HostId
    accounts: list[dict[str, Any]] | None = None  # parsed one by one: see _accounts


class MoneyData(_Model):
    transaction_id: HostId
    operation_id: LooseText = ""
    metadata: Any = None


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_envelope(content: bytes) -> Envelope | None:
    """The response envelope, or None when the body is not one (garbled, not JSON, wrong shape).

    JSON numbers with a fraction are read as Decimal, never float.
    """
    try:
        document = json.loads(
            content.decode("utf-8"), parse_float=Decimal, parse_constant=_refuse_constant
        )
        return Envelope.model_validate(document)
    except (ValueError, UnicodeDecodeError, RecursionError):  # ValidationError is a ValueError
        return None


# ---------------------------------------------------------------------------------------------
# Classifying refusals


def _words(text: str) -> str:
    """Upper case, every run of non-alphanumerics one space: 'ERROR_INVALID_OTP' -> 'ERROR INVALID OTP'."""
    return " " + re.sub(r"[^A-Z0-9]+", " ", text.upper()).strip() + " "


_AUTH_CODES = {"UNAUTHENTICATED_API_CALL", "UNAUTHORIZED_API_CALL", "MISSING_AUTHENTICATION_HEADERS"}
_OTP_WORDS = re.compile(r" (OTP|TOTP|PASSCODE|ONE ?TIME (PASS ?WORD|PASS ?CODE|CODE|PIN)) ")
# On Open Session a bad "code" can only be the OTP (but not a country, currency or postal code).
_NOT_OTP = r"(?<!COUNTRY )(?<!CURRENCY )(?<!AREA )(?<!POSTAL )(?<!ZIP )(?<!ERROR )"
_BAD_CODE = re.compile(
    rf" (INVALID|WRONG|INCORRECT|EXPIRED|USED|BAD|UNKNOWN) (\w+ )?{_NOT_OTP}CODE "
    rf"| {_NOT_OTP}CODE( \w+){{0,2}} (INVALID|WRONG|INCORRECT|EXPIRED|USED|MISMATCH|NOT VALID|NOT FOUND) "
)
_FUNDS_WORDS = re.compile(
    r" (INSUFFICIENT|NOT ENOUGH|NOT SUFFICIENT)( \w+)? (FUNDS?|BALANCE|MONEY|AMOUNT) "
    r"| (FUNDS?|BALANCE)( \w+){0,2} (INSUFFICIENT|NOT ENOUGH|NOT SUFFICIENT|TOO LOW) "
    r"| EXCEEDS?( \w+){0,2} BALANCE | NSF | (LOW|NEGATIVE) BALANCE | NO (FUNDS|BALANCE) | OVERDRA(FT|WN) "
)
# A POS id the host does not know is the terminal's configuration, not the customer's doing.
_POS_WORDS = re.compile(r" (INVALID|UNKNOWN|WRONG) POS | POS ID( \w+){0,2} (INVALID|UNKNOWN|NOT FOUND|NOT VALID) ")
_SESSION_WORDS = re.compile(
    r" (SESSION|TOKEN|TOKEN ID|TOKENID|OPERATION ID|OPERATIONID|LOGGED OUT|NOT LOGGED IN|LOGIN REQUIRED) "
)


def classify_refusal(call: Call, http_status: int, code: str, message: str) -> type[BackendError]:
    """The error kind for a host's explicit refusal (an ERROR envelope or a 4xx)."""
    text = _words(f"{code} {message}")
    if code.strip().upper() in _AUTH_CODES or _POS_WORDS.search(_words(code)):
        return AuthenticationFailed
    if call == "login" and (_OTP_WORDS.search(text) or _BAD_CODE.search(text)):
        return OtpRejected
    # Only a withdrawal can lack funds; "exceeds max balance" on a deposit is a limit.
    if call == "withdraw" and _FUNDS_WORDS.search(text):
        return InsufficientFunds
    if _SESSION_WORDS.search(text):
        return SessionRejected
    if _OTP_WORDS.search(text):
        return OtpRejected
    if http_status == 401:
        return AuthenticationFailed
    return BusinessError


# ---------------------------------------------------------------------------------------------
# The client

_WHAT: dict[Call, str] = {
    "echo": "health check",
    "login": "session opening",
    "deposit": "deposit",
    "withdraw": "withdrawal",
    "reversal": "withdrawal reversal",
    "logout": "session closing",
}


class RapydClient(HttpClientBase):
    """`WalletBackend` for the Rapyd POS API over a synchronous httpx client."""

    name = "rapyd"

    def __init__(
        self,
        base_url: str,
        access_key: str | SecretStr,
        secret_key: str | SecretStr,
        pos_id: str,
        *,
        timeout: float = 10.0,
        connect_timeout: float = 3.0,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.time,
        timestamp_backdate: int = 0,
    ) -> None:
        url = httpx.URL(base_url)
        if url.scheme not in ("http", "https") or not url.host:
            raise ValueError("the Rapyd base URL must be an http(s) URL with a host")
        if url.userinfo or url.query or url.fragment:
            raise ValueError("the Rapyd base URL must not carry a user, password, query or fragment")
        if url.scheme == "http" and url.host not in _LOOPBACK:
            # The OTP is in a path and the phone in a header: only a simulator on this machine
            # should ever be spoken to in clear text.
            log.warning("Rapyd base URL %s is not HTTPS: requests travel unencrypted", url.host)
        if not pos_id or not _HOST_ID.match(pos_id):
            raise ValueError("the POS id must be a plain identifier (letters, digits, '-')")
        access = _reveal(access_key)
        secret = _reveal(secret_key)
        if not access or not secret:
            raise ValueError("the Rapyd access key and secret key must both be set")
        if not 0 <= timestamp_backdate <= 50:
            # Rapyd accepts timestamps up to 60 s old; more back-dating leaves no margin.
            raise ValueError("timestamp_backdate must be between 0 and 50 seconds")
        if timeout <= 0 or connect_timeout <= 0:
            raise ValueError("timeouts must be positive")

        # Held as SecretStr so that vars(), repr() or a debugger never print them.
        self._access_key = SecretStr(access)
        self._secret_key = SecretStr(secret)
        self._pos_id = pos_id
        self._clock = clock
        self._backdate = int(timestamp_backdate)
        self._timeout = timeout
        self._display_url = str(url)
        self._http = httpx.Client(
            base_url=self._display_url,
            timeout=httpx.Timeout(timeout, connect=connect_timeout),
            transport=transport,
            follow_redirects=False,  # a redirected POST is not an answer; never re-sign blindly
            headers={"User-Agent": "cashpoint-kiosk"},
        )

    def __repr__(self) -> str:
        return f"RapydClient(base_url={self._display_url!r}, pos_id={self._pos_id!r})"

    # -- the WalletBackend calls --------------------------------------------------------------

    def echo(self) -> None:
        """Check the host answers and accepts this terminal's signature.

        Echo moves nothing, so "no usable answer" is reported as HostUnreachable (see _unknown);
        a refused signature stays AuthenticationFailed: it is how a wrong key or clock shows up
        before a customer is waiting.
        """
        self._call("echo", "GET", "/v1/pos/echo")

    def open_session(self, phone: str, otp: str, *, idempotency: str) -> WalletSession:
        phone = (phone or "").strip()
        otp = re.sub(r"\s", "", otp or "")
        if not _E164.fullmatch(phone):
            raise BusinessError("The phone number must be in international format: + and country code.")
        if not is_digits(otp, 4, 10):
            raise OtpRejected("The one-time code is the digits shown in the customer's wallet app.")
        envelope = self._call(
            "login",
            "POST",
            f"/v1/pos/login/{self._pos_id}/{otp}",
            headers={"phone_number": phone},
            idempotency=idempotency,
            hide=(otp, phone),
        )
        data = self._data("login", envelope, LoginData)
        return WalletSession(
            token_id=data.token_id,
            operation_id=data.operation_id,
            phone=phone,
            accounts=self._accounts(data.accounts or []),
        )

    def deposit(
        self,
        session: WalletSession,
        amount: Money,
        *,
        idempotency: str,
        metadata: dict[str, Any] | None = None,
    ) -> HostReceipt:
        """Credit the wallet; the host creates the currency account if the wallet has none.

        `metadata` (beyond the WalletBackend protocol) goes in the optional JSON body.
        """
        _check_positive(amount)
        envelope = self._call(
            "deposit",
            "POST",
            f"/v1/pos/deposit/{amount.wire()}/{amount.currency}",
            headers=self._session_headers(session),
            payload={"metadata": metadata} if metadata else None,
            idempotency=idempotency,
            hide=(session.phone,),
        )
        return self._receipt("deposit", envelope)

    def withdraw(
        self, session: WalletSession, account_id: str, amount: Money, *, idempotency: str
    ) -> HostReceipt:
        _check_account(session, account_id, amount)
        envelope = self._call(
            "withdraw",
            "POST",
            f"/v1/pos/withdraw/{account_id}/{amount.wire()}",
            headers=self._session_headers(session),
            idempotency=idempotency,
            hide=(session.phone,),
        )
        return self._receipt("withdraw", envelope)

    def reverse_withdrawal(
        self,
        session: WalletSession,
        account_id: str,
        amount: Money,
        transaction_id: str,
        *,
        idempotency: str,
    ) -> HostReceipt:
        """Give back a withdrawal whose cash was not handed over."""
        _check_account(session, account_id, amount)
        if not _HOST_ID.match(transaction_id or ""):
            raise ValueError("the withdrawal's transaction id is not a plain identifier")
        envelope = self._call(
            "reversal",
            "POST",
            f"/v1/pos/reversal/{account_id}/{amount.wire()}",
            headers={**self._session_headers(session), "transaction_id": transaction_id},
            idempotency=idempotency,
            hide=(session.phone,),
        )
        return self._receipt("reversal", envelope)

    def close_session(self, session: WalletSession, *, idempotency: str) -> None:
        """Log out. SessionRejected here means the host no longer has the session open."""
        self._call(
            "logout",
            "POST",
            "/v1/pos/logout",
            headers=self._session_headers(session),
            idempotency=idempotency,
            hide=(session.phone,),
        )

    # -- one request ----------------------------------------------------------------------------

    def _session_headers(self, session: WalletSession) -> dict[str, str]:
        for value in (session.token_id, session.operation_id):
            if not _HOST_ID.match(value or ""):
                raise ValueError("the session's token or operation id is not a plain identifier")
        return {
            "token_id": session.token_id,
            "operation_id": session.operation_id,
            "phone_number": session.phone,
        }

    def _call(
        self,
        call: Call,
        method: str,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        payload: dict[str, Any] | None = None,
        idempotency: str | None = None,
        hide: tuple[str, ...] = (),
    ) -> Envelope:
        """Sign, send, and return the success envelope; or raise the matching error kind.

        `hide` lists this call's customer secrets (OTP, phone) to scrub from host messages.
        """
        if idempotency is not None and not _IDEMPOTENCY.match(idempotency):
            raise ValueError("the idempotency value must be 1-255 printable ASCII characters")
        refuse_non_ascii(path, headers)
        body = compact_json(payload) if payload is not None else ""
        salt = new_salt()
        timestamp = int(self._clock()) - self._backdate
        access_key = self._access_key.get_secret_value()
        request_headers = {
            "access_key": access_key,
            "salt": salt,
            "timestamp": str(timestamp),
            "signature": sign_request(
                method, path, salt, timestamp, access_key, self._secret_key.get_secret_value(), body
            ),
            "Content-Type": "application/json",
            **(headers or {}),
        }
        if idempotency is not None:
            request_headers["idempotency"] = idempotency

        shown_path = redact_url(path)
        started = time.monotonic()
        failure: BackendError | None = None
        response: httpx.Response | None = None
        try:
            response = self._http.request(
                method, path, content=body.encode("ascii") if body else None, headers=request_headers
            )
        except httpx.HTTPError as exc:
            failure = self._transport_failure(call, exc)
            outcome = type(exc).__name__
        else:
            outcome = str(response.status_code)
        elapsed_ms = (time.monotonic() - started) * 1000
        log.debug("%s %s -> %s in %.0f ms", method, shown_path, outcome, elapsed_ms)
        if failure is not None:
            raise failure  # outside the except block: the httpx exception is not its context
        assert response is not None
        return self._interpret(call, response, hide)

    def _transport_failure(self, call: Call, exc: httpx.HTTPError) -> BackendError:
        """Our own message for an httpx exception (whose str() would hold the URL)."""
        what, kind = _WHAT[call], type(exc).__name__
        host = httpx.URL(self._display_url).host
        if isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout,
                            httpx.ProxyError, httpx.UnsupportedProtocol)):
            return HostUnreachable(
                f"Could not reach the wallet host {host} ({kind}); the {what} was not sent."
            )
        if isinstance(exc, httpx.TimeoutException):  # read / write timeout: it went out
            return _unknown(
                call, f"No answer from the wallet host within {self._timeout:g} s to the {what} ({kind})."
            )
        # RemoteProtocolError, ReadError, WriteError, DecodingError and anything else after
        # the request started going out: the host may have acted on it.
        return _unknown(call, f"The connection to the wallet host broke during the {what} ({kind}).")

    def _interpret(self, call: Call, response: httpx.Response, hide: tuple[str, ...]) -> Envelope:
        status = response.status_code
        envelope = parse_envelope(response.content)
        host_code = _safe_code(envelope.status.error_code) if envelope else ""
        if 200 <= status < 300:
            if envelope is not None and envelope.status.outcome == "success":
                return envelope
            if envelope is not None and envelope.status.outcome == "error":
                raise self._refusal(call, status, envelope, response, hide)
            raise self._garbled(call, f"HTTP {status} with an unreadable or contradictory body", host_code)
        if status >= 500:
            raise _unknown(
                call,
                f"The wallet host failed (HTTP {status}) during the {_WHAT[call]}.",
                host_code=host_code or f"HTTP_{status}",
            )
        if status in (408, 429):
            raise HostUnreachable(
                f"The wallet host is busy (HTTP {status}) and did not take the {_WHAT[call]}; "
                "try again in a moment.",
                host_code=host_code or f"HTTP_{status}",
            )
        if 400 <= status < 500:
            raise self._refusal(call, status, envelope, response, hide)
        raise self._garbled(call, f"an unexpected HTTP {status}", host_code)

    def _refusal(
        self,
        call: Call,
        status: int,
        envelope: Envelope | None,
        response: httpx.Response,
        hide: tuple[str, ...],
    ) -> BackendError:
        code = _safe_code(envelope.status.error_code) if envelope else ""
        raw_message = envelope.status.message if envelope else ""
        kind = classify_refusal(call, status, code, raw_message)
        host_code = code or f"HTTP_{status}"
        what = _WHAT[call]
        if kind is AuthenticationFailed:
            return AuthenticationFailed(self._auth_message(code, status, response), host_code=host_code)
        if kind is OtpRejected:
            message = (
                "The wallet host refused the customer's one-time code: it is wrong, expired or "
                "already used. Ask the customer for a new code."
            )
        elif kind is InsufficientFunds:
            message = "The wallet account does not hold enough money for this withdrawal."
        elif kind is SessionRejected:
            message = (
                f"The wallet session can no longer be used for the {what} (closed, expired or "
                "already used for an action): open a new session with a new code."
            )
        else:
            reason = self._safe_text(raw_message, hide) or f"HTTP {status}, no reason given"
            suffix = f" ({code})" if code and code not in reason else ""
            message = f"The wallet host declined the {what}: {reason}{suffix}."
        return kind(message, host_code=host_code)

    def _auth_message(self, code: str, status: int, response: httpx.Response) -> str:
        if code == "UNAUTHORIZED_API_CALL":
            return (
                "The wallet host refused this call for this terminal's keys "
                "(UNAUTHORIZED_API_CALL): the keys may belong to another environment, or the "
                "POS service is not enabled for them."
            )
        if _POS_WORDS.search(_words(code)):
            return (
                f"The wallet host does not know this terminal's POS id for its keys ({code}): "
                "check the rapyd.pos_id setting."
            )
        if code == "MISSING_AUTHENTICATION_HEADERS":
            text = (
                "The wallet host found this terminal's authentication headers missing or "
                "malformed (MISSING_AUTHENTICATION_HEADERS): check for a proxy that strips "
                "headers, and that the terminal clock is set."
            )
        else:
            label = code or f"HTTP {status}"
            text = (
                f"The wallet host did not accept this terminal's signature ({label}). Check the "
                "terminal's access key and secret key, and its clock: requests are refused when "
                "the clock runs ahead of the host's or more than 60 s behind it."
            )
        return text + self._clock_note(response)

    def _clock_note(self, response: httpx.Response) -> str:
        """How far our clock is from the host's, when its Date header says so clearly."""
        try:
            host_time = email.utils.parsedate_to_datetime(response.headers["date"]).timestamp()
        except (KeyError, TypeError, ValueError, IndexError):
            return ""
        skew = self._clock() - host_time
        if skew > 5:  # the Date header has 1 s resolution plus the network time
            return f" The terminal clock is about {skew:.0f} s ahead of the host's."
        if skew < -50:
            return f" The terminal clock is about {-skew:.0f} s behind the host's."
        return ""

    def _garbled(self, call: Call, what_came: str, host_code: str = "") -> BackendError:
        return _unknown(
            call,
            f"The wallet host's answer to the {_WHAT[call]} could not be read ({what_came}).",
            host_code=host_code,
        )

    def _data(self, call: Call, envelope: Envelope, model: type[_M]) -> _M:
        """The success `data`, or OutcomeUnknown when it is missing or the wrong shape."""
        try:
            return model.model_validate(envelope.data)
        except ValidationError:
            failure = self._garbled(call, "its data is missing or malformed")
        raise failure  # outside the except block: ValidationError text may echo host data

    def _receipt(self, call: Call, envelope: Envelope) -> HostReceipt:
        data = self._data(call, envelope, MoneyData)
        return HostReceipt(
            transaction_id=data.transaction_id,
            operation_id=data.operation_id or envelope.status.operation_id,
        )

    def _accounts(self, items: list[dict[str, Any]]) -> list[Account]:
        """The wallet's accounts, in the host's order.

        An account in a currency the kiosk does not know (not in ISO 4217 as kiosk.money holds
        it) is dropped with a warning rather than failing the whole session: the customer can
        still be served in their other currencies, and no amount can be entered in that
        currency anyway. Anything else malformed (an id, a balance) means the answer cannot be
        trusted, and the session opening fails.
        """
        accounts: list[Account] = []
        seen: set[str] = set()
        failure: BackendError | None = None
        for item in items:
            try:
                wire = HostAccount.model_validate(item)
            except ValidationError:
                failure = self._garbled("login", "an account is malformed")
                break
            try:
                currency = check_currency(wire.account_currency)
            except MoneyError:
                log.warning(
                    "Rapyd account ...%s dropped: its currency %r is not one the kiosk handles",
                    wire.account_id[-4:],
                    wire.account_currency[:8],
                )
                continue
            try:
                balance = parse_host_amount(wire.account_balance, currency)
            except MoneyError:
                failure = self._garbled("login", "an account balance is not a number")
                break
            if wire.account_id in seen:
                failure = self._garbled("login", "an account is listed twice")
                break
            seen.add(wire.account_id)
            alias = _printable(wire.account_alias, 64) or currency
            accounts.append(Account(wire.account_id, alias, balance))
        if failure is not None:
            raise failure
        return accounts

    def _safe_text(self, text: str, hide: tuple[str, ...]) -> str:
        """A host message fit for a cashier's screen and a log: one line, short, no secrets."""
        text = _printable(text)
        for secret in (*hide, self._access_key.get_secret_value(), self._secret_key.get_secret_value()):
            hidden = mask_phone(secret) if secret.startswith("+") else REDACTED
            for form in (secret, secret.lstrip("+")):  # the longer form first
                if len(form) >= 4:
                    text = text.replace(form, hidden)
        # Any long digit run could be a phone number or a code echoed back in another form.
        # (This also hides 6+ digit amounts in a host message; the amount is on screen anyway.)
        text = re.sub(r"\+?\d(?:[\s-]?\d){5,}", REDACTED, text)
        text = redact_url(" ".join(text.split()))
        return text[:200].rstrip(" .")


def _unknown(call: Call, message: str, *, host_code: str = "") -> BackendError:
    """Sent, but no usable answer: what that means depends on the call."""
    if call == "echo":  # echo moves nothing: for it this is only "unreachable"
        return HostUnreachable(message, host_code=host_code)
    if call == "login":
        return OutcomeUnknown(
            f"{message} A session may have been opened on the host; that is harmless (it expires "
            "unused). Try again, or ask the customer for a new code if this one has run out.",
            host_code=host_code,
        )
    return OutcomeUnknown(f"{message} It may have been applied.", host_code=host_code)


def _printable(text: str, limit: int = 1000) -> str:
    """Host text made fit for a screen, a receipt printer and a log file: terminal escapes and
    every control or format character (bidi overrides included) removed, one line."""
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text or "")
    text = "".join(" " if unicodedata.category(ch).startswith("C") else ch for ch in text)
    return " ".join(text.split())[:limit]


def _reveal(value: str | SecretStr) -> str:
    # Stripped: a key read from a secrets file often ends with a newline.
    return (value.get_secret_value() if isinstance(value, SecretStr) else str(value or "")).strip()


def _safe_code(code: str) -> str:
    """A host error code as we keep it: an identifier, at most 64 characters."""
    return re.sub(r"[^A-Za-z0-9_.-]", "", code or "")[:64]


def _check_positive(amount: Money) -> None:
    if not isinstance(amount, Money) or amount.amount <= 0:
        raise ValueError("the amount must be a positive Money")


def _check_account(session: WalletSession, account_id: str, amount: Money) -> None:
    """The account id goes into the path, and the path carries no currency: when the session
    knows the account, the amount's currency must be the account's."""
    _check_positive(amount)
    if not _HOST_ID.match(account_id or ""):
        raise ValueError("the account id is not a plain identifier")
    try:
        account = session.account(account_id)
    except KeyError:
        return  # e.g. a reversal from recovery with a fresh session: the host decides
    if account.currency != amount.currency:
        raise ValueError(
            f"the account holds {account.currency}, the amount is in {amount.currency}"
        )
