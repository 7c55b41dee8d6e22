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

import logging
import re
import time
import unicodedata
from collections.abc import Callable, Mapping
from typing import Any, Literal

import httpx
from pydantic import SecretStr, ValidationError

from kiosk.backends.base import (
    AuthenticationFailed,
    BackendError,
    BusinessError,
    InsufficientFunds,
    OtpRejected,
    SessionRejected,
)
from kiosk.backends.http import HttpClientBase, check_timeouts, checked_url, new_http, quiet_library_loggers, refuse_non_ascii
from kiosk.backends.sdkfinance.errors import (
    AlreadySettled,
    AmountOutsideLimits,
    CustomerSignInExpired,
    RequestAlreadySettled,
    RequestNotFound,
    SignInRejected,
    TokenRefused,
    no_answer,
)
from kiosk.backends.sdkfinance.models import (
    SERIAL,
    Coin,
    Flow,
    OtpRequired,
    Quote,
    SignedIn,
    Status,
    TransferRequest,
    WireCoin,
    WireError,
    WireQuote,
    WireRequest,
    WireSignIn,
    commission_value,
    currency_of,
    mask_login,
    parse_expiry,
    unwrap,
    wire_error,
)
from kiosk.backends.wire import REDACTED, exact_json, loose_text, parse_json, printable, safe_code
from kiosk.digits import is_digits
from kiosk.money import Money, MoneyError, parse_host_amount

log = logging.getLogger("kiosk.backends.sdkfinance")

# httpx logs each request's URL at INFO; no secret travels in these URLs, but keep the library
# quiet so the kiosk's log holds our own lines (same policy as the Rapyd client).
quiet_library_loggers()

Call = Literal["sign_in", "confirm", "coins", "calculate", "create", "accept", "decline", "view", "health"]
Who = Literal["customer", "cash_point"]

