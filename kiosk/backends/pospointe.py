"""POSPointe GiftCard Server client: gift cards sold, reloaded and redeemed for cash.

One synchronous call per teller step, each bounded by a timeout (reference clients use 5 s),
each answered by a typed value or one of the `BackendError` kinds of `kiosk.backends.base`.

    client = PosPointeClient(url, user, password, store_id="5150", franchisee_id="FR2718")
    with CardVisit(client, card_number, security_code) as card:   # card data in memory only
        before = card.balance()
        try:
            card.reload(parse_amount("20", "USD"), pos_ref="visit-42")
        except OutcomeUnknown:
            outcome = settle_unknown(client, card, before.balance, parse_amount("20", "USD"))

The API documents no idempotency: a reload or redeem sent twice is applied twice. The client
therefore never retries a money call, and `settle_unknown` decides what happened after a lost
answer by reading the balance (a read is always safe to repeat).

How answers map to error kinds:

    connect error / connect timeout / DNS / TLS / pool timeout  -> HostUnreachable (nothing sent)
    HTTP 408 / 429                                              -> HostUnreachable (turned away unread)
    HTTP 401                                                    -> AuthenticationFailed (user / password)
    read timeout, dropped connection, HTTP 5xx, garbled body,
    statuscode "000000" without status true (or the reverse)    -> OutcomeUnknown for sell, reload,
        redeem, changestatus and batch close; HostUnreachable for the calls that change nothing
        (health, verify, token, balance, batch view), as the Rapyd client does for echo
    a refusal: non-zero statuscode with status false            -> by statuscode, then by its words:
        card not found / wrong security code                    -> CardRejected
        too many wrong security codes                           -> CardLocked
        card token unknown or expired                           -> CardTokenRejected (make a new one)
        card not sold / already sold / blocked                  -> CardNotActive / CardAlreadyActive / CardBlocked
        balance too low (redeem)                                -> InsufficientFunds
        amount or balance limits                                -> LimitExceeded
        franchisee ID / store ID not this terminal's            -> AuthenticationFailed (configuration)
        anything else (4xx with or without a statuscode)        -> BusinessError with the host's words

Secrets: the card number and security code travel only in the /v1/Token body; the password
only in the Authorization header; the card token only in bodies. None of them appears in a
log line, an exception or a repr: cards are shown by their last 4 digits. httpx exceptions
are never passed on (their text names the request); each becomes a message written here,
raised outside the `except` block so no traceback carries the original as its context.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Annotated, Any, Literal, TypeVar

import httpx
from pydantic import BaseModel, BeforeValidator, ConfigDict, SecretStr, ValidationError

from kiosk.backends.base import (
    AuthenticationFailed,
    BackendError,
    BusinessError,
    HostUnreachable,
    InsufficientFunds,
    OutcomeUnknown,
)
from kiosk.backends.http import HttpClientBase, refuse_non_ascii
from kiosk.digits import is_digits
from kiosk.money import Money, MoneyError, check_currency, parse_host_amount

log = logging.getLogger("kiosk.backends.pospointe")

Call = Literal["health", "verify", "token", "balance", "sell", "reload", "redeem", "changestatus", "batch", "closebatch"]

TOKEN_LIFETIME = 600.0  # documented: tokens are valid for 10 minutes from creation
TOKEN_RENEW_AFTER = 570.0  # re-made at 9.5 minutes, so a call never carries a dying token
SUCCESS_CODE = "000000"

_WHAT: dict[Call, str] = {
    "health": "health check",
    "verify": "credentials check",
    "token": "card look-up",
    "balance": "balance check",
    "sell": "card sale",
    "reload": "card reload",
    "redeem": "card redemption",
    "changestatus": "card status change",
    "batch": "batch report",
    "closebatch": "batch close",
}
# Calls that change nothing at the host: a lost answer is only "could not reach it".
_READ_ONLY: frozenset[Call] = frozenset({"health", "verify", "token", "balance", "batch"})
_MONEY: frozenset[Call] = frozenset({"sell", "reload", "redeem"})
_LOOPBACK = {"localhost", "127.0.0.1", "::1"}
REDACTED = "******"

# httpx logs each request line at INFO; nothing secret is in POSPointe's URLs, but keep the
# libraries at WARNING as the Rapyd client does, so DEBUG logging of the kiosk stays ours.
for _name in ("httpx", "httpcore"):
    if logging.getLogger(_name).level == logging.NOTSET:
        logging.getLogger(_name).setLevel(logging.WARNING)


# ---------------------------------------------------------------------------------------------
# Error kinds beyond kiosk.backends.base (all are final refusals: nothing was applied)


class CardRejected(BusinessError):
    """No card with that number, or the security code is wrong: check what was typed."""

    code = "CARD_REJECTED"


class CardLocked(BusinessError):
    """Too many wrong security codes: the host refuses this card for a while."""

    code = "CARD_LOCKED"


class CardTokenRejected(BusinessError):
    """The card token is unknown or expired: make a new one (CardVisit does it once by itself)."""

    code = "CARD_TOKEN_REJECTED"


class CardNotActive(BusinessError):
    """The card has not been sold (activated) yet."""

    code = "CARD_NOT_ACTIVE"


class CardAlreadyActive(BusinessError):
    """The card was sold already: reload it instead of selling it."""

    code = "CARD_ALREADY_ACTIVE"


class CardBlocked(BusinessError):
    """The card is blocked: only a supervisor can unblock it."""

    code = "CARD_BLOCKED"


class LimitExceeded(BusinessError):
    """The amount is outside the per-transaction limits, or the card would hold too much."""

    code = "LIMIT_EXCEEDED"


# ---------------------------------------------------------------------------------------------
# What the teller gets back


def mask_card(number: str) -> str:
    """A card number for screens, receipts and logs: its last 4 digits only."""
    digits = re.sub(r"\D", "", number or "")
    return f"****{digits[-4:]}" if len(digits) >= 4 else "****"


@dataclass(frozen=True)
class CardToken:
    """A stand-in for the card for 10 minutes. `expires_at` is on this terminal's clock
    (issued + 600 s): the host's own `exp` is kept as text only, since the two clocks differ."""

    token: str = field(repr=False)
    expires_at: float
    last4: str
    issued_at: float = 0.0
    host_exp: str = field(default="", repr=False)

    def needs_renewal(self, now: float, renew_after: float = TOKEN_RENEW_AFTER) -> bool:
        return now - self.issued_at >= renew_after or now >= self.expires_at

    def __repr__(self) -> str:
        return f"CardToken(last4={self.last4!r}, expires_at={self.expires_at!r})"

    __str__ = __repr__


