"""Serving a simulator's ASGI app over real HTTP with uvicorn.

    serve(app, host="127.0.0.1", port=8700)          # foreground; Ctrl-C stops it cleanly
    handle = start_in_thread(app, port=0)            # background; handle.url, handle.stop()

Quiet by default: no access log, and in a thread nothing at all reaches stderr, because the
kiosk's full-screen UI draws on stderr (the demo runs the simulator in-process).
"""

from __future__ import annotations

import socket
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import uvicorn

_STARTUP_TIMEOUT = 10.0


def _log_config(level: str, log_file: Path | None, to_stderr: bool) -> dict[str, Any]:
    """Routes uvicorn's loggers to a file, to stderr, or nowhere (they never propagate)."""
    if log_file is not None:
        handler: dict[str, Any] = {"class": "logging.FileHandler", "filename": str(log_file), "formatter": "plain"}
    elif to_stderr:
        handler = {"class": "logging.StreamHandler", "stream": "ext://sys.stderr", "formatter": "plain"}
    else:
        handler = {"class": "logging.NullHandler"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"plain": {"format": "%(asctime)s %(name)s %(levelname)s %(message)s"}},
        "handlers": {"sim": handler},
        "loggers": {
            "uvicorn": {"handlers": ["sim"], "level": level.upper(), "propagate": False},
            "uvicorn.error": {"level": level.upper()},
            "uvicorn.access": {"handlers": ["sim"], "level": level.upper(), "propagate": False},
        },
    }


def _uvicorn() -> ModuleType:
    """uvicorn, imported here (`listen()` alone must not cost it: kiosk demo's start) and
    without its command-line program: `import uvicorn` also imports `uvicorn.main` (click, and
    multiprocessing for its worker supervisors), about 1.5 MiB and 15 ms of the demo's
    simulators, while only `Config` and `Server` serve here. A stand-in takes `uvicorn.main`'s
    place when nothing has imported uvicorn yet; its `Server` is uvicorn's own."""
    if "uvicorn" not in sys.modules and "uvicorn.main" not in sys.modules:
        stand_in = ModuleType("uvicorn.main", "uvicorn's command line, not loaded by the kiosk (kiosk/sim/server.py).")

        def _not_here(*args: object, **kwargs: object) -> None:
            raise RuntimeError("uvicorn's command line is not loaded in the kiosk's processes: use `kiosk sim`.")

        def _server(name: str) -> Any:
            if name != "Server":
                raise AttributeError(f"module 'uvicorn.main' has no attribute {name!r}")
            from uvicorn.server import Server

            return Server

        stand_in.main = stand_in.run = _not_here  # type: ignore[attr-defined]
        stand_in.__getattr__ = _server  # type: ignore[method-assign]  # PEP 562: Server once uvicorn.config is in
        sys.modules["uvicorn.main"] = stand_in
    import uvicorn

    return uvicorn


def _config(app: Any, log_level: str, log_file: Path | None, to_stderr: bool, **extra: Any) -> uvicorn.Config:
    uvicorn = _uvicorn()
    return uvicorn.Config(
        app,
        log_config=_log_config(log_level, log_file, to_stderr),
        log_level=log_level,
        access_log=False,
        lifespan="off",
        # A fault that hangs a request must not hold a shutdown for long.
        timeout_graceful_shutdown=1,
        **extra,
    )


def serve(
    app: Any,
    host: str = "127.0.0.1",
    port: int = 8700,
    *,
    log_level: str = "warning",
    log_file: Path | None = None,
) -> None:
    """Serve in the foreground until Ctrl-C / SIGTERM (uvicorn handles both gracefully)."""
    uvicorn = _uvicorn()
    server = uvicorn.Server(_config(app, log_level, log_file, to_stderr=True, host=host, port=port))
    try:
        server.run()
    except KeyboardInterrupt:  # a second Ctrl-C during shutdown: leave without a traceback
        pass


@dataclass
class ServerHandle:
    """A server running in a daemon thread; `url` has no trailing slash."""

    url: str
    host: str
    port: int
    _server: uvicorn.Server = field(repr=False)
    _thread: threading.Thread = field(repr=False)

    @property
    def thread_ident(self) -> int | None:
        """The serving thread's ident: log records it emits carry it (`LogRecord.thread`)."""
        return self._thread.ident

    def stop(self, timeout: float = 5.0) -> None:
        self._server.should_exit = True
        self._thread.join(timeout)
        if self._thread.is_alive():  # requests still hanging in a fault: stop waiting for them
            self._server.force_exit = True
            self._thread.join(timeout)

    def __enter__(self) -> ServerHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def listen(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    """A listening TCP socket on host:port (0: any free port). Connections made to it queue
    in the kernel until a server is started on it."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on accepted sockets whose proto
    # says TCP, and without it every keep-alive answer waits ~40 ms for a delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def start_in_thread(
    app: Any,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    log_level: str = "warning",
    log_file: Path | None = None,
    listening: socket.socket | None = None,
) -> ServerHandle:
    """Start serving in a background thread and return once it accepts connections.

    The socket is bound here, before the thread starts, so port 0 (any free port) works and
    the URL is known; a bind error is raised to the caller rather than lost in the thread.
    `listening`: a socket from `listen()` to serve on instead (its URL was known earlier).
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = listening if listening is not None else listen(host, port)
    bound_port = sock.getsockname()[1]
    server = _uvicorn().Server(_config(app, log_level, log_file, to_stderr=False))

    def run() -> None:
        try:
            server.run(sockets=[sock])
        finally:
            sock.close()

    thread = threading.Thread(target=run, name=f"sim-server-{bound_port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + _STARTUP_TIMEOUT
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError(f"the simulator server on {host}:{bound_port} did not start")
        time.sleep(0.01)
    shown = f"[{host}]" if family == socket.AF_INET6 else host
    _wait_accepting(host, bound_port, deadline)
    return ServerHandle(f"http://{shown}:{bound_port}", host, bound_port, server, thread)


def _wait_accepting(host: str, port: int, deadline: float) -> None:
    while True:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"the simulator server on {host}:{port} does not accept connections") from None
            time.sleep(0.01)

