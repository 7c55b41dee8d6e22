"""What every back end's UI flow shares: the visit (`app.visit`), desk calls in the app's
workers, the progress, amount, confirm, drawer, receipt and failure screens, and leaving a
visit. A flow decides the next screen; the desk does every check and moves the money.

Every desk call a flow makes is one `self.run(step, lambda: self.desk.VERB(...), then)` line
(or, for a quick read of what the visit already holds, a plain call), so a change of the desk
protocol touches one line per call.
"""

from __future__ import annotations

import logging
from typing import Any, Callable

from rich.text import Text
from textual.message import Message

from kiosk import auth
from kiosk.teller import Stage, TellerError, VisitKind
from kiosk.ui import messages as m
from kiosk.ui.journey_messages import AmountTyped, BackToMenu, Confirmed, EndVisit, FlowMessage, StartAgain
from kiosk.ui.screens.confirm import ConfirmQuestion
from kiosk.ui.screens.error import ErrorScreen, NoticeScreen, Way
from kiosk.ui.screens.journey import Field, FormScreen, JourneyDrawerScreen, JourneyReceiptScreen
from kiosk.ui.screens.progress import ProgressScreen
from kiosk.ui.widgets.amount_input import will_move

log = logging.getLogger("kiosk.ui.flows")


class Flow:
    """One visit's flow with one back end's desk. Subclasses: `start()` (the first screen),
    `menu()` (the visit's menu) and `step(message)` (their own requests)."""

    backend = ""
    title = ""

    def __init__(self, app: Any, desk: Any) -> None:
        self.app = app
        self.desk = desk
        self.demo_next = 0  # which demo card / login / account F2 types in next

    # --- the visit: the app's one `visit` ---------------------------------------------------------

    @property
    def visit(self) -> Any:
        return self.app.visit

    @visit.setter
    def visit(self, visit: Any) -> None:
        self.app.visit = visit

    # --- what a flow implements -------------------------------------------------------------------

    def start(self) -> None:
        raise NotImplementedError

    def menu(self) -> None:
        raise NotImplementedError

    def step(self, message: FlowMessage) -> None:
        log.warning("%s: nothing to do for %s", self.backend, type(message).__name__)

    # --- the app hands every request here ---------------------------------------------------------

    def handle(self, message: FlowMessage) -> None:
        """A TellerError raised while checking what was typed is said on the error screen."""
        try:
            if isinstance(message, EndVisit):
                self.end()
            elif isinstance(message, StartAgain):
                self.again()
            elif isinstance(message, BackToMenu):
                self.start() if self.visit is None else self.menu()
            else:
                self.step(message)
        except TellerError as exc:
            self.failed(exc)

    def run(self, step: str, call: Callable[[], Any], then: Callable[[Any], None]) -> None:
        """The desk call in the app's worker; `then(its answer)` on the UI thread."""
        self.app.run_desk(step, call, then)

    # --- shared screens ---------------------------------------------------------------------------

    def progress(self, what: str, *, money: bool = False) -> None:
        bound = self.app.money_bound() if money else self.app.host_timeout * 2
        self.app.show(ProgressScreen(what, bound=bound, money=money))

    def confirm(self, title: str, question: str, *, first: str = "", note: str = "") -> None:
        self.app.show(ConfirmQuestion(title, question, first=first,
                                      hint=note or "Nothing has moved yet. Enter sends it.",
                                      back_label="Back to the visit", confirm=Confirmed, back=BackToMenu))

    def amount_screen(self, title: str, info: str | Text, currency: str, check: Callable[[str], Any]) -> None:
        """The amount, checked by the desk as it is typed; Enter posts AmountTyped."""
        app = self.app

        def words(text: str) -> str:
            return will_move(app, check(text))

        self.app.show(FormScreen(title, [Field("amount", f"Amount, in {currency}", currency=currency, check=words)],
                                 lambda values: AmountTyped(values["amount"]), info=info, back=BackToMenu))

    def pin_next(self) -> str:
        from kiosk.ui.screens.approve import guard_of

        return "Then the supervisor approves it with their PIN." if guard_of(self.app) is not None else ""

    def cash(self, currency: str) -> Any:
        try:
            return self.app.teller.cash_in_drawer(currency)
        except Exception:
            return f"? {currency}"

    # --- supervisor approvals (with sign-in on; the desk checks them too) -------------------------

    def within_limits(self, amount: Any, retry: Callable[[], Message]) -> bool:
        """True to move the money now; over a limit (sign-in on) the approval modal first, then
        `retry` again (the desk takes the approval: auth.LIMIT)."""
        from kiosk.ui.screens.approve import approved_or_ask

        visit, teller = self.visit, self.app.teller
        over = teller.limit_exceeded(amount)
        return approved_or_ask(self.app, auth.LIMIT, retry=retry, why=over,
                               visit_id=visit.visit_id if visit is not None else None, needed=bool(over))

    def supervisor(self, action: str, supervisor: str, then: Callable[[str], None], *, why: str = "") -> None:
        """A supervisor's step (block / unblock a card, merchant override): with sign-in on, the
        supervisor approves with their PIN (the name fixed when one was typed), then
        `then(their name)`; without sign-in, `then(the name typed)` at once (the demo)."""
        from kiosk.ui.screens.approve import ask_approval, guard_of

        guard, visit = guard_of(self.app), self.visit
        supervisor = (supervisor or "").strip()
        visit_id = visit.visit_id if visit is not None else None
        if guard is None or (supervisor and guard.has_approval(action, visit_id=visit_id, supervisor=supervisor)):
            then(supervisor)
            return

        def done(name: str | None) -> None:
            if name and self.visit is visit and visit is not None and visit.stage is Stage.SESSION_OPEN:
                then(name)

        ask_approval(self.app, action, then=done, why=why, visit_id=visit_id, supervisor=supervisor)

    # --- failures ---------------------------------------------------------------------------------

    def failed(self, error: TellerError) -> None:
        visit = self.visit
        if visit is None or visit.finished or visit.stage is not Stage.SESSION_OPEN:
            if visit is None or visit.stage in (Stage.FAILED, Stage.CANCELLED):
                self.visit = None
                ways = [Way("enter", "Try again", StartAgain), Way("escape", "Back to ready", EndVisit)]
            else:
                ways = [Way("enter", "Back to ready", EndVisit)]
        else:
            ways = self.failed_ways(error)
        self.app.show(ErrorScreen(error, ways))

    def failed_ways(self, error: TellerError) -> list[Way]:
        """With the session open: back to the visit, or end it."""
        return [Way("enter", "Back to the visit", BackToMenu), Way("escape", "End the visit", EndVisit)]

    def again(self) -> None:
        self.visit = None
        self.start()

    # --- leaving a visit --------------------------------------------------------------------------

    def end(self) -> None:
        """Back to ready; a session still open is closed first (journal writes, maybe the back
        end): in a worker, the progress screen meanwhile."""
        visit = self.visit
        if visit is not None and visit.stage is Stage.CASH_PENDING:
            return  # the cash step must be finished on the drawer screen
        if visit is None or visit.stage is not Stage.SESSION_OPEN:
            self.app.show_ready()
            return
        self.progress("Ending the visit")
        self.run("cancel", lambda: self.desk.cancel(visit), lambda _: self.ended())

    def ended(self) -> None:
        self.app.notify("Visit ended. Nothing was charged.")
        self.app.show_ready()

    # --- after the money moved --------------------------------------------------------------------

    def moved(self, visit: Any) -> None:
        app = self.app
        waiting = visit.drawer_outcome is not None and visit.drawer_outcome.value == "opened"
        title = f"{visit.receipt_kind} · {visit.phone_masked} · cash"
        not_opened = ""
        if visit.kind is VisitKind.WITHDRAW:
            not_opened = (f"{visit.receipt_kind} of {visit.amount} was applied.\n"
                          f"If you handed over {visit.amount} some other way, press H.\n"
                          "If the customer got no cash, press R: it is undone.")
        app.show(JourneyDrawerScreen(visit, waiting=waiting, bound=app.drawer_wait, title=title, not_opened_text=not_opened))
        if waiting:
            app.wait_for_drawer(visit)

    def cash_done(self, by_hand: bool) -> None:
        """The drawer closed (or the cashier says the cash step is done): the receipt."""
        visit, desk = self.visit, self.desk
        if visit is None or visit.stage is not Stage.CASH_PENDING:
            return
        self.progress("Printing the receipt")
        self.run("completed", lambda: desk.finish(visit, by_hand=by_hand), self.completed)

    def completed(self, visit: Any) -> None:
        columns = int(getattr(self.app.teller.printer, "columns", 42) or 42)
        self.app.show(JourneyReceiptScreen(visit, columns=columns, title=f"{visit.receipt_kind} complete · {visit.phone_masked}",
                                           done=f"{visit.receipt_kind}: {visit.amount} complete."))

    def reverse(self) -> None:
        """No cash was handed over: undo the movement at the host (Flexiti: a supervisor)."""
        visit, desk = self.visit, self.desk
        if visit is None or visit.stage is not Stage.CASH_PENDING:
            return
        if desk.undo_needs_approval:  # Flexiti: nothing is undone at the host, it goes to a supervisor
            # A cashier's choice to undo: with sign-in on, a supervisor approves it first (the
            # desk takes the approval: auth.REVERSE), as for the wallet's reversal.
            from kiosk.ui.screens.approve import approved_or_ask

            if not approved_or_ask(self.app, auth.REVERSE, retry=m.ReverseWithdrawal, visit_id=visit.visit_id):
                return
        self.progress("Undoing it: no cash was handed over", money=True)
        self.run("undone", lambda: desk.undo(visit), self.undone)

    def undone(self, visit: Any) -> None:
        self.visit = None
        self.app.show(NoticeScreen("Undone", f"{visit.receipt_kind} of {visit.amount} was undone at the host. "
                                   "No cash was handed over.", "Tell the customer; they can try again.",
                                   [Way("enter", "Back to ready", m.BackToReady)], tone="ok"))

    def back_to_ready(self) -> None:
        """Ready from a notice, a receipt or an error: never leaves a session open."""
        if self.visit is not None and self.visit.stage is Stage.CASH_PENDING:
            return  # still on its drawer screen's way: never dropped
        self.end()
