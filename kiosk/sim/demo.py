"""The Rapyd simulator's demo merchant and customers (public demo values, never real
credentials), apart from the simulator itself: `kiosk demo` configures the kiosk with them
before the simulators (starlette, uvicorn) are imported, so they do not delay its first
screen. kiosk.sim.rapyd re-exports every name."""

from __future__ import annotations

from decimal import Decimal

# The access key is the one Rapyd's own workflow example uses (seed 001); the secret has the
# form of a POS API secret (hex). Both are public demo values, never real credentials.
DEMO_ACCESS_KEY = "8C6223151345345D"
DEMO_SECRET_KEY = "5e1f8a3c9b2d47e6a0c4f7b19d3e8a2c6f0b5d4e7a1c9f3b2e8d6a0c4f7b1e9d"
DEMO_POS_ID = "ac409157-0e14-11e7-8115-0ef1982c1e4a"  # seed 000's example
SECOND_POS_ID = "3c7d2f90-5a1e-11e7-9e1b-0ef1982c1e4a"  # another till of the same merchant
DEMO_POS_IDS = (DEMO_POS_ID, SECOND_POS_ID)

# Demo customers: phone -> {currency: balance}. +14155559992 is seed 001's customer (GBP 189).
# Other numbers are from ranges reserved for fiction (555-01xx, UK 07700 900xxx).
DEMO_WALLETS: dict[str, dict[str, Decimal]] = {
    "+14155559992": {"GBP": Decimal("189.00")},
    "+447700900123": {"GBP": Decimal("955.00"), "EUR": Decimal("250.00")},
    "+12025550143": {"EUR": Decimal("1500.00"), "USD": Decimal("2750.50")},
    "+447700900456": {"EUR": Decimal("0.00")},
    "+12025550188": {"JPY": Decimal("50000"), "USD": Decimal("42.10")},
}
DEMO_NAMES: dict[str, str] = {
    "+14155559992": "Jane Smith",
    "+447700900123": "Oliver Brown",
    "+12025550143": "Maria Garcia",
    "+447700900456": "Amelia Jones (empty wallet)",
    "+12025550188": "Kenji Sato",
}
