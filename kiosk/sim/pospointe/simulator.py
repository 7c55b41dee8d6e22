"""A faithful simulator of the POSPointe GiftCard Server (seed 003; REFERENCE §2), as an ASGI app.

    sim = PosPointeSimulator(Path("pospointe.sqlite"))   # or None: in memory
    handle = start_in_thread(sim.app)                    # kiosk.sim.server
    sim.card_balance("7012340000001001")                 # Decimal("100.00")

Endpoints at their documented paths (served at the root, as giftcard.myposerver.com does):

    GET   /Health                       "Healthy" (text/plain), no authentication
    PUT   /Auth/verify                  are these credentials good?
    POST  /v1/Token                     {cardnumber, securitycode} -> {statuscode, description, token, exp}
    POST  /Transaction/balancecheck     {cardtoken}
    POST  /Transaction/sellnewcard      {cardtoken, amount, franchiseeID, posRef}
    POST  /Transaction/reload           {cardtoken, amount, franchiseeID, posRef}
    POST  /Transaction/radeem  (sic)    {cardtoken, amount, franchiseeID, posRef, acceptpartialamount}
    PATCH /Transaction/changestatus     {cardtoken, status: "Active" | "Blocked", reason}
    GET   /Batch/{storeid}              the store's open batch: transactions and totals
    POST  /Batch/batch/{storeid}        close the open batch; a new one opens

Every request goes through the same pipeline: base latency -> route (unknown path 404, wrong
method 405, empty bodies) -> HTTP Basic authentication (401, empty body; not for /Health) ->
fault catalogue (kiosk.sim.faults) -> the business rule, atomically and durably -> after-apply
faults. JSON property names are matched case-insensitively and amounts may be JSON numbers or
numeric strings, as an ASP.NET Core server with its web defaults does. The status codes are in
codes.py.

Rules the client must live with:
- Tokens stand in for the card for 10 minutes; after that 300002 "Card token expired".
- 5 wrong security codes in a row lock the card's tokenization for 30 minutes (200003); a
  right code resets the count. The lock is in the books, so a restart does not lift it.
- No idempotency: the API has no key, and a repeated reload or redeem applies twice. After a
  lost answer, the balance tells what happened.
- Sell and reload: 1.00 to 500.00 per transaction; a card holds at most 1000.00 (USD).
- Redeem with acceptpartialamount true approves min(amount, balance) ("Partial Approval");
  without it an amount above the balance is refused (400004). A zero balance is always 400004.
- A blocked card still answers balancecheck (cardstatus "Blocked") and can be unblocked; it
  refuses sell, reload and redeem (400003).

Magic amounts (sell, reload or redeem, when magic_amounts=True) arm a fault for that request,
so a trainer can provoke failures from the kiosk's own screen:

    66.01  error_before_apply, HTTP 503        66.04  timeout_before_apply, 30 s, no answer
    66.02  error_after_apply, HTTP 500         66.05  timeout_after_apply, 30 s, then answers
    66.03  drop_after_apply                    66.06  slow, 5 s

Request bodies over `max_body_bytes` (POSPointe documents no limit; default
kiosk.sim.bodylimit.MAX_BODY_BYTES, 1 MiB) are refused before they are read: HTTP 413, statuscode
100006. Card numbers, security codes and string amounts are ASCII digits only: a card number in
Arabic-Indic or full-width digits is 100001 Invalid request, an amount such as "١٠" 100001 too,
and nothing is applied.

The control endpoints under /_sim/pospointe/ need no authentication (loopback only):

    GET    /_sim/pospointe/info        base path, demo credentials, store, cards with security codes
    GET    /_sim/pospointe/ledger      cards, transactions, batches (amounts as decimal strings)
    GET    /_sim/pospointe/faults      {"faults": [...]} still armed
    POST   /_sim/pospointe/faults      {"kind", "operation", "count", "seconds", "status", "answer"} -> 201
    DELETE /_sim/pospointe/faults      clear every armed fault
    POST   /_sim/pospointe/cards       {"number", "security_code", "balance", "status"} -> 201
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hmac
import json
import logging
import re
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from kiosk.sim import envelope
from kiosk.sim.bodylimit import MAX_BODY_BYTES, BodyLimit
from kiosk.sim.faults import Fault, FaultPlan, FaultSwitchboard, magic_amounts
from kiosk.sim.pipeline import CutConnection, answer_with_fault, fault_route, json_object, problem
from kiosk.sim.pospointe import codes
from kiosk.sim.pospointe.books import Books, Card, CardTokenRow, Movement
from kiosk.sim.pospointe.codes import Refusal
from kiosk.sim.pospointe.demo import (  # noqa: F401  (the demo store and cards, re-exported)
    BASE_PATH,
    CURRENCY,
    DEMO_CARDS,
    DEMO_FRANCHISEE_ID,
    DEMO_PASSWORD,
    DEMO_STORE_ID,
    DEMO_USER,
)

log = logging.getLogger("kiosk.sim.pospointe")
log.addHandler(logging.NullHandler())

PATH_PREFIXES = ("/Health", "/Auth", "/v1/Token", "/Transaction", "/Batch", "/_sim/pospointe")
CONTROL_PREFIX = "/_sim/pospointe"

TOKEN_SECONDS = 600.0
LOCKOUT_ATTEMPTS = 5
LOCKOUT_SECONDS = 1800.0
MIN_LOAD = Decimal("1.00")
MAX_LOAD = Decimal("500.00")
MAX_BALANCE = Decimal("1000.00")
# The example answer's "exp" is local time with its offset (-04:00): the simulated server's
# clock is US Eastern (daylight) time, a fixed offset so tests do not depend on tzdata.
SERVER_TZ = timezone(timedelta(hours=-4))

@dataclass(frozen=True)
class ApiUser:
    password: str
    store_id: str
    franchisee_id: str


USERS: dict[str, ApiUser] = {DEMO_USER: ApiUser(DEMO_PASSWORD, DEMO_STORE_ID, DEMO_FRANCHISEE_ID)}

# Operation names for the fault catalogue (inject_fault, the faults control endpoint).
OPERATIONS = (
    "health", "verify", "token", "balance", "sell", "reload", "redeem", "changestatus", "batch",
    "closebatch", "any",
)
MONEY_OPERATIONS = ("sell", "reload", "redeem")

_STORE = r"(?P<storeid>[^/]+)"
ROUTES: tuple[tuple[str, str, re.Pattern[str]], ...] = (
    ("health", "GET", re.compile(r"^/Health$")),
    ("verify", "PUT", re.compile(r"^/Auth/verify$")),
    ("token", "POST", re.compile(r"^/v1/Token$")),
    ("balance", "POST", re.compile(r"^/Transaction/balancecheck$")),
    ("sell", "POST", re.compile(r"^/Transaction/sellnewcard$")),
    ("reload", "POST", re.compile(r"^/Transaction/reload$")),
    ("redeem", "POST", re.compile(r"^/Transaction/radeem$")),
    ("changestatus", "PATCH", re.compile(r"^/Transaction/changestatus$")),
    ("closebatch", "POST", re.compile(rf"^/Batch/batch/{_STORE}$")),
    ("batch", "GET", re.compile(rf"^/Batch/{_STORE}$")),
)

# 66, not 666: a card holds at most MAX_BALANCE, and a load is at most MAX_LOAD.
MAGIC_AMOUNTS: dict[Decimal, Fault] = magic_amounts("66")
_CENT = Decimal("0.01")
_CARD_STATUS = {"active": "Active", "inactive": "Inactive", "blocked": "Blocked"}


def net_time(timestamp: float) -> str:
    """A .NET DateTimeOffset as the example shows it: 2024-09-04T02:23:34.0541675-04:00."""
    moment = datetime.fromtimestamp(timestamp, SERVER_TZ)
    ticks = int(round((timestamp - int(timestamp)) * 10_000_000)) % 10_000_000
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + f".{ticks:07d}" + moment.strftime("%z")[:3] + ":" + moment.strftime("%z")[3:]


def masked(number: str) -> str:
    return "X" * max(len(number) - 4, 0) + number[-4:]


def dumps(payload: Any) -> bytes:
    """JSON text where Decimal values become JSON numbers with two decimals (as .NET writes a
    decimal with scale 2: 100.00, never 100 or 1E+2)."""
    return envelope.dumps(payload, lambda value: f"{value.quantize(_CENT):f}")


# A cut answer breaks off inside the status code, with the server's own content type.
_CUT = CutConnection(b'{"statuscode":"0', b"application/json; charset=utf-8", 2048)


def _json(payload: Any, status: int = 200) -> Response:
    return Response(dumps(payload), status_code=status, media_type="application/json; charset=utf-8")


def _internal_error(status: int) -> Response:
    # From the API itself, in its own answer shape (a 502/503/504 is the load balancer's page).
    return _json(Refusal(codes.INTERNAL_ERROR).body(), status)


def _too_large(scope: Any) -> Response:
    refusal = Refusal(codes.BODY_TOO_LARGE)
    return _json(refusal.body(), refusal.http_status)


# -- reading request bodies the way the server's JSON binder does ------------------------------


def _document(body: bytes) -> dict[str, Any]:
    """The JSON object with its property names lower-cased (matching is case-insensitive)."""
    try:
        document = json.loads(body.decode("utf-8") or "null", parse_float=Decimal)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise Refusal(codes.INVALID_REQUEST, "Invalid request: the body is not valid JSON") from None
    if not isinstance(document, dict):
        raise Refusal(codes.INVALID_REQUEST, "Invalid request: the body must be a JSON object")
    return {str(k).lower(): v for k, v in document.items()}


def _text(doc: Mapping[str, Any], name: str, *, limit: int = 64, shown: str | None = None) -> str:
    value = doc.get(name.lower())
    label = shown or name
    if value is None or (isinstance(value, str) and not value.strip()):
        raise Refusal(codes.INVALID_REQUEST, f"Invalid request: {label} is required")
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise Refusal(codes.INVALID_REQUEST, f"Invalid request: {label} must be a string")
    text = str(value).strip()
    if len(text) > limit:
        raise Refusal(codes.INVALID_REQUEST, f"Invalid request: {label} is longer than {limit} characters")
    return text


def _digits(doc: Mapping[str, Any], name: str, *, limit: int) -> str:
    """A field that is a number written in digits (card number, security code): ASCII 0-9 only,
    since `isdigit()` and int() would also take '١٢' or '１２'."""
    text = _text(doc, name, limit=limit)
    if not (text.isascii() and text.isdigit()):
        raise Refusal(codes.INVALID_REQUEST, f"Invalid request: {name} must be digits 0-9")
    return text


def _number(value: Any) -> Decimal | None:
    """A JSON number, or a numeric string in ASCII (Decimal() alone would read '١٠' as 10)."""
    if isinstance(value, bool) or not isinstance(value, (int, Decimal, str)):
        return None
    text = str(value).strip()
    if not text.isascii():
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _amount(doc: Mapping[str, Any]) -> Decimal:
    value = doc.get("amount")
    if value is None:
        raise Refusal(codes.INVALID_REQUEST, "Invalid request: amount is required")
    number = _number(value)
    if number is None:
        raise Refusal(codes.INVALID_REQUEST, "Invalid request: amount must be a number")
    if number <= 0 or number != number.quantize(_CENT) or number > Decimal("100000000"):
        raise Refusal(codes.INVALID_AMOUNT, "Invalid amount: a positive amount with at most 2 decimals")
    return number.quantize(_CENT)


def _flag(doc: Mapping[str, Any], name: str) -> bool:
    value = doc.get(name.lower(), False)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise Refusal(codes.INVALID_REQUEST, f"Invalid request: {name} must be true or false")
    return value


def _loose_amount(body: bytes) -> Decimal | None:
    """The amount of a money request, for the magic amounts only (never raises)."""
    try:
        return _number(_document(body).get("amount"))
    except Refusal:
        return None


class PosPointeSimulator(FaultSwitchboard):
    """The POSPointe GiftCard Server over persistent books, with card tokens and faults."""

    def __init__(
        self,
        ledger_path: Path | str | None = None,
        *,
        clock: Callable[[], float] = time.time,
        latency: float = 0.0,
        seed_demo: bool = True,
        magic_amounts: bool = True,
        max_body_bytes: int = MAX_BODY_BYTES,
    ) -> None:
        self._clock = clock
        self.latency = latency
        self.magic_amounts = magic_amounts
        self.books = Books(Path(ledger_path) if ledger_path is not None else None)
        self.users: dict[str, ApiUser] = dict(USERS)
        self.faults = FaultPlan(OPERATIONS)
        if seed_demo and self.books.meta("demo_seeded") is None:
            with self.books.transaction():
                for card in DEMO_CARDS:
                    self.add_card(card["number"], card["security_code"], card["balance"], card["status"])
                self.books.set_meta("demo_seeded", str(self._clock()))
        self.app: ASGIApp = Starlette(routes=[
            *self._control_routes(),
            Route("/{path:path}", self._api, methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]),
        ])
        self.app = BodyLimit(self.app, max_body_bytes, _too_large)

    # -- in-process API ---------------------------------------------------------------------

    def now(self) -> float:
        return self._clock()

    def add_card(self, number: str, security_code: str, balance: Decimal | str = "0", status: str = "inactive",
                 currency: str = CURRENCY) -> None:
        """Issue a card (ValueError for a malformed number, code, balance or status)."""
        if not re.fullmatch(r"[0-9]{12,19}", number or ""):
            raise ValueError("a card number is 12 to 19 digits 0-9")
        if not re.fullmatch(r"[0-9]{3,8}", security_code or ""):
            raise ValueError("a security code is 3 to 8 digits 0-9")
        if status not in _CARD_STATUS:
            raise ValueError(f"status must be one of {', '.join(_CARD_STATUS)}")
        if not str(balance).isascii():
            raise ValueError("the balance is not a number in ASCII digits")
        try:
            value = Decimal(str(balance))
        except InvalidOperation:
            raise ValueError("the balance is not a number") from None
        if not value.is_finite() or value < 0 or value > MAX_BALANCE or value != value.quantize(_CENT):
            raise ValueError(f"the balance must be 0 to {MAX_BALANCE} with at most 2 decimals")
        if self.books.card(number) is not None:
            raise ValueError("a card with that number exists")
        self.books.add_card(number, security_code, currency, value.quantize(_CENT), status, self._clock())

    def card(self, cardnumber: str) -> Card | None:
        return self.books.card(cardnumber)

    def card_balance(self, cardnumber: str) -> Decimal | None:
        card = self.books.card(cardnumber)
        return None if card is None else card.balance

    def card_status(self, cardnumber: str) -> str | None:
        card = self.books.card(cardnumber)
        return None if card is None else card.status

    def transactions(self) -> list[Movement]:
        return self.books.movements()

    def info(self) -> dict[str, Any]:
        """What a demo or a trainer needs: where the API is, how to sign in, which cards exist."""
        return {
            "simulator": "pospointe-giftcard",
            "base_path": BASE_PATH,
            "path_prefixes": list(PATH_PREFIXES),
            "user": DEMO_USER,
            "password": DEMO_PASSWORD,
            "store_id": DEMO_STORE_ID,
            "franchisee_id": DEMO_FRANCHISEE_ID,
            "currency": CURRENCY,
            "token_seconds": TOKEN_SECONDS,
            "lockout": {"attempts": LOCKOUT_ATTEMPTS, "seconds": LOCKOUT_SECONDS},
            "limits": {"min_load": str(MIN_LOAD), "max_load": str(MAX_LOAD), "max_balance": str(MAX_BALANCE)},
            "cards": [
                {
                    "number": c.number,
                    "security_code": c.security_code,
                    "balance": str(c.balance),
                    "status": c.status,
                    "currency": c.currency,
                    "label": next((d["label"] for d in DEMO_CARDS if d["number"] == c.number), ""),
                }
                for c in self.books.cards()
            ],
            "magic_amounts": {str(a): f.to_dict() for a, f in MAGIC_AMOUNTS.items()} if self.magic_amounts else {},
            "status_codes": {code: {"http": http, "description": text} for code, (http, text) in codes.TABLE.items()},
        }

    def close(self) -> None:
        self.books.close()

    # -- the API pipeline -------------------------------------------------------------------

    async def _api(self, request: Request) -> Response | CutConnection:
        if self.latency > 0:
            await asyncio.sleep(self.latency)
        path = request.url.path
        matched = [(op, method, m) for op, method, pattern in ROUTES if (m := pattern.match(path))]
        if not matched:
            return self._logged(request, Response(status_code=404))
        found = next(((op, m) for op, method, m in matched if method == request.method), None)
        if found is None:
            allow = ", ".join(sorted({method for _, method, _ in matched}))
            return self._logged(request, Response(status_code=405, headers={"Allow": allow}))
        operation, match = found
        params = match.groupdict()
        body = await request.body()

        user = None
        if operation != "health":
            user = self._authenticate(request.headers.get("authorization", ""))
            if user is None:
                return self._logged(request, Response(status_code=401, headers={"WWW-Authenticate": 'Basic realm="POSPointe"'}))

        fault = self.faults.take(operation)
        if fault is None and self.magic_amounts and operation in MONEY_OPERATIONS:
            amount = _loose_amount(body)
            fault = MAGIC_AMOUNTS.get(amount) if amount is not None else None

        answer = await answer_with_fault(
            fault, lambda: self._apply(operation, user, params, body), api_error=_internal_error, cut=_CUT
        )
        return self._logged(request, answer)

    def _authenticate(self, header: str) -> str | None:
        scheme, _, encoded = header.strip().partition(" ")
        if scheme.lower() != "basic" or not encoded.strip():
            return None
        try:
            user, sep, password = base64.b64decode(encoded.strip(), validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return None
        account = self.users.get(user)
        if not sep or account is None:
            hmac.compare_digest(password.encode(), b"x" * 16)  # about the same time either way
            return None
        return user if hmac.compare_digest(password.encode(), account.password.encode()) else None

    def _apply(self, operation: str, user: str | None, params: Mapping[str, str], body: bytes) -> Response:
        """The business rule in one durable transaction. A refusal commits too: the only writes
        before a refusal are the ones meant to stay (the wrong-security-code count)."""
        if operation == "health":
            return Response("Healthy", media_type="text/plain")
        assert user is not None
        with self.books.transaction():
            try:
                payload = getattr(self, f"_op_{operation}")(user, params, body)
            except Refusal as refusal:
                return _json(refusal.body(), refusal.http_status)
        return _json(payload)

    def _logged(self, request: Request, response: Any) -> Any:
        # Paths carry nothing secret here (card data travels in bodies); bodies are never logged.
        log.info("%s %s -> %s", request.method, request.url.path, getattr(response, "status_code", "cut"))
        return response

    # -- the operations (each inside a ledger transaction) -----------------------------------

    @staticmethod
    def _success(description: str = "Success", **fields: Any) -> dict[str, Any]:
        return {"statuscode": codes.SUCCESS, "description": description, "status": True, **fields}

    def _op_verify(self, user: str, params: Mapping[str, str], body: bytes) -> dict[str, Any]:
        return self._success(user=user, storeid=self.users[user].store_id)

    def _op_token(self, user: str, params: Mapping[str, str], body: bytes) -> dict[str, Any]:
        doc = _document(body)
        number = _digits(doc, "cardnumber", limit=32)
        code = _digits(doc, "securitycode", limit=16)
        card = self.books.card(number)
        if card is None:
            raise Refusal(codes.CARD_NOT_FOUND)
        now = self._clock()
        if card.locked_until > now:
            until = datetime.fromtimestamp(card.locked_until, SERVER_TZ).strftime("%H:%M")
            raise Refusal(codes.CARD_LOCKED, f"Card locked: too many invalid security code attempts; try again after {until}")
        if not hmac.compare_digest(code.encode(), card.security_code.encode()):
            failed = card.failed_codes + 1
            if failed >= LOCKOUT_ATTEMPTS:
                self.books.set_code_failures(number, 0, now + LOCKOUT_SECONDS)
                raise Refusal(codes.CARD_LOCKED)
            self.books.set_code_failures(number, failed, 0)
            left = LOCKOUT_ATTEMPTS - failed
            raise Refusal(codes.INVALID_SECURITY_CODE,
                          f"Invalid security code ({left} attempt{'s' if left != 1 else ''} left)")
        if card.failed_codes or card.locked_until:
            self.books.set_code_failures(number, 0, 0)
        self.books.forget_tokens_before(now - 86400)
        while True:  # 16 digits, like the documented example; never a card number
            token = str(secrets.randbelow(9 * 10**15) + 10**15)
            if self.books.token(token) is None and self.books.card(token) is None:
                break
        self.books.add_token(CardTokenRow(token, number, user, now, now + TOKEN_SECONDS))
        # Exactly the documented fields: no "status" on this answer.
        return {"statuscode": codes.SUCCESS, "description": "Success", "token": token, "exp": net_time(now + TOKEN_SECONDS)}

    def _card_for(self, user: str, doc: Mapping[str, Any]) -> Card:
        token = _text(doc, "cardtoken", limit=64)
        row = self.books.token(token)
        if row is None or row.user != user:
            raise Refusal(codes.INVALID_TOKEN)
        if self._clock() >= row.expires_at:
            raise Refusal(codes.TOKEN_EXPIRED)
        card = self.books.card(row.number)
        assert card is not None
        return card

    def _franchisee(self, user: str, doc: Mapping[str, Any]) -> str:
        franchisee = _text(doc, "franchiseeID", limit=32)
        if franchisee != self.users[user].franchisee_id:
            raise Refusal(codes.INVALID_FRANCHISEE)
        return franchisee

    def _op_balance(self, user: str, params: Mapping[str, str], body: bytes) -> dict[str, Any]:
        card = self._card_for(user, _document(body))
        return self._success(
            cardending=card.last4, balance=card.balance, cardstatus=_CARD_STATUS[card.status], currency=card.currency,
        )

    def _load(self, kind: str, user: str, body: bytes) -> dict[str, Any]:
        """sellnewcard and reload: the same request, different card states."""
        doc = _document(body)
        pos_ref = _text(doc, "posRef", limit=50)
        card = self._card_for(user, doc)
        franchisee = self._franchisee(user, doc)
        amount = _amount(doc)
        if card.status == "blocked":
            raise Refusal(codes.CARD_BLOCKED)
        if kind == "sell" and card.status == "active":
            raise Refusal(codes.CARD_ALREADY_ACTIVE)
        if kind == "reload" and card.status == "inactive":
            raise Refusal(codes.CARD_NOT_ACTIVE, "Card is not active: sell it first")
        if not MIN_LOAD <= amount <= MAX_LOAD:
            raise Refusal(codes.AMOUNT_OUT_OF_RANGE, f"Amount out of range ({MIN_LOAD} - {MAX_LOAD})")
        new_balance = card.balance + amount
        if new_balance > MAX_BALANCE:
            raise Refusal(codes.BALANCE_LIMIT, f"Card balance limit exceeded ({MAX_BALANCE})")
        movement = self._record(kind, user, card, amount, new_balance, pos_ref, franchisee)
        if kind == "sell":
            self.books.set_status(card.number, "active", "sold")
        return self._success(
            HostRef=movement.host_ref, cardno=masked(card.number), amount=amount, balance=new_balance,
            posRef=pos_ref, transactiondate=net_time(movement.created_at),
        )

    def _op_sell(self, user: str, params: Mapping[str, str], body: bytes) -> dict[str, Any]:
        return self._load("sell", user, body)

    def _op_reload(self, user: str, params: Mapping[str, str], body: bytes) -> dict[str, Any]:
        return self._load("reload", user, body)

    def _op_redeem(self, user: str, params: Mapping[str, str], body: bytes) -> dict[str, Any]:
        doc = _document(body)
        pos_ref = _text(doc, "posRef", limit=50)
        partial = _flag(doc, "acceptpartialamount")
        card = self._card_for(user, doc)
        franchisee = self._franchisee(user, doc)
        amount = _amount(doc)
        if card.status == "blocked":
            raise Refusal(codes.CARD_BLOCKED)
        if card.status == "inactive":
            raise Refusal(codes.CARD_NOT_ACTIVE)
        if card.balance <= 0 or (amount > card.balance and not partial):
            raise Refusal(codes.INSUFFICIENT_BALANCE, f"Insufficient balance (available {card.balance:.2f})")
        approved = min(amount, card.balance)
        new_balance = card.balance - approved
        movement = self._record("redeem", user, card, approved, new_balance, pos_ref, franchisee)
        return self._success(
            "Success" if approved == amount else "Partial Approval",
            HostRef=movement.host_ref, cardno=masked(card.number), Requestedamount=amount,
            Approvedbalance=approved, Previousbalance=card.balance, Newbalance=new_balance,
            posRef=pos_ref, transactiondate=net_time(movement.created_at),
        )

    def _record(self, kind: str, user: str, card: Card, amount: Decimal, new_balance: Decimal, pos_ref: str,
                franchisee: str) -> Movement:
        now = self._clock()
        batch = self.books.open_batch(self.users[user].store_id, now)
        movement = Movement(
            self.books.next_host_ref(), batch.batch_id, kind, card.number, amount, card.balance, new_balance,
            pos_ref, franchisee, user, now,
        )
        self.books.set_balance(card.number, new_balance)
        self.books.add_movement(movement)
        return movement

    def _op_changestatus(self, user: str, params: Mapping[str, str], body: bytes) -> dict[str, Any]:
        doc = _document(body)
        wanted = _text(doc, "status", limit=16).lower()
        reason = _text(doc, "reason", limit=200)
        card = self._card_for(user, doc)
        if wanted not in ("active", "blocked"):
            raise Refusal(codes.INVALID_STATUS_CHANGE, "Invalid status change: status must be Active or Blocked")
        if card.status == "inactive":
            raise Refusal(codes.INVALID_STATUS_CHANGE, "Invalid status change: the card has not been sold")
        if card.status == wanted:
            raise Refusal(codes.STATUS_UNCHANGED, f"Card is already {_CARD_STATUS[wanted]}")
        self.books.set_status(card.number, wanted, reason)
        return self._success(cardending=card.last4, cardstatus=_CARD_STATUS[wanted], reason=reason)

    def _store(self, user: str, params: Mapping[str, str]) -> str:
        store_id = params.get("storeid", "")
        if store_id != self.users[user].store_id:
            raise Refusal(codes.INVALID_STORE)
        return store_id

    def _batch_view(self, batch_id: int) -> dict[str, Any]:
        batch = self.books.batch(batch_id)
        assert batch is not None
        lines = self.books.movements(batch_id)
        totals: dict[str, Any] = {}
        for kind in MONEY_OPERATIONS:
            of_kind = [m.amount for m in lines if m.kind == kind]
            totals[f"{kind}count"] = len(of_kind)
            totals[f"{kind}amount"] = sum(of_kind, Decimal("0.00"))
        totals["transactioncount"] = len(lines)
        totals["netamount"] = totals["sellamount"] + totals["reloadamount"] - totals["redeemamount"]
        return {
            "batchid": str(batch.batch_id),
            "storeid": batch.store_id,
            "batchstatus": "Open" if batch.closed_at is None else "Closed",
            "opendate": net_time(batch.opened_at),
            "closedate": None if batch.closed_at is None else net_time(batch.closed_at),
            "currency": CURRENCY,
            "transactions": [
                {
                    "HostRef": m.host_ref,
                    "type": m.kind.upper(),
                    "cardending": m.number[-4:],
                    "amount": m.amount,
                    "balance": m.new_balance,
                    "posRef": m.pos_ref,
                    "franchiseeID": m.franchisee_id,
                    "transactiondate": net_time(m.created_at),
                }
                for m in lines
            ],
            "totals": totals,
        }

    def _op_batch(self, user: str, params: Mapping[str, str], body: bytes) -> dict[str, Any]:
        store_id = self._store(user, params)
        batch = self.books.open_batch(store_id, self._clock())
        return self._success(**self._batch_view(batch.batch_id))

    def _op_closebatch(self, user: str, params: Mapping[str, str], body: bytes) -> dict[str, Any]:
        store_id = self._store(user, params)
        now = self._clock()
        batch = self.books.open_batch(store_id, now)
        self.books.close_batch(batch.batch_id, now)
        following = self.books.open_batch(store_id, now)
        return self._success(**self._batch_view(batch.batch_id), newbatchid=str(following.batch_id))

    # -- control endpoints ------------------------------------------------------------------

    def _control_routes(self) -> list[Route]:
        async def info(request: Request) -> JSONResponse:
            return JSONResponse(self.info())

        async def ledger(request: Request) -> JSONResponse:
            return JSONResponse({
                "cards": [
                    {"number": c.number, "balance": str(c.balance), "status": c.status, "currency": c.currency,
                     "failed_codes": c.failed_codes, "locked_until": c.locked_until or None}
                    for c in self.books.cards()
                ],
                "transactions": [m.to_json() for m in self.books.movements()],
                "batches": [
                    {"batch_id": b.batch_id, "store_id": b.store_id, "opened_at": b.opened_at, "closed_at": b.closed_at}
                    for b in self.books.batches()
                ],
            })

        async def cards(request: Request) -> JSONResponse:
            document = await json_object(request)
            if document is None:
                return problem(400, "expected a JSON object")
            try:
                self.add_card(
                    str(document.get("number", "")), str(document.get("security_code", "")),
                    str(document.get("balance", "0")), str(document.get("status", "inactive")),
                )
            except ValueError as exc:
                return problem(400, str(exc))
            card = self.books.card(str(document["number"]))
            assert card is not None
            return JSONResponse({"number": card.number, "balance": str(card.balance), "status": card.status},
                                status_code=201)

        return [
            Route(f"{CONTROL_PREFIX}/info", info, methods=["GET"]),
            Route(f"{CONTROL_PREFIX}/ledger", ledger, methods=["GET"]),
            fault_route(f"{CONTROL_PREFIX}/faults", self.faults),
            Route(f"{CONTROL_PREFIX}/cards", cards, methods=["POST"]),
        ]