@dataclass(frozen=True)
class CardBalance:
    balance: Money
    status: str  # "active" | "inactive" (not sold) | "blocked" | what the host said, lower case
    last4: str


@dataclass(frozen=True)
class CardLoad:
    """A sale or a reload: the amount loaded and the card's balance after it."""

    host_ref: str
    amount: Money
    balance: Money
    last4: str


@dataclass(frozen=True)
class Redemption:
    host_ref: str
    requested: Money
    approved: Money  # what to hand over in cash: less than requested on a partial approval
    previous_balance: Money
    new_balance: Money
    last4: str

    @property
    def partial(self) -> bool:
        return self.approved < self.requested


@dataclass(frozen=True)
class StatusChange:
    status: str  # "active" | "blocked"
    last4: str


@dataclass(frozen=True)
class BatchLine:
    host_ref: str
    kind: str  # "sell" | "reload" | "redeem" | what the host said, lower case
    last4: str
    amount: Money
    pos_ref: str
    at: str  # the host's timestamp text


@dataclass(frozen=True)
class BatchTotals:
    sell_count: int
    sell_amount: Money
    reload_count: int
    reload_amount: Money
    redeem_count: int
    redeem_amount: Money

    @property
    def net(self) -> Money:
        """Cash into the drawer from gift cards: sales + reloads - redemptions."""
        return self.sell_amount + self.reload_amount - self.redeem_amount


@dataclass(frozen=True)
class Batch:
    batch_id: str
    store_id: str
    status: str  # "open" | "closed"
    opened_at: str
    closed_at: str | None
    lines: tuple[BatchLine, ...]
    totals: BatchTotals
    next_batch_id: str = ""  # after a close: the batch that opened


# ---------------------------------------------------------------------------------------------
# Response models: property names are matched case-insensitively (keys lower-cased first)


def _loose_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        raise ValueError("a boolean is not text")
    if isinstance(value, (str, int, Decimal)):
        return str(value).strip()
    raise ValueError("not text")


def _loose_flag(value: object) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise ValueError("not a boolean")


LooseText = Annotated[str, BeforeValidator(_loose_text)]
LooseFlag = Annotated[bool | None, BeforeValidator(_loose_flag)]


class _Model(BaseModel):
    # Built on first use: a command validates a few of these answers, never all (start-up time).
    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)


_M = TypeVar("_M", bound=_Model)


class HostAnswer(_Model):
    statuscode: LooseText = ""
    description: LooseText = ""
    status: LooseFlag = None


class TokenAnswer(_Model):
    token: LooseText
    exp: LooseText = ""


class BalanceAnswer(_Model):
    balance: Any
    cardending: LooseText = ""
    cardstatus: LooseText = ""
    currency: LooseText = ""


class LoadAnswer(_Model):
    hostref: LooseText
    balance: Any
    amount: Any = None
    cardno: LooseText = ""


class RedeemAnswer(_Model):
    hostref: LooseText
    approvedbalance: Any
    previousbalance: Any
    newbalance: Any
    cardno: LooseText = ""


class StatusAnswer(_Model):
    cardstatus: LooseText = ""
    cardending: LooseText = ""


class BatchAnswer(_Model):
    batchid: LooseText
    storeid: LooseText = ""
    batchstatus: LooseText = ""
    opendate: LooseText = ""
    closedate: LooseText = ""
    transactions: list[dict[str, Any]] = []
    totals: dict[str, Any] | None = None
    newbatchid: LooseText = ""


