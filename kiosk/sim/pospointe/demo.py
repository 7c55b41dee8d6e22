"""The POSPointe simulator's demo store and gift cards (public demo values, never real
credentials), apart from the simulator: `kiosk demo` configures the kiosk with them before
the simulators are imported. kiosk.sim.pospointe.simulator re-exports every name."""

from __future__ import annotations

BASE_PATH = ""  # the API lives at the root of its host

# Public demo values, never real credentials.
DEMO_USER = "kiosk-demo"
DEMO_PASSWORD = "giftcard-demo-2024"
DEMO_STORE_ID = "5150"
DEMO_FRANCHISEE_ID = "FR2718"
CURRENCY = "USD"

# Demo cards: fictitious numbers in a private-label range. Balances are decimal strings.
DEMO_CARDS: list[dict[str, str]] = [
    {"number": "7012340000001001", "security_code": "4821", "balance": "100.00", "status": "active",
     "currency": CURRENCY, "label": "active, 100.00"},
    {"number": "7012340000001019", "security_code": "7310", "balance": "250.00", "status": "active",
     "currency": CURRENCY, "label": "active, 250.00"},
    {"number": "7012340000001027", "security_code": "2694", "balance": "7.35", "status": "active",
     "currency": CURRENCY, "label": "low balance, for a partial redeem"},
    {"number": "7012340000001035", "security_code": "5057", "balance": "0.00", "status": "inactive",
     "currency": CURRENCY, "label": "unsold, for sellnewcard"},
    {"number": "7012340000001043", "security_code": "8146", "balance": "0.00", "status": "inactive",
     "currency": CURRENCY, "label": "unsold, for sellnewcard"},
    {"number": "7012340000001050", "security_code": "3390", "balance": "60.00", "status": "blocked",
     "currency": CURRENCY, "label": "blocked"},
]
