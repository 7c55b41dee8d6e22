"""The POSPointe GiftCard Server simulator (seed 003; REFERENCE §2), written from the
specification alone (never from kiosk.backends).

simulator.py  PosPointeSimulator: the API as an ASGI app, the in-process API, control endpoints
books.py      the persistent books (SQLite, WAL, synchronous=FULL)
codes.py      the status-code table

    from kiosk.sim.pospointe import PosPointeSimulator, PATH_PREFIXES
    sim = PosPointeSimulator(Path("pospointe.sqlite"))
    # serve sim.app for every path starting with one of PATH_PREFIXES
"""

from kiosk.sim.pospointe.simulator import (
    BASE_PATH,
    CONTROL_PREFIX,
    CURRENCY,
    DEMO_CARDS,
    DEMO_FRANCHISEE_ID,
    DEMO_PASSWORD,
    DEMO_STORE_ID,
    DEMO_USER,
    LOCKOUT_ATTEMPTS,
    LOCKOUT_SECONDS,
    MAGIC_AMOUNTS,
    MAX_BALANCE,
    MAX_LOAD,
    MIN_LOAD,
    OPERATIONS,
    PATH_PREFIXES,
    TOKEN_SECONDS,
    PosPointeSimulator,
)

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