class _LineAnswer(_Model):
    hostref: LooseText
    type: LooseText
    amount: Any
    cardending: LooseText = ""
    posref: LooseText = ""
    transactiondate: LooseText = ""


def _lower_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k).lower(): _lower_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_lower_keys(v) for v in value]
    return value


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_answer(content: bytes) -> dict[str, Any] | None:
    """The JSON object with lower-cased keys and exact decimals, or None when it is not one."""
    try:
        document = json.loads(content.decode("utf-8"), parse_float=Decimal, parse_constant=_refuse_constant)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    return _lower_keys(document) if isinstance(document, dict) else None


# ---------------------------------------------------------------------------------------------
# Classifying refusals


def _words(text: str) -> str:
    return " " + re.sub(r"[^A-Z0-9]+", " ", text.upper()).strip() + " "


_CODE_KINDS: dict[str, type[BackendError]] = {
    "100001": BusinessError,
    "100002": BusinessError,
    "100003": AuthenticationFailed,
    "100005": AuthenticationFailed,
    "200001": CardRejected,
    "200002": CardRejected,
    "200003": CardLocked,
    "300001": CardTokenRejected,
    "300002": CardTokenRejected,
    "400001": CardNotActive,
    "400002": CardAlreadyActive,
    "400003": CardBlocked,
    "400004": InsufficientFunds,
    "400005": LimitExceeded,
    "400006": LimitExceeded,
    "400007": BusinessError,  # already has that status: the host's words say which
    "400008": BusinessError,
}
# For codes this client does not know: the host's words decide (most specific first).
_WORD_KINDS: tuple[tuple[re.Pattern[str], type[BackendError]], ...] = (
    (re.compile(r" TOKEN "), CardTokenRejected),
    (re.compile(r" LOCKED | TOO MANY "), CardLocked),
    (re.compile(r" SECURITY CODE | PIN | CVV | CARD NOT FOUND | (INVALID|UNKNOWN) CARD( NUMBER)? "), CardRejected),
    (re.compile(r" BLOCKED "), CardBlocked),
    (re.compile(r" ALREADY (ACTIVE|ACTIVATED|SOLD) "), CardAlreadyActive),
    (re.compile(r" (NOT|IN) ?ACTIVE | NOT (SOLD|ACTIVATED) | INACTIVE "), CardNotActive),
    (re.compile(r" (INSUFFICIENT|NOT ENOUGH|LOW) (FUNDS?|BALANCE) | NSF "), InsufficientFunds),
    (re.compile(r" LIMIT | EXCEED(S|ED)? | OUT OF RANGE | MAXIMUM | MINIMUM "), LimitExceeded),
    (re.compile(r" FRANCHISEE | STORE ?ID | INVALID STORE "), AuthenticationFailed),
)


def classify_refusal(call: Call, code: str, description: str) -> type[BackendError]:
    kind = _CODE_KINDS.get(code)
    if kind is None:
        text = _words(description)
        kind = next((k for pattern, k in _WORD_KINDS if pattern.search(text)), BusinessError)
    if kind is InsufficientFunds and call != "redeem":
        kind = BusinessError  # only a redemption can lack money on the card
    return kind


# ---------------------------------------------------------------------------------------------
# The client

_TOKEN = re.compile(r"^[A-Za-z0-9._:-]{4,128}$")
_PLAIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")
_POS_REF = re.compile(r"^[\x21-\x7e]{1,50}$")


