"""The Flexiti POS API v2.5 simulator (in-store verification, look-ups, payments and deposits).

simulator.py  FlexitiSimulator: the ASGI app, OAuth, the request pipeline, control endpoints
rules.py      verification, tries lockout, look-ups, transactions and their limits
books.py      the persistent books (SQLite, WAL, synchronous=FULL)
licence.py    driver's licence (AAMVA / PDF417 text) decoding
demo.py       the demo merchant and customers
"""

from kiosk.sim.flexiti.demo import (
    CURRENCY,
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_CUSTOMERS,
    DEMO_LOCATION_ID,
    SECURITY_QUESTIONS,
    DemoCustomer,
)
from kiosk.sim.flexiti.simulator import (
    BASE_PATH,
    CONTROL_PATH,
    FAULT_OPERATIONS,
    MAGIC_AMOUNTS,
    PATH_PREFIXES,
    FlexitiSimulator,
    make_flexiti_fault,
)

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
