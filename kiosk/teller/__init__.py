"""The cashier's journey without any UI: visits, their journal rows, recovery.

Names are loaded on first use (PEP 562), so that `kiosk.teller.visit` (which the desks and the
recovery engine import) does not pull in the whole till and its recovery with it."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kiosk.teller.teller import DeviceHealth, Teller, check_otp, check_phone, mask_phone
    from kiosk.teller.visit import Stage, TellerError, Visit, VisitKind

_HOMES = {
    "DeviceHealth": "kiosk.teller.teller", "Teller": "kiosk.teller.teller", "check_otp": "kiosk.teller.teller",
    "check_phone": "kiosk.teller.teller", "mask_phone": "kiosk.teller.teller",
    "Stage": "kiosk.teller.visit", "TellerError": "kiosk.teller.visit", "Visit": "kiosk.teller.visit",
    "VisitKind": "kiosk.teller.visit",
}

__all__ = sorted(_HOMES)


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'kiosk.teller' has no attribute {name!r}")
    return getattr(import_module(_HOMES[name]), name)
