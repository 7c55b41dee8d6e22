"""A faithful simulator of the Flexiti POS API v2.5, in-store channel (seed 004; REFERENCE §2).

    sim = FlexitiSimulator(Path("flexiti.sqlite"))   # or None: in memory
    handle = start_in_thread(sim.app)                # kiosk.sim.server
    sim.last_pin("116574819")                        # the PIN the customer's phone received

API paths (under BASE_PATH = /flexiti/pos-api/v2.5):

    POST /oauth/token                                      form: client_id, client_secret,
         grant_type (client_credentials | refresh_token), scope (merchant | customer), refresh_token
    POST /client-id/{client_id}/account/{account_number}/verify       {format, request_id, ...}
    GET  /client-id/{client_id}/customers/lookup?account_number=N
    GET  /client-id/{client_id}/customers/search?first_name=&last_name=&dob=YYYY-MM-DD
    POST /client-id/{client_id}/customers/driverslicense              {code: <PDF417 text>}
    POST /client-id/{client_id}/transactions   {transaction_type, amount, account_number,
         verification_code, request_id[, external_location_id]}; headers x-idempotency-key,
         x-context-hash (optional)

Pipeline for every API call: base latency -> route (unknown: 404 not_found) -> bearer token
(missing, unknown or expired: 401 invalid_token; a customer-scope token on a merchant
endpoint: 403 insufficient_scope; another client's path: 409 invalid_role) -> x-reference-id
(missing: 400 wrong_inputs) -> fault catalogue -> idempotency replay or the rule (rules.py),
atomically -> after-apply faults.

Answers: business errors {url, message, error, field_errors[]} (mostly 409, validation 400,
unknown account 404); OAuth errors {code, error, error_description} (400 invalid_client,
invalid_request, invalid_grant, invalid_scope; 401 invalid_token; 403 insufficient_scope);
502/503/504 are the gateway's HTML pages.

Tokens live `token_lifetime` seconds (Flexiti's default is 20 minutes; 300 here so clients
exercise refreshing). A refresh token works once, and only while its access token is still
valid ("it cannot be refreshed after it is expired").

Idempotency (transactions only): x-idempotency-key, per client id, kept 24 h, and bound to the
request it first came with (method, path with query, exact body: the account, amount, PIN and
request_id). The same request again returns the first *successful* answer byte for byte
without applying again; the key with any other request is refused (409 idempotency_key_reused)
and never answers with another request's transaction. A first attempt that was refused is not
remembered, so its repeat is processed afresh. With x-context-hash on both, a repeat whose hash
differs is refused (409 context_hash_mismatch). Without a key, a repeat applies again. (The
bearer token is not part of the request: a retry after a token refresh is the same request.)

Request bodies over `max_body_bytes` (Flexiti documents no limit; default
kiosk.sim.bodylimit.MAX_BODY_BYTES, 1 MiB) are refused before they are read: HTTP 413
payload_too_large, in the problem shape. Account numbers, amounts and verification codes are
ASCII digits only: "１１６５７４８１９" or "١٠" is 400 wrong_inputs, and is not a failed try.

Magic amounts (transactions, when magic_amounts=True) arm a fault for that request only, on
the first delivery of an idempotency key, as in the Rapyd simulator:

    666.01 error_before_apply 503   666.03 drop_after_apply            666.05 timeout_after_apply 30 s
    666.02 error_after_apply 500    666.04 timeout_before_apply 30 s   666.06 slow 5 s

Control endpoints (no authentication; loopback only), under /_sim/flexiti:

    GET    /info                          base path, client id and secret, customers (with
                                          security answers and licence scans), settings
    GET    /pins?account_number=N         the last PIN sent by sms / e-mail: {pin, channel, ...}
    GET    /ledger                        customers with balances, transactions
    GET    /faults  POST /faults  DELETE /faults   the fault catalogue (kiosk.sim.faults);
                                          operations: token, verify, lookup, transaction, any
    POST   /settings {merchant_override_allowed?, token_lifetime?}
    POST   /unlock {account_number}       forget the failed tries (a trainer's reset)
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import re
import secrets
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from kiosk.sim.bodylimit import MAX_BODY_BYTES, BodyLimit
from kiosk.sim.envelope import dumps
from kiosk.sim.faults import Fault, FaultPlan, FaultSwitchboard, make_fault, magic_amounts
from kiosk.sim.flexiti.books import Books, Customer, StoredReply, Token, Transaction
from kiosk.sim.flexiti.demo import (
    BASE_PATH,
    CURRENCY,
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_CUSTOMERS,
    DEMO_LOCATION_ID,
    SECURITY_QUESTIONS,
    DemoCustomer,
)
from kiosk.sim.flexiti.rules import (
    MAX_TRIES,
    PIN_LIFETIME,
    TRIES_WINDOW,
    ApiError,
    MerchantSettings,
    Rules,
    ascii_amount,
)
from kiosk.sim.pipeline import CutConnection, answer_with_fault, fault_route, problem

log = logging.getLogger("kiosk.sim.flexiti")
log.addHandler(logging.NullHandler())

CONTROL_PATH = "/_sim/flexiti"
PATH_PREFIXES = ("/flexiti", CONTROL_PATH)
IDEMPOTENCY_SECONDS = 24 * 3600
FAULT_OPERATIONS = ("token", "verify", "lookup", "transaction", "any")

_SEG = r"(?P<client_id>[^/]+)"
ROUTES: tuple[tuple[str, str, re.Pattern[str]], ...] = (
    ("token", "POST", re.compile(r"^/oauth/token$")),
    ("verify", "POST", re.compile(rf"^/client-id/{_SEG}/account/(?P<account_number>[^/]+)/verify$")),
    ("lookup", "GET", re.compile(rf"^/client-id/{_SEG}/customers/lookup$")),
    ("search", "GET", re.compile(rf"^/client-id/{_SEG}/customers/search$")),
    ("licence", "POST", re.compile(rf"^/client-id/{_SEG}/customers/driverslicense$")),
    ("transaction", "POST", re.compile(rf"^/client-id/{_SEG}/transactions$")),
)
# Per the documentation, a customer-scope token is good for these only; merchant for all.
CUSTOMER_SCOPE_OPERATIONS = frozenset({"verify", "licence"})
# Which fault-catalogue operation each route counts as.
FAULT_OPERATION_OF = {"token": "token", "verify": "verify", "lookup": "lookup", "search": "lookup",
                      "licence": "lookup", "transaction": "transaction"}

MAGIC_AMOUNTS: dict[Decimal, Fault] = magic_amounts("666")

_REFERENCE_ID = re.compile(r"^[\x21-\x7e]{1,64}$")
# A cut answer breaks off at the start of a transaction document.
_CUT = CutConnection(b'{"transaction_id": ')


# make_fault for this simulator's FAULT_OPERATIONS (what inject_fault arms), for callers that
# build a fault to arm later.
make_flexiti_fault = partial(make_fault, operations=FAULT_OPERATIONS)


def request_fingerprint(request: Request, body: bytes) -> str:
    """What an idempotency key is bound to: SHA-256 over the method, the raw path with its query
    and the exact body bytes."""
    raw_path = request.scope.get("raw_path") or request.url.path.encode()
    query = request.scope.get("query_string", b"")
    head = json.dumps([request.method.upper(), raw_path.decode("latin-1"), query.decode("latin-1")])
    return hashlib.sha256(head.encode() + b"\n" + body).hexdigest()


def _too_large(scope: Any) -> Response:
    status, payload = _problem_body(scope.get("path", ""), 413, "payload_too_large",
                                    "The request body is larger than the API accepts")
    return Response(payload, status_code=status, media_type="application/json")


def _oauth_error(status: int, error: str, description: str) -> Response:
    return JSONResponse({"code": status, "error": error, "error_description": description}, status_code=status)


class FlexitiSimulator(FaultSwitchboard):
    """The Flexiti POS API over persistent books, with OAuth, verification, limits and faults."""

    def __init__(
        self,
        ledger_path: Path | None = None,
        *,
        clock: Callable[[], float] = time.time,
        latency: float = 0.0,
        seed_demo: bool = True,
        token_lifetime: int = 300,
        merchant_override_allowed: bool = True,
        magic_amounts: bool = True,
        require_location: bool = False,
        max_body_bytes: int = MAX_BODY_BYTES,
    ) -> None:
        if token_lifetime < 1:
            raise ValueError("token_lifetime must be at least 1 second")
        self._clock = clock
        self.latency = latency
        self.token_lifetime = int(token_lifetime)
        self.magic_amounts = magic_amounts
        self.books = Books(Path(ledger_path) if ledger_path is not None else None)
        self.merchant = MerchantSettings(
            merchant_override_allowed=merchant_override_allowed,
            require_location=require_location,
            location_ids={DEMO_LOCATION_ID},
        )
        self.clients: dict[str, str] = {DEMO_CLIENT_ID: DEMO_CLIENT_SECRET}
        self.faults = FaultPlan(FAULT_OPERATIONS)
        self._rules = Rules(self.books, clock, self.merchant)
        if seed_demo and self.books.meta("demo_seeded") is None:
            with self.books.transaction():
                for customer in DEMO_CUSTOMERS:
                    self.add_customer(customer)
                self.books.set_meta("demo_seeded", str(self._clock()))
        self.app: ASGIApp = Starlette(routes=[*self._control_routes(),
                                     Route("/{path:path}", self._api, methods=["GET", "POST", "PUT", "PATCH", "DELETE"])])
        self.app = BodyLimit(self.app, max_body_bytes, _too_large)

    # -- in-process API ---------------------------------------------------------------------

    @property
    def merchant_override_allowed(self) -> bool:
        return self.merchant.merchant_override_allowed

    @merchant_override_allowed.setter
    def merchant_override_allowed(self, value: bool) -> None:
        self.merchant.merchant_override_allowed = bool(value)

    def now(self) -> float:
        return self._clock()

    def add_customer(self, c: DemoCustomer) -> None:
        """Open an account (ignored when the account number exists)."""
        if c.security_qid not in SECURITY_QUESTIONS:
            raise ValueError(f"unknown security question id {c.security_qid!r}")
        self.books.add_customer(Customer(
            account_number=c.account_number, customer_id=c.customer_id, first_name=c.first_name,
            middle_name=c.middle_name, last_name=c.last_name, dob=c.dob.isoformat(), email=c.email,
            phone=c.phone, account_status=c.account_status, active=c.active,
            credit_limit=c.credit_limit, balance=c.balance, security_qid=c.security_qid,
            security_answer=c.security_answer, bypass=c.regular_purchase_bypass, address_1=c.address_1,
            city=c.city, province=c.province, postal_code=c.postal_code,
            card_ending_in=c.card_ending_in, created_at=self._clock(),
        ))

    def last_pin(self, account_number: str) -> str | None:
        """The last dynamic PIN sent to this customer by sms or e-mail (what their phone shows)."""
        sent = self.books.sent_pin(str(account_number))
        return None if sent is None else sent.pin

    def available_credit(self, account_number: str) -> Decimal | None:
        customer = self.books.customer(str(account_number))
        return None if customer is None else customer.available_credit

    def balance(self, account_number: str) -> Decimal | None:
        """What the customer owes."""
        customer = self.books.customer(str(account_number))
        return None if customer is None else customer.balance

    def transactions(self, account_number: str | None = None) -> list[Transaction]:
        return self.books.transactions(account_number)

    def failed_tries(self, account_number: str) -> int:
        return len(self._rules.failed_tries(str(account_number), self._clock()))

    def unlock(self, account_number: str) -> None:
        self.books.clear_failures(str(account_number))

    def info(self) -> dict[str, Any]:
        demo = {c.account_number: c for c in DEMO_CUSTOMERS}
        customers = []
        for c in self.books.customers():
            entry: dict[str, Any] = {
                "account_number": c.account_number,
                "customer_id": c.customer_id,
                "name": f"{c.first_name} {c.last_name}",
                "first_name": c.first_name,
                "last_name": c.last_name,
                "dob": c.dob,
                "account_status": c.account_status,
                "active": c.active,
                "credit_limit": f"{c.credit_limit:.2f}",
                "available_credit": f"{c.available_credit:.2f}",
                "balance_owed": f"{c.balance:.2f}",
                "security_question": {"id": c.security_qid, "text": SECURITY_QUESTIONS.get(c.security_qid, ""),
                                      "answer": c.security_answer},
                "regular_purchase_bypass": c.bypass,
                "email": c.email,
                "phone": c.phone,
                "failed_tries": self.failed_tries(c.account_number),
            }
            if c.account_number in demo:
                entry["licence_number"] = demo[c.account_number].licence_number
                entry["licence_scan"] = demo[c.account_number].licence_scan
                entry["note"] = demo[c.account_number].note
            customers.append(entry)
        return {
            "simulator": "flexiti-pos",
            "base_path": BASE_PATH,
            "control_path": CONTROL_PATH,
            "client_id": DEMO_CLIENT_ID,
            "client_secret": DEMO_CLIENT_SECRET,
            "currency": CURRENCY,
            "token_lifetime": self.token_lifetime,
            "merchant_override_allowed": self.merchant.merchant_override_allowed,
            "external_location_ids": sorted(self.merchant.location_ids),
            "require_location": self.merchant.require_location,
            "pin_lifetime": PIN_LIFETIME,
            "max_tries": MAX_TRIES,
            "tries_window_hours": TRIES_WINDOW / 3600,
            "customers": customers,
            "magic_amounts": {str(a): f.to_dict() for a, f in MAGIC_AMOUNTS.items()} if self.magic_amounts else {},
        }

    def close(self) -> None:
        self.books.close()

    # -- the API pipeline -------------------------------------------------------------------

    async def _api(self, request: Request) -> Any:
        if self.latency > 0:
            await asyncio.sleep(self.latency)
        path = request.url.path
        body = await request.body()
        route = self._route(request.method, path)
        if route is None:
            return self._logged(request, "unknown", self._problem(path, 404, "not_found", "Not found"))
        operation, params = route
        failure: Response | None
        token: Token | None = None
        if operation == "token":
            failure = None
        else:
            token, failure = self._authenticate(request, operation, params)
        if failure is not None:
            return self._logged(request, operation, failure)
        reference_id = request.headers.get("x-reference-id", "").strip()
        if operation != "token" and not _REFERENCE_ID.match(reference_id):
            msg = "required" if not reference_id else "invalid"
            failure = self._problem(path, 400, "wrong_inputs", "Some inputs are wrong!",
                                    [{"param": "x-reference-id", "msg": msg, "location": "headers"}])
            return self._logged(request, operation, failure)

        key = (request.headers.get("x-idempotency-key", "").strip() or None) if operation == "transaction" else None
        client_id = token.client_id if token is not None else ""
        replay = key is not None and self._stored(client_id, key) is not None
        fault = self.faults.take(FAULT_OPERATION_OF[operation])
        if fault is None and not replay and operation == "transaction":
            fault = self._magic_fault(body)

        def apply() -> Response:
            if operation == "token":
                return self._token(request, body)
            status, payload = self._apply(operation, params, request, body, client_id, reference_id, key)
            return Response(payload, status_code=status, media_type="application/json",
                            headers={"x-reference-id": reference_id})

        def internal_error(status: int) -> Response:
            # From the API itself, in its problem shape (a 502/503/504 is the load balancer's page).
            return self._problem(path, status, "general_error", "A generic error covering back-end process issues")

        answer = await answer_with_fault(fault, apply, api_error=internal_error, cut=_CUT)
        return self._logged(request, operation, answer)

    @staticmethod
    def _route(method: str, path: str) -> tuple[str, dict[str, str]] | None:
        if not path.startswith(BASE_PATH + "/"):
            return None
        rest = path[len(BASE_PATH):]
        for operation, route_method, pattern in ROUTES:
            match = pattern.match(rest)
            if match and method.upper() == route_method:
                return operation, match.groupdict()
        return None

    def _authenticate(self, request: Request, operation: str, params: dict[str, str]) -> tuple[Token | None, Response | None]:
        header = request.headers.get("authorization", "")
        match = re.match(r"^[Bb]earer +([A-Za-z0-9._~+/=-]+)$", header.strip())
        if match is None:
            return None, _oauth_error(401, "invalid_token", "The access token provided is invalid")
        token = self.books.token(match.group(1))
        if token is None:
            return None, _oauth_error(401, "invalid_token", "The access token provided is invalid")
        if self._clock() >= token.expires_at:
            return None, _oauth_error(401, "invalid_token", "The access token provided has expired")
        if token.scope != "merchant" and operation not in CUSTOMER_SCOPE_OPERATIONS:
            return None, _oauth_error(403, "insufficient_scope", "Insufficient scope: authorized scope is insufficient")
        if params.get("client_id") != token.client_id:
            return None, self._problem(request.url.path, 409, "invalid_role",
                                       "The account being used is not provisioned for the API being accessed")
        return token, None

    def _token(self, request: Request, body: bytes) -> Response:
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != "application/x-www-form-urlencoded":
            return _oauth_error(400, "invalid_request", "The service expects an application/x-www-form-urlencoded payload")
        try:
            form = {k: v[0] for k, v in urllib.parse.parse_qs(body.decode("utf-8"), keep_blank_values=True).items()}
        except UnicodeDecodeError:
            return _oauth_error(400, "invalid_request", "The payload is not valid form data")
        client_id = form.get("client_id", "")
        secret = form.get("client_secret", "")
        expected = self.clients.get(client_id)
        if expected is None or not hmac.compare_digest(expected.encode(), secret.encode()):
            return _oauth_error(400, "invalid_client", "Client credentials are invalid")
        grant = form.get("grant_type") or "client_credentials"  # the documented default
        now = self._clock()
        if grant == "client_credentials":
            scope = form.get("scope") or "merchant"
            if scope not in ("merchant", "customer"):
                return _oauth_error(400, "invalid_scope", "The scope must be merchant or customer")
        elif grant == "refresh_token":
            old = self.books.token_by_refresh(form.get("refresh_token", ""))
            if old is None or old.client_id != client_id or old.refresh_used or now >= old.expires_at:
                return _oauth_error(400, "invalid_grant", "Invalid refresh token (or its access token has expired)")
            self.books.use_refresh(old.access_token)
            scope = old.scope
        else:
            return _oauth_error(400, "invalid_request", "Invalid or missing grant_type parameter")
        token = Token(secrets.token_hex(20), secrets.token_hex(20), client_id, scope, now,
                      now + self.token_lifetime, False)
        with self.books.transaction():
            self.books.forget_tokens_before(now - 24 * 3600)
            self.books.add_token(token)
        return JSONResponse({
            "token_type": "bearer",
            "access_token": token.access_token,
            "expires_in": self.token_lifetime,
            "refresh_token": token.refresh_token,
            "scope": scope,
        }, headers={"cache-control": "no-store"})

    def _stored(self, client_id: str, key: str) -> StoredReply | None:
        return self.books.stored_reply(client_id, key, self._clock() - IDEMPOTENCY_SECONDS)

    def _apply(
        self, operation: str, params: dict[str, str], request: Request, body: bytes,
        client_id: str, reference_id: str, key: str | None,
    ) -> tuple[int, bytes]:
        path = request.url.path
        if operation in ("verify", "licence", "transaction"):
            document = _json_object(body)
            if document is None:
                return _problem_body(path, 400, "wrong_inputs", "The body must be a JSON object")
        else:
            document = {}
        query = dict(request.query_params)
        try:
            if operation == "verify":
                return 200, dumps(self._rules.verify(params["account_number"], document, reference_id))
            if operation == "lookup":
                return 200, dumps(self._rules.lookup(query))
            if operation == "search":
                return 200, dumps(self._rules.search(query))
            if operation == "licence":
                return 200, dumps(self._rules.licence(document))
        except ApiError as exc:
            return _problem_body(path, exc.status, exc.error, exc.message, exc.field_errors)

        context_hash = request.headers.get("x-context-hash", "").strip() or None
        fingerprint = request_fingerprint(request, body)
        with self.books.transaction():
            if key is not None:
                stored = self._stored(client_id, key)
                if stored is not None:
                    if context_hash and stored.context_hash and context_hash != stored.context_hash:
                        return _problem_body(path, 409, "context_hash_mismatch",
                                             "The request body differs from the first request with this idempotency key")
                    if stored.fingerprint != fingerprint:
                        return _problem_body(path, 409, "idempotency_key_reused",
                                             "The idempotency key was first used with a different request")
                    return stored.status, stored.body
            try:
                data = self._rules.transaction(document, reference_id, key)
            except ApiError as exc:
                # Failed tries recorded by the rule are kept (the block commits); a refusal is
                # not remembered under the key: only a successful answer is replayed.
                return _problem_body(path, exc.status, exc.error, exc.message, exc.field_errors)
            text = dumps(data)
            if key is not None:
                now = self._clock()
                self.books.forget_replies_before(now - IDEMPOTENCY_SECONDS)
                self.books.store_reply(client_id, key, StoredReply(200, text, context_hash, now, fingerprint))
            return 200, text

    def _magic_fault(self, body: bytes) -> Fault | None:
        if not self.magic_amounts:
            return None
        document = _json_object(body)
        if document is None:
            return None
        try:
            amount = ascii_amount(document.get("amount"))
        except ApiError:
            return None
        fault = MAGIC_AMOUNTS.get(amount)
        return None if fault is None else replace(fault, operation="transaction")

    def _problem(self, path: str, status: int, error: str, message: str,
                 field_errors: list[dict[str, Any]] | None = None) -> Response:
        status, payload = _problem_body(path, status, error, message, field_errors)
        return Response(payload, status_code=status, media_type="application/json")

    @staticmethod
    def _logged(request: Request, operation: str, response: Any) -> Any:
        # The operation, never the path: it holds account numbers, and queries hold names.
        log.info("%s %s -> %s", request.method, operation, getattr(response, "status_code", "cut"))
        return response

    # -- control endpoints ------------------------------------------------------------------

    def _control_routes(self) -> list[Route]:
        async def info(request: Request) -> JSONResponse:
            return JSONResponse(self.info())

        async def pins(request: Request) -> JSONResponse:
            number = request.query_params.get("account_number", "").strip()
            if not number:
                return problem(400, "the account_number query parameter is required")
            if self.books.customer(number) is None:
                return problem(404, f"no account {number}")
            sent = self.books.sent_pin(number)
            if sent is None:
                return problem(404, f"no PIN has been sent to account {number}")
            return JSONResponse({
                "account_number": number, "pin": sent.pin, "channel": sent.channel,
                "request_id": sent.request_id, "sent_at": sent.sent_at,
                "expires_at": sent.sent_at + PIN_LIFETIME,
            })

        async def ledger(request: Request) -> JSONResponse:
            return JSONResponse({
                "customers": [
                    {"account_number": c.account_number, "name": f"{c.first_name} {c.last_name}",
                     "account_status": c.account_status, "active": c.active,
                     "credit_limit": f"{c.credit_limit:.2f}", "balance_owed": f"{c.balance:.2f}",
                     "available_credit": f"{c.available_credit:.2f}",
                     "failed_tries": self.failed_tries(c.account_number)}
                    for c in self.books.customers()
                ],
                "transactions": [t.to_json() for t in self.transactions()],
            })

        async def settings(request: Request) -> JSONResponse:
            document = _json_object(await request.body())
            if document is None:
                return problem(400, "expected a JSON object")
            unknown = set(document) - {"merchant_override_allowed", "token_lifetime"}
            if unknown:
                return problem(400, f"unknown setting(s): {', '.join(sorted(unknown))}")
            override = document.get("merchant_override_allowed", self.merchant.merchant_override_allowed)
            lifetime = document.get("token_lifetime", self.token_lifetime)
            if not isinstance(override, bool):
                return problem(400, "merchant_override_allowed must be true or false")
            if isinstance(lifetime, bool) or not isinstance(lifetime, int) or not 1 <= lifetime <= 86400:
                return problem(400, "token_lifetime must be whole seconds between 1 and 86400")
            self.merchant.merchant_override_allowed = override
            self.token_lifetime = lifetime
            return JSONResponse({"merchant_override_allowed": override, "token_lifetime": lifetime})

        async def unlock(request: Request) -> JSONResponse:
            document = _json_object(await request.body())
            number = str((document or {}).get("account_number", "")).strip()
            if not number or self.books.customer(number) is None:
                return problem(404, "unknown account_number")
            self.unlock(number)
            return JSONResponse({"account_number": number, "failed_tries": 0})

        c = CONTROL_PATH
        return [
            Route(f"{c}/info", info, methods=["GET"]),
            Route(f"{c}/pins", pins, methods=["GET"]),
            Route(f"{c}/ledger", ledger, methods=["GET"]),
            fault_route(f"{c}/faults", self.faults),
            Route(f"{c}/settings", settings, methods=["POST"]),
            Route(f"{c}/unlock", unlock, methods=["POST"]),
        ]


def _json_object(body: bytes) -> dict[str, Any] | None:
    try:
        document = json.loads(body.decode("utf-8") or "null", parse_float=Decimal)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    return document if isinstance(document, dict) else None


def _problem_body(path: str, status: int, error: str, message: str,
                  field_errors: list[dict[str, Any]] | None = None) -> tuple[int, bytes]:
    return status, dumps({"url": path, "message": message, "error": error, "field_errors": field_errors or []})

