"""The POSPointe GiftCard Server: gift cards sold, reloaded and redeemed for cash. The client
(client.py), the answers and values (models.py), the error kinds (errors.py) and the card of
one visit with settling a lost answer (visit.py)."""

from kiosk.backends.pospointe.client import PosPointeClient, check_card
from kiosk.backends.pospointe.errors import (
    CardAlreadyActive,
    CardBlocked,
    CardLocked,
    CardNotActive,
    CardRejected,
    CardTokenRejected,
    LimitExceeded,
    classify_refusal,
)
from kiosk.backends.pospointe.models import (
    SUCCESS_CODE,
    TOKEN_LIFETIME,
    TOKEN_RENEW_AFTER,
    Batch,
    BatchLine,
    BatchTotals,
    CardBalance,
    CardLoad,
    CardToken,
    Redemption,
    StatusChange,
    mask_card,
    parse_answer,
)
from kiosk.backends.pospointe.visit import CardVisit, Settlement, redeem_delta, settle_unknown

_check_card = check_card  # the name tests/core/test_digits.py imports

__all__ = [
    "SUCCESS_CODE", "TOKEN_LIFETIME", "TOKEN_RENEW_AFTER", "Batch", "BatchLine", "BatchTotals", "CardAlreadyActive",
    "CardBalance", "CardBlocked", "CardLoad", "CardLocked", "CardNotActive", "CardRejected", "CardToken",
    "CardTokenRejected", "CardVisit", "LimitExceeded", "PosPointeClient", "Redemption", "Settlement", "StatusChange",
    "check_card", "classify_refusal", "mask_card", "parse_answer", "redeem_delta", "settle_unknown",
]
