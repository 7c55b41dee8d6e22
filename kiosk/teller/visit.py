"""A customer's visit at the till: what the cashier and the teller know about it so far."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from drivers.base import DrawerOutcome, PrintOutcome, ReceiptDocument
from kiosk.backends.base import Account, WalletSession
from kiosk.journal.store import JournalBroken, JournalError, JournalFull
from kiosk.money import Money


class VisitKind(enum.Enum):
    WITHDRAW = "withdraw"
    DEPOSIT = "deposit"


class Stage(enum.Enum):
    """Where the visit is in the journey (the UI picks its screen from this)."""

    SESSION_OPEN = "session_open"  # customer identified, accounts known, nothing moved yet
    CASH_PENDING = "cash_pending"  # host applied it; cash is to be handed over / put away
    CASH_DONE = "cash_done"  # the cashier confirmed the cash moved
    COMPLETED = "completed"  # receipt handled, session closed
    FAILED = "failed"  # declined or refused before any money moved; session closed
    CANCELLED = "cancelled"  # cashier cancelled before any money moved; session closed
    REVERSED = "reversed"  # withdrawal applied but no cash handed over; reversed at the host
    UNRESOLVED = "unresolved"  # the host's answer never came: recovery settles it
    SUSPECT = "suspect"  # cash outcome unknown: a supervisor must count and resolve it


FINAL_STAGES = {Stage.COMPLETED, Stage.FAILED, Stage.CANCELLED, Stage.REVERSED, Stage.UNRESOLVED, Stage.SUSPECT}


class TellerError(Exception):
    """A refusal or failure the cashier must see. `code` is stable (scripts, journal);
    `message` is plain words; `next_step` says what the cashier can do now."""

    def __init__(self, code: str, message: str, next_step: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.next_step = next_step

    def __str__(self) -> str:
        return self.message


def journal_failure(exc: JournalError) -> TellerError:
    """A step the journal could not record was not done, and says so to the cashier (UI and
    headless alike); what was done before it is finished or held suspect by recovery at the
    next start, as after a crash."""
    if isinstance(exc, JournalFull):
        return TellerError("JOURNAL_FULL", str(exc))
    if isinstance(exc, JournalBroken):
        return TellerError("JOURNAL_BROKEN", str(exc), "A supervisor must count the drawer and reseal the journal.")
    return TellerError("JOURNAL_ERROR", str(exc), "Move no cash for this visit; restart the kiosk, which recovers it.")


@dataclass
class Visit:
    visit_id: str
    phone_masked: str  # e.g. "•••• 9992": safe for screens and receipts
    session: WalletSession | None = None
    kind: VisitKind | None = None
    account: Account | None = None
    amount: Money | None = None
    transaction_id: str = ""
    stage: Stage = Stage.SESSION_OPEN
    drawer_outcome: DrawerOutcome | None = None
    print_outcome: PrintOutcome | None = None
    receipt: ReceiptDocument | None = None
    error: TellerError | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def accounts(self) -> list[Account]:
        return list(self.session.accounts) if self.session else []

    @property
    def finished(self) -> bool:
        return self.stage in FINAL_STAGES
