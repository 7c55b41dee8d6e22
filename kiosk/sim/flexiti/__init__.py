"""The Flexiti POS API v2.5 simulator (in-store verification, look-ups, payments and deposits).

simulator.py  FlexitiSimulator: the ASGI app, OAuth, the request pipeline, control endpoints
rules.py      verification, tries lockout, look-ups, transactions and their limits
books.py      the persistent books (SQLite, WAL, synchronous=FULL)
licence.py    driver's licence (AAMVA / PDF417 text) decoding
demo.py       the demo merchant and customers
"""

from __future__ import annotations

from kiosk.sim.lazy import lazy_exports

# Each name's module, imported on first use: the demo's values (demo.py) without the
# simulator (starlette), which `kiosk demo` starts only once its first screen is drawn.
_WHERE = {
    "BASE_PATH": "demo",
    "CONTROL_PATH": "simulator",
    "CURRENCY": "demo",
    "DEMO_CLIENT_ID": "demo",
    "DEMO_CLIENT_SECRET": "demo",
    "DEMO_CUSTOMERS": "demo",
    "DEMO_LOCATION_ID": "demo",
    "DemoCustomer": "demo",
    "FAULT_OPERATIONS": "simulator",
    "FlexitiSimulator": "simulator",
    "MAGIC_AMOUNTS": "simulator",
    "PATH_PREFIXES": "simulator",
    "SECURITY_QUESTIONS": "demo",
    "make_flexiti_fault": "simulator",
}

__getattr__ = lazy_exports(__name__, _WHERE)


__all__ = [
    "BASE_PATH",
    "CONTROL_PATH",
    "CURRENCY",
    "DEMO_CLIENT_ID",
    "DEMO_CLIENT_SECRET",
    "DEMO_CUSTOMERS",
    "DEMO_LOCATION_ID",
    "FAULT_OPERATIONS",
    "MAGIC_AMOUNTS",
    "PATH_PREFIXES",
    "SECURITY_QUESTIONS",
    "DemoCustomer",
    "FlexitiSimulator",
    "make_flexiti_fault",
]
