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
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable
from datetime import date
from typing import Any, Literal

import httpx
from pydantic import SecretStr

from kiosk.backends.base import AuthenticationFailed, BackendError, HostUnreachable
from kiosk.backends.flexiti.errors import WHAT, CustomerNotFound, WrongVerificationCode, no_answer, refusal
from kiosk.backends.flexiti.models import (
    CURRENCY,
    PLAIN_ID,
    CustomerAccount,
    Flow,
    Garbled,
    LicenceLookup,
    TransactionResult,
    Verification,
    account_of,
    holder_of,
    text_of,
    transaction_result,
)
from kiosk.backends.http import HttpClientBase, checked_url, new_http, quiet_library_loggers, refuse_non_ascii
from kiosk.backends.wire import exact_json, parse_json, printable, reveal, safe_code
from kiosk.digits import is_digits
from kiosk.money import Money

log = logging.getLogger("kiosk.backends.flexiti")

DEFAULT_BASE_PATH = "/flexiti/pos-api/v2.5"
VerifyFormat = Literal["email", "sms", "security_question", "regular_purchase_bypass", "merchant_override"]
VERIFY_FORMATS: tuple[str, ...] = ("email", "sms", "security_question", "regular_purchase_bypass", "merchant_override")
TransactionKind = Literal["deposit", "instore_payment"]
TRANSACTION_KINDS: tuple[str, ...] = ("deposit", "instore_payment")
Call = Literal["verify", "lookup", "search", "licence", "transaction", "health"]


# ---------------------------------------------------------------------------------------------
# Redaction and validation

_PRINTABLE_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
_TOKEN = re.compile(r"^[A-Za-z0-9._~+/=-]{8,2000}$")
_QUERY = re.compile(r"(/flexiti/[^\s?\"'<>]*)\?[^\s\"'<>]*")
_ACCOUNT_SEGMENT = re.compile(r"(/account/)\d+(?=\d{4}/)")


def redact_url(text: str) -> str:
    """A URL (or a log line holding one) with Flexiti query strings removed (names, dates of
    birth, account numbers) and account numbers in paths cut to their last 4 digits."""
    return _ACCOUNT_SEGMENT.sub(r"\1****", _QUERY.sub(r"\1?******", text))


# httpx would log query strings (names, dates of birth) at INFO (see kiosk.backends.http).
quiet_library_loggers(redact_url)


# ---------------------------------------------------------------------------------------------
# The client


