"""Which error kind a POSPointe refusal is, and what a lost answer means for each call.

Refusals carry a non-zero statuscode (documented ones in _CODE_KINDS); for codes this client does
not know the host's words decide. Every kind here is a final refusal: nothing was applied."""

from __future__ import annotations

import re
from typing import Literal

from kiosk.backends.base import (
    AuthenticationFailed,
    BackendError,
    BusinessError,
    HostUnreachable,
    InsufficientFunds,
    OutcomeUnknown,
)
from kiosk.backends.wire import words as _words

Call = Literal["health", "verify", "token", "balance", "sell", "reload", "redeem", "changestatus", "batch", "closebatch"]

WHAT: dict[str, str] = {
    "health": "health check",
    "verify": "credentials check",
    "token": "card look-up",
    "balance": "balance check",
    "sell": "card sale",
    "reload": "card reload",
    "redeem": "card redemption",
    "changestatus": "card status change",
    "batch": "batch report",
    "closebatch": "batch close",
}
# Calls that change nothing at the host: a lost answer is only "could not reach it".
READ_ONLY: frozenset[str] = frozenset({"health", "verify", "token", "balance", "batch"})
MONEY: frozenset[str] = frozenset({"sell", "reload", "redeem"})

class CardRejected(BusinessError):
    """No card with that number, or the security code is wrong: check what was typed."""

    code = "CARD_REJECTED"


class CardLocked(BusinessError):
    """Too many wrong security codes: the host refuses this card for a while."""

    code = "CARD_LOCKED"


class CardTokenRejected(BusinessError):
    """The card token is unknown or expired: make a new one (CardVisit does it once by itself)."""

    code = "CARD_TOKEN_REJECTED"


class CardNotActive(BusinessError):
    """The card has not been sold (activated) yet."""

    code = "CARD_NOT_ACTIVE"


class CardAlreadyActive(BusinessError):
    """The card was sold already: reload it instead of selling it."""

    code = "CARD_ALREADY_ACTIVE"


class CardBlocked(BusinessError):
    """The card is blocked: only a supervisor can unblock it."""

    code = "CARD_BLOCKED"


class LimitExceeded(BusinessError):
    """The amount is outside the per-transaction limits, or the card would hold too much."""

    code = "LIMIT_EXCEEDED"



_CODE_KINDS: dict[str, type[BackendError]] = {
    "100001": BusinessError,
    "100002": BusinessError,
    "100003": AuthenticationFailed,
    "100005": AuthenticationFailed,
    "200001": CardRejected,
    "200002": CardRejected,
    "200003": CardLocked,
    "300001": CardTokenRejected,
    "300002": CardTokenRejected,
    "400001": CardNotActive,
    "400002": CardAlreadyActive,
    "400003": CardBlocked,
    "400004": InsufficientFunds,
    "400005": LimitExceeded,
    "400006": LimitExceeded,
    "400007": BusinessError,  # already has that status: the host's words say which
    "400008": BusinessError,
}
# For codes this client does not know: the host's words decide (most specific first).
_WORD_KINDS: tuple[tuple[re.Pattern[str], type[BackendError]], ...] = (
    (re.compile(r" TOKEN "), CardTokenRejected),
    (re.compile(r" LOCKED | TOO MANY "), CardLocked),
    (re.compile(r" SECURITY CODE | PIN | CVV | CARD NOT FOUND | (INVALID|UNKNOWN) CARD( NUMBER)? "), CardRejected),
    (re.compile(r" BLOCKED "), CardBlocked),
    (re.compile(r" ALREADY (ACTIVE|ACTIVATED|SOLD) "), CardAlreadyActive),
    (re.compile(r" (NOT|IN) ?ACTIVE | NOT (SOLD|ACTIVATED) | INACTIVE "), CardNotActive),
    (re.compile(r" (INSUFFICIENT|NOT ENOUGH|LOW) (FUNDS?|BALANCE) | NSF "), InsufficientFunds),
    (re.compile(r" LIMIT | EXCEED(S|ED)? | OUT OF RANGE | MAXIMUM | MINIMUM "), LimitExceeded),
    (re.compile(r" FRANCHISEE | STORE ?ID | INVALID STORE "), AuthenticationFailed),
)


def classify_refusal(call: Call, code: str, description: str) -> type[BackendError]:
    kind = _CODE_KINDS.get(code)
    if kind is None:
        text = _words(description)
        kind = next((k for pattern, k in _WORD_KINDS if pattern.search(text)), BusinessError)
    if kind is InsufficientFunds and call != "redeem":
        kind = BusinessError  # only a redemption can lack money on the card
    return kind


def no_answer(call: str, message: str, *, host_code: str = "") -> BackendError:
    """Sent, but no usable answer: what that means depends on the call."""
    if call in READ_ONLY:  # nothing changes at the host: only "could not get an answer"
        return HostUnreachable(f"{message} Nothing was changed; try again.", host_code=host_code)
    if call in MONEY:
        return OutcomeUnknown(
            f"{message} It may have been applied: check the card's balance before anything else, "
            "never repeat it blindly.", host_code=host_code,
        )
    return OutcomeUnknown(f"{message} It may have been applied: check before repeating it.", host_code=host_code)
