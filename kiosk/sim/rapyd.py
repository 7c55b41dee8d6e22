"""A faithful simulator of the Rapyd POS API (seeds 000, 001; REFERENCE §1), as an ASGI app.

    sim = RapydSimulator(Path("rapyd.sqlite"))      # or None: in memory
    handle = start_in_thread(sim.app)               # kiosk.sim.server
    code = sim.current_otp("+14155559992")          # what the customer's app shows now

Every /v1 request goes through the same pipeline, in the order the real service would apply:
base latency -> authentication (signing.py) -> route (unknown: 401 UNAUTHORIZED_API_CALL)
-> fault catalogue (faults.py) -> idempotency replay or the business rule (operations.py),
atomically -> after-apply faults. The control endpoints under /_sim/ (control.py) need no
authentication: the simulator is meant to listen on loopback only.

Magic amounts (deposit or withdraw, any currency, when magic_amounts=True) arm a fault for that
request only, so a trainer can provoke failures from the kiosk's own screen:

    666.01  error_before_apply, HTTP 503       666.04  timeout_before_apply, 30 s, no answer
    666.02  error_after_apply, HTTP 500        666.05  timeout_after_apply, 30 s, then answers
    666.03  drop_after_apply                   666.06  slow, 5 s

They fire only on the first delivery of an idempotency key, so a client's retry with the same
key learns the true outcome, as it would after a real network failure.

Idempotency. A value of the `idempotency` header is bound to the request it first came with
(per access key, 24 h): the method, the path with its query, the body, and the headers that name
the session and the money (phone_number, token_id, operation_id, transaction_id). The same
request again answers the first response byte for byte without applying anything; the value
with any other request is refused with HTTP 400 ERROR_IDEMPOTENCY_KEY_REUSED, is not
remembered, and never answers with another request's transaction. (Rapyd's documentation asks
clients never to reuse a value for a different operation and, for its Payments API, treats such
a request as a new one; the simulator refuses it instead, because a cash point that got another
wallet's answer would pay out cash that was never debited.)

Request bodies over `max_body_bytes` (default kiosk.sim.bodylimit.MAX_BODY_BYTES, 1 MiB; Rapyd
documents no limit) are refused with HTTP 413 ERROR_REQUEST_BODY_TOO_LARGE before being read.
Amounts, codes and phone numbers are ASCII digits only: '١٠' or '１０' in a path is
ERROR_AMOUNT_NOT_VALID, never 10.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import secrets
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

from kiosk.sim import control, currencies, envelope
from kiosk.sim.bodylimit import MAX_BODY_BYTES, BodyLimit
from kiosk.sim.demo import (  # noqa: F401  (the demo merchant and customers, re-exported)
    DEMO_ACCESS_KEY,
    DEMO_NAMES,
    DEMO_POS_ID,
    DEMO_POS_IDS,
    DEMO_SECRET_KEY,
    DEMO_WALLETS,
    SECOND_POS_ID,
)
from kiosk.sim.faults import OPERATIONS, Fault, FaultPlan, FaultSwitchboard, magic_amounts
from kiosk.sim.ledger import Account, Ledger, Session, StoredReply, Transaction
from kiosk.sim.operations import E164, SESSION_IDLE_SECONDS, ApiError, PosOperations
from kiosk.sim.otp import OtpIssuer
from kiosk.sim.pipeline import CutConnection, answer_with_fault
from kiosk.sim.routes import match_route, redacted_path
from kiosk.sim.signing import AuthFailure, Authenticator

log = logging.getLogger("kiosk.sim.rapyd")
# Silent unless the host application configures logging (never Python's stderr fallback).
log.addHandler(logging.NullHandler())

BASE_PATH = "/v1/pos"

IDEMPOTENCY_SECONDS = 24 * 3600
# The headers besides the path and body that make a request what it is: the session (and so the
# wallet) it acts in, and the withdrawal a reversal undoes. Never the signing headers (salt,
# timestamp and signature differ on every retry).
BOUND_HEADERS = ("phone_number", "token_id", "operation_id", "transaction_id")

MAGIC_AMOUNTS: dict[Decimal, Fault] = magic_amounts("666")

# A cut answer breaks off inside the envelope's status block.
_CUT = CutConnection(b'{"status": {"error_code": ')


def demo_account_id(phone: str, currency: str) -> str:
    """Stable ids for the demo accounts, so a demo script can name them."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"rapyd-sim:{phone}:{currency}"))


