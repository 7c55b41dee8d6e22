"""Which error kind a Rapyd refusal is. Rapyd documents only a few of its error codes, so OTP,
funds and session refusals are recognised from the code *and* the message by keywords; the raw
code is kept in `.host_code`."""

from __future__ import annotations

import re
from typing import Literal

from kiosk.backends.base import (
    AuthenticationFailed,
    BackendError,
    BusinessError,
    HostUnreachable,
    InsufficientFunds,
    OtpRejected,
    OutcomeUnknown,
    SessionRejected,
)
from kiosk.backends.wire import words as _words

Call = Literal["echo", "login", "deposit", "withdraw", "reversal", "logout"]

WHAT: dict[str, str] = {
    "echo": "health check",
    "login": "session opening",
    "deposit": "deposit",
    "withdraw": "withdrawal",
    "reversal": "withdrawal reversal",
    "logout": "session closing",
}

_AUTH_CODES = {"UNAUTHENTICATED_API_CALL", "UNAUTHORIZED_API_CALL", "MISSING_AUTHENTICATION_HEADERS"}
_OTP_WORDS = re.compile(r" (OTP|TOTP|PASSCODE|ONE ?TIME (PASS ?WORD|PASS ?CODE|CODE|PIN)) ")
# On Open Session a bad "code" can only be the OTP (but not a country, currency or postal code).
_NOT_OTP = r"(?<!COUNTRY )(?<!CURRENCY )(?<!AREA )(?<!POSTAL )(?<!ZIP )(?<!ERROR )"
_BAD_CODE = re.compile(
    rf" (INVALID|WRONG|INCORRECT|EXPIRED|USED|BAD|UNKNOWN) (\w+ )?{_NOT_OTP}CODE "
    rf"| {_NOT_OTP}CODE( \w+){{0,2}} (INVALID|WRONG|INCORRECT|EXPIRED|USED|MISMATCH|NOT VALID|NOT FOUND) "
)
_FUNDS_WORDS = re.compile(
    r" (INSUFFICIENT|NOT ENOUGH|NOT SUFFICIENT)( \w+)? (FUNDS?|BALANCE|MONEY|AMOUNT) "
    r"| (FUNDS?|BALANCE)( \w+){0,2} (INSUFFICIENT|NOT ENOUGH|NOT SUFFICIENT|TOO LOW) "
    r"| EXCEEDS?( \w+){0,2} BALANCE | NSF | (LOW|NEGATIVE) BALANCE | NO (FUNDS|BALANCE) | OVERDRA(FT|WN) "
)
# A POS id the host does not know is the terminal's configuration, not the customer's doing.
_POS_WORDS = re.compile(r" (INVALID|UNKNOWN|WRONG) POS | POS ID( \w+){0,2} (INVALID|UNKNOWN|NOT FOUND|NOT VALID) ")
_SESSION_WORDS = re.compile(
    r" (SESSION|TOKEN|TOKEN ID|TOKENID|OPERATION ID|OPERATIONID|LOGGED OUT|NOT LOGGED IN|LOGIN REQUIRED) "
)


def names_pos(code: str) -> bool:
    """Whether a host error code says the POS id is unknown or wrong."""
    return bool(_POS_WORDS.search(_words(code)))


def classify_refusal(call: Call, http_status: int, code: str, message: str) -> type[BackendError]:
    """The error kind for a host's explicit refusal (an ERROR envelope or a 4xx)."""
    text = _words(f"{code} {message}")
    if code.strip().upper() in _AUTH_CODES or names_pos(code):
        return AuthenticationFailed
    if call == "login" and (_OTP_WORDS.search(text) or _BAD_CODE.search(text)):
        return OtpRejected
    # Only a withdrawal can lack funds; "exceeds max balance" on a deposit is a limit.
    if call == "withdraw" and _FUNDS_WORDS.search(text):
        return InsufficientFunds
    if _SESSION_WORDS.search(text):
        return SessionRejected
    if _OTP_WORDS.search(text):
        return OtpRejected
    if http_status == 401:
        return AuthenticationFailed
    return BusinessError


def no_answer(call: str, message: str, *, host_code: str = "") -> BackendError:
    """Sent, but no usable answer: what that means depends on the call."""
    if call == "echo":  # echo moves nothing: for it this is only "unreachable"
        return HostUnreachable(message, host_code=host_code)
    if call == "login":
        return OutcomeUnknown(
            f"{message} A session may have been opened on the host; that is harmless (it expires "
            "unused). Try again, or ask the customer for a new code if this one has run out.",
            host_code=host_code,
        )
    return OutcomeUnknown(f"{message} It may have been applied.", host_code=host_code)
