"""The SDK.finance simulator's own endpoints (no token; the simulator listens on loopback):

    GET    /_sim/sdkfinance/info              -> base path, cash-point and customer logins with
                                                 passwords, coins, fees, limits, fault operations
    GET    /_sim/sdkfinance/otp?login=LOGIN   -> {"login", "otp", "expires_in"} (404: none pending);
                                                 a sign-in's code, or a self-registration's
    GET    /_sim/sdkfinance/ledger            -> coins (amounts as decimal strings) and requests
    GET    /_sim/sdkfinance/faults            -> {"faults": [...]} still armed
    POST   /_sim/sdkfinance/faults {"kind", "operation", "count", "seconds", "status", "answer"} -> 201
    DELETE /_sim/sdkfinance/faults            -> clears every armed fault
    POST   /_sim/sdkfinance/users {"login", "password", "name"?, "otp_required"?,
                                   "coins": [{"currency", "amount", "name"?}]}  -> 201
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import InvalidOperation
from typing import Any, Protocol

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from kiosk.sim.faults import FaultPlan
from kiosk.sim.pipeline import fault_route, json_object, problem
from kiosk.sim.sdkfinance.books import Books, User


class WalletSimulator(Protocol):
    """What these endpoints need of the simulator (app.SdkFinanceSimulator, which imports this
    module: naming it here would make an import cycle)."""

    books: Books
    faults: FaultPlan

    def now(self) -> float: ...
    def info(self) -> dict[str, Any]: ...
    def pending_otp(self, login: str) -> str | None: ...
    def add_user(self, login: str, password: str, *, name: str = ..., otp_required: bool = ...,
                 coins: list[Mapping[str, Any]] | tuple[Mapping[str, Any], ...] = ...) -> User: ...


def routes(sim: WalletSimulator, prefix: str) -> list[Route]:
    async def info(request: Request) -> JSONResponse:
        return JSONResponse(sim.info())

    async def otp(request: Request) -> JSONResponse:
        login = request.query_params.get("login", "").strip()
        if not login:
            return problem(400, "the login query parameter is required")
        code = sim.pending_otp(login)
        if code is None:
            return problem(404, "no one-time password is pending for that login (sign in first)")
        user = sim.books.user_by_login(login)
        pending = sim.books.otp(user.login) if user is not None else sim.books.registration(login)
        expires_in = round(pending.expires_at - sim.now(), 3) if pending is not None else 0
        return JSONResponse({"login": login, "otp": code, "expires_in": expires_in})

    async def ledger(request: Request) -> JSONResponse:
        owners = {u.user_id: u.login for u in sim.books.users()}
        coins = [
            {"serial": c.serial, "owner": owners.get(c.user_id), "currency": c.currency, "amount": str(c.amount),
             "availableAmount": str(c.available), "heldAmount": str(c.held), "active": c.active}
            for c in sim.books.coins()
        ]
        requests = [
            {"requestIdentifier": r.request_id, "kind": r.kind, "status": r.status, "coinSerial": r.coin_serial,
             "owner": owners.get(r.user_id), "currency": r.currency, "amount": str(r.amount),
             "commission": str(r.commission), "totalAmount": str(r.total), "description": r.description,
             "createdAt": r.created_at, "processedAt": r.processed_at, "attempts": r.attempts}
            for r in sim.books.requests()
        ]
        return JSONResponse({"coins": coins, "requests": requests})

    async def users(request: Request) -> JSONResponse:
        document = await json_object(request)
        if document is None:
            return problem(400, "expected a JSON object")
        coins = document.get("coins", [])
        if not isinstance(coins, list) or not all(isinstance(c, dict) for c in coins):
            return problem(400, "coins must be a list of {currency, amount}")
        try:
            user = sim.add_user(
                str(document.get("login", "")), str(document.get("password", "")),
                name=str(document.get("name", "")), otp_required=bool(document.get("otp_required", False)),
                coins=coins,
            )
        except (ValueError, InvalidOperation, TypeError) as exc:
            return problem(400, str(exc) or "invalid user")
        made = sim.books.coins(user.user_id)
        return JSONResponse({
            "login": user.login,
            "coins": [{"serial": c.serial, "currency": c.currency, "amount": str(c.amount)} for c in made],
        }, status_code=201)

    return [
        Route(f"{prefix}/info", info, methods=["GET"]),
        Route(f"{prefix}/otp", otp, methods=["GET"]),
        Route(f"{prefix}/ledger", ledger, methods=["GET"]),
        fault_route(f"{prefix}/faults", sim.faults),
        Route(f"{prefix}/users", users, methods=["POST"]),
    ]