class PosPointeClient(HttpClientBase):
    """The POSPointe GiftCard Server over a synchronous httpx client. Never retries by itself."""

    name = "pospointe"

    def __init__(
        self,
        base_url: str,
        user: str,
        password: str | SecretStr,
        *,
        store_id: str,
        franchisee_id: str,
        currency: str = "USD",
        timeout: float = 5.0,
        connect_timeout: float = 3.0,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        url = httpx.URL(base_url)
        if url.scheme not in ("http", "https") or not url.host:
            raise ValueError("the POSPointe base URL must be an http(s) URL with a host")
        if url.userinfo or url.query or url.fragment:
            raise ValueError("the POSPointe base URL must not carry a user, password, query or fragment")
        if url.scheme == "http" and url.host not in _LOOPBACK:
            log.warning("POSPointe base URL %s is not HTTPS: the password travels unencrypted", url.host)
        secret = password.get_secret_value() if isinstance(password, SecretStr) else str(password or "")
        secret = secret.strip("\r\n")  # a password read from a secrets file often ends with a newline
        user = (user or "").strip()
        if not user or ":" in user or not secret:
            raise ValueError("the POSPointe user (without ':') and password must both be set")
        if not _PLAIN.match(store_id or "") or not _PLAIN.match(franchisee_id or ""):
            raise ValueError("the POSPointe store id and franchisee id must be plain identifiers")
        if timeout <= 0 or connect_timeout <= 0:
            raise ValueError("timeouts must be positive")
        self.currency = check_currency(currency)
        self.store_id = store_id
        self.franchisee_id = franchisee_id
        self._user = user
        self._password = SecretStr(secret)
        self._authorization = SecretStr("Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode("ascii"))
        self._clock = clock
        self._timeout = timeout
        self._display_url = str(url).rstrip("/")
        self._http = httpx.Client(
            base_url=self._display_url,
            timeout=httpx.Timeout(timeout, connect=connect_timeout),
            transport=transport,
            follow_redirects=False,
            headers={"User-Agent": "cashpoint-kiosk", "Accept": "application/json"},
        )

    def __repr__(self) -> str:
        return f"PosPointeClient(base_url={self._display_url!r}, store_id={self.store_id!r})"

    def now(self) -> float:
        return self._clock()

    # -- the calls ------------------------------------------------------------------------------

    def health(self) -> str:
        """The server's health word ("Healthy"); HostUnreachable when it is not healthy."""
        response = self._send("health", "GET", "/Health", None, auth=False)
        text = _printable(response.text, 40)
        document = parse_answer(response.content)
        if document is not None:  # some deployments answer {"status": "Healthy"}
            text = _printable(str(document.get("status", "")), 40)
        if response.status_code == 200 and text.lower() in ("healthy", "degraded"):
            return text
        raise HostUnreachable(
            f"The gift card server at {httpx.URL(self._display_url).host} is not healthy "
            f"(HTTP {response.status_code}{', ' + text if text else ''}).",
            host_code=f"HTTP_{response.status_code}",
        )

    def verify_credentials(self) -> None:
        """AuthenticationFailed when the user name or password is refused."""
        self._call("verify", "PUT", "/Auth/verify", None)

    def tokenize(self, card_number: str, security_code: str) -> CardToken:
        """A token for the card; the card number and code are sent once and kept nowhere."""
        number, code = _check_card(card_number, security_code)
        issued = self._clock()
        answer = self._call(
            "token", "POST", "/v1/Token", {"cardnumber": number, "securitycode": code}, hide=(number, code)
        )
        data = self._model("token", answer, TokenAnswer)
        if not _TOKEN.match(data.token) or data.token == number:
            raise self._garbled("token", "the token is missing or malformed")
        return CardToken(data.token, issued + TOKEN_LIFETIME, number[-4:], issued, _printable(data.exp, 40))

    def balance(self, token: CardToken) -> CardBalance:
        answer = self._call("balance", "POST", "/Transaction/balancecheck", {"cardtoken": _token(token)},
                            hide=(token.token,))
        data = self._model("balance", answer, BalanceAnswer)
        currency = self._currency("balance", data.currency)
        balance = self._amount("balance", data.balance, currency)
        last4 = _last4(data.cardending) or token.last4
        return CardBalance(balance, data.cardstatus.lower() or "active", last4)

    def sell_new_card(self, token: CardToken, amount: Money, pos_ref: str) -> CardLoad:
        """Activate an unsold card with `amount` on it (the customer paid that in cash)."""
        return self._load("sell", "/Transaction/sellnewcard", token, amount, pos_ref)

    def reload(self, token: CardToken, amount: Money, pos_ref: str) -> CardLoad:
        """Add `amount` to an active card. Never retried: see settle_unknown."""
        return self._load("reload", "/Transaction/reload", token, amount, pos_ref)

    def redeem(self, token: CardToken, amount: Money, pos_ref: str, accept_partial: bool = True) -> Redemption:
        """Take up to `amount` off the card for cash. With accept_partial the host approves
        what the card holds when that is less: hand over `approved`, not `amount`."""
        self._check_money(amount)
        answer = self._call("redeem", "POST", "/Transaction/radeem", {
            "cardtoken": _token(token),
            "amount": amount.amount,
            "franchiseeID": self.franchisee_id,
            "posRef": _pos_ref(pos_ref),
            "acceptpartialamount": bool(accept_partial),
        }, hide=(token.token,))
        data = self._model("redeem", answer, RedeemAnswer)
        approved = self._amount("redeem", data.approvedbalance, amount.currency)
        previous = self._amount("redeem", data.previousbalance, amount.currency)
        new = self._amount("redeem", data.newbalance, amount.currency)
        if approved.amount <= 0 or amount < approved or (not accept_partial and approved != amount):
            raise self._garbled("redeem", "the approved amount does not fit the request")
        if previous - approved != new:
            raise self._garbled("redeem", "the balances do not add up")
        return Redemption(_host_ref(data.hostref), amount, approved, previous, new,
                          _last4(data.cardno) or token.last4)

    def change_status(self, token: CardToken, blocked: bool, reason: str) -> StatusChange:
        """Block or unblock the card (a supervisor's decision; `reason` is recorded by the host)."""
        reason = _printable(reason, 200)
        if not reason:
            raise BusinessError("A reason is required to block or unblock a card.")
        answer = self._call("changestatus", "PATCH", "/Transaction/changestatus", {
            "cardtoken": _token(token),
            "status": "Blocked" if blocked else "Active",
            "reason": reason,
        }, hide=(token.token,))
        data = self._model("changestatus", answer, StatusAnswer)
        return StatusChange(data.cardstatus.lower() or ("blocked" if blocked else "active"),
                            _last4(data.cardending) or token.last4)

    def batch(self) -> Batch:
        """The store's open batch: today's gift card transactions and totals."""
        answer = self._call("batch", "GET", f"/Batch/{self.store_id}", None)
        return self._batch("batch", answer)

    def close_batch(self) -> Batch:
        """Close (settle) the open batch; the host opens a new one. Returns the closed batch."""
        answer = self._call("closebatch", "POST", f"/Batch/batch/{self.store_id}", None)
        return self._batch("closebatch", answer)

    # -- shaping answers --------------------------------------------------------------------------

    def _load(self, call: Call, path: str, token: CardToken, amount: Money, pos_ref: str) -> CardLoad:
        self._check_money(amount)
        answer = self._call(call, "POST", path, {
            "cardtoken": _token(token),
            "amount": amount.amount,
            "franchiseeID": self.franchisee_id,
            "posRef": _pos_ref(pos_ref),
        }, hide=(token.token,))
        data = self._model(call, answer, LoadAnswer)
        balance = self._amount(call, data.balance, amount.currency)
        if data.amount is not None and self._amount(call, data.amount, amount.currency) != amount:
            raise self._garbled(call, "the amount loaded is not the amount sent")
        return CardLoad(_host_ref(data.hostref), amount, balance, _last4(data.cardno) or token.last4)

    def _batch(self, call: Call, answer: dict[str, Any]) -> Batch:
        data = self._model(call, answer, BatchAnswer)
        currency = self._currency(call, str(answer.get("currency", "")))
        lines: list[BatchLine] = []
        failure: BackendError | None = None
        for item in data.transactions:
            try:
                line = _LineAnswer.model_validate(item)
                amount = parse_host_amount(line.amount, currency)
            except (ValidationError, MoneyError):
                failure = self._garbled(call, "a transaction line is malformed")
                break
            lines.append(BatchLine(_printable(line.hostref, 64), line.type.lower(), _last4(line.cardending),
                                   amount, _printable(line.posref, 50), _printable(line.transactiondate, 40)))
        if failure is not None:
            raise failure
        totals = self._totals(call, data.totals or {}, lines, currency)
        return Batch(
            _printable(data.batchid, 64), _printable(data.storeid, 64) or self.store_id,
            (data.batchstatus or ("closed" if data.closedate else "open")).lower(),
            _printable(data.opendate, 40), _printable(data.closedate, 40) or None,
            tuple(lines), totals, _printable(data.newbatchid, 64),
        )

    def _totals(self, call: Call, raw: dict[str, Any], lines: list[BatchLine], currency: str) -> BatchTotals:
        """The host's totals; the lines' own sums where the host gives none."""
        values: dict[str, Any] = {}
        for kind in ("sell", "reload", "redeem"):
            mine = [line.amount for line in lines if line.kind == kind]
            count, amount = raw.get(f"{kind}count"), raw.get(f"{kind}amount")
            if count is not None and (isinstance(count, bool) or not re.fullmatch(r"\d{1,9}", str(count))):
                raise self._garbled(call, "the batch totals are malformed")
            values[f"{kind}_count"] = len(mine) if count is None else int(count)
            values[f"{kind}_amount"] = (
                sum(mine, Money.zero(currency)) if amount is None else self._amount(call, amount, currency)
            )
        return BatchTotals(**values)

    def _model(self, call: Call, answer: dict[str, Any], model: type[_M]) -> _M:
        try:
            return model.model_validate(answer)
        except ValidationError:
            failure = self._garbled(call, "fields are missing or malformed")
        raise failure  # outside the except block: ValidationError text may echo host data

    def _amount(self, call: Call, value: Any, currency: str) -> Money:
        try:
            money = parse_host_amount(value, currency)
        except MoneyError:
            failure = self._garbled(call, "an amount is not a number")
        else:
            if money.amount < 0:
                failure = self._garbled(call, "a balance is negative")
            else:
                return money
        raise failure

    def _currency(self, call: Call, text: str) -> str:
        if not text:
            return self.currency
        try:
            currency = check_currency(text)
        except MoneyError:
            currency = ""
        if currency != self.currency:
            raise self._garbled(call, f"the card is not in {self.currency}")
        return currency

    def _check_money(self, amount: Money) -> None:
        if not isinstance(amount, Money) or amount.amount <= 0:
            raise ValueError("the amount must be a positive Money")
        if amount.currency != self.currency:
            raise ValueError(f"gift cards here hold {self.currency}, the amount is in {amount.currency}")

    # -- one request ------------------------------------------------------------------------------

    def _send(self, call: Call, method: str, path: str, payload: dict[str, Any] | None, *,
              auth: bool = True) -> httpx.Response:
        refuse_non_ascii(path)
        headers = {"Authorization": self._authorization.get_secret_value()} if auth else {}
        content = None
        if payload is not None:
            content = _json_body(payload)
            headers["Content-Type"] = "application/json"
        started = time.monotonic()
        failure: BackendError | None = None
        response: httpx.Response | None = None
        try:
            response = self._http.request(method, path, content=content, headers=headers)
        except httpx.HTTPError as exc:
            failure = self._transport_failure(call, exc)
            outcome = type(exc).__name__
        else:
            outcome = str(response.status_code)
        log.debug("%s %s -> %s in %.0f ms", method, path, outcome, (time.monotonic() - started) * 1000)
        if failure is not None:
            raise failure  # outside the except block: the httpx exception is not its context
        assert response is not None
        return response

    def _call(self, call: Call, method: str, path: str, payload: dict[str, Any] | None, *,
              hide: tuple[str, ...] = ()) -> dict[str, Any]:
        """Send, and return the success answer (keys lower-cased); or raise the matching kind."""
        response = self._send(call, method, path, payload)
        status = response.status_code
        answer = parse_answer(response.content)
        head = _head(answer)
        if status == 401:
            raise AuthenticationFailed(
                f"The gift card server refused this terminal's user name or password (HTTP 401) for "
                f"the {_WHAT[call]}: check the pospointe.user and pospointe.password settings.",
                host_code="HTTP_401",
            )
        if 200 <= status < 300:
            if answer is None or head is None:
                raise self._garbled(call, f"HTTP {status} with a body that is not a JSON answer")
            ok_flag = head.status is True or (call == "token" and head.status is None)
            if head.statuscode == SUCCESS_CODE and ok_flag:
                return answer
            if head.statuscode not in ("", SUCCESS_CODE) and head.status is not True:
                raise self._refusal(call, status, head, hide)
            raise self._garbled(call, f"a contradictory status (statuscode {_safe_code(head.statuscode) or 'none'}, "
                                      f"status {head.status})", _safe_code(head.statuscode))
        if status >= 500:
            raise self._unknown(call, f"The gift card server failed (HTTP {status}) during the {_WHAT[call]}.",
                                host_code=(head and _safe_code(head.statuscode)) or f"HTTP_{status}")
        if status in (408, 429):
            raise HostUnreachable(
                f"The gift card server is busy (HTTP {status}) and did not take the {_WHAT[call]}; "
                "try again in a moment.", host_code=f"HTTP_{status}",
            )
        if 400 <= status < 500:
            if head is not None and head.statuscode not in ("", SUCCESS_CODE):
                raise self._refusal(call, status, head, hide)
            if status in (404, 405):
                raise BusinessError(
                    f"The gift card server has no {_WHAT[call]} at this address (HTTP {status}): "
                    "check the pospointe.base_url setting.", host_code=f"HTTP_{status}",
                )
            raise BusinessError(f"The gift card server refused the {_WHAT[call]} (HTTP {status}).",
                                host_code=f"HTTP_{status}")
        raise self._garbled(call, f"an unexpected HTTP {status}")

    def _refusal(self, call: Call, status: int, head: HostAnswer, hide: tuple[str, ...]) -> BackendError:
        code = _safe_code(head.statuscode)
        description = self._safe_text(head.description, hide)
        kind = classify_refusal(call, code, description)
        what = _WHAT[call]
        if kind is AuthenticationFailed:
            setting = "pospointe.store_id" if re.search(r"store", description, re.I) or code == "100005" \
                else "pospointe.franchisee_id"
            message = (f"The gift card server does not accept this terminal's configuration for the {what} "
                       f"({description or code}): check the {setting} setting.")
        elif kind is CardRejected:
            if code == "200001" or re.search(r"not found|unknown card|invalid card", description, re.I):
                message = "No gift card has this number: check the number typed or scanned."
            else:
                left = re.search(r"(\d{1,2}) attempts? left", description)
                note = f" ({left.group(1)} tries left before the card is locked)" if left else ""
                message = f"The security code is wrong for this card{note}: ask the customer to check it."
        elif kind is CardLocked:
            message = ("This card is locked after too many wrong security codes: try again later, "
                       "or ask the customer to contact the card issuer.")
        elif kind is CardTokenRejected:
            message = "The card's 10-minute token has expired or is unknown: enter the card again."
        elif kind is CardNotActive:
            message = "This card has not been sold (activated) yet: sell it first."
        elif kind is CardAlreadyActive:
            message = "This card has already been sold: reload it instead."
        elif kind is CardBlocked:
            message = f"This card is blocked, so the {what} is not possible: a supervisor must unblock it."
        elif kind is InsufficientFunds:
            message = "The card's balance is too low for this redemption."
        elif kind is LimitExceeded:
            message = f"The {what} is outside the card's limits ({description or code})."
        else:
            reason = description or f"HTTP {status}, no reason given"
            suffix = f" ({code})" if code and code not in reason else ""
            message = f"The gift card server declined the {what}: {reason}{suffix}."
        return kind(message, host_code=code or f"HTTP_{status}")

    def _transport_failure(self, call: Call, exc: httpx.HTTPError) -> BackendError:
        what, kind = _WHAT[call], type(exc).__name__
        host = httpx.URL(self._display_url).host
        if isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout,
                            httpx.ProxyError, httpx.UnsupportedProtocol)):
            return HostUnreachable(f"Could not reach the gift card server {host} ({kind}); the {what} was not sent.")
        if isinstance(exc, httpx.TimeoutException):
            return self._unknown(call, f"No answer from the gift card server within {self._timeout:g} s "
                                       f"to the {what} ({kind}).")
        return self._unknown(call, f"The connection to the gift card server broke during the {what} ({kind}).")

    def _unknown(self, call: Call, message: str, *, host_code: str = "") -> BackendError:
        if call in _READ_ONLY:  # nothing changes at the host: only "could not get an answer"
            return HostUnreachable(f"{message} Nothing was changed; try again.", host_code=host_code)
        if call in _MONEY:
            return OutcomeUnknown(
                f"{message} It may have been applied: check the card's balance before anything else, "
                "never repeat it blindly.", host_code=host_code,
            )
        return OutcomeUnknown(f"{message} It may have been applied: check before repeating it.",
                              host_code=host_code)

    def _garbled(self, call: Call, what_came: str, host_code: str = "") -> BackendError:
        return self._unknown(call, f"The gift card server's answer to the {_WHAT[call]} could not be read "
                                   f"({what_came}).", host_code=host_code)

    def _safe_text(self, text: str, hide: tuple[str, ...]) -> str:
        """A host description fit for a cashier's screen and a log: one line, short, no secrets."""
        text = _printable(text)
        for secret in (*hide, self._password.get_secret_value()):
            if len(secret) >= 3:
                text = text.replace(secret, REDACTED)
        text = re.sub(r"\d(?:[\s-]?\d){5,}", REDACTED, text)  # a card number or token in another form
        return text[:200].rstrip(" .")


