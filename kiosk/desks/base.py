"""The journeys beside the Rapyd wallet visit: gift cards (POSPointe), SDK.finance wallets and
Flexiti accounts, each served by a "desk" attached to the teller.

A desk drives its own back-end client, and reuses the teller's journal, drawer, printer, shift
accounting and cash lock, so that every journey keeps the house rules:

- a journal row before every side effect and after its outcome;
- cash moves only after the host applied the movement, is confirmed by the cashier, and is
  counted by the shift (CASH_CONFIRMED with cash_delta, the visit's amount and currency being
  the cash that changed hands);
- an outcome that is not known is never guessed: each journey settles it its own way
  (balance check, idempotency key, request look-up) and what it cannot settle goes to the
  outbox or to a person.

Visits are told apart by the journal's `kind` column, set on their first row: "giftcard...",
"sdk...", "flexiti..."; recovery (kiosk.teller.recovery) hands those visits, their outbox items
and their suspect resolution to the desk whose prefix matches.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from kiosk.backends.base import BackendError
from kiosk.journal import store as states
from kiosk.teller.steps import Step
from kiosk.teller.visit import TellerError, Visit

if TYPE_CHECKING:
    from kiosk.journal.store import Compensation
    from kiosk.desks.table import RecoveryTable
    from kiosk.money import Money
    from kiosk.teller.teller import Teller

Who = TypeVar("Who", contravariant=True)

log = logging.getLogger("kiosk.desks")

#: visit kind prefix -> back end name (settings' backends.enabled)
PREFIXES = {"giftcard": "pospointe", "sdk": "sdkfinance", "flexiti": "flexiti"}


@dataclass(frozen=True)
class Resolution:
    """What recovery did with an unfinished visit, and the visit's state afterwards."""

    visit_id: str
    action: str  # what recovery did
    state: str  # the visit's state afterwards


class NeedsAPerson(BackendError):
    """A compensation that cannot be sent at all (its session details or token are gone)."""

    code = "NEEDS_A_PERSON"


@dataclass
class JourneyVisit(Visit):
    """A visit of one of the other journeys. `kind` stays the cash direction the shared screens
    and the shift understand (DEPOSIT: cash in, WITHDRAW: cash out); `journey` says what it
    is (e.g. "giftcard_redeem"); `receipt_kind` is the receipt's title. Each desk's visit
    (GiftCardVisit, SdkVisit, FlexitiVisit) adds `details`: a dataclass of what that desk keeps
    between its verbs, in memory only (never journaled; secrets there are hidden from repr)."""

    journey: str = ""
    receipt_kind: str = ""
    backend: str = ""  # "pospointe" | "sdkfinance" | "flexiti"


# --- who the customer is: each desk's identify() input (light: no client is imported) ---------


@dataclass(frozen=True)
class PhoneLogin:
    """Who the customer is at the Rapyd wallet: their phone and the code from the app."""

    phone: str = field(repr=False)
    otp: str = field(repr=False)


@dataclass(frozen=True)
class CardEntry:
    """Who the customer is at the gift card server: the card's number and security code, as
    typed or scanned (never shown: repr hides them)."""

    number: str = field(repr=False)
    code: str = field(repr=False)


@dataclass(frozen=True)
class WalletLogin:
    """Who the customer is at SDK.finance: their login (e-mail or phone) and password."""

    login: str
    password: str = field(repr=False)


@dataclass(frozen=True)
class AccountLookup:
    """Who the customer is at Flexiti: an account number, or a driver's licence scan."""

    account_number: str = field(default="", repr=False)
    licence_scan: str = field(default="", repr=False)


class Desk(Protocol[Who]):
    """One back end's counter at the till. Every desk serves a visit with the same verbs, in
    this order, so that the UI, `kiosk txn` and a test can drive any desk alike:

        visit = desk.identify(who)             # the desk's own identity input (Who)
        desk.actions(visit)                    # what the customer may do now, e.g. ["redeem"]
        desk.check_amount(visit, action, "10") # validate, nothing moves (TellerError if not)
        desk.move(visit, action, "10")         # the host moves money; visit.stage CASH_PENDING
        # the cashier hands over / puts away the cash (teller.wait_for_drawer_close), then:
        desk.finish(visit, by_hand=False)      # cash confirmed, receipt, COMPLETED
        # or, when no cash changed hands (the drawer did not open):
        desk.undo(visit, by_rule=True)         # money back at the host (or to a person)
        # or, before any money moved:
        desk.cancel(visit)

    Every verb raises TellerError with a stable code when it refuses; a verb that moved money
    leaves a journal row for recovery. After a crash, the recovery engine reads the desk's
    `recovery` table to finish the visit or apply a supervisor's count; `send(item)` sends one
    of its outbox compensations (raising a BackendError when it was not acknowledged). `health()` is '' when the back end answers (without signing in where it can)."""

    prefix: str  # the visit kinds (journal `kind`) and outbox actions it owns start with this
    backend_name: str  # settings' backends.enabled name
    title: str  # what the cashier calls it
    undo_needs_approval: bool  # undo gives money back at the host: a cashier's choice needs auth.REVERSE

    def identify(self, who: Who) -> Visit: ...

    def actions(self, visit: Visit) -> list[str]: ...

    def check_amount(self, visit: Visit, action: str, text: str) -> Money: ...

    def move(self, visit: Visit, action: str, amount_text: str) -> Visit: ...

    def finish(self, visit: Visit, *, by_hand: bool = False) -> Visit: ...

    def undo(self, visit: Visit, *, by_rule: bool = False) -> Visit: ...

    def cancel(self, visit: Visit) -> Visit: ...

    @property
    def recovery(self) -> RecoveryTable: ...  # its rows of the recovery table (kiosk.teller.recovery runs them)

    def send(self, item: Compensation) -> None: ...

    def health(self) -> str: ...

    def close(self) -> None: ...


