"""The SDK.finance cloud wallet: cash top-ups and withdrawals as requests the cash point
accepts or declines. The client (client.py), the answers and values (models.py) and the error
kinds (errors.py)."""

from kiosk.backends.sdkfinance.client import SdkFinanceClient
from kiosk.backends.sdkfinance.errors import (
    AmountOutsideLimits,
    CustomerSignInExpired,
    RequestAlreadySettled,
    RequestNotFound,
    SignInRejected,
)
from kiosk.backends.sdkfinance.models import (
    Coin,
    OtpRequired,
    Quote,
    SignedIn,
    TransferRequest,
    mask_login,
    parse_expiry,
)

__all__ = [
    "AmountOutsideLimits", "Coin", "CustomerSignInExpired", "OtpRequired", "Quote", "RequestAlreadySettled",
    "RequestNotFound", "SdkFinanceClient", "SignInRejected", "SignedIn", "TransferRequest", "mask_login", "parse_expiry",
]