# ---------------------------------------------------------------------------------------------
# The card for one visit


class CardVisit:
    """The card number and security code for one visit, held in memory only (never logged,
    never journalled, never shown but the last 4), and a token re-made before it is 9.5
    minutes old. A call refused for its token is made once more with a new token: a token
    refusal means the host applied nothing, so this is never a blind repeat.

        with CardVisit(client, number, code) as card:
            card.balance(); card.reload(amount, pos_ref)
    """

    def __init__(self, client: PosPointeClient, card_number: str, security_code: str, *,
                 renew_after: float = TOKEN_RENEW_AFTER) -> None:
        number, code = _check_card(card_number, security_code)
        self.client = client
        self.last4 = number[-4:]
        self._number: SecretStr | None = SecretStr(number)
        self._code: SecretStr | None = SecretStr(code)
        self._token: CardToken | None = None
        self._renew_after = renew_after

    def __repr__(self) -> str:
        return f"CardVisit(last4={self.last4!r})"

    __str__ = __repr__

    def __enter__(self) -> CardVisit:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.forget()

    def forget(self) -> None:
        """Drop the card data and the token (end of the visit)."""
        self._number = self._code = None
        self._token = None

    def token(self) -> CardToken:
        """A token with at least 30 s to live, made now if needed."""
        if self._token is None or self._token.needs_renewal(self.client.now(), self._renew_after):
            return self.renew()
        return self._token

    def renew(self) -> CardToken:
        if self._number is None or self._code is None:
            raise BusinessError("The card's details were cleared at the end of the visit: enter the card again.")
        self._token = None
        self._token = self.client.tokenize(self._number.get_secret_value(), self._code.get_secret_value())
        return self._token

    def _with_token(self, operation: Callable[..., Any], *args: Any) -> Any:
        try:
            return operation(self.token(), *args)
        except CardTokenRejected:
            log.info("card ****%s: token refused, making a new one", self.last4)
        return operation(self.renew(), *args)

    def balance(self) -> CardBalance:
        result: CardBalance = self._with_token(self.client.balance)
        return result

    def sell_new_card(self, amount: Money, pos_ref: str) -> CardLoad:
        result: CardLoad = self._with_token(self.client.sell_new_card, amount, pos_ref)
        return result

    def reload(self, amount: Money, pos_ref: str) -> CardLoad:
        result: CardLoad = self._with_token(self.client.reload, amount, pos_ref)
        return result

    def redeem(self, amount: Money, pos_ref: str, accept_partial: bool = True) -> Redemption:
        result: Redemption = self._with_token(self.client.redeem, amount, pos_ref, accept_partial)
        return result

    def change_status(self, blocked: bool, reason: str) -> StatusChange:
        result: StatusChange = self._with_token(self.client.change_status, blocked, reason)
        return result


