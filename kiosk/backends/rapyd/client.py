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
recognised from the code *and* the message by keywords (errors.py); the raw code is kept in
`.host_code`. The answers' shapes are in models.py.

Secrets: the OTP travels in the Open Session path, so every path that is logged or shown goes
through `redact_url`; phone numbers are masked to their last 4 digits; the secret key leaves
this module only through the signature, the access key only in its own header. httpx exceptions are never passed on (their text holds the
full URL): each becomes a message written here, raised outside the `except` block so that no
traceback carries the original as its context.
"""

from __future__ import annotations

import email.utils
import logging
import re
import time
from collections.abc import Callable
from typing import Any, TypeVar

import httpx
from pydantic import SecretStr, ValidationError

from kiosk.backends.base import (
    Account,
    AuthenticationFailed,
    BackendError,
    BusinessError,
    HostReceipt,
    InsufficientFunds,
    OtpRejected,
    SessionRejected,
    WalletSession,
)
from kiosk.backends.http import (
    HttpClientBase,
    check_timeouts,
    checked_url,
    new_http,
    quiet_library_loggers,
    refuse_non_ascii,
)
from kiosk.backends.rapyd.errors import WHAT, Call, classify_refusal, names_pos, no_answer
from kiosk.backends.rapyd.models import HOST_ID, Envelope, HostAccount, LoginData, MoneyData, parse_envelope
from kiosk.backends.signing import compact_json, new_salt, sign_request
from kiosk.backends.wire import REDACTED, WireModel, printable, reveal, safe_code
from kiosk.digits import is_digits
from kiosk.money import Money, MoneyError, check_currency, parse_host_amount

log = logging.getLogger("kiosk.backends.rapyd")

_M = TypeVar("_M", bound=WireModel)

# ---------------------------------------------------------------------------------------------
# Redaction


_LOGIN_PATH = re.compile(r"(/pos/login/)([^/?#\s\"'<>]*)(/[^?#\s\"'<>]*)?")


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
_IDEMPOTENCY = re.compile(r"^[\x21-\x7e]{1,255}$")

# ---------------------------------------------------------------------------------------------
# The client


class RapydClient(HttpClientBase):
    """`WalletBackend` for the Rapyd POS API over a synchronous httpx client."""

    name = "rapyd"
    host_words = "the wallet host"
    what = WHAT
    _log = log

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
        # The OTP is in a path and the phone in a header: only a simulator on this machine
        # should ever be spoken to in clear text.
        url = checked_url(base_url, "Rapyd", log, "requests travel unencrypted")
        if not pos_id or not HOST_ID.match(pos_id):
            raise ValueError("the POS id must be a plain identifier (letters, digits, '-')")
        access = reveal(access_key)
        secret = reveal(secret_key)
        if not access or not secret:
            raise ValueError("the Rapyd access key and secret key must both be set")
        if not 0 <= timestamp_backdate <= 50:
            # Rapyd accepts timestamps up to 60 s old; more back-dating leaves no margin.
            raise ValueError("timestamp_backdate must be between 0 and 50 seconds")
        check_timeouts(timeout, connect_timeout)

        # Held as SecretStr so that vars(), repr() or a debugger never print them.
        self._access_key = SecretStr(access)
        self._secret_key = SecretStr(secret)
        self._pos_id = pos_id
        self._clock = clock
        self._backdate = int(timestamp_backdate)
        self._timeout = timeout
        self._display_url = str(url)
        self._http = new_http(self._display_url, timeout, connect_timeout, transport, accept_json=False)

    def __repr__(self) -> str:
        return f"RapydClient(base_url={self._display_url!r}, pos_id={self._pos_id!r})"

    # -- the WalletBackend calls --------------------------------------------------------------

    def echo(self) -> None:
        """Check the host answers and accepts this terminal's signature.

        Echo moves nothing, so "no usable answer" is reported as HostUnreachable (see no_answer);
        a refused signature stays AuthenticationFailed: it is how a wrong key or clock shows up
        before a customer is waiting.
        """
        self._call("echo", "GET", "/v1/pos/echo")

    def health(self) -> None:
        """Whether the host answers and takes this terminal's signature: the echo, which opens
        no session (the same check as every back end's `health`)."""
        self.echo()

    def verify_credentials(self) -> None:
        """The echo is signed, so it also tells whether the keys and the POS id are accepted."""
        self.echo()

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
        if not HOST_ID.match(transaction_id or ""):
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
            if not HOST_ID.match(value or ""):
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

        response = self._exchange(
            call, method, path, f"{method} {redact_url(path)}",
            content=body.encode("ascii") if body else None, headers=request_headers,
        )
        return self._interpret(call, response, hide)

    def _interpret(self, call: Call, response: httpx.Response, hide: tuple[str, ...]) -> Envelope:
        status = response.status_code
        envelope = parse_envelope(response.content)
        host_code = safe_code(envelope.status.error_code) if envelope else ""
        if 200 <= status < 300:
            if envelope is not None and envelope.status.outcome == "success":
                return envelope
            if envelope is not None and envelope.status.outcome == "error":
                raise self._refusal(call, status, envelope, response, hide)
            raise self._garbled(call, f"HTTP {status} with an unreadable or contradictory body", host_code)
        if status >= 500:
            raise self._failed(call, status, host_code or f"HTTP_{status}")
        if status in (408, 429):
            raise self._busy(call, status, host_code or f"HTTP_{status}")
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
        code = safe_code(envelope.status.error_code) if envelope else ""
        raw_message = envelope.status.message if envelope else ""
        kind = classify_refusal(call, status, code, raw_message)
        host_code = code or f"HTTP_{status}"
        what = WHAT[call]
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
        if names_pos(code):
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

    def _no_answer(self, call: str, message: str, *, host_code: str = "") -> BackendError:
        return no_answer(call, message, host_code=host_code)

    def _data(self, call: Call, envelope: Envelope, model: type[_M]) -> _M:
        """The success `data`, or OutcomeUnknown when it is missing or the wrong shape."""
        return self._validated(call, model, envelope.data, "its data is missing or malformed")

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
            alias = printable(wire.account_alias, 64) or currency
            accounts.append(Account(wire.account_id, alias, balance))
        if failure is not None:
            raise failure
        return accounts

    def _safe_text(self, text: str, hide: tuple[str, ...]) -> str:
        """A host message fit for a cashier's screen and a log: one line, short, no secrets."""
        text = printable(text)
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



def _check_positive(amount: Money) -> None:
    if not isinstance(amount, Money) or amount.amount <= 0:
        raise ValueError("the amount must be a positive Money")


def _check_account(session: WalletSession, account_id: str, amount: Money) -> None:
    """The account id goes into the path, and the path carries no currency: when the session
    knows the account, the amount's currency must be the account's."""
    _check_positive(amount)
    if not HOST_ID.match(account_id or ""):
        raise ValueError("the account id is not a plain identifier")
    try:
        account = session.account(account_id)
    except KeyError:
        return  # e.g. a reversal from recovery with a fresh session: the host decides
    if account.currency != amount.currency:
        raise ValueError(
            f"the account holds {account.currency}, the amount is in {amount.currency}"
        )
