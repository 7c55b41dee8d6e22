"""Request bodies over a size limit: refused with HTTP 413 before they are read into memory.

None of the four specifications (seeds 000-004, REFERENCE.md) documents a maximum request size,
so the simulators choose one, as the gateway in front of a real API would: MAX_BODY_BYTES,
1 MiB (1,048,576 bytes), the default request-body limit of nginx (`client_max_body_size 1m`).
Every request these APIs document is a small JSON or form document (a licence scan, the
largest, is a few kilobytes), so 1 MiB refuses nothing a client legitimately sends. Each
simulator takes `max_body_bytes=` and `kiosk sim --max-body-bytes N` sets it for all four.

How, for every request of a simulator's app (API and control paths alike):
- a Content-Length above the limit is refused at once, without reading a byte of the body;
- a body without one (chunked) is read chunk by chunk, counting, and refused as soon as the
  count passes the limit: at most `limit` bytes plus one chunk are ever held;
- a body within the limit is handed to the app whole, exactly as received.

The refusal is the API's own error document (each simulator passes its `refusal`), HTTP 413,
with `Connection: close`: the server closes the connection instead of reading and discarding
the rest of the body (which it would otherwise do to keep the connection alive: 50 MB would
cost the server most of a second, an endless chunked body forever).
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_BODY_BYTES = 1024 * 1024


def declared_length(scope: Scope) -> int | None:
    """The request's Content-Length, or None when it has none (the server already refused a
    malformed one)."""
    for name, value in scope.get("headers", ()):
        if name.lower() == b"content-length" and value.strip().isdigit():
            return int(value)
    return None


class BodyLimit:
    """ASGI middleware: bodies over `limit` bytes get `refusal(scope)`, never the app."""

    def __init__(self, app: ASGIApp, limit: int, refusal: Callable[[Scope], Response]) -> None:
        if limit < 0:
            raise ValueError("the body limit must not be negative")
        self.app = app
        self.limit = limit
        self.refusal = refusal

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = declared_length(scope)
        if declared is not None and declared > self.limit:
            await self._refuse(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the client is gone: there is no one to answer
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                await self._refuse(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        await self.app(scope, _replay(b"".join(chunks), receive), send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = self.refusal(scope)
        response.headers["connection"] = "close"
        await response(scope, receive, send)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive channel that gives the app the whole body once, then the server's own (which
    reports a disconnect)."""
    delivered = False

    async def replayed() -> Message:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed
