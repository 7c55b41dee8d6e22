"""The wire side of the fault catalogue (kiosk.sim.faults), shared by every simulator.

Each simulator's request pipeline is its own (routing, authentication and the business rules
differ); once it has a request's fault, `answer_with_fault` plays it out the same way for all:

    slow -> before-apply faults -> the business rule -> after-apply faults

and what a failing host looks like on the wire is the same too: 502/503/504 are the load
balancer's HTML page (never the API's JSON), and a cut connection promises a body that never
arrives. Also here: the /faults control endpoint and the helpers the control endpoints share.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from kiosk.sim.faults import Fault, FaultPlan, fault_from_json

_GATEWAY_PAGE = "<html><head><title>{code}</title></head><body><center><h1>{code} {reason}</h1></center></body></html>"
_GATEWAY_REASONS = {502: "Bad Gateway", 503: "Service Temporarily Unavailable", 504: "Gateway Time-out"}


class CutConnection:
    """An ASGI response that sends headers and the start of a body, then stops.

    The server closes the connection when the app returns mid-body, so the client gets a
    status line that promises more than arrives: a transport error, never a clean answer.
    `start` is the first bytes of what the API's answer would be.
    """

    def __init__(self, start: bytes, content_type: bytes = b"application/json", content_length: int = 4096) -> None:
        self.start = start
        self.content_type = content_type
        self.content_length = content_length

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", self.content_type), (b"content-length", str(self.content_length).encode())],
        })
        await send({"type": "http.response.body", "body": self.start, "more_body": True})


def server_error(status: int, api_error: Callable[[int], Response]) -> Response:
    """A 5xx answer: 502/503/504 come from the load balancer in front of the API (an HTML
    page, not the API's JSON); any other status from the API itself, in its own error shape
    (`api_error`)."""
    if status in _GATEWAY_REASONS:
        page = _GATEWAY_PAGE.format(code=status, reason=_GATEWAY_REASONS[status])
        return Response(page, status_code=status, media_type="text/html")
    return api_error(status)


async def answer_with_fault(
    fault: Fault | None,
    apply: Callable[[], Any],
    *,
    api_error: Callable[[int], Response],
    cut: CutConnection,
) -> Any:
    """The answer to a request that `fault` (None: no fault) sabotages.

    `apply` runs the business rule and returns the normal answer; it is not called at all when
    a before-apply fault stops the request (unless a timeout_before_apply answers late).
    """
    if fault is not None and fault.kind == "slow":
        await asyncio.sleep(fault.seconds)
    if fault is not None and fault.before_apply:
        if fault.kind == "error_before_apply":
            return server_error(fault.status, api_error)
        if fault.kind == "drop_before_apply":
            return cut
        await asyncio.sleep(fault.seconds)  # timeout_before_apply
        if not fault.answer:
            return cut

    answer = apply()

    if fault is not None and not fault.before_apply:
        if fault.kind == "error_after_apply":
            return server_error(fault.status, api_error)
        if fault.kind == "drop_after_apply":
            return cut
        if fault.kind == "timeout_after_apply":
            await asyncio.sleep(fault.seconds)
            if not fault.answer:
                return cut
    return answer


# -- control endpoints (no authentication: a simulator listens on loopback) -------------------


def problem(status: int, message: str) -> JSONResponse:
    """A control endpoint's refusal: plain JSON, since no API client ever calls these."""
    return JSONResponse({"error": message}, status_code=status)


async def json_object(request: Request) -> dict[str, Any] | None:
    """The request's JSON object, or None if the body is not one."""
    try:
        document = json.loads(await request.body() or b"null")
    except ValueError:
        return None
    return document if isinstance(document, dict) else None


def fault_route(path: str, faults: FaultPlan) -> Route:
    """The fault switchboard over HTTP, for faults of the plan's own operations:

    GET    {path}   -> {"faults": [...]} still armed
    POST   {path}   {"kind", "operation", "count", "seconds", "status", "answer"} -> 201
    DELETE {path}   -> clears every armed fault
    """

    async def endpoint(request: Request) -> JSONResponse:
        if request.method == "DELETE":
            faults.clear()
            return JSONResponse({"faults": []})
        if request.method == "POST":
            document = await json_object(request)
            if document is None:
                return problem(400, "expected a JSON object")
            try:
                fault = fault_from_json(document, faults.operations)
            except ValueError as exc:
                return problem(400, str(exc))
            faults.arm(fault)
            return JSONResponse({"armed": fault.to_dict(), "faults": [f.to_dict() for f in faults.pending()]},
                                status_code=201)
        return JSONResponse({"faults": [f.to_dict() for f in faults.pending()]})

    return Route(path, endpoint, methods=["GET", "POST", "DELETE"])