def attach(teller: Teller, desk: Desk) -> None:
    desks(teller)[desk.prefix] = desk


def health(teller: Teller) -> dict[str, str]:
    """Each other back end's title and '' when it answers, else plain words why not."""
    return {desk.title: desk.health() for desk in desks(teller).values()}


def backend_of(action: str) -> str:
    """The back end an outbox action goes to: its desk's, or the Rapyd wallet's own."""
    prefix = prefix_of(action)
    return PREFIXES[prefix] if prefix else "rapyd"


def answering(teller: Teller, health: dict[str, str], *, wallet: bool) -> set[str]:
    """The back ends that answered just now (`health` as `health()` read it; `wallet`: Rapyd
    answered its echo): the outbox sends each its own items only, so that one back end's
    outage stalls no other's refunds."""
    found = {"rapyd"} if wallet else set()
    return found | {desk.backend_name for desk in desks(teller).values() if health.get(desk.title) == ""}


def desks(teller: Teller) -> dict[str, Desk]:
    found = teller.__dict__.get("desks")
    if found is None:
        found = teller.__dict__["desks"] = {}
    return found


def desk(teller: Teller, backend: str) -> Any:
    """The desk serving `backend` ("pospointe", ...), or None when it is not enabled."""
    for prefix, name in PREFIXES.items():
        if name == backend:
            return desks(teller).get(prefix)
    return None


def prefix_of(kind: str | None) -> str | None:
    if not kind:
        return None
    for prefix in PREFIXES:
        if kind == prefix or kind.startswith(prefix + "_"):
            return prefix
    return None


def owns_kind(kind: str | None) -> bool:
    return prefix_of(kind) is not None


def owns_action(action: str) -> bool:
    return prefix_of(action) is not None


class BackendNotConfigured(Exception):
    pass


def desk_for(teller: Teller, prefix: str) -> Desk:
    found = desks(teller).get(prefix)
    if found is None:
        raise BackendNotConfigured(
            f"the {PREFIXES[prefix]} back end is not enabled on this kiosk: enable it to finish this visit"
        )
    return found


# --- helpers the desks share ------------------------------------------------------------------------


def last_value(rows: list, step: str, key: str) -> Any:
    for row in reversed(rows):
        if row.step == step and key in row.data:
            return row.data[key]
    return None


def finish(teller: Teller, visit_id: str, action: str, state: str | None = None, step: str = Step.RECOVERED) -> Resolution:
    summary = {"state": state} if state else {}
    with teller.journal.one_commit():
        teller.journal.record(visit_id, step, action=action, summary=summary)
        forget_when_done(teller, visit_id)
    visit = teller.journal.visit(visit_id)
    return Resolution(visit_id, action, state or (visit.state if visit else "unknown"))


def queued(teller: Teller, visit_id: str, action: str) -> bool:
    return teller.journal.owes(visit_id, action)


def promise(teller: Teller, visit_id: str, step: str, action: str, payload: dict[str, Any] | None = None, **data: Any) -> None:
    """Record `step` and queue the compensation `action` it promises in one journal commit (as
    the wallet queues its reversal with REVERSAL_FAILED): a stop between the two cannot forget
    the compensation. Not queued twice."""
    outbox = [] if queued(teller, visit_id, action) else [(action, payload or {})]
    teller.journal.record(visit_id, step, outbox=outbox, **data)


def queue(teller: Teller, visit_id: str, action: str, payload: dict[str, Any] | None = None) -> None:
    if not queued(teller, visit_id, action):
        teller.journal.enqueue(visit_id, action, payload or {})


def forget_when_done(teller: Teller, visit_id: str) -> None:
    """Erase a visit's sealed details (session headers, card token, PIN) once nothing more
    can need them: the visit ended and no compensation of it is left in the outbox."""
    visit = teller.journal.visit(visit_id)
    if visit is None or visit.state == states.PENDING or (visit.state == states.SUSPECT and visit.resolution is None):
        return
    if teller.journal.owes(visit_id):
        return
    teller.journal.erase(visit_id)
