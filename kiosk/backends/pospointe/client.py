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
import logging
import re
import time
from collections.abc import Callable
from typing import Any, TypeVar

import httpx
from pydantic import SecretStr, ValidationError

from kiosk.backends.base import AuthenticationFailed, BackendError, BusinessError, HostUnreachable, InsufficientFunds
from kiosk.backends.http import HttpClientBase, check_timeouts, checked_url, new_http, quiet_library_loggers, refuse_non_ascii
from kiosk.backends.pospointe.errors import (
    WHAT,
    Call,
    CardAlreadyActive,
    CardBlocked,
    CardLocked,
    CardNotActive,
    CardRejected,
    CardTokenRejected,
    LimitExceeded,
    classify_refusal,
    no_answer,
)
from kiosk.backends.pospointe.models import (
    SUCCESS_CODE,
    TOKEN_LIFETIME,
    BalanceAnswer,
    Batch,
    BatchAnswer,
    BatchLine,
    BatchTotals,
    CardBalance,
    CardLoad,
    CardToken,
    HostAnswer,
    LineAnswer,
    LoadAnswer,
    RedeemAnswer,
    Redemption,
    StatusAnswer,
    StatusChange,
    TokenAnswer,
    parse_answer,
)
from kiosk.backends.wire import REDACTED, WireModel, exact_json, printable, safe_code
from kiosk.backends.wire import last4 as _last4
from kiosk.digits import is_digits
from kiosk.money import Money, MoneyError, check_currency, parse_host_amount

log = logging.getLogger("kiosk.backends.pospointe")

# httpx logs each request line at INFO; nothing secret is in POSPointe's URLs, but keep the
# libraries at WARNING as the Rapyd client does, so DEBUG logging of the kiosk stays ours.
quiet_library_loggers()

_M = TypeVar("_M", bound=WireModel)

# ---------------------------------------------------------------------------------------------
# The client

_TOKEN = re.compile(r"^[A-Za-z0-9._:-]{4,128}$")
_PLAIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")
_POS_REF = re.compile(r"^[\x21-\x7e]{1,50}$")


