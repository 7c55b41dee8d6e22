"""The cashier's journey without any UI: visits, their journal rows, recovery."""

from kiosk.teller.teller import DeviceHealth, Teller, check_otp, check_phone, mask_phone
from kiosk.teller.visit import Stage, TellerError, Visit, VisitKind

__all__ = ["DeviceHealth", "Stage", "Teller", "TellerError", "Visit", "VisitKind", "check_otp", "check_phone", "mask_phone"]