_PATHS: dict[Flow, str] = {"topup": "/bank-top-ups", "withdrawal": "/bank-withdrawals"}
_FLOW_WORD: dict[Flow, str] = {"topup": "top-up", "withdrawal": "withdrawal"}
WHAT: dict[str, str] = {
    "sign_in": "sign-in",
    "confirm": "one-time code confirmation",
    "coins": "wallet account list",
    "calculate": "commission calculation",
    "create": "request",
    "accept": "acceptance",
    "decline": "decline",
    "view": "request look-up",
    "health": "health check",
}
_REFRESH_MARGIN = 30.0  # renew a token this long before the platform's expiresAt
_REFERENCE = re.compile(r"^[\x21-\x7e]{1,255}$")
_STATUSES: dict[str, Status] = {"PENDING": "PENDING", "ACCEPTED": "ACCEPTED", "DECLINED": "DECLINED"}


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
    host_words = "the wallet host"
    what = WHAT
    _log = log

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
        url = checked_url(base_url, "SDK.finance", log, "passwords and tokens travel unencrypted")
        check_timeouts(timeout, connect_timeout)
        if coin_field not in ("coinSerial", "coin"):
            raise ValueError("coin_field is 'coinSerial' or 'coin'")
        self._timeout = timeout
        self._clock = clock
        self._coin_field = coin_field
        self._display_url = str(url).rstrip("/")
        self._cash_point: _Identity | None = None
        self._customer: _Identity | None = None
        self._pending_otp_login: str | None = None
        if cash_point_login or cash_point_password:
            self._cash_point = _identity(cash_point_login or "", cash_point_password)
        self._http = new_http(self._display_url + "/", timeout, connect_timeout, transport)

    def __repr__(self) -> str:
        return f"SdkFinanceClient(base_url={self._display_url!r})"

    # -- is it there? ---------------------------------------------------------------------------

    def health(self) -> None:
        """Whether the platform answers, without signing anyone in (a sign-in every 15 s would
        fill the platform with tokens). It asks for the account list without a token, which the
        platform documents answering with HTTP 401; any answer of the platform's is healthy.
        HostUnreachable when nothing usable comes back; BusinessError when something that is
        not the platform answers (a wrong sdkfinance.base_url)."""
        response = self._exchange("health", "GET", "coins", "GET /coins (no token)")
        self._answered_without_token(response, "sdkfinance.base_url")

    def verify_credentials(self) -> SignedIn:
        """Sign the cash point in: AuthenticationFailed when its login is refused or is not a
        cash point's. Moves no money, but leaves a token at the platform: for `kiosk doctor`,
        not for a check that runs every few seconds (that is `health`)."""
        return self.sign_in_cash_point()

    # -- signing in -----------------------------------------------------------------------------

    def sign_in_cash_point(self, login: str | None = None, password: str | SecretStr | None = None) -> SignedIn:
        """Sign the cash point in (with these credentials, or those given to the constructor)."""
        if login is not None or password is not None:
            self._cash_point = _identity(login or "", password)
        if self._cash_point is None:
            raise AuthenticationFailed("No cash-point login is configured for the SDK.finance back end.")
        result = self._sign_in_identity("cash_point", self._cash_point)
        assert isinstance(result, SignedIn)  # a cash point with two-factor sign-in is refused there
        return result

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
        items = unwrap(document, "coins", "records", "content")
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
            wire = WireQuote.model_validate(document)
        except ValidationError:
            wire = None
        if wire is None:
            raise self._garbled("calculate", "no commission in the answer")
        currency = currency_of(wire.currency) or amount.currency
        if currency != amount.currency:
            raise self._garbled("calculate", "the commission is in another currency")
        commission = _host_money(commission_value(wire.commission), currency)
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
            wire = WireRequest.model_validate(document)
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
        except AlreadySettled as settled:
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
        items = unwrap(document, "records", "content")
        if items is None:
            raise self._garbled("view", "no record list")
        return [self._request(flow, item, "view") for item in items]

    def _request(self, flow: Flow, item: Any, call: Call) -> TransferRequest:
        try:
            wire = WireRequest.model_validate(item)
        except ValidationError:
            wire = None
        status = _STATUSES.get(wire.status.upper()) if wire is not None else None
        if wire is None or status is None:
            raise self._garbled(call, "a request record is malformed")
        currency = currency_of(wire.currency)
        money: list[Money | None] = []
        for value in (wire.amount, commission_value(wire.commission), wire.total):
            parsed = None if value is None or currency is None else _host_money(value, currency)
            if value is not None and currency is not None and parsed is None:
                raise self._garbled(call, "a request amount is not a number")
            money.append(parsed)
        return TransferRequest(
            wire.request_id, flow, status, wire.coin or "", money[0], money[1], money[2], wire.description,
        )

    def _coin(self, item: Any) -> Coin | None:
        try:
            wire = WireCoin.model_validate(item)
        except ValidationError:
            wire = None
        if wire is None:
            raise self._garbled("coins", "a coin is malformed")
        issuer = wire.issuer if isinstance(wire.issuer, Mapping) else {}
        currency = currency_of(wire.currency, issuer.get("currency"), issuer.get("sn"), issuer.get("code"))
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
        name = printable(wire.name, 64) or currency
        return Coin(wire.serial, name, currency, amount, available, held, wire.active, wire.main)

    # -- sign-in plumbing -------------------------------------------------------------------------

    def _sign_in_identity(self, who: Who, identity: _Identity) -> SignedIn | OtpRequired:
        document = self._send_json(
            "sign_in", "POST", "authorization",
            {"login": identity.login, "password": identity.password.get_secret_value()},
            token=None, who=who, hide=(identity.login, identity.password.get_secret_value()),
        )
        try:
            action = WireSignIn.model_validate(document).action.upper() if isinstance(document, dict) else ""
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
            wire = WireSignIn.model_validate(document)
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
            user_name=printable(_loose(user.get("name")), 80),
            organization_id=_loose(org.get("id")),
            organization_name=printable(_loose(org.get("name")), 80),
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
        except TokenRefused:
            pass
        self._reauthenticate(who, identity)
        try:
            return self._send_json(call, method, path, payload, token=identity.token, who=who, hide=hide)
        except TokenRefused as refused:
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
        body = exact_json(payload) if payload is not None else None
        response = self._exchange(call, method, path, f"{method} /{path}", content=body, headers=headers)
        return self._interpret(call, who, response, token is not None, hide)

    def _no_answer(self, call: str, message: str, *, host_code: str = "") -> BackendError:
        return no_answer(call, message, host_code=host_code)

    def _interpret(self, call: Call, who: Who, response: httpx.Response, with_token: bool,
                   hide: tuple[str, ...]) -> Any:
        status = response.status_code
        document = parse_json(response.content)
        if 200 <= status < 300:
            if document is None and call in ("accept", "decline") and not response.content.strip():
                return {}  # an empty 2xx to an accept / decline: done, nothing more to say
            if document is None:
                raise self._garbled(call, f"HTTP {status} with a body that is not JSON")
            return document
        error = wire_error(document)
        code = safe_code(error.code).upper() if error else ""
        host_code = code or f"HTTP_{status}"
        if status >= 500:
            raise self._failed(call, status, host_code)
        if status in (408, 429):
            raise self._busy(call, status, host_code)
        if status == 401 and with_token:
            raise TokenRefused(host_code)
        if status == 409 and code.startswith("REQUEST_ALREADY_"):
            settled = (error.status if error else "") or code.removeprefix("REQUEST_ALREADY_")
            raise AlreadySettled(settled.upper(), host_code)
        if 400 <= status < 500:
            raise self._refusal(call, who, status, code, error, hide)
        raise self._garbled(call, f"an unexpected HTTP {status}", host_code)

    def _refusal(self, call: Call, who: Who, status: int, code: str, error: WireError | None,
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
            fields = "; ".join(self._fieldwire_error(f, hide) for f in error.field_errors[:4])
            return BusinessError(f"The wallet host refused the {WHAT[call]}: {fields}.", host_code=host_code)
        suffix = f" ({code})" if code and code not in reason else ""
        shown = reason or f"HTTP {status}, no reason given"
        return BusinessError(f"The wallet host declined the {WHAT[call]}: {shown}{suffix}.", host_code=host_code)

    def _fieldwire_error(self, item: Mapping[str, Any], hide: tuple[str, ...]) -> str:
        name = self._safe_text(_loose(item.get("field")), hide)[:40]
        message = self._safe_text(_loose(item.get("message") or item.get("code")), hide)[:80]
        return f"{name}: {message}" if name else message

    def _reason(self, error: WireError | None, hide: tuple[str, ...]) -> str:
        return self._safe_text(error.message, hide) if error is not None else ""

    def _safe_text(self, text: str, hide: tuple[str, ...]) -> str:
        """Host text fit for a cashier's screen and a log: one line, short, no secrets."""
        text = printable(text)
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


def _host_money(value: Any, currency: str) -> Money | None:
    try:
        return parse_host_amount(value, currency)
    except MoneyError:
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
    if not SERIAL.match(serial):
        raise ValueError("the coin serial is not a plain identifier")
    return serial


def _check_request_id(request_id: int) -> int:
    if isinstance(request_id, bool) or not isinstance(request_id, int) or request_id <= 0:
        raise ValueError("a request identifier is a positive number")
    return request_id



def _loose(value: Any) -> str:
    try:
        return loose_text(value)
    except ValueError:
        return ""


def _looks_like_login(text: str) -> bool:
    return "@" in text or bool(re.fullmatch(r"\+?[\d\s-]{7,}", text))
