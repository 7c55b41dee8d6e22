"""The SDK.finance simulator's demo cash point and people (public demo values, never real
credentials), apart from the simulator: `kiosk demo` configures the kiosk with them before
the simulators are imported. kiosk.sim.sdkfinance.app re-exports every name."""

from __future__ import annotations

from typing import Any

BASE_PATH = "/api/v1"

# Demo people. Logins are from ranges reserved for fiction (example.com, UK 07700 900xxx).
# Passwords follow the platform's rule (upper, lower, digit, special, 8+). Public demo values.
DEMO_CASHPOINT: dict[str, str] = {
    "login": "cashpoint@demo-store.example.com",
    "password": "Till#2024store",
    "name": "Demo Store cash point",
    "organization": "Demo Store Ltd",
}
# The platform operator's administrator, a member of the system organisation: the set-up calls
# (currencies, issuers, banks, organisations, users) are theirs alone.
DEMO_ADMIN: dict[str, str] = {
    "login": "admin@demo-platform.example.com",
    "password": "Admin#2024platform",
    "name": "Demo platform administrator",
}
DEMO_USERS: tuple[dict[str, Any], ...] = (
    {
        "login": "anna.kowalska@example.com",
        "password": "Wallet#2024a",
        "name": "Anna Kowalska",
        "otp": False,
        "coins": [
            {"currency": "EUR", "amount": "420.00", "name": "Main EUR", "main": True},
            {"currency": "USD", "amount": "75.50", "name": "Travel USD"},
        ],
    },
    {
        "login": "+447700900777",
        "password": "Wallet#2024b",
        "name": "Tom Baker (two-factor sign-in)",
        "otp": True,
        "coins": [
            {"currency": "GBP", "amount": "300.00", "name": "Main GBP", "main": True},
            {"currency": "EUR", "amount": "25.00", "name": "Holiday EUR"},
        ],
    },
    {
        "login": "lena.fischer@example.com",
        "password": "Wallet#2024c",
        "name": "Lena Fischer (empty wallet)",
        "otp": False,
        "coins": [{"currency": "EUR", "amount": "0.00", "name": "Main EUR", "main": True}],
    },
    {
        "login": "raj.patel@example.com",
        "password": "Wallet#2024d",
        "name": "Raj Patel (one coin blocked)",
        "otp": False,
        "coins": [
            {"currency": "USD", "amount": "1200.00", "name": "Main USD", "main": True},
            {"currency": "EUR", "amount": "50.00", "name": "Blocked EUR", "active": False},
        ],
    },
)
