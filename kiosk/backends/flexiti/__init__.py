"""The Flexiti POS API v2.5 (in-store consumer financing): verify a customer, look them up,
take a payment or a deposit. The client (client.py), the answers and values (models.py) and
the error kinds with which refusal is which (errors.py)."""

from kiosk.backends.flexiti.client import (
    DEFAULT_BASE_PATH,
    TRANSACTION_KINDS,
    VERIFY_FORMATS,
    FlexitiClient,
    TransactionKind,
    VerifyFormat,
    check_account,
    redact_url,
)
from kiosk.backends.flexiti.errors import (
    MAX_TRIES,
    AccountOnHold,
    BypassNotAllowed,
    CustomerNotFound,
    InvalidRequest,
    NoContactOnFile,
    NotEnoughCredit,
    NotVerified,
    OverrideNotAllowed,
    PaymentLimitExceeded,
    TriesExceeded,
    UserNotActive,
    WrongSecurityAnswer,
    WrongVerificationCode,
)
from kiosk.backends.flexiti.models import (
    CURRENCY,
    CustomerAccount,
    Flow,
    LicenceHolder,
    LicenceLookup,
    SecurityQuestion,
    TransactionResult,
    Verification,
)

_check_account = check_account  # the name tests/core/test_digits.py imports

__all__ = [
    "CURRENCY", "DEFAULT_BASE_PATH", "MAX_TRIES", "TRANSACTION_KINDS", "VERIFY_FORMATS", "AccountOnHold",
    "BypassNotAllowed", "CustomerAccount", "CustomerNotFound", "FlexitiClient", "Flow", "InvalidRequest",
    "LicenceHolder", "LicenceLookup", "NoContactOnFile", "NotEnoughCredit", "NotVerified", "OverrideNotAllowed",
    "PaymentLimitExceeded", "SecurityQuestion", "TransactionKind", "TransactionResult", "TriesExceeded",
    "UserNotActive", "Verification", "VerifyFormat", "WrongSecurityAnswer", "WrongVerificationCode", "check_account",
    "redact_url",
]
