"""The Guard: who is signed in at this till, lockout after failed PINs, and supervisor
approvals for the actions that need one.

Rules kept here (the UI only asks, the teller checks):
- sign-in needs a known, enabled user and their PIN; `max_failures` wrong PINs in a row lock
  that user out for `lockout_seconds` (kept in the accounts file, so a restart does not
  reset it); the lock ends by itself, or by `kiosk users reset-pin`;
- an approval needs a supervisor (enabled, not locked out) other than the signed-in cashier
  (four eyes), with their own PIN; it is good for one action, once, for a short time;
- every sign-in, sign-out, failure, lockout, unlock, idle lock, hand-over and approval is a
  journal row (visit_id None): who, what, never a PIN; a name typed at sign-in is recorded
  only when it is a known user's (a PIN typed into the name field must not reach the disk).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable, NoReturn

from kiosk.auth import ACTIONS, LIMIT
from kiosk.auth.accounts import Accounts, User
from kiosk.auth.limits import Limits
from kiosk.money import Money


class AuthError(Exception):
    """Sign-in or approval refused. `code` for scripts (AUTH_FAILED, LOCKED_OUT, ...)."""

    def __init__(self, code: str, message: str, next_step: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.next_step = next_step


@dataclass(frozen=True)
class Approval:
    action: str
    supervisor: str
    cashier: str
    visit_id: str | None
    granted_at: float  # monotonic
    detail: str = ""


class Guard:
    def __init__(
        self,
        accounts: Accounts,
        journal: Any,
        *,
        max_failures: int = 5,
        lockout_seconds: float = 15 * 60,
        limits: Limits | None = None,
        clock: Callable[[], float] = time.time,
        approval_seconds: float = 180.0,
    ) -> None:
        self.accounts = accounts
        self.journal = journal
        self.max_failures = max_failures
        self.lockout_seconds = lockout_seconds
        self.limits = limits or Limits()
        self.clock = clock
        self.approval_seconds = approval_seconds
        self.user: User | None = None  # signed in (also while the screen is idle-locked)
        self.locked = False  # idle lock: the user must sign in again (or hand over)
        self.teller: Any = None
        #: called after each sign-in (in the signing-in thread), e.g. to open the shift
        self.after_sign_in: Callable[[User], Any] | None = None
        self._approvals: list[Approval] = []
        self._lock = threading.RLock()

    def attach(self, teller: Any) -> None:
        """The teller attributes visits and shifts to whoever is signed in here."""
        self.teller = teller
        teller.guard = self
        teller.cashier = self.user.name if self.user else ""

    @property
    def cashier(self) -> str:
        return self.user.name if self.user else ""

    # --- PIN checks with lockout -------------------------------------------------------------

    def authenticate(self, name: str, pin: str, *, purpose: str = "sign-in") -> User:
        """The user whose PIN this is, or AuthError. Failures count towards the lockout."""
        with self._lock:
            key = (name or "").strip().lower()
            user = self.accounts.get(key)
            now = self.clock()
            if user is not None and user.locked_until and user.locked_until <= now:
                user = self.accounts.clear_failures(user.name)
                self.journal.record(None, "AUTH_UNLOCKED", user=user.name, reason="lockout ended")
            if user is not None and user.locked(now):
                minutes = max(1, round((user.locked_until - now) / 60))
                self.journal.record(None, "AUTH_REFUSED", user=user.name, purpose=purpose, reason="locked out")
                raise AuthError(
                    "LOCKED_OUT",
                    f"{user.name} is locked out after too many wrong PINs (about {minutes} min left).",
                    "Wait, or ask a supervisor to reset the PIN (kiosk users reset-pin).",
                )
            ok = self.accounts.check_pin(key, pin)  # same time spent for an unknown name
            if user is None or not ok or user.disabled:
                self._failed(user, purpose, disabled=bool(user and ok and user.disabled))
            if user.failures:
                user = self.accounts.clear_failures(user.name)
            return user

    def _failed(self, user: User | None, purpose: str, *, disabled: bool) -> NoReturn:
        if user is None:
            self.journal.record(None, "AUTH_FAILED", user=None, purpose=purpose, reason="unknown name")
            raise AuthError("AUTH_FAILED", "Name or PIN not accepted.", "Type them again.")
        if disabled:
            self.journal.record(None, "AUTH_FAILED", user=user.name, purpose=purpose, reason="disabled")
            raise AuthError("USER_DISABLED", f"{user.name} is disabled at this till.", "Ask a supervisor.")
        after = self.accounts.note_failure(user.name, max_failures=self.max_failures, lockout_seconds=self.lockout_seconds)
        if after.locked(self.clock()):
            self.journal.record(None, "AUTH_FAILED", user=user.name, purpose=purpose, reason="wrong PIN", failures=self.max_failures)
            self.journal.record(
                None, "AUTH_LOCKED_OUT", user=user.name, minutes=round(self.lockout_seconds / 60, 2), failures=self.max_failures
            )
            raise AuthError(
                "LOCKED_OUT",
                f"Too many wrong PINs: {user.name} is locked out for {self.lockout_seconds / 60:g} min.",
                "Wait, or ask a supervisor to reset the PIN.",
            )
        self.journal.record(None, "AUTH_FAILED", user=user.name, purpose=purpose, reason="wrong PIN", failures=after.failures)
        left = self.max_failures - after.failures
        raise AuthError("AUTH_FAILED", "Name or PIN not accepted.", f"Type them again ({left} tries left before a lockout).")

    # --- sign-in, sign-out, idle lock ----------------------------------------------------------

    def sign_in(self, name: str, pin: str, *, visit_id: str | None = None) -> User:
        """Sign in (at start, after a sign-out, or to unlock an idle lock). While a visit is in
        flight only its cashier or a supervisor may sign in: the visit is handed over."""
        with self._lock:
            owner = self.user.name if (self.locked and self.user) else ""
            if owner and visit_id:
                key = (name or "").strip().lower()
                known = self.accounts.get(key)
                if key != owner and (known is None or known.role != "supervisor"):
                    # Not counted as a PIN failure: nothing was checked.
                    raise AuthError(
                        "VISIT_IN_PROGRESS",
                        f"A visit served by {owner} is in progress.",
                        f"{owner} or a supervisor must sign in to finish it.",
                    )
            user = self.authenticate(name, pin)
            data: dict[str, Any] = {"user": user.name, "role": user.role}
            if owner and owner != user.name:
                self.journal.record(None, "SIGNED_OUT", user=owner, reason="handed over", to=user.name, visit=visit_id)
                data.update(took_over_from=owner, visit=visit_id)
            elif owner:
                data.update(resumed=True, visit=visit_id)
            self.journal.record(None, "SIGNED_IN", **data)
            self.user, self.locked = user, False
            if self.teller is not None:
                self.teller.cashier = user.name
            if self.after_sign_in is not None:
                self.after_sign_in(user)
            return user

    def sign_out(self, reason: str = "signed out") -> None:
        with self._lock:
            if self.user is not None:
                self.journal.record(None, "SIGNED_OUT", user=self.user.name, reason=reason)
            self.user, self.locked = None, False
            self._approvals.clear()
            if self.teller is not None:
                self.teller.cashier = ""

    def lock(self, *, visit_id: str | None = None) -> None:
        """Idle lock: the user stays responsible for the visit in flight until someone signs in."""
        with self._lock:
            if self.user is None or self.locked:
                return
            self.locked = True
            self._approvals.clear()
            self.journal.record(None, "IDLE_LOCKED", user=self.user.name, visit=visit_id)

    def require_cashier(self) -> str:
        if self.user is None:
            raise AuthError("NOT_SIGNED_IN", "Nobody is signed in at this till.", "Sign in first.")
        return self.user.name

    # --- supervisor approvals ------------------------------------------------------------------

    def approve(self, action: str, name: str, pin: str, *, visit_id: str | None = None, detail: str = "") -> Approval:
        """A supervisor approves one action with their own PIN; journalled with both names."""
        if action not in ACTIONS:
            raise ValueError(f"unknown action {action!r}")
        with self._lock:
            key = (name or "").strip().lower()
            cashier = self.cashier
            known = self.accounts.get(key)
            refusal = ""
            if known is not None and known.role != "supervisor":
                refusal = f"{known.name} is not a supervisor."
            elif known is not None and known.name == cashier:
                refusal = "A supervisor cannot approve their own action: another supervisor must."
            if known is not None and refusal:
                self.journal.record(None, "APPROVAL_REFUSED", action=action, cashier=cashier, supervisor=known.name, reason=refusal, visit=visit_id)
                raise AuthError("NOT_A_SUPERVISOR", refusal, "Ask another supervisor.")
            user = self.authenticate(key, pin, purpose=f"approve: {action}")
            approval = Approval(action, user.name, cashier, visit_id, time.monotonic(), detail)
            self.journal.record(
                None, "APPROVED", action=action, cashier=cashier, supervisor=user.name, visit=visit_id, detail=detail
            )
            self._approvals.append(approval)
            return approval

    def has_approval(self, action: str, *, visit_id: str | None = None, supervisor: str | None = None) -> bool:
        """Whether a fresh approval for this action (visit, supervisor) is waiting to be used."""
        with self._lock:
            now = time.monotonic()
            who = supervisor.strip().lower() if supervisor else None
            return any(
                a.action == action
                and visit_id in (None, a.visit_id)
                and who in (None, a.supervisor)
                and now - a.granted_at <= self.approval_seconds
                for a in self._approvals
            )

    def take_approval(self, action: str, *, visit_id: str | None = None, supervisor: str | None = None) -> Approval | None:
        """Use up a fresh approval for this action (and visit, and supervisor when named)."""
        with self._lock:
            now = time.monotonic()
            self._approvals = [a for a in self._approvals if now - a.granted_at <= self.approval_seconds]
            for approval in self._approvals:
                if approval.action != action:
                    continue
                if visit_id is not None and approval.visit_id not in (None, visit_id):
                    continue
                if supervisor is not None and approval.supervisor != supervisor.strip().lower():
                    continue
                self._approvals.remove(approval)
                return approval
            return None

    # --- limits --------------------------------------------------------------------------------

    def limit_breach(self, amount: Money, shift_turnover: Decimal = Decimal(0)) -> str:
        return self.limits.breach(amount, shift_turnover)


def shift_turnover(teller: Any, currency: str) -> Decimal:
    """Cash that changed hands in the open shift, in one currency (withdrawals + deposits)."""
    totals = getattr(getattr(teller, "shifts", None), "_totals", {}) or {}
    t = totals.get(currency)
    return (t.deposits + t.withdrawals) if t is not None else Decimal(0)


def build_guard(settings: Any, journal: Any, *, clock: Callable[[], float] = time.time) -> Guard:
    """The Guard for these settings (auth.required): needs the pepper."""
    from kiosk.auth.pins import pin_hasher

    hasher = pin_hasher(settings)
    accounts = Accounts.in_data_dir(settings.data_dir, hasher, clock=clock)
    limits = Limits(dict(settings.limits.per_visit), dict(settings.limits.per_shift))
    return Guard(
        accounts,
        journal,
        max_failures=settings.auth.max_failures,
        lockout_seconds=settings.auth.lockout_minutes * 60,
        limits=limits,
        clock=clock,
    )


__all__ = ["Approval", "AuthError", "Guard", "LIMIT", "build_guard", "shift_turnover"]