class PosPointeClient(HttpClientBase):
    """The POSPointe GiftCard Server over a synchronous httpx client. Never retries by itself."""

    name = "pospointe"
    host_words = "the gift card server"
    what = WHAT
    _log = log

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
        url = checked_url(base_url, "POSPointe", log, "the password travels unencrypted")
        secret = password.get_secret_value() if isinstance(password, SecretStr) else str(password or "")
        secret = secret.strip("\r\n")  # a password read from a secrets file often ends with a newline
        user = (user or "").strip()
        if not user or ":" in user or not secret:
            raise ValueError("the POSPointe user (without ':') and password must both be set")
        if not _PLAIN.match(store_id or "") or not _PLAIN.match(franchisee_id or ""):
            raise ValueError("the POSPointe store id and franchisee id must be plain identifiers")
        check_timeouts(timeout, connect_timeout)
        self.currency = check_currency(currency)
        self.store_id = store_id
        self.franchisee_id = franchisee_id
        self._user = user
        self._password = SecretStr(secret)
        self._authorization = SecretStr("Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode("ascii"))
        self._clock = clock
        self._timeout = timeout
        self._display_url = str(url).rstrip("/")
        self._http = new_http(self._display_url, timeout, connect_timeout, transport)

    def __repr__(self) -> str:
        return f"PosPointeClient(base_url={self._display_url!r}, store_id={self.store_id!r})"

    def now(self) -> float:
        return self._clock()

    # -- the calls ------------------------------------------------------------------------------

    def health(self) -> str:
        """The server's health word ("Healthy"); HostUnreachable when it is not healthy."""
        response = self._send("health", "GET", "/Health", None, auth=False)
        text = printable(response.text, 40)
        document = parse_answer(response.content)
        if document is not None:  # some deployments answer {"status": "Healthy"}
            text = printable(str(document.get("status", "")), 40)
        if response.status_code == 200 and text.lower() in ("healthy", "degraded"):
            return text
        raise HostUnreachable(
            f"The gift card server at {self._host} is not healthy "
            f"(HTTP {response.status_code}{', ' + text if text else ''}).",
            host_code=f"HTTP_{response.status_code}",
        )

    def verify_credentials(self) -> None:
        """AuthenticationFailed when the user name or password is refused."""
        self._call("verify", "PUT", "/Auth/verify", None)

    def tokenize(self, card_number: str, security_code: str) -> CardToken:
        """A token for the card; the card number and code are sent once and kept nowhere."""
        number, code = check_card(card_number, security_code)
        issued = self._clock()
        answer = self._call(
            "token", "POST", "/v1/Token", {"cardnumber": number, "securitycode": code}, hide=(number, code)
        )
        data = self._model("token", answer, TokenAnswer)
        if not _TOKEN.match(data.token) or data.token == number:
            raise self._garbled("token", "the token is missing or malformed")
        return CardToken(data.token, issued + TOKEN_LIFETIME, number[-4:], issued, printable(data.exp, 40))

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
        reason = printable(reason, 200)
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
                line = LineAnswer.model_validate(item)
                amount = parse_host_amount(line.amount, currency)
            except (ValidationError, MoneyError):
                failure = self._garbled(call, "a transaction line is malformed")
                break
            lines.append(BatchLine(printable(line.hostref, 64), line.type.lower(), _last4(line.cardending),
                                   amount, printable(line.posref, 50), printable(line.transactiondate, 40)))
        if failure is not None:
            raise failure
        totals = self._totals(call, data.totals or {}, lines, currency)
        return Batch(
            printable(data.batchid, 64), printable(data.storeid, 64) or self.store_id,
            (data.batchstatus or ("closed" if data.closedate else "open")).lower(),
            printable(data.opendate, 40), printable(data.closedate, 40) or None,
            tuple(lines), totals, printable(data.newbatchid, 64),
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
        return self._validated(call, model, answer, "fields are missing or malformed")

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
            content = exact_json(payload)
            headers["Content-Type"] = "application/json"
        return self._exchange(call, method, path, f"{method} {path}", content=content, headers=headers)

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
                f"the {WHAT[call]}: check the pospointe.user and pospointe.password settings.",
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
            raise self._garbled(call, f"a contradictory status (statuscode {_code(head.statuscode) or 'none'}, "
                                      f"status {head.status})", _code(head.statuscode))
        if status >= 500:
            raise self._failed(call, status, (head and _code(head.statuscode)) or f"HTTP_{status}")
        if status in (408, 429):
            raise self._busy(call, status, f"HTTP_{status}")
        if 400 <= status < 500:
            if head is not None and head.statuscode not in ("", SUCCESS_CODE):
                raise self._refusal(call, status, head, hide)
            if status in (404, 405):
                raise BusinessError(
                    f"The gift card server has no {WHAT[call]} at this address (HTTP {status}): "
                    "check the pospointe.base_url setting.", host_code=f"HTTP_{status}",
                )
            raise BusinessError(f"The gift card server refused the {WHAT[call]} (HTTP {status}).",
                                host_code=f"HTTP_{status}")
        raise self._garbled(call, f"an unexpected HTTP {status}")

    def _refusal(self, call: Call, status: int, head: HostAnswer, hide: tuple[str, ...]) -> BackendError:
        code = _code(head.statuscode)
        description = self._safe_text(head.description, hide)
        kind = classify_refusal(call, code, description)
        what = WHAT[call]
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

    def _no_answer(self, call: str, message: str, *, host_code: str = "") -> BackendError:
        return no_answer(call, message, host_code=host_code)

    def _safe_text(self, text: str, hide: tuple[str, ...]) -> str:
        """A host description fit for a cashier's screen and a log: one line, short, no secrets."""
        text = printable(text)
        for secret in (*hide, self._password.get_secret_value()):
            if len(secret) >= 3:
                text = text.replace(secret, REDACTED)
        text = re.sub(r"\d(?:[\s-]?\d){5,}", REDACTED, text)  # a card number or token in another form
        return text[:200].rstrip(" .")







# ---------------------------------------------------------------------------------------------
# Helpers


def check_card(card_number: str, security_code: str) -> tuple[str, str]:
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



def _host_ref(text: str) -> str:
    return printable(text, 64)


def _head(answer: dict[str, Any] | None) -> HostAnswer | None:
    if answer is None:
        return None
    try:
        return HostAnswer.model_validate(answer)
    except ValidationError:
        return None


def _code(code: str) -> str:
    return safe_code(code, 32)
