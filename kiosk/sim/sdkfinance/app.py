"""SdkFinanceSimulator: the SDK.finance cloud-wallet API under /api/v1, as an ASGI app.

    sim = SdkFinanceSimulator(Path("sdkfinance.sqlite"))   # or None: in memory
    handle = start_in_thread(sim.app)                       # kiosk.sim.server
    sim.pending_otp("+447700900777")                        # the code "sent" to that customer

Every /api/v1 request goes through the same pipeline: base latency -> route (unknown: 404
NOT_FOUND; known path, wrong method: 405) -> access token (except the two sign-in calls:
401 UNAUTHORIZED / TOKEN_EXPIRED) -> fault catalogue (kiosk.sim.faults) -> the business rule
(rules.py), atomically in the books -> after-apply faults. Control endpoints live under
/_sim/sdkfinance/ (control.py); they need no token (the simulator listens on loopback).

Fault operations (for inject_fault / POST /_sim/sdkfinance/faults): see OPERATIONS.

Magic amounts (when magic_amounts=True): a request whose amount is one of these arms the
fault on the FIRST accept or decline call for that request only, so a trainer can provoke an
unknown outcome from the kiosk's own screen and watch it be settled by the retry:

    666.01  error_before_apply, HTTP 503       666.04  timeout_before_apply, 30 s, no answer
    666.02  error_after_apply, HTTP 500        666.05  timeout_after_apply, 30 s, then answers
    666.03  drop_after_apply                   666.06  slow, 5 s

The platform documents no idempotency header (accept and decline are safe to repeat: a second
call answers 409 REQUEST_ALREADY_...), so no key is honoured here. Request bodies over
`max_body_bytes` (none is documented; default kiosk.sim.bodylimit.MAX_BODY_BYTES, 1 MiB) are
refused before they are read: HTTP 413 PAYLOAD_TOO_LARGE. Amounts, request identifiers and
one-time codes are ASCII digits only ("١٠" is a VALIDATION_ERROR, never 10).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
import uuid
from collections.abc import Callable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp

from kiosk.sim import currencies, envelope
from kiosk.sim.bodylimit import MAX_BODY_BYTES, BodyLimit
from kiosk.sim.faults import Fault, FaultPlan, FaultSwitchboard, magic_amounts
from kiosk.sim.pipeline import CutConnection, answer_with_fault
from kiosk.sim.sdkfinance import control
from kiosk.sim.sdkfinance.admin import SYSTEM_ORGANIZATION_ID, SYSTEM_ORGANIZATION_NAME, Administration
from kiosk.sim.sdkfinance.books import Books, Coin, Request as HostRequest, SmartCard, Template, User
from kiosk.sim.sdkfinance.demo import BASE_PATH
from kiosk.sim.sdkfinance.demo import DEMO_ADMIN, DEMO_CASHPOINT, DEMO_USERS  # noqa: F401  (re-exported)
from kiosk.sim.sdkfinance.onboarding import Onboarding
from kiosk.sim.sdkfinance.rules import ApiError, Bank, Fee, Limit, Platform, coin_json, request_number
from kiosk.sim.sdkfinance.transfers import Transfers

log = logging.getLogger("kiosk.sim.sdkfinance")
log.addHandler(logging.NullHandler())  # silent unless the host application configures logging

CONTROL_PATH = "/_sim/sdkfinance"
PATH_PREFIXES = (BASE_PATH, CONTROL_PATH)


# Per flow and currency: percent + fixed fee, charged on top of the amount.
DEFAULT_COMMISSIONS: dict[str, dict[str, Fee]] = {
    "topup": {c: Fee(Decimal("0.5"), Decimal("0.00")) for c in ("EUR", "USD", "GBP")},
    "withdrawal": {
        "EUR": Fee(Decimal("1"), Decimal("0.50")),
        "USD": Fee(Decimal("1"), Decimal("0.50")),
        "GBP": Fee(Decimal("1"), Decimal("0.40")),
    },
}
# Per-request limits on the amount (a cash point's counter, not a bank transfer).
DEFAULT_LIMITS: dict[str, Limit] = {
    "EUR": Limit(Decimal("1.00"), Decimal("5000.00")),
    "USD": Limit(Decimal("1.00"), Decimal("5000.00")),
    "GBP": Limit(Decimal("1.00"), Decimal("4000.00")),
    "JPY": Limit(Decimal("100"), Decimal("500000")),
}
DEMO_BANKS = (
    Bank(str(uuid.uuid5(uuid.NAMESPACE_URL, "sdkfinance-sim:bank:cash-desk")), "Demo Store cash desk",
         "DEMOGB2LXXX", "DEMOGB2L"),
)

OPERATIONS = (
    "authorization", "otp_confirm", "coins", "banks",
    "registration", "registration_confirm", "coin_validate", "smart_cards",
    "currencies", "currency_create", "issuers", "issuer_create", "bank_create",
    "organizations", "user_create", "users_view",
    "template_view", "template_calculate", "template_execute", "template_from_operation",
    "topup_calculate", "topup_create", "topup_accept", "topup_decline", "topup_view",
    "withdrawal_calculate", "withdrawal_create", "withdrawal_accept", "withdrawal_decline", "withdrawal_view",
    "any",
)

MAGIC_AMOUNTS: dict[Decimal, Fault] = magic_amounts("666")

_NUMBER = r"(?P<request_id>[^/]+)"
# Where a request is created. Top-ups: seed 002 documents `with-bank` and (with an AML check
# before accept) `create-request/with-bank`; REFERENCE §2 adds the bare `create-request`.
# Withdrawals: every flow in seed 002 creates them at `with-bank` and only there.
_TOPUP_CREATE = r"(create-request|with-bank|create-request/with-bank)"
_WITHDRAWAL_CREATE = r"with-bank"
_ROUTES: tuple[tuple[str, str, re.Pattern[str]], ...] = (
    ("authorization", "POST", re.compile(r"^/authorization$")),
    ("otp_confirm", "POST", re.compile(r"^/authorization/confirm$")),
    ("coins", "GET", re.compile(r"^/coins$")),
    ("banks", "GET", re.compile(r"^/bank-catalog$")),
    ("bank_create", "POST", re.compile(r"^/bank-catalog$")),
    ("registration", "POST", re.compile(r"^/registration$")),
    ("registration_confirm", "POST", re.compile(r"^/registration/confirm$")),
    ("coin_validate", "POST", re.compile(r"^/coins/validate$")),
    ("smart_cards", "GET", re.compile(r"^/smart-cards/my$")),
    ("currencies", "GET", re.compile(r"^/currencies$")),
    ("currency_create", "POST", re.compile(r"^/currencies$")),
    ("issuers", "GET", re.compile(r"^/issuers$")),
    ("issuer_create", "POST", re.compile(r"^/issuers$")),
    ("organizations", "POST", re.compile(r"^/organizations$")),
    ("user_create", "POST", re.compile(r"^/users$")),
    ("users_view", "POST", re.compile(r"^/users/view$")),
    ("template_view", "POST", re.compile(r"^/templates/transfer/view$")),
    ("template_from_operation", "POST", re.compile(r"^/templates/transfer/operation/(?P<process_id>[^/]+)$")),
    ("template_calculate", "POST", re.compile(r"^/templates/transfer/(?P<template_id>[^/]+)/calculate$")),
    ("template_execute", "POST", re.compile(r"^/templates/transfer/(?P<template_id>[^/]+)/execute$")),
    ("topup_calculate", "POST", re.compile(r"^/bank-top-ups/calculate$")),
    ("topup_create", "POST", re.compile(rf"^/bank-top-ups/{_TOPUP_CREATE}$")),
    ("topup_view", "POST", re.compile(r"^/bank-top-ups/view$")),
    ("topup_accept", "POST", re.compile(rf"^/bank-top-ups/{_NUMBER}/accept$")),
    ("topup_decline", "POST", re.compile(rf"^/bank-top-ups/{_NUMBER}/decline$")),
    ("withdrawal_calculate", "POST", re.compile(r"^/bank-withdrawals/calculate$")),
    ("withdrawal_create", "POST", re.compile(rf"^/bank-withdrawals/{_WITHDRAWAL_CREATE}$")),
    ("withdrawal_view", "POST", re.compile(r"^/bank-withdrawals/view$")),
    ("withdrawal_accept", "POST", re.compile(rf"^/bank-withdrawals/{_NUMBER}/accept$")),
    ("withdrawal_decline", "POST", re.compile(rf"^/bank-withdrawals/{_NUMBER}/decline$")),
)
_UNAUTHENTICATED = frozenset({"authorization", "otp_confirm", "registration", "registration_confirm"})
_BODILESS = frozenset(op for op, method, _ in _ROUTES if method == "GET")

# A cut answer breaks off at the start of a request document.
_CUT = CutConnection(b'{"requestIdentifier": ')


def _match(method: str, path: str) -> tuple[str, dict[str, str]] | None | str:
    """(operation, params); "405" for a known path with the wrong method; None if unknown."""
    wrong_method = False
    for operation, route_method, pattern in _ROUTES:
        found = pattern.match(path)
        if found:
            if method.upper() == route_method:
                return operation, found.groupdict()
            wrong_method = True
    return "405" if wrong_method else None


def demo_coin_serial(login: str, currency: str) -> str:
    """Stable serials for the demo coins, so a script can name them."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"sdkfinance-sim:coin:{login}:{currency}"))