class FlexitiClient(HttpClientBase):
    """The Flexiti POS API (in-store channel) over a synchronous httpx client."""

    name = "flexiti"
    host_words = "Flexiti"
    reach_words = "Flexiti at {host}"
    what = WHAT
    _log = log

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
        url = checked_url(base_url, "Flexiti", log, "requests travel unencrypted")
        if url.path in ("", "/"):
            url = url.copy_with(path=DEFAULT_BASE_PATH)
        client_id = (client_id or "").strip()
        secret = reveal(client_secret)
        if not client_id or not PLAIN_ID.match(client_id):
            raise ValueError("the Flexiti client id must be a plain identifier")
        if not secret:
            raise ValueError("the Flexiti client secret must be set")
        if timeout <= 0 or connect_timeout <= 0 or refresh_margin < 0:
            raise ValueError("timeouts must be positive and the refresh margin not negative")
        for name, value in (("location_id", location_id), ("employee_id", employee_id)):
            if value is not None and not PLAIN_ID.match(value):
                raise ValueError(f"the Flexiti {name} must be a plain identifier")

        self._client_id = client_id
        self._secret = SecretStr(secret)
        self._clock = clock
        self._timeout = timeout
        self._margin = refresh_margin
        self._location_id = location_id
        self._employee_id = employee_id
        self._display_url = str(url).rstrip("/")
        self._http = new_http(self._display_url + "/", timeout, connect_timeout, transport)
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

    # -- is it there? ---------------------------------------------------------------------------

    def health(self) -> None:
        """Whether Flexiti answers, without fetching an access token (none is documented as free
        of side effects): a customer look-up sent without a token, which Flexiti refuses with
        HTTP 401 before reading it. Any answer of Flexiti's is healthy. HostUnreachable when
        nothing usable comes back; BusinessError when something that is not the POS API answers
        (a wrong flexiti.base_url)."""
        response = self._exchange("health", "GET", f"client-id/{self._client_id}/customers/lookup", "flexiti health",
                                  headers={"x-reference-id": uuid.uuid4().hex})
        self._answered_without_token(response, "flexiti.base_url")

    def verify_credentials(self) -> None:
        """Fetch an access token (or reuse the live one): AuthenticationFailed when Flexiti refuses
        the client id and secret. Moves no money; for `kiosk doctor`."""
        self._bearer()

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
        number = check_account(account_number)
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
        number = check_account(account_number)
        document = self._request("lookup", "GET", f"client-id/{self._client_id}/customers/lookup",
                                 flow=flow, params={"account_number": number})
        try:
            return account_of(document)
        except Garbled as exc:
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
            return [account_of(item) for item in items]
        except Garbled as exc:
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
            holder = holder_of(document)
        except Garbled as exc:
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
        number = check_account(account_number)
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
            return transaction_result(document, kind, amount, number)
        except Garbled as exc:
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
        document = parse_json(response.content)
        error = safe_code(document.get("error")) if isinstance(document, dict) else ""
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
        seconds = -1.0  # missing, a boolean, or not a number: unreadable
        if isinstance(lifetime, (int, float, str)) and not isinstance(lifetime, bool):
            try:
                seconds = float(lifetime)
            except ValueError:
                pass
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
        body = exact_json(payload, normalize=True) if payload is not None else None
        headers = {"x-reference-id": reference_id}
        if body is not None:
            headers["Content-Type"] = "application/json"
        if idempotency_key is not None:
            headers["x-idempotency-key"] = idempotency_key
            headers["x-context-hash"] = hashlib.sha256(body or b"").hexdigest()
        response: httpx.Response | None = None
        for attempt in (1, 2):
            headers["authorization"] = f"Bearer {self._bearer(renew=attempt == 2)}"
            response = self._exchange(call, method, path, f"flexiti {call}", f" (reference {reference_id})",
                                      params=params, content=body, headers=headers)
            if response.status_code != 401:
                break
            log.debug("flexiti refused the access token; fetching a new one and sending once more")
        assert response is not None
        return self._interpret(call, response, hide)

    def _no_answer(self, call: str, message: str, *, host_code: str = "") -> BackendError:
        return no_answer(call, message, host_code)

    def _interpret(self, call: Call, response: httpx.Response, hide: tuple[str, ...]) -> Any:
        status = response.status_code
        document = parse_json(response.content)
        error = safe_code(document.get("error")) if isinstance(document, dict) else ""
        if 200 <= status < 300:
            if document is None:
                raise self._garbled(call, f"HTTP {status} with a body that is not JSON")
            return document
        if status >= 500:
            raise self._failed(call, status, error or f"HTTP_{status}")
        if status in (408, 429):
            raise self._busy(call, status, error or f"HTTP_{status}")
        if 400 <= status < 500:
            raise self._refusal(call, status, error, document, hide)
        raise self._garbled(call, f"an unexpected HTTP {status}", error)

    def _refusal(self, call: Call, status: int, error: str, document: Any, hide: tuple[str, ...]) -> BackendError:
        raw = ""
        if isinstance(document, dict):
            raw = text_of(document.get("message")) or text_of(document.get("error_description"))
        return refusal(call, status, error, self._safe_text(raw, hide), document)

    def _safe_text(self, text: str, hide: tuple[str, ...]) -> str:
        """A host message fit for a screen and a log: one line, short, no secrets or PIN-like digits."""
        text = printable(text)
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


def check_account(account_number: str | int) -> str:
    text = str(account_number).strip() if isinstance(account_number, (str, int)) else ""
    if isinstance(account_number, bool) or not is_digits(text, 1, 14):
        raise ValueError("a Flexiti account number is 1 to 14 digits")
    return text


def _check_request_id(request_id: str) -> None:
    if not isinstance(request_id, str) or not re.fullmatch(r"[\x21-\x7e]{1,64}", request_id):
        raise ValueError("the request_id must be 1-64 printable ASCII characters")
