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

from __future__ import annotations

from kiosk.sim.lazy import lazy_exports

# Each name's module, imported on first use: the demo's values (demo.py) without the
# simulator (starlette), which `kiosk demo` starts only once its first screen is drawn.
_WHERE = {
    "ApiError": "rules",
    "BASE_PATH": "demo",
    "CONTROL_PATH": "app",
    "DEFAULT_COMMISSIONS": "app",
    "DEFAULT_LIMITS": "app",
    "DEMO_ADMIN": "demo",
    "DEMO_BANKS": "app",
    "DEMO_CASHPOINT": "demo",
    "DEMO_USERS": "demo",
    "Fee": "rules",
    "Limit": "rules",
    "MAGIC_AMOUNTS": "app",
    "OPERATIONS": "app",
    "PATH_PREFIXES": "app",
    "SdkFinanceSimulator": "app",
    "demo_coin_serial": "app",
}

__getattr__ = lazy_exports(__name__, _WHERE)


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
