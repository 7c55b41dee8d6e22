"""The simulator's own endpoints under /_sim/: what the customer's app would show, what the
demo needs to know, the books for reconciliation, and the fault switchboard.

    GET    /_sim/otp?phone=E164[&pos_id=ID]  -> {"otp", "expires_at", "expires_in", "window"}
    GET    /_sim/info                        -> base path, demo credentials, POS ids, customers
    GET    /_sim/ledger                      -> wallets (balances as decimal strings), transactions, sessions
    GET    /_sim/faults                      -> {"faults": [...]} still armed
    POST   /_sim/faults {"kind", "operation", "count", "seconds", "status", "answer"} -> 201
    DELETE /_sim/faults                      -> clears every armed fault
    POST   /_sim/wallets {"phone", "name", "accounts": {"EUR": "10.00"}} -> 201

No authentication: the simulator listens on loopback, and these answers are plain JSON (not
the POS envelope) because no POS client ever calls them.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Protocol

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from kiosk.sim.faults import FaultPlan
from kiosk.sim.ledger import Account, Ledger, Session, Transaction
from kiosk.sim.operations import E164
from kiosk.sim.pipeline import fault_route, json_object, problem


class PosSimulator(Protocol):
    """What these endpoints need of the Rapyd simulator (kiosk.sim.rapyd.RapydSimulator, which
    imports this module: naming it here would make an import cycle)."""

    faults: FaultPlan
    ledger: Ledger
    pos_registry: dict[str, str]

    @property
    def otp_window(self) -> int: ...
    def now(self) -> float: ...
    def info(self) -> dict[str, Any]: ...
    def current_otp(self, phone: str, pos_id: str = ...) -> str: ...
    def otp_expires_at(self) -> float: ...
    def session_state(self, session: Session) -> str: ...
    def accounts(self, phone: str) -> list[Account]: ...
    def transactions(self) -> list[Transaction]: ...
    def add_wallet(self, phone: str, balances: Mapping[str, Decimal | str], name: str = "") -> None: ...


def routes(sim: PosSimulator) -> list[Route]:
    async def otp(request: Request) -> JSONResponse:
        phone = request.query_params.get("phone", "").strip()
        pos_id = request.query_params.get("pos_id", "").strip()
        if not phone:
            return problem(400, "the phone query parameter is required")
        if pos_id and pos_id not in sim.pos_registry:
            return problem(404, f"unknown pos_id {pos_id}")
        try:
            code = sim.current_otp(phone, pos_id) if pos_id else sim.current_otp(phone)  # else the demo till's
        except LookupError:
            return problem(404, f"no wallet for phone {phone}")
        expires_at = sim.otp_expires_at()
        return JSONResponse({
            "otp": code,
            "expires_at": expires_at,
            "expires_in": round(expires_at - sim.now(), 3),
            "window": sim.otp_window,
        })

    async def info(request: Request) -> JSONResponse:
        return JSONResponse(sim.info())

    async def ledger(request: Request) -> JSONResponse:
        wallets = [
            {
                "phone": phone,
                "name": name,
                "accounts": [
                    {"account_id": a.account_id, "currency": a.currency, "alias": a.alias, "balance": str(a.balance)}
                    for a in sim.accounts(phone)
                ],
            }
            for phone, name in sim.ledger.wallets()
        ]
        sessions = [
            {
                "operation_id": s.operation_id,
                "phone": s.phone,
                "pos_id": s.pos_id,
                "state": sim.session_state(s),
                "created_at": s.created_at,
                "action_transaction_id": s.action_txn,
            }
            for s in sim.ledger.sessions()
        ]
        return JSONResponse({
            "wallets": wallets,
            "transactions": [t.to_json() for t in sim.transactions()],
            "sessions": sessions,
        })

    async def wallets(request: Request) -> JSONResponse:
        document = await json_object(request)
        if document is None:
            return problem(400, "expected a JSON object")
        phone = str(document.get("phone", ""))
        accounts = document.get("accounts", {})
        if not E164.match(phone) or not isinstance(accounts, dict):
            return problem(400, "expected {'phone': E.164 in ASCII digits, 'accounts': {currency: 'balance'}}")
        try:
            balances = {str(c): str(v) for c, v in accounts.items()}
            sim.add_wallet(phone, balances, name=str(document.get("name", "")))
        except ValueError as exc:
            return problem(400, str(exc) or "invalid balance")
        return JSONResponse({"phone": phone, "accounts": [
            {"account_id": a.account_id, "currency": a.currency, "balance": str(a.balance)} for a in sim.accounts(phone)
        ]}, status_code=201)

    return [
        Route("/_sim/otp", otp, methods=["GET"]),
        Route("/_sim/info", info, methods=["GET"]),
        Route("/_sim/ledger", ledger, methods=["GET"]),
        fault_route("/_sim/faults", sim.faults),
        Route("/_sim/wallets", wallets, methods=["POST"]),
    ]