# ---------------------------------------------------------------------------------------------
# After a lost answer

Settlement = Literal["applied", "not_applied", "unknown"]


def redeem_delta(before_balance: Money, amount: Money, accept_partial: bool = True) -> Money:
    """The balance change a redemption of `amount` makes when it is applied (for settle_unknown):
    with partial approval the host takes what the card holds when that is less."""
    taken = before_balance if accept_partial and before_balance < amount else amount
    return Money.zero(amount.currency) - taken


def settle_unknown(
    client: PosPointeClient,
    token: CardToken | CardVisit,
    before_balance: Money,
    expected_delta: Money,
    *,
    confirm_after: float = 0.0,
    attempts: int = 3,
    pause: float = 0.25,
    sleep: Callable[[float], None] = time.sleep,
) -> Settlement:
    """What happened to a sale, reload or redemption whose answer was lost (OutcomeUnknown),
    decided by the card's balance, never by repeating the call (the API has no idempotency).

    `before_balance` is the balance read before the call; `expected_delta` the change the call
    makes when applied (+amount for a sale or reload, `redeem_delta(...)` for a redemption).
    "applied" when the balance moved by exactly that, "not_applied" when it did not move,
    "unknown" when it moved by something else (another till used the card meanwhile) or
    the balance could not be read in `attempts` tries: then a person must look.

    A request that hung before the host applied it may still be applied late. With
    `confirm_after` > 0 a "did not move" reading is taken again after that many seconds and
    only then trusted; the teller should use a few seconds here.
    """
    if before_balance.currency != expected_delta.currency or expected_delta.amount == 0:
        raise ValueError("expected_delta must be a non-zero change in the balance's currency")

    def read() -> Money | None:
        for attempt in range(max(1, attempts)):
            failure: BackendError | None = None
            try:
                if isinstance(token, CardVisit):
                    return token.balance().balance
                return client.balance(token).balance
            except (HostUnreachable, OutcomeUnknown) as exc:
                failure = exc
            except BackendError as exc:  # token refused, card blocked meanwhile, ...: cannot tell
                log.warning("card ****%s: balance unreadable while settling (%s)", _last4_of(token), exc.code)
                return None
            log.info("card ****%s: balance check failed while settling (%s), attempt %d",
                     _last4_of(token), failure.code, attempt + 1)
            if attempt + 1 < attempts:
                sleep(pause * (2 ** attempt))
        return None

    def judge(after: Money | None) -> Settlement:
        if after is None:
            return "unknown"
        delta = after - before_balance
        if delta.amount == expected_delta.amount:
            return "applied"
        if delta.amount == 0:
            return "not_applied"
        return "unknown"

    outcome = judge(read())
    if outcome == "not_applied" and confirm_after > 0:
        sleep(confirm_after)
        outcome = judge(read())
    log.info("card ****%s: lost answer settled as %s", _last4_of(token), outcome)
    return outcome


