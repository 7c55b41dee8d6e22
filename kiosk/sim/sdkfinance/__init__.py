"""A faithful simulator of the SDK.finance cloud-wallet API (seed 002, REFERENCE §2).

app.py         SdkFinanceSimulator: the /api/v1 pipeline, demo people, fees, limits, faults
rules.py       the platform's rules: sign-in with OTP_SENT, tokens, coins, requests; the error table
admin.py       the administrator's set-up: currencies, issuers, banks, organisations, users
onboarding.py  self-registration with a one-time code
transfers.py   account validation, smart cards, transfers from saved templates
books.py       the persistent books (SQLite, WAL, synchronous=FULL)
control.py     the /_sim/sdkfinance/ endpoints

Written from the specification alone: nothing here comes from kiosk.backends.
"""

from kiosk.sim.sdkfinance.app import (
    BASE_PATH,
    CONTROL_PATH,
    DEFAULT_COMMISSIONS,
    DEFAULT_LIMITS,
    DEMO_ADMIN,
    DEMO_BANKS,
    DEMO_CASHPOINT,
    DEMO_USERS,
    MAGIC_AMOUNTS,
    OPERATIONS,
    PATH_PREFIXES,
    SdkFinanceSimulator,
    demo_coin_serial,
)
from kiosk.sim.sdkfinance.rules import ApiError, Fee, Limit

__all__ = [
    "BASE_PATH",
    "CONTROL_PATH",
    "DEFAULT_COMMISSIONS",
    "DEFAULT_LIMITS",
    "DEMO_ADMIN",
    "DEMO_BANKS",
    "DEMO_CASHPOINT",
    "DEMO_USERS",
    "MAGIC_AMOUNTS",
    "OPERATIONS",
    "PATH_PREFIXES",
    "ApiError",
    "Fee",
    "Limit",
    "SdkFinanceSimulator",
    "demo_coin_serial",
]
