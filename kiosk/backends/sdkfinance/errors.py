"""SDK.finance's error kinds beyond kiosk.backends.base, and what a lost answer means for a
call: only a call that moves money can have an unknown outcome."""

from __future__ import annotations

from kiosk.backends.base import BackendError, BusinessError, HostUnreachable, OutcomeUnknown, SessionRejected

MOVES_MONEY: frozenset[str] = frozenset({"create", "accept", "decline"})


class SignInRejected(BusinessError):
    """The customer's login or password is wrong (the platform does not say which)."""

    code = "SIGN_IN_REJECTED"


class CustomerSignInExpired(SessionRejected):
    """The customer's access ended and needs a new sign-in with a new one-time code."""

    code = "CUSTOMER_SIGN_IN_EXPIRED"


class RequestNotFound(BusinessError):
    code = "REQUEST_NOT_FOUND"


class RequestAlreadySettled(BusinessError):
    """The request was already accepted or declined, the other way than asked: `.status`."""

    code = "REQUEST_ALREADY_SETTLED"

    def __init__(self, message: str, *, status: str, host_code: str = "") -> None:
        super().__init__(message, host_code=host_code)
        self.status = status


class AmountOutsideLimits(BusinessError):
    code = "AMOUNT_OUTSIDE_LIMITS"




class TokenRefused(Exception):
    """A 401 on a call made with a token: sign in again and repeat (internal)."""

    def __init__(self, host_code: str) -> None:
        super().__init__(host_code)
        self.host_code = host_code


class AlreadySettled(Exception):
    """A 409 REQUEST_ALREADY_* (internal): the caller decides whether that is its answer."""

    def __init__(self, status: str, host_code: str) -> None:
        super().__init__(status)
        self.status = status
        self.host_code = host_code


def no_answer(call: str, message: str, *, host_code: str = "") -> BackendError:
    """Sent, but no usable answer: only a money-moving call can have an unknown outcome."""
    if call in MOVES_MONEY:
        return OutcomeUnknown(f"{message} It may have been applied.", host_code=host_code)
    return HostUnreachable(f"{message} Nothing was changed; try again.", host_code=host_code)