def _demo_id(kind: str, login: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"sdkfinance-sim:{kind}:{login.lower()}"))


def _user_id(login: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"sdkfinance-sim:user:{login.lower()}"))


def dumps(payload: Any) -> bytes:
    """JSON text where Decimal values are JSON numbers with their exact digits and scale
    (420.00 stays 420.00, as a BigDecimal-based platform writes it; never a float)."""
    return envelope.dumps(payload, lambda value: format(value, "f"))


def _json(payload: Any, status: int = 200) -> Response:
    return Response(dumps(payload), status_code=status, media_type="application/json")


def _internal_error(status: int) -> Response:
    # From the API itself, in its JSON error shape (a 502/503/504 is the load balancer's page).
    return _json({"code": "INTERNAL_SERVER_ERROR", "message": "Internal server error"}, status)


def _too_large(scope: Any) -> Response:
    return _json({"code": "PAYLOAD_TOO_LARGE", "message": "The request body is too large"}, 413)


class SdkFinanceSimulator(FaultSwitchboard):
    """The SDK.finance wallet API over persistent books, with two-factor sign-in and faults."""

    def __init__(
        self,
        ledger_path: Path | str | None = None,
        *,
        clock: Callable[[], float] = time.time,
        latency: float = 0.0,
        seed_demo: bool = True,
        token_lifetime: float = 900,
        otp_lifetime: float = 300,
        commissions: Mapping[str, Mapping[str, Fee]] | None = None,
        limits: Mapping[str, Limit] | None = None,
        coin_field: str = "coinSerial",
        magic_amounts: bool = True,
        max_body_bytes: int = MAX_BODY_BYTES,
    ) -> None:
        if coin_field not in ("coinSerial", "coin"):
            raise ValueError("coin_field is 'coinSerial' (newer API versions) or 'coin' (older)")
        if token_lifetime <= 0 or otp_lifetime <= 0:
            raise ValueError("lifetimes must be positive")
        self._clock = clock
        self.latency = latency
        self.magic_amounts = magic_amounts
        self.books = Books(Path(ledger_path) if ledger_path is not None else None)
        self.faults = FaultPlan(OPERATIONS)
        self.platform = Platform(
            self.books,
            clock,
            token_lifetime=token_lifetime,
            otp_lifetime=otp_lifetime,
            commissions=DEFAULT_COMMISSIONS if commissions is None else commissions,
            limits=DEFAULT_LIMITS if limits is None else limits,
            banks=DEMO_BANKS,
            coin_field=coin_field,
        )
        self.administration = Administration(self.books, clock, self.platform, self.add_user)
        self.onboarding = Onboarding(self.books, clock, self.platform, self.add_user)
        self.transfers = Transfers(self.books, clock, self.platform)
        if seed_demo and self.books.meta("demo_seeded") is None:
            self._seed_demo()
        if seed_demo and self.books.meta("demo_admin_seeded") is None:  # books from before the role
            self._seed_demo_admin()
        self.app: ASGIApp = Starlette(
            routes=[
                *control.routes(self, CONTROL_PATH),
                Route(BASE_PATH + "/{path:path}", self._api,
                      methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]),
            ]
        )
        self.app = BodyLimit(self.app, max_body_bytes, _too_large)

    def _seed_demo(self) -> None:
        with self.books.transaction():
            self.add_user(
                DEMO_CASHPOINT["login"], DEMO_CASHPOINT["password"], name=DEMO_CASHPOINT["name"],
                role="merchant", organization=DEMO_CASHPOINT["organization"],
            )
            for person in DEMO_USERS:
                self.add_user(person["login"], person["password"], name=person["name"],
                              otp_required=person["otp"], coins=person["coins"])
            self.books.set_meta("demo_seeded", str(self._clock()))

    def _seed_demo_admin(self) -> None:
        with self.books.transaction():
            if self.books.user_by_login(DEMO_ADMIN["login"]) is None:
                self.add_user(DEMO_ADMIN["login"], DEMO_ADMIN["password"], name=DEMO_ADMIN["name"],
                              role="administrator", organization_id=SYSTEM_ORGANIZATION_ID)
            anna = self.books.user_by_login(DEMO_USERS[0]["login"])
            tom = DEMO_USERS[1]["login"]
            if anna is not None and not self.books.cards(anna.user_id):
                # Anna's saved destinations: her own card and Tom's EUR coin (the seed's two
                # transfer flows). Only a card's last four digits are ever kept.
                now = self._clock()
                card = SmartCard(_demo_id("card", anna.login), anna.user_id, "VISA", "4242", "12/29")
                self.books.add_card(card, now)
                source = demo_coin_serial(anna.login, "EUR")
                self.books.add_template(Template(_demo_id("template-coin", anna.login), anna.user_id,
                                                 "Tom, holiday money", "COIN", source, demo_coin_serial(tom, "EUR"), now))
                self.books.add_template(Template(_demo_id("template-card", anna.login), anna.user_id,
                                                 "My VISA card", "SMART_CARD", source, card.card_id, now))
            self.books.set_meta("demo_admin_seeded", str(self._clock()))

    # -- in-process API ---------------------------------------------------------------------

    def now(self) -> float:
        return self._clock()

    @property
    def token_lifetime(self) -> float:
        return self.platform.token_lifetime

    @property
    def otp_lifetime(self) -> float:
        return self.platform.otp_lifetime

    def add_user(
        self,
        login: str,
        password: str,
        *,
        name: str = "",
        role: str = "individual",
        otp_required: bool = False,
        organization: str | None = None,
        organization_id: str | None = None,
        coins: list[Mapping[str, Any]] | tuple[Mapping[str, Any], ...] = (),
        shown_password: bool = True,
    ) -> User:
        """A customer ("individual") with coins [{currency, amount, name?, main?, active?}], a
        cash point ("merchant") or an administrator. Each business user gets an organisation of
        their own unless organization_id names one to join (an administrator joins the system
        organisation). shown_password=False: /info never shows it (the user chose it). ValueError
        says what is wrong."""
        login = login.strip()
        if not login or not password:
            raise ValueError("login and password are required")
        if role not in ("individual", "merchant", "administrator"):
            raise ValueError("role is 'individual', 'merchant' or 'administrator'")
        if self.books.user_by_login(login) is not None:
            raise ValueError("that login is taken")
        now = self._clock()
        org_name = organization or name or login
        if role == "administrator":
            organization_id = SYSTEM_ORGANIZATION_ID  # a service user belongs to the platform operator
        if organization_id is None:
            organization_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"sdkfinance-sim:org:{login.lower()}"))
        elif organization_id == SYSTEM_ORGANIZATION_ID:
            org_name = SYSTEM_ORGANIZATION_NAME
        else:
            org_name = next((u.organization_name for u in self.books.users() if u.organization_id == organization_id),
                            org_name)
        user = User(_user_id(login), login, name or login, role, otp_required, organization_id, org_name,
                    shown_password=password if shown_password else None)
        with self.books.transaction():
            self.books.add_user(user, password, now)
            seen: set[str] = set()
            for index, spec in enumerate(coins):
                currency = str(spec.get("currency", "")).upper()
                if currency not in currencies.CURRENCIES:
                    raise ValueError(f"unsupported currency {currency!r}")
                if currency in seen:
                    raise ValueError(f"two {currency} coins for one user")
                seen.add(currency)
                text = str(spec.get("amount", "0"))
                if not text.isascii():  # Decimal() would read '١٠' as 10
                    raise ValueError("a balance is a number in ASCII digits")
                amount = currencies.quantize(Decimal(text), currency)
                if amount < 0:
                    raise ValueError("a balance cannot be negative")
                self.books.add_coin(Coin(
                    demo_coin_serial(login, currency), user.user_id, str(spec.get("name") or f"{currency} wallet"),
                    currency, amount, Decimal(0), bool(spec.get("active", True)),
                    bool(spec.get("main", index == 0)),
                ), now)
        return user

    def coins(self, login: str) -> list[Coin]:
        user = self.books.user_by_login(login)
        return [] if user is None else self.books.coins(user.user_id)

    def coin(self, serial: str) -> Coin | None:
        return self.books.coin(serial)

    def requests(self, kind: str | None = None) -> list[HostRequest]:
        return self.books.requests(kind)

    def request(self, request_id: int) -> HostRequest | None:
        return self.books.request(request_id)

    def pending_otp(self, login: str) -> str | None:
        """The one-time code last "sent" to this login, while it is still valid."""
        user = self.books.user_by_login(login.strip())
        pending = self.books.otp(user.login) if user is not None else None
        if pending is not None and pending.expires_at > self._clock():
            return pending.code
        registering = self.books.registration(login.strip())  # a self-registration's code
        if registering is not None and registering.expires_at > self._clock():
            return registering.code
        return None

    def info(self) -> dict[str, Any]:
        """What a demo or a trainer needs: base path, logins and passwords, coins, fees."""
        customers = []
        cash_points = []
        administrators = []
        for user in self.books.users():
            if user.role == "administrator":
                administrators.append({"login": user.login, "password": user.shown_password, "name": user.name})
                continue
            if user.role == "merchant":
                cash_points.append({"login": user.login, "password": user.shown_password, "name": user.name,
                                    "organization": user.organization_name})
                continue
            customers.append({
                "login": user.login,
                "password": user.shown_password,
                "name": user.name,
                "otp_required": user.otp_required,
                "coins": [_plain(coin_json(c)) | {"currency": c.currency} for c in self.books.coins(user.user_id)],
            })
        return {
            "simulator": "sdkfinance",
            "base_path": BASE_PATH,
            "control_path": CONTROL_PATH,
            "token_lifetime": self.platform.token_lifetime,
            "otp_lifetime": self.platform.otp_lifetime,
            "coin_field": self.platform.coin_field,
            "cash_point": cash_points[0] if cash_points else None,
            "cash_points": cash_points,
            "customers": customers,
            "administrators": administrators,
            "banks": [{"id": b.bank_id, "name": b.name} for b in self.platform.all_banks()],
            "commissions": {
                kind: {c: {"percent": str(f.percent), "fixed": str(f.fixed)} for c, f in fees.items()}
                for kind, fees in self.platform.commissions.items()
            },
            "limits": {c: {"min": str(v.minimum), "max": str(v.maximum)} for c, v in self.platform.limits.items()},
            "fault_operations": list(OPERATIONS),
            "magic_amounts": {str(a): f.to_dict() for a, f in MAGIC_AMOUNTS.items()} if self.magic_amounts else {},
        }

    def close(self) -> None:
        self.books.close()

    # -- the API pipeline -------------------------------------------------------------------

    async def _api(self, request: Request) -> Response | CutConnection:
        if self.latency > 0:
            await asyncio.sleep(self.latency)
        path = request.url.path[len(BASE_PATH):]
        matched = _match(request.method, path)
        if matched is None:
            return self._logged(request, _json({"code": "NOT_FOUND", "message": "No such endpoint"}, 404))
        if matched == "405":
            return self._logged(request, _json({"code": "METHOD_NOT_ALLOWED",
                                                "message": f"Method {request.method} is not allowed here"}, 405))
        assert isinstance(matched, tuple)
        operation, params = matched
        user: User | None = None
        if operation not in _UNAUTHENTICATED:
            try:
                user = self.platform.authenticate(request.headers.get("authorization", ""))
            except ApiError as exc:
                return self._logged(request, _json(exc.body(), exc.http_status))
        body = await request.body()

        fault = self.faults.take(operation) or self._magic_fault(operation, params)
        answer = await answer_with_fault(
            fault, lambda: self._apply(operation, user, params, body), api_error=_internal_error, cut=_CUT
        )
        return self._logged(request, answer)

    def _apply(self, operation: str, user: User | None, params: Mapping[str, str], body: bytes) -> Response:
        """The rule in one books transaction: a refusal rolls back every write it made, unless
        it says its writes must stay (see ApiError.keep_writes)."""
        kept: ApiError | None = None
        try:
            with self.books.transaction():
                document = _document(body) if operation not in _BODILESS else {}
                try:
                    payload = self._dispatch(operation, user, params, document)
                except ApiError as exc:
                    if not exc.keep_writes:
                        raise
                    kept = exc
        except ApiError as exc:
            return _json(exc.body(), exc.http_status)
        if kept is not None:
            return _json(kept.body(), kept.http_status)
        return _json(payload)

    def _dispatch(self, operation: str, user: User | None, params: Mapping[str, str],
                  document: Mapping[str, Any]) -> dict[str, Any]:
        p = self.platform
        if operation == "authorization":
            return p.authorization(document)
        if operation == "otp_confirm":
            return p.confirm(document)
        if operation == "registration":
            return self.onboarding.register(document)
        if operation == "registration_confirm":
            return self.onboarding.confirm(document)
        assert user is not None
        if operation == "coins":
            return p.coins(user)
        if operation == "banks":
            return p.bank_catalog(user)
        special = self._dispatch_setup(operation, user, params, document)
        if special is not None:
            return special
        kind, _, action = operation.partition("_")
        if action == "calculate":
            return p.calculate(kind, user, document)
        if action == "create":
            return p.create(kind, user, document)
        if action == "view":
            return p.view(kind, user, document)
        if action == "accept":
            return p.accept(kind, user, params["request_id"])
        if action == "decline":
            return p.decline(kind, user, params["request_id"])
        raise AssertionError(operation)  # pragma: no cover

    def _dispatch_setup(self, operation: str, user: User, params: Mapping[str, str],
                        document: Mapping[str, Any]) -> dict[str, Any] | None:
        """The administrator's set-up calls and a customer's saved transfers; None: not one of them."""
        a, t = self.administration, self.transfers
        calls: dict[str, Callable[[], dict[str, Any]]] = {
            "currencies": lambda: a.currencies(user),
            "currency_create": lambda: a.create_currency(user, document),
            "issuers": lambda: a.issuers(user),
            "issuer_create": lambda: a.create_issuer(user, document),
            "bank_create": lambda: a.create_bank(user, document),
            "organizations": lambda: a.organizations(user, document),
            "user_create": lambda: a.create_user(user, document),
            "users_view": lambda: a.users(user, document),
            "coin_validate": lambda: t.validate_coin(user, document),
            "smart_cards": lambda: t.my_cards(user),
            "template_view": lambda: t.view(user, document),
            "template_calculate": lambda: t.calculate(user, params.get("template_id", ""), document),
            "template_execute": lambda: t.execute(user, params.get("template_id", ""), document),
            "template_from_operation": lambda: t.save_operation(user, params.get("process_id", ""), document),
        }
        call = calls.get(operation)
        return None if call is None else call()

    def _magic_fault(self, operation: str, params: Mapping[str, str]) -> Fault | None:
        if not self.magic_amounts or not operation.endswith(("_accept", "_decline")):
            return None
        try:
            number = request_number(params.get("request_id", ""), "requestIdentifier")
        except ApiError:
            return None
        request = self.books.request(number)
        if request is None or request.status != "PENDING":
            return None
        if self.books.count_attempt(request.request_id) > 0:
            return None  # only the first call: a retry learns the true outcome
        return MAGIC_AMOUNTS.get(request.amount)

    def _logged(self, request: Request, response: Any) -> Any:
        # The path only: bodies carry logins, passwords and codes; headers carry tokens.
        outcome = getattr(response, "status_code", "cut")
        log.info("%s %s -> %s", request.method, request.url.path, outcome)
        return response


def _document(body: bytes) -> dict[str, Any]:
    if not body.strip():
        return {}
    try:
        document = json.loads(body.decode("utf-8"), parse_float=Decimal)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "VALIDATION_ERROR", "Malformed JSON request") from None
    if not isinstance(document, dict):
        raise ApiError(400, "VALIDATION_ERROR", "The request body must be a JSON object")
    return document


def _plain(document: dict[str, Any]) -> dict[str, Any]:
    """A coin for the control endpoints: amounts as exact decimal strings."""
    return {k: (str(v) if isinstance(v, Decimal) else v) for k, v in document.items()}
