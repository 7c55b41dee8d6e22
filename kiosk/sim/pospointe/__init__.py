"""The POSPointe GiftCard Server simulator (seed 003; REFERENCE §2), written from the
specification alone (never from kiosk.backends).

simulator.py  PosPointeSimulator: the API as an ASGI app, the in-process API, control endpoints
books.py      the persistent books (SQLite, WAL, synchronous=FULL)
codes.py      the status-code table

    from kiosk.sim.pospointe import PosPointeSimulator, PATH_PREFIXES
    sim = PosPointeSimulator(Path("pospointe.sqlite"))
    # serve sim.app for every path starting with one of PATH_PREFIXES
"""

from __future__ import annotations

from kiosk.sim.lazy import lazy_exports

# Each name's module, imported on first use: the demo's values (demo.py) without the
# simulator (starlette), which `kiosk demo` starts only once its first screen is drawn.
_WHERE = {
    "BASE_PATH": "demo",
    "CONTROL_PREFIX": "simulator",
    "CURRENCY": "demo",
    "DEMO_CARDS": "demo",
    "DEMO_FRANCHISEE_ID": "demo",
    "DEMO_PASSWORD": "demo",
    "DEMO_STORE_ID": "demo",
    "DEMO_USER": "demo",
    "LOCKOUT_ATTEMPTS": "simulator",
    "LOCKOUT_SECONDS": "simulator",
    "MAGIC_AMOUNTS": "simulator",
    "MAX_BALANCE": "simulator",
    "MAX_LOAD": "simulator",
    "MIN_LOAD": "simulator",
    "OPERATIONS": "simulator",
    "PATH_PREFIXES": "simulator",
    "PosPointeSimulator": "simulator",
    "TOKEN_SECONDS": "simulator",
}

__getattr__ = lazy_exports(__name__, _WHERE)


__all__ = [
    "BASE_PATH",
    "CONTROL_PREFIX",
    "CURRENCY",
    "DEMO_CARDS",
    "DEMO_FRANCHISEE_ID",
    "DEMO_PASSWORD",
    "DEMO_STORE_ID",
    "DEMO_USER",
    "LOCKOUT_ATTEMPTS",
    "LOCKOUT_SECONDS",
    "MAGIC_AMOUNTS",
    "MAX_BALANCE",
    "MAX_LOAD",
    "MIN_LOAD",
    "OPERATIONS",
    "PATH_PREFIXES",
    "TOKEN_SECONDS",
    "PosPointeSimulator",
]
