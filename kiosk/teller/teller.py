"""The teller: the till's own services, UI-free, that every desk (kiosk.desks: the Rapyd
wallet, gift cards, SDK.finance, Flexiti) serves its visits with.

It keeps the journal (a row before every side effect and after its outcome, so that a crash
at any point leaves a record from which recovery can tell what happened: DESIGN.md's recovery
table), the cash drawer, the receipt printer, the shift, readiness, limits and approvals,
the settling of unanswered host calls, and the outbox.

Invariants kept here:
- no cash-out is promised more than the drawer holds (checked again inside the journal
  transaction that records the intent);
- an outcome that is not known is recorded as unknown, never guessed: a host call that got
  no answer is re-sent with the same idempotency value, and if that cannot settle it the
  outbox keeps settling it (recovery.py); cash whose movement is unknown makes the visit
  suspect, which locks cash movements until a supervisor counts the drawer;
- nothing moves money without an open shift, and (with sign-in) a signed-in cashier within
  the limits or a supervisor's approval.

Calls are synchronous and may block for a bounded time (host timeouts, device timeouts);
the UI runs them in worker threads that the app, not a screen, owns.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Collection, TypeVar

from drivers.base import CashDrawer, DrawerOutcome, DrawerStatus, PrinterStatus, PrintOutcome, ReceiptDocument, ReceiptPrinter
from kiosk.backends.base import BackendError, WalletBackend
from kiosk import auth as auth_actions
from kiosk.journal import store as journal_states
from kiosk.journal.store import Journal
from kiosk.digits import FOREIGN_DIGITS, foreign_digit, is_digits
from kiosk.money import Money, MoneyError, parse_counts
from kiosk.phone import PhoneError, to_e164
from kiosk.receipts import ReceiptFacts, build_receipt, facts_from_visit
from kiosk.teller.recovery import forget_when_done
from kiosk.teller.retry import ProgressCallback, RetryPolicy, send_settling
from kiosk.teller.shifts import Shifts
from kiosk.teller.steps import Step
from kiosk.teller.visit import Stage, TellerError, Visit, VisitKind

log = logging.getLogger("kiosk.teller")
T = TypeVar("T")

def mask_phone(phone: str) -> str:
    """Last four digits only: what screens and receipts may show."""
    return "•••• " + phone[-4:]


def check_phone(text: str, region: str = "") -> str:
    """The customer's phone as E.164 (kiosk.phone: national numbers read as `region`'s)."""
    try:
        return to_e164(text, region)
    except PhoneError as exc:
        raise TellerError("INVALID_PHONE", exc.message, exc.next_step) from None


def counted(text: str) -> dict[str, Money]:
    """Cash per currency as the cashier typed it (a float, a count at close)."""
    try:
        return parse_counts(text)
    except MoneyError as exc:
        raise TellerError("BAD_COUNT", str(exc), "Type each currency and its amount, e.g. GBP 500.00 EUR 300.00.") from None


def check_otp(text: str) -> str:
    otp = (text or "").strip()
    if foreign_digit(otp):
        raise TellerError("INVALID_OTP", "The code has digits that are not 0-9.", f"Type it again: {FOREIGN_DIGITS}.")
    if not is_digits(otp, 6, 6):
        raise TellerError("INVALID_OTP", "The code has 6 digits.", "Ask the customer to read the code from the app.")
    return otp


@dataclass(frozen=True)
class DeviceHealth:
    printer: PrinterStatus
    drawer: DrawerStatus
    drawer_alert: bool  # left open past its bound; blocks the next visit

    def problems(self) -> list[str]:
        found = []
        problem = self.printer.problem()
        if problem:
            found.append(problem[0].upper() + problem[1:])
        if self.drawer.open:
            found.append("Cash drawer is open")
        return found


@dataclass(frozen=True)
class Attention:
    """What a supervisor must look at: visits with an unknown cash outcome (they lock cash
    movements) and compensations the outbox could not deliver."""

    suspects: list
    escalated: list
    pending: int


class Teller:
    def __init__(
        self,
        *,
        backend: WalletBackend,
        printer: ReceiptPrinter,
        drawer: CashDrawer,
        journal: Journal,
        store_name: str = "Cash point",
        store_address: str = "",
        terminal_id: str = "TERM-01",
        cashier: str = "cashier",
        retry: RetryPolicy = RetryPolicy(),
        clock: Callable[[], float] = time.time,
        phone_region: str = "",
    ) -> None:
        self.backend = backend
        #: teller.phone_region: national phone numbers typed here are this region's ('' = none)
        self.phone_region = phone_region
        self.printer = printer
        self.drawer = drawer
        self.journal = journal
        self.store_name = store_name
        self.store_address = store_address
        self.terminal_id = terminal_id
        self.cashier = cashier
        self.retry = retry
        self.clock = clock
        self.drawer_alert = False
        self.last_receipt_visit: Visit | None = None
        self.shifts = Shifts(journal)
        #: kiosk.auth.guard.Guard when cashiers sign in (auth.required): who is signed in,
        #: and the supervisor approvals the guarded steps below need. None: no checks.
        self.guard = None
        #: called from the worker thread before each re-send: (attempt, pause, error)
        self.on_retry: ProgressCallback | None = None
        self._stop = threading.Event()
        self.lock = threading.RLock()

    # --- cash in the drawer ----------------------------------------------------------------

    def cash_in_drawer(self, currency: str) -> Money:
        return self.shifts.cash_in_drawer(currency)

    def drawer_currencies(self) -> list[str]:
        return self.shifts.currencies()

    def open_shift(self, float_: dict[str, Money], *, source: str = "counted"):
        with self.lock:
            return self.shifts.open(float_, self.cashier, source=source)

    def shift_report(self):
        with self.lock:
            return self.shifts.report()

    def close_shift(self, counted: dict[str, Money], *, supervisor: str | None = None):
        """Blind close (see Shifts.close); the Z report is printed as well."""
        with self.lock:
            if supervisor and self.guard is not None and self._has_variance(counted):
                self.require_approval(auth_actions.VARIANCE, supervisor=supervisor)
            report = self.shifts.close(counted, self.cashier, supervisor=supervisor)
            self.print_report(report)
            return report

    def print_report(self, report) -> PrintOutcome:
        document = report.document(self.store_name, self.terminal_id, self.printer.columns)
        return self.printer.print_receipt(document)

    # --- what needs a person, and the compensations still to send ----------------------------

    def attention(self) -> Attention:
        from kiosk.teller.recovery import escalations

        return Attention(
            suspects=self.journal.unresolved_suspects(),
            escalated=escalations(self),
            pending=len(self.journal.compensations()),
        )

    def settle_outbox(self, backends: Collection[str] | None = None) -> int:
        """Send the compensations that are due (between visits), only those of `backends` when
        given (the back ends that answer); returns how many remain."""
        from kiosk.teller.recovery import run_outbox

        with self.lock:
            return run_outbox(self, backends=backends)

    def resolve_suspect(self, visit_id: str, *, cash_moved: bool, supervisor: str) -> str:
        from kiosk.teller.recovery import resolve_suspect

        if not supervisor.strip():
            raise TellerError("SUPERVISOR_REQUIRED", "A supervisor must resolve this visit.")
        with self.lock:
            self.require_approval(auth_actions.RESOLVE, visit_id=visit_id, supervisor=supervisor)
            return resolve_suspect(self, visit_id, cash_moved=cash_moved, supervisor=supervisor.strip())

    # --- readiness -------------------------------------------------------------------------

    def device_health(self) -> DeviceHealth:
        from kiosk.devices import claim

        for device in (self.printer, self.drawer):
            claim(device)  # a device plugged in since start-up is taken into use now
        drawer = self.drawer.check_health()
        if self.drawer_alert and drawer.open is False:
            self.drawer_alert = False  # closed since the alert
        return DeviceHealth(self.printer.check_health(), drawer, self.drawer_alert)

    def printer_ready(self) -> bool:
        return self.printer.check_health().ready

    def ensure_ready_for_cash(self) -> None:
        """Refuse before any money moves when the shift, an unresolved visit or the devices
        would not let the visit finish."""
        self.require_trusted_journal()
        self.require_cashier()
        self.shifts.require_open()
        if self.journal.unresolved_suspects():
            raise TellerError(
                "CASH_LOCKED",
                "A visit's cash outcome is unknown: cash movements are locked.",
                "A supervisor must count the drawer and resolve it first.",
            )
        health = self.device_health()
        if health.drawer_alert or health.drawer.open:
            raise TellerError(
                "DRAWER_OPEN", "The cash drawer is open.", "Close the drawer, then carry on."
            )
        problem = health.printer.problem()
        if problem and (health.printer.paper_out or health.printer.cover_open or health.printer.power.value != "online"):
            raise TellerError(
                "PRINTER_NOT_READY",
                f"The {problem}: no receipt could be printed.",
                "Fix the printer (paper, cover, power), then try again. No money moved.",
            )

    def require_trusted_journal(self) -> None:
        """Nothing moves money (a visit, a recovery, a compensation) on a journal that failed
        its check, or whose files changed behind this process's back."""
        if self.journal.broken or self.journal.changed_behind_our_back():
            raise TellerError(
                "JOURNAL_BROKEN",
                f"The journal failed its check: {self.journal.broken}. Cash movements are locked.",
                "A supervisor must count the drawer and reseal the journal (kiosk journal reseal).",
            )

    def cash_out_guard(self, amount: Money) -> Callable[[], None]:
        """For `journal.record(..., guard=...)` on a cash-out's INTENT: the drawer's cash is
        checked again inside the transaction that records the intent, against the committed
        journal, so no two visits can both be promised the same notes."""

        def guard() -> None:
            self.require_cash(amount, committed=True)

        return guard

    def require_cash(self, amount: Money, *, committed: bool = False) -> None:
        """Refuse a cash-out the drawer cannot pay (`committed`: as the journal's committed rows
        count it, inside the transaction that promises the notes)."""
        cash = self.shifts.committed_cash(amount.currency) if committed else self.cash_in_drawer(amount.currency)
        if cash < amount:
            raise TellerError(
                "NOT_ENOUGH_CASH",
                f"The drawer holds {cash}; it cannot pay out {amount}.",
                "Offer a smaller amount, or another currency.",
            )

    def reseal_journal(self, supervisor: str, reason: str = "") -> str:
        """A supervisor accepts a journal that failed its check (after counting the drawer):
        what was found is recorded in the chain and cash can move again."""
        if not self.journal.broken:
            raise TellerError("JOURNAL_OK", "The journal passed its check: there is nothing to reseal.")
        found = self.journal.broken
        self.journal.reseal(supervisor, reason)
        # The visits summary was rebuilt from the rows: the shift's figures follow it.
        self.shifts = Shifts(self.journal)
        return found

    # --- settling a host call, the drawer, the cash ----------------------------------------

    def send_settling(self, visit_id: str, call: Callable[[], T], *, record_retries: bool = True) -> T:
        """Send; while the answer is unknown, re-send the same call (same idempotency value: the
        host replays its first answer, so this cannot apply twice) within the retry policy.
        Each re-send is journalled (HOST_RESENT) unless `record_retries` is off, and shown
        through `on_retry`; `stop_waiting` ends the wait."""
        self._stop.clear()

        def retrying(attempt: int, pause: float, error: BackendError) -> None:
            log.warning("visit %s: no answer (%s); re-sending with the same key", visit_id[:8], error.code)
            if record_retries:
                self.journal.record(visit_id, Step.HOST_RESENT, attempt=attempt, code=error.code)
            if self.on_retry is not None:
                self.on_retry(attempt, pause, error)

        return send_settling(call, self.retry, cancel=self._stop, on_retry=retrying)

    def stop_waiting(self) -> None:
        """The cashier stops waiting for an unanswered host call (from another thread). The
        visit is left unresolved and the outbox keeps settling it."""
        self._stop.set()

    def open_drawer(self, visit: Visit) -> None:
        """Kick the drawer (DRAWER_KICKED durable first) and record what it did. The outcome
        and, later, the drawer closing do not wait for the disk: the cashier acts next, and
        every step after them begins with a durable commit. Recovery reads any visit whose
        drawer was kicked and whose cash was not confirmed alike (suspect), whatever a power
        cut left of these rows."""
        self.journal.record(visit.visit_id, Step.DRAWER_KICKED)
        outcome = self.drawer.open_drawer()
        step = {
            DrawerOutcome.OPENED: Step.DRAWER_OPENED,
            DrawerOutcome.UNCONFIRMED: Step.DRAWER_UNCONFIRMED,
            DrawerOutcome.NOT_OPENED: Step.DRAWER_NOT_OPENED,
        }[outcome]
        self.journal.record(visit.visit_id, step, durable=False)
        visit.drawer_outcome = outcome
        visit.stage = Stage.CASH_PENDING

    def wait_for_drawer_close(self, visit: Visit, timeout: float) -> bool | None:
        """Bounded wait for the cashier to shut the drawer; a drawer left open raises the
        alert that blocks the next visit."""
        closed = self.drawer.wait_for_drawer_close(timeout)
        if closed is False:
            self.drawer_alert = True
            self.journal.record(visit.visit_id, Step.DRAWER_LEFT_OPEN, waited=timeout, durable=False)
        elif closed:
            self.journal.record(visit.visit_id, Step.DRAWER_CLOSED, durable=False)
        return closed

    def confirm_cash(self, visit: Visit, *, by_hand: bool = False) -> Visit:
        """The cashier confirms the cash changed hands (paid out, or put in the drawer)."""
        with self.lock:
            self.expect_stage(visit, Stage.CASH_PENDING)
            self._record_cash(visit, by_hand)
            return self._count_cash(visit)

    def confirm_cash_and_print(self, visit: Visit, *, by_hand: bool = False) -> PrintOutcome:
        """`confirm_cash`, then the receipt (as `print_visit_receipt`): CASH_CONFIRMED and
        RECEIPT_SENT share one commit, since nothing happens between them."""
        with self.lock:
            self.expect_stage(visit, Stage.CASH_PENDING)
            document = self._receipt(visit, copy=False)  # built before anything is recorded
            with self.journal.one_commit():
                self._record_cash(visit, by_hand)
                self.journal.record(visit.visit_id, Step.RECEIPT_SENT, copy=False)
            self._count_cash(visit)
            return self._print(visit, document, copy=False)

    def _record_cash(self, visit: Visit, by_hand: bool) -> None:
        assert visit.amount and visit.kind
        delta = visit.amount.amount if visit.kind is VisitKind.DEPOSIT else -visit.amount.amount
        self.journal.record(
            visit.visit_id, Step.CASH_CONFIRMED, by_hand=by_hand, cash_delta=f"{delta:f}", summary={"cash_delta": f"{delta:f}"}
        )

    def _count_cash(self, visit: Visit) -> Visit:
        """The shift counts the cash CASH_CONFIRMED recorded (once that row is committed)."""
        assert visit.amount and visit.kind
        self.shifts.note_cash(visit.amount.currency, visit.amount, paid_in=visit.kind is VisitKind.DEPOSIT)
        visit.stage = Stage.CASH_DONE
        return visit

    def mark_suspect(self, visit: Visit, reason: str) -> Visit:
        """The cash outcome is unknown (drawer left open, nobody confirmed): a supervisor
        must count the drawer. The session stays open until then, so that a withdrawal found
        not paid out can still be reversed."""
        with self.lock:
            self.journal.record(visit.visit_id, Step.SUSPECT, reason=reason, summary={"state": journal_states.SUSPECT})
            visit.stage = Stage.SUSPECT
            return visit

    def complete(self, visit: Visit) -> Visit:
        """Print the receipt of a visit whose cash was confirmed, and record it COMPLETED. A
        receipt that did not print does not undo the visit: the cash moved; the cashier can
        reprint. (A desk that holds a host session closes it between the two.)"""
        with self.lock:
            self.expect_stage(visit, Stage.CASH_DONE)
            self.print_visit_receipt(visit, copy=False)
            return self.record_completed(visit)

    def record_completed(self, visit: Visit) -> Visit:
        """The visit's last row: COMPLETED, its sealed details forgotten, its receipt the one
        a reprint prints."""
        with self.lock, self.journal.one_commit():
            self.journal.record(visit.visit_id, Step.COMPLETED, summary={"state": journal_states.COMPLETED})
            forget_when_done(self, visit.visit_id)
            visit.stage = Stage.COMPLETED
            self.last_receipt_visit = visit
            return visit

    def reprint(self, visit: Visit | None = None) -> PrintOutcome:
        """Print the last receipt again, marked COPY."""
        with self.lock:
            visit = visit or self.last_receipt_visit
            if visit is None or visit.receipt is None:
                raise TellerError("NO_RECEIPT", "There is no receipt to reprint.")
            self.require_approval(auth_actions.REPRINT)
            return self.print_visit_receipt(visit, copy=True)

    # --- who may: sign-in, limits and supervisor approvals (rules in kiosk.auth) ------------

    def require_cashier(self) -> str:
        """With sign-in on, nothing moves money unless a cashier is signed in."""
        if self.guard is None:
            return self.cashier
        if self.guard.user is None:
            raise TellerError("NOT_SIGNED_IN", "Nobody is signed in at this till.", "Sign in first.")
        return self.guard.user.name

    def limit_exceeded(self, amount: Money) -> str:
        """'' when `amount` needs no supervisor, else why it does (for the UI to ask first)."""
        if self.guard is None:
            return ""
        from kiosk.auth.guard import shift_turnover

        return self.guard.limit_breach(amount, shift_turnover(self, amount.currency))

    def within_limits(self, visit: Visit, amount: Money) -> None:
        breach = self.limit_exceeded(amount)
        if breach:
            self.require_approval(auth_actions.LIMIT, visit_id=visit.visit_id, why=breach)

    def require_approval(self, action: str, *, visit_id: str | None = None, supervisor: str | None = None, why: str = ""):
        """Use up the supervisor approval this step needs (none without sign-in)."""
        if self.guard is None:
            return None
        approval = self.guard.take_approval(action, visit_id=visit_id, supervisor=supervisor)
        if approval is None:
            raise TellerError(
                "NEEDS_SUPERVISOR",
                f"{why} A supervisor must approve this ({action}).".strip(),
                "Ask a supervisor to approve it with their PIN.",
            )
        return approval

    def _has_variance(self, counted: dict[str, Money]) -> bool:
        report = self.shifts.report()
        for currency in set(report.totals) | set(counted):
            expected = report.totals[currency].expected if currency in report.totals else 0
            if (counted[currency].amount if currency in counted else 0) != expected:
                return True
        return False

    # --- helpers ---------------------------------------------------------------------------

    def print_visit_receipt(self, visit: Visit, *, copy: bool) -> PrintOutcome:
        document = self._receipt(visit, copy=copy)
        self.journal.record(visit.visit_id, Step.RECEIPT_SENT, copy=copy)
        return self._print(visit, document, copy=copy)

    def _receipt(self, visit: Visit, *, copy: bool) -> ReceiptDocument:
        assert visit.amount and visit.kind
        facts = ReceiptFacts(
            store_name=self.store_name,
            store_address=self.store_address,
            terminal_id=self.terminal_id,
            cashier=self.cashier,
            kind=getattr(visit, "receipt_kind", "") or visit.kind.value,  # other journeys name their own
            amount=visit.amount,
            account_alias=visit.account.alias if visit.account else "",
            phone_masked=visit.phone_masked,
            transaction_id=visit.transaction_id,
            visit_id=visit.visit_id,
            at=datetime.fromtimestamp(self.clock()).astimezone(),
            **facts_from_visit(visit),  # a commission, a partial approval: what the journey kept
        )
        document = build_receipt(facts, columns=self.printer.columns, copy=copy)
        if not copy:
            visit.receipt = document
        return document

    def _print(self, visit: Visit, document: ReceiptDocument, *, copy: bool) -> PrintOutcome:
        """Print `document` (its RECEIPT_SENT row is committed) and record what the printer said."""
        outcome = self.printer.print_receipt(document)
        step = {
            PrintOutcome.PRINTED: Step.RECEIPT_PRINTED,
            PrintOutcome.NOT_PRINTED: Step.RECEIPT_NOT_PRINTED,
            PrintOutcome.UNKNOWN: Step.RECEIPT_UNKNOWN,
        }[outcome]
        self.journal.record(visit.visit_id, step, copy=copy)
        visit.print_outcome = outcome
        return outcome

    @staticmethod
    def expect_stage(visit: Visit, stage: Stage) -> None:
        if visit.stage is not stage:
            raise TellerError(
                "WRONG_STEP", f"This visit is {visit.stage.value.replace('_', ' ')}; that step is not possible now."
            )