# ---------------------------------------------------------------------------------------------
# Helpers


def _check_card(card_number: str, security_code: str) -> tuple[str, str]:
    """Digits only (spaces and dashes from a keyboard or reader removed), or CardRejected."""
    number = re.sub(r"[\s-]", "", card_number or "")
    code = re.sub(r"\s", "", security_code or "")
    if not is_digits(number, 12, 19):
        raise CardRejected("A gift card number is 12 to 19 digits (0-9): check what was typed or scanned.")
    if not is_digits(code, 3, 8):
        raise CardRejected("The security code is 3 to 8 digits, printed on the back of the card.")
    return number, code


def _token(token: CardToken) -> str:
    if not isinstance(token, CardToken) or not _TOKEN.match(token.token or ""):
        raise ValueError("a CardToken from tokenize() is required")
    return token.token


def _pos_ref(pos_ref: str) -> str:
    if not _POS_REF.match(pos_ref or ""):
        raise ValueError("the POS reference must be 1-50 printable ASCII characters without spaces")
    return pos_ref


def _last4(text: str) -> str:
    digits = re.sub(r"\D", "", text or "")
    return digits[-4:] if len(digits) >= 4 else ""


def _last4_of(token: CardToken | CardVisit) -> str:
    return token.last4


def _host_ref(text: str) -> str:
    return _printable(text, 64)


def _head(answer: dict[str, Any] | None) -> HostAnswer | None:
    if answer is None:
        return None
    try:
        return HostAnswer.model_validate(answer)
    except ValidationError:
        return None


def _json_body(payload: dict[str, Any]) -> bytes:
    """JSON with Decimal amounts as JSON numbers in their exact digits (never through float)."""
    numbers: dict[str, str] = {}

    def mark(value: Any) -> Any:
        if isinstance(value, Decimal):
            marker = f"@@n{len(numbers)}@@"
            numbers[marker] = f"{value:f}"
            return marker
        return value

    text = json.dumps({k: mark(v) for k, v in payload.items()}, ensure_ascii=True, separators=(",", ":"))
    for marker, number in numbers.items():
        text = text.replace(f'"{marker}"', number, 1)
    return text.encode("ascii")


def _printable(text: str, limit: int = 1000) -> str:
    """Host text fit for a screen, a receipt and a log: no escapes or control characters, one line."""
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text or "")
    text = "".join(" " if unicodedata.category(ch).startswith("C") else ch for ch in text)
    return " ".join(text.split())[:limit]


def _safe_code(code: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "", code or "")[:32]