def request_fingerprint(method: str, signed_path: str, headers: Mapping[str, str], body: bytes) -> str:
    """What an idempotency value is bound to: SHA-256 over the method, the path with its query,
    the BOUND_HEADERS and the exact body bytes (JSON-encoded parts, so no two requests blur)."""
    parts = [method.upper(), signed_path, *(headers.get(name, "") for name in BOUND_HEADERS)]
    return hashlib.sha256(json.dumps(parts).encode() + b"\n" + body).hexdigest()


def _too_large(scope: Any) -> Response:
    body = envelope.dumps(envelope.error(
        "ERROR_REQUEST_BODY_TOO_LARGE", "The request body is larger than the API accepts"))
    return Response(body, status_code=413, media_type="application/json")


def _internal_error(status: int) -> Response:
    # A 500 comes from the API itself and keeps the JSON envelope (a 502/503/504 is the load
    # balancer's page: kiosk.sim.pipeline).
    body = envelope.dumps(envelope.error("INTERNAL_SERVER_ERROR", "An internal error occurred"))
    return Response(body, status_code=status, media_type="application/json")


class RapydSimulator(FaultSwitchboard):
    """The Rapyd POS API over a persistent ledger, with OTPs, sessions, idempotency and faults."""

    def __init__(
        self,
        ledger_path: Path | None = None,
        *,
        otp_window: int = 30,
        clock: Callable[[], float] = time.time,
        latency: float = 0.0,
        seed_demo: bool = True,
        magic_amounts: bool = True,
        session_idle: float = SESSION_IDLE_SECONDS,
        reject_replayed_requests: bool = True,
        max_body_bytes: int = MAX_BODY_BYTES,
    ) -> None:
        self._clock = clock
        self.latency = latency
        self.magic_amounts = magic_amounts
        self.session_idle = session_idle
        self.ledger = Ledger(Path(ledger_path) if ledger_path is not None else None)
        master = self.ledger.meta("otp_master_key")
        if master is None:  # per ledger, so codes stay the same across a restart
            master = secrets.token_hex(32)
            self.ledger.set_meta("otp_master_key", master)
        self._issuer = OtpIssuer(bytes.fromhex(master), otp_window)
        self.pos_registry: dict[str, str] = {pos: DEMO_ACCESS_KEY for pos in DEMO_POS_IDS}
        if seed_demo and self.ledger.meta("demo_seeded") is None:
            self._seed_demo()
        self.faults = FaultPlan(OPERATIONS)
        self._auth = Authenticator({DEMO_ACCESS_KEY: DEMO_SECRET_KEY}, reject_replays=reject_replayed_requests)
        self._operations = PosOperations(self.ledger, self._issuer, self.pos_registry, clock, session_idle)
        self.app: ASGIApp = Starlette(
            routes=[
                *control.routes(self),
                Route("/{path:path}", self._api, methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]),
            ]
        )
        self.app = BodyLimit(self.app, max_body_bytes, _too_large)

    def _seed_demo(self) -> None:
        now = self._clock()
        with self.ledger.transaction():
            for phone, balances in DEMO_WALLETS.items():
                self.add_wallet(phone, balances, name=DEMO_NAMES.get(phone, ""), _now=now)
            self.ledger.set_meta("demo_seeded", str(now))

    # -- in-process API ---------------------------------------------------------------------

    @property
    def otp_window(self) -> int:
        return self._issuer.window

    def now(self) -> float:
        return self._clock()

    def add_wallet(self, phone: str, balances: Mapping[str, Decimal | str], name: str = "", *, _now: float | None = None) -> None:
        """Create a wallet (or add accounts to one); balances are exact decimals (text: plain
        ASCII decimals only). ValueError says what is wrong, and nothing is created then."""
        if not E164.match(phone):
            raise ValueError(f"the phone {phone!r} is not an E.164 number with ASCII digits")
        now = self._clock() if _now is None else _now
        with self.ledger.transaction():
            self.ledger.add_wallet(phone, name, now)
            for currency, balance in balances.items():
                if currency not in currencies.CURRENCIES:
                    raise ValueError(f"unsupported currency {currency!r}")
                if isinstance(balance, str):
                    value = currencies.balance(balance, currency)
                else:
                    value = currencies.quantize(Decimal(balance), currency)
                if value < 0:
                    raise ValueError("a balance cannot be negative")
                if self.ledger.account_for(phone, currency) is None:
                    self.ledger.add_account(phone, currency, value, now, demo_account_id(phone, currency))

    def current_otp(self, phone: str, pos_id: str = DEMO_POS_ID) -> str:
        """The code the customer's wallet app shows right now; LookupError if there is none."""
        if not self.ledger.wallet_exists(phone):
            raise LookupError(f"no wallet for {phone}")
        if pos_id not in self.pos_registry:
            raise LookupError(f"no point of sale {pos_id}")
        return self._issuer.code(phone, pos_id, self._clock())

    def otp_expires_at(self) -> float:
        """When the current window ends (Unix seconds): the current codes are refused from then."""
        return self._issuer.expires_at(self._clock())

    def session_state(self, session: Session) -> str:
        """"open", "closed" or "expired" (idle longer than session_idle) at the current time."""
        return self._operations.session_state(session, self._clock())

    def balance(self, phone: str, currency: str) -> Decimal | None:
        account = self.ledger.account_for(phone, currency)
        return None if account is None else account.balance

    def accounts(self, phone: str) -> list[Account]:
        return self.ledger.accounts(phone)

    def transactions(self) -> list[Transaction]:
        return self.ledger.transactions()

    def info(self) -> dict[str, Any]:
        """GET /_sim/info: what a demo or a trainer needs (keys, POS ids, customers, magic amounts)."""
        customers = [
            {
                "phone": phone,
                "name": name,
                "accounts": [
                    {"account_id": a.account_id, "currency": a.currency, "balance": str(a.balance)}
                    for a in self.accounts(phone)
                ],
                "currencies": [a.currency for a in self.accounts(phone)],
            }
            for phone, name in self.ledger.wallets()
        ]
        return {
            "simulator": "rapyd-pos",
            "base_path": BASE_PATH,
            "access_key": DEMO_ACCESS_KEY,
            "secret_key": DEMO_SECRET_KEY,
            "pos_ids": list(self.pos_registry),
            "default_pos_id": DEMO_POS_ID,
            "otp_window": self.otp_window,
            "session_idle_seconds": self.session_idle,
            "customers": customers,
            "magic_amounts": {str(amount): fault.to_dict() for amount, fault in MAGIC_AMOUNTS.items()}
            if self.magic_amounts
            else {},
        }

    def close(self) -> None:
        self.ledger.close()

    # -- the API pipeline -------------------------------------------------------------------

    async def _api(self, request: Request) -> Response | CutConnection:
        if self.latency > 0:
            await asyncio.sleep(self.latency)
        body = await request.body()
        raw_path = request.scope.get("raw_path") or request.url.path.encode()
        query = request.scope.get("query_string", b"")
        signed_path = raw_path.decode("latin-1") + ("?" + query.decode("latin-1") if query else "")
        path = request.url.path
        headers = request.headers
        access_key = self._auth.check(request.method, signed_path, headers, body, self._clock())
        if isinstance(access_key, AuthFailure):
            failure = access_key
            return self._answer(request, envelope.error(failure.error_code, failure.message), failure.http_status)
        route = match_route(request.method, path)
        if route is None:
            return self._answer(request, envelope.error("UNAUTHORIZED_API_CALL", "The API call is not authorized"), 401)
        operation, params = route
        key = headers.get("idempotency", "").strip() or None
        fingerprint = request_fingerprint(request.method, signed_path, headers, body)
        replay = key is not None and self._stored(access_key, key) is not None
        fault = self.faults.take(operation) or (None if replay else self._magic_fault(operation, params))

        def apply() -> Response:
            status, content_type, payload = self._apply(
                access_key, key, fingerprint, operation, params, headers, body)
            return Response(payload, status_code=status, media_type=content_type)

        return self._logged(request, await answer_with_fault(fault, apply, api_error=_internal_error, cut=_CUT))

    def _stored(self, access_key: str, key: str) -> StoredReply | None:
        return self.ledger.stored_reply(access_key, key, self._clock() - IDEMPOTENCY_SECONDS)

    def _apply(
        self, access_key: str, key: str | None, fingerprint: str, operation: str, params: Mapping[str, str],
        headers: Mapping[str, str], body: bytes,
    ) -> tuple[int, str, bytes]:
        """The business rule and its idempotency record, in one ledger transaction.

        Error answers are recorded too: a repeat of the key with the same request returns the
        first answer, whatever it was, and never runs the operation a second time. The key with
        another request is refused and changes nothing (not even what the key remembers).
        """
        try:
            with self.ledger.transaction():
                if key is not None:
                    stored = self._stored(access_key, key)
                    if stored is not None and stored.fingerprint != fingerprint:
                        reused = envelope.error(
                            "ERROR_IDEMPOTENCY_KEY_REUSED",
                            "The idempotency value was first used with a different request; use a new value",
                        )
                        return 400, "application/json", envelope.dumps(reused)
                    if stored is not None:
                        return stored.status, stored.content_type, stored.body
                try:
                    data = getattr(self._operations, operation)(access_key, params, headers, body)
                    status, payload = 200, envelope.success(operation, data)
                except ApiError as exc:
                    status, payload = exc.http_status, envelope.error(exc.code, exc.message)
                    raise _Refused(status, envelope.dumps(payload)) from None
                text = envelope.dumps(payload)
                if key is not None:
                    self._remember(access_key, key, fingerprint, status, text)
                return status, "application/json", text
        except _Refused as refused:
            # The refused operation's partial writes were rolled back; its answer is still
            # remembered under the idempotency key, in a transaction of its own.
            if key is not None:
                with self.ledger.transaction():
                    self._remember(access_key, key, fingerprint, refused.status, refused.body)
            return refused.status, "application/json", refused.body

    def _remember(self, access_key: str, key: str, fingerprint: str, status: int, body: bytes) -> None:
        now = self._clock()
        self.ledger.forget_replies_before(now - IDEMPOTENCY_SECONDS)
        self.ledger.store_reply(access_key, key, StoredReply(status, "application/json", body, now, fingerprint))

    def _magic_fault(self, operation: str, params: Mapping[str, str]) -> Fault | None:
        if not self.magic_amounts or operation not in ("deposit", "withdraw"):
            return None
        try:  # the API's own amount grammar (ASCII digits): '٦٦٦.٠١' arms nothing
            amount = currencies.parse_amount(params.get("amount") or params.get("sum") or "", None)
        except currencies.AmountError:
            return None
        return MAGIC_AMOUNTS.get(amount)

    def _answer(self, request: Request, payload: dict[str, Any], status: int) -> Response:
        return self._logged(request, Response(envelope.dumps(payload), status_code=status, media_type="application/json"))

    def _logged(self, request: Request, response: Any) -> Any:
        # Never the OTP (it is in the login path), never headers (keys, tokens, phones).
        outcome = getattr(response, "status_code", "cut")
        log.info("%s %s -> %s", request.method, redacted_path(request.url.path), outcome)
        return response


class _Refused(Exception):
    """Carries a business refusal out of the ledger transaction so its writes roll back."""

    def __init__(self, status: int, body: bytes) -> None:
        super().__init__(status)
        self.status = status
        self.body = body
