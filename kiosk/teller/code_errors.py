"""Why a customer's code did not open a session, as precisely as the back end says: a wrong
code, a code that expired on the way, a code already used, or a phone the wallet does not know.

Each gets its own TellerError code and words, so the cashier asks for the right thing and the
screen puts the cursor in the field that was wrong (the phone for an unknown phone). The back
end's own error code (`host_code`) decides; a refusal it does not name keeps the general words.
"""

from __future__ import annotations

import re

from kiosk.backends.base import BackendError, BusinessError, OtpRejected
from kiosk.teller.visit import TellerError

#: TellerError codes about the phone number rather than the code (the screen focuses the phone).
PHONE_CODES = frozenset({"PHONE_UNKNOWN", "INVALID_PHONE"})

_NEXT_CODE = "Ask the customer for the next code from the app and type it straight away."
_RULES: tuple[tuple[re.Pattern[str], str, str, str], ...] = (
    (re.compile(r"EXPIRED"), "OTP_EXPIRED", "The code expired before it reached the wallet service.", _NEXT_CODE),
    (re.compile(r"(^|_)USED($|_)"), "OTP_USED", "That code was already used: each code opens one session.", _NEXT_CODE),
    # Rapyd and others name an unknown customer by the phone, the wallet or the user.
    (re.compile(r"(PHONE|WALLET|CUSTOMER|USER).*(NOT_FOUND|UNKNOWN|NOT_EXIST|INVALID)|(UNKNOWN|INVALID)_(PHONE|WALLET|CUSTOMER|USER)"),
     "PHONE_UNKNOWN", "The wallet service does not know this phone number.",
     "Check the number with the customer (the one their wallet app uses) and type it again."),
)


def code_refusal(exc: BackendError, general: TellerError) -> TellerError:
    """The precise error for a refused session opening, or `general` when the host did not say."""
    if not isinstance(exc, (OtpRejected, BusinessError)):
        return general  # the terminal's credentials, clock or the network: not the customer's code
    host = re.sub(r"[^A-Z0-9]+", "_", (exc.host_code or "").upper())
    rules = _RULES if isinstance(exc, OtpRejected) else _RULES[2:]  # any other refusal: only a phone
    for pattern, code, message, next_step in rules:
        if host and pattern.search(host):
            return TellerError(code, message, next_step)
    return general
