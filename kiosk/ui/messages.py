"""App-wide messages: what screens ask of the app, and what the app's workers report back.

Screens never call the teller for anything that takes time or moves money: they post a
request, the app starts a worker it owns (so popping a screen cannot kill a call that moves
money), and the worker posts a result that an app handler turns into the next screen.
Widget-local messages live in their widget.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from kiosk.teller import DeviceHealth, TellerError, Visit
    from kiosk.teller.teller import Attention
    from kiosk.money import Money


# --- requests: a screen asks the app to do something -------------------------------------


class StartVisit(Message):
    """Ready -> Customer."""


class BackToReady(Message):
    """Leave whatever is on screen and show Ready (nothing open may be left behind)."""


# Textual's Message initialises dataclass subclasses itself (Message.__post_init__).
# eq=False: a message is an event, compared by identity, and stays hashable.
@dataclass(eq=False)
class OpenSession(Message):
    phone: str
    otp: str


@dataclass(eq=False)
class ChooseAction(Message):
    """Accounts -> Amount: `kind` is 'withdraw' or 'deposit'; a deposit names a currency."""

    kind: str
    account_id: str
    currency: str


@dataclass(eq=False)
class AmountChosen(Message):
    amount: Money


class BackToAccounts(Message):
    pass


class BackToAmount(Message):
    pass


class BackToCustomer(Message):
    """Ask for a new code: the phone number typed before is kept."""


class BackToConfirm(Message):
    """Try the same withdrawal or deposit again (e.g. after the printer was fixed)."""


class MoveMoney(Message):
    """Confirm -> the host withdrawal or deposit."""


class CancelVisit(Message):
    """Stop the visit before money moved (closes the wallet session)."""


@dataclass(eq=False)
class CashDone(Message):
    """The cash changed hands (drawer closed, or the cashier said so)."""

    by_hand: bool = False


class ReverseWithdrawal(Message):
    """The drawer did not open and no cash was handed over: give the money back."""


class Reprint(Message):
    """Print the last receipt again (marked COPY)."""


class RefreshStatus(Message):
    pass


class StopWaiting(Message):
    """The cashier stops waiting for an unanswered host call; the teller leaves the visit
    unresolved and its outbox settles it (nothing is forgotten)."""


class CloseKiosk(Message):
    """The explicit exit key: asks for confirmation first."""


# --- results: an app worker reports back ---------------------------------------------------


class RuntimeOpened(Message):
    """The runtime built after the first screen (KioskApp's `opening`) is ready: visits can start."""


class RuntimeFailed(Message):
    """Building it failed (the journal unreadable, ...): the app ends, and kiosk.cli says why."""


@dataclass(eq=False)
class StatusRead(Message):
    backend: str | None  # '' when the wallet back end answered; None: no wallet at this till
    health: DeviceHealth | None
    cash: list[Money]
    problem: str = ""  # a reading that failed altogether
    attention: Attention | None = None
    others: dict[str, str] | None = None  # other back ends: title -> '' or what is wrong


@dataclass(eq=False)
class HostRetrying(Message):
    """The host did not answer; the teller is about to send again (same idempotency key)."""

    attempt: int
    attempts: int


@dataclass(eq=False)
class SessionOpened(Message):
    visit: Visit


@dataclass(eq=False)
class MoneyMoved(Message):
    """The host applied it; the drawer was kicked (visit.drawer_outcome says how that went)."""

    visit: Visit


@dataclass(eq=False)
class DrawerClosed(Message):
    """Result of the bounded wait: True closed, False still open, None cannot tell."""

    visit: Visit
    closed: bool | None


@dataclass(eq=False)
class VisitCompleted(Message):
    visit: Visit


@dataclass(eq=False)
class VisitReversed(Message):
    visit: Visit


class VisitCancelled(Message):
    pass


@dataclass(eq=False)
class Reprinted(Message):
    outcome: str  # a drivers.base.PrintOutcome value


@dataclass(eq=False)
class TellerFailed(Message):
    """The teller refused or failed: `step` says which request (open, move, cash, reverse,
    complete, cancel, reprint) so the error screen can offer the right way forward."""

    step: str
    error: TellerError
    visit: Visit | None = None


@dataclass(eq=False)
class UnexpectedFailure(Message):
    """Anything that was not a TellerError: logged with its traceback, shown in plain words."""

    step: str
    visit: Visit | None = None


# --- shifts and supervision --------------------------------------------------------------


class ShowShift(Message):
    """Ready -> the shift: open one, or see the X report."""


@dataclass(eq=False)
class OpenShift(Message):
    counted: str  # as typed: 'GBP 500.00 EUR 300'


class PrintShiftReport(Message):
    pass


@dataclass(eq=False)
class CloseShift(Message):
    counted: str
    supervisor: str


@dataclass(eq=False)
class ShiftShown(Message):
    """The X report lines, or None when no shift is open."""

    lines: list[str] | None


@dataclass(eq=False)
class ShiftClosed(Message):
    lines: list[str]


class ShowSupervisor(Message):
    pass


@dataclass(eq=False)
class AttentionRead(Message):
    attention: Attention


@dataclass(eq=False)
class ResolveSuspect(Message):
    visit_id: str
    cash_moved: bool
    supervisor: str


class ResealJournal(Message):
    """A supervisor reseals a journal that failed its check."""


@dataclass(eq=False)
class Done(Message):
    """A short piece of work finished: show `text` and go back to ready."""

    text: str
