"""What the teller needs from a wallet back end, in the cashier's terms.

Every failure a back end can produce is one of the `BackendError` kinds below, because the
teller's next step depends only on the kind:

- nothing was sent (`HostUnreachable`): safe to retry or give up; no money moved;
- an answer said no (`OtpRejected`, `InsufficientFunds`, `AuthenticationFailed`,
  `BusinessError`, `SessionRejected`): final, no money moved;
- sent but no usable answer (`OutcomeUnknown`): the money may or may not have moved; only
  re-sending with the same idempotency value, or a recovery step, can tell.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from kiosk.money import Money


class BackendError(Exception):
    """Base of every back-end failure. `code` is stable (for scripts and the journal);
    `message` is plain words for the cashier and never contains an OTP, secret or phone."""

    code = "BACKEND_ERROR"
    #: True when the request may have been applied by the host.
    outcome_unknown = False

    def __init__(self, message: str, *, host_code: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.host_code = host_code  # the back end's own error code, when it gave one

    def __str__(self) -> str:
        return self.message


class HostUnreachable(BackendError):
    """The request never reached the host (connection refused, DNS, TLS): nothing applied."""

    code = "HOST_UNREACHABLE"


class OutcomeUnknown(BackendError):
    """The request was sent but no valid answer came back (timeout, dropped connection,
    5xx, garbled body): it may have been applied."""

    code = "OUTCOME_UNKNOWN"
    outcome_unknown = True


class OtpRejected(BackendError):
    """The one-time code was wrong, expired or already used: ask the customer for a new one."""

    code = "OTP_REJECTED"


class InsufficientFunds(BackendError):
    code = "INSUFFICIENT_FUNDS"


class AuthenticationFailed(BackendError):
    """The terminal's own credentials or clock were refused: not the customer's fault."""

    code = "AUTHENTICATION_FAILED"


class SessionRejected(BackendError):
    """The wallet session is no longer usable (closed, already used for an action)."""

    code = "SESSION_REJECTED"


class BusinessError(BackendError):
    """Any other refusal from the host, with its message."""

    code = "DECLINED"


@dataclass(frozen=True)
class Account:
    """One currency account of the customer's wallet, as the host reported it."""

    account_id: str
    alias: str
    balance: Money

    @property
    def currency(self) -> str:
        return self.balance.currency


@dataclass
class WalletSession:
    """An open session with the wallet host: good for one deposit or one withdrawal."""

    token_id: str
    operation_id: str
    phone: str  # E.164, held in memory only for the headers; never journalled or shown
    accounts: list[Account] = field(default_factory=list)

    def account(self, account_id: str) -> Account:
        for account in self.accounts:
            if account.account_id == account_id:
                return account
        raise KeyError(account_id)

    def account_for(self, currency: str) -> Account | None:
        return next((a for a in self.accounts if a.currency == currency), None)

    def __repr__(self) -> str:  # keep the phone and token out of any accidental log line
        return f"WalletSession(operation_id={self.operation_id!r}, accounts={len(self.accounts)})"


@dataclass(frozen=True)
class HostReceipt:
    """The host's answer to a money movement."""

    transaction_id: str
    operation_id: str = ""


class WalletBackend(Protocol):
    """A wallet host the teller can serve a cash visit against (Rapyd POS and alike).

    Every call is synchronous and bounded by the client's timeout. `idempotency` is chosen by
    the teller per operation and journalled before the call, so a retry after a crash re-sends
    the same value and the host answers with its first response instead of applying twice.
    """

    name: str

    def echo(self) -> None: ...

    def open_session(self, phone: str, otp: str, *, idempotency: str) -> WalletSession: ...

    def deposit(self, session: WalletSession, amount: Money, *, idempotency: str) -> HostReceipt: ...

    def withdraw(
        self, session: WalletSession, account_id: str, amount: Money, *, idempotency: str
    ) -> HostReceipt: ...

    def reverse_withdrawal(
        self,
        session: WalletSession,
        account_id: str,
        amount: Money,
        transaction_id: str,
        *,
        idempotency: str,
    ) -> HostReceipt: ...

    def close_session(self, session: WalletSession, *, idempotency: str) -> None: ...

    def close(self) -> None:
        """Release connections (end of the process)."""


class WalletNotEnabled:
    """The wallet back end of a till that serves only other back ends (backends.enabled has
    no "rapyd"): every call is refused in plain words, nothing is sent anywhere."""

    name = "none"

    def _refuse(self, *_: object, **__: object):
        raise BusinessError("The Rapyd wallet is not enabled at this till.")

    echo = open_session = deposit = withdraw = reverse_withdrawal = close_session = _refuse

    def close(self) -> None:
        pass
