"""Raw HTTP/1.1 on a socket, for what an HTTP client library will not do: declare a body that
never comes, or send chunks of a body and never finish it.

A simulator that answers these at all has answered without reading the whole body: had it
waited for the body, the read below would time out and the test fail.
"""

from __future__ import annotations

import json
import socket
from typing import Any
from urllib.parse import urlsplit

MIB = 1024 * 1024


def _connect(url: str) -> tuple[socket.socket, str]:
    parts = urlsplit(url)
    assert parts.hostname is not None and parts.port is not None
    return socket.create_connection((parts.hostname, parts.port), timeout=10), f"{parts.hostname}:{parts.port}"


def _head(method: str, path: str, host: str, headers: dict[str, str]) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", "Content-Type: application/json"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _answer(sock: socket.socket) -> tuple[int, bytes]:
    """The status and body of the response (Content-Length framed), read to its end."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"the connection closed before a response: {data!r}"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = next(
        (int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")[1:] if line.lower().startswith(b"content-length:")),
        0,
    )
    while len(body) < length:
        chunk = sock.recv(65536)
        assert chunk, "the connection closed inside the response body"
        body += chunk
    return status, body[:length]


def declared_only(url: str, method: str, path: str, length: int, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    """Send only the request head, declaring a body of `length` bytes that is never sent."""
    sock, host = _connect(url)
    with sock:
        sock.sendall(_head(method, path, host, {**(headers or {}), "Content-Length": str(length)}))
        status, body = _answer(sock)
    return status, json.loads(body)


def unfinished_chunks(url: str, method: str, path: str, total: int, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    """Send `total` bytes of a chunked body in 16 KiB chunks, never the final empty chunk."""
    sock, host = _connect(url)
    with sock:
        sock.sendall(_head(method, path, host, {**(headers or {}), "Transfer-Encoding": "chunked"}))
        sent = 0
        try:
            while sent < total:
                size = min(16384, total - sent)
                sock.sendall(b"%x\r\n" % size + b"z" * size + b"\r\n")
                sent += size
        except OSError:  # the server answered and closed while we were still sending
            pass
        status, body = _answer(sock)
    return status, json.loads(body)


def chunked_body(total: int, chunk: int = 65536):
    """A body without a Content-Length (httpx sends a generator chunked)."""
    sent = 0
    while sent < total:
        size = min(chunk, total - sent)
        yield b" " * size
        sent += size
