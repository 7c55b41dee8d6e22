"""The Rapyd POS API, the kiosk's primary wallet back end: the client (client.py), the
answers' shapes (models.py) and which error kind a refusal is (errors.py)."""

from kiosk.backends.rapyd.client import RapydClient, mask_phone, redact_url
from kiosk.backends.rapyd.errors import classify_refusal
from kiosk.backends.rapyd.models import Envelope, HostAccount, HostStatus, LoginData, MoneyData, parse_envelope

__all__ = [
    "Envelope", "HostAccount", "HostStatus", "LoginData", "MoneyData", "RapydClient", "classify_refusal",
    "mask_phone", "parse_envelope", "redact_url",
]
