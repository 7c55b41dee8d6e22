"""The app's side of the other back ends' journeys (gift cards, SDK.finance wallets, Flexiti):
mixed into KioskApp, it turns the screens' requests into desk calls in worker threads the app
owns, and the results into the next screen. The shared screens (progress, drawer, receipt,
error) are reused; only the steps particular to a back end have screens of their own.

While one of these journeys runs, `app.visit` stays None (the wallet journey's handlers then
leave the shared messages - CashDone, ReverseWithdrawal, BackToReady - to the handlers here)
and the journey's visit is `app.journey["visit"]`.
"""

from __future__ import annotations

import logging
from typing import Any, Callable

from rich.text import Text
from textual.message import Message

from kiosk import auth
from kiosk.teller import Stage, TellerError, VisitKind
from kiosk.journal.store import JournalError
from kiosk.teller.visit import journal_failure
from kiosk.ui import messages as m
from kiosk.ui.journey_messages import ChooseBackend, JourneyFailed, JourneyRequest, JourneyStep, StartJourney
from kiosk.ui.screens.error import ErrorScreen, NoticeScreen, Way
from kiosk.ui.screens.journey import Field, FormScreen, JourneyDrawerScreen, JourneyReceiptScreen, Key, MenuScreen
from kiosk.ui.screens.progress import ProgressScreen
from kiosk.ui.widgets.amount_input import will_move

log = logging.getLogger("kiosk.ui.journeys")

NAMES = {
    "rapyd": "Wallet (Rapyd): withdraw or deposit",
    "pospointe": "Gift card: balance, sell, reload, redeem",
    "sdkfinance": "SDK.finance wallet: top up or withdraw",
    "flexiti": "Flexiti account: deposit or in-store payment",
}
KEYS = {"rapyd": "w", "pospointe": "g", "sdkfinance": "k", "flexiti": "f"}
TITLES = {"pospointe": "Gift card", "sdkfinance": "SDK.finance wallet", "flexiti": "Flexiti"}


def _ways(*ways: tuple[str, str, Callable[[], Message]]) -> list[Way]:
    return [Way(key, label, request) for key, label, request in ways]


def _req(name: str, **data: Any) -> Callable[[], Message]:
    return lambda: JourneyRequest(name, dict(data))


class JourneysMixin:
    """Handlers for kiosk.ui.journey_messages, and for the shared messages when the visit is one
    of these journeys'. Runs in KioskApp (self is the app)."""

    # --- state ------------------------------------------------------------------------------------

    @property
    def journey(self) -> dict[str, Any]:
        state = self.__dict__.get("_journey_state")
        if state is None:
            state = self.__dict__["_journey_state"] = {}
        return state

    @property
    def enabled_backends(self) -> list[str]:
        from kiosk.teller import journeys

        settings = getattr(self.runtime, "settings", None)  # type: ignore[attr-defined]
        wanted = list(getattr(getattr(settings, "backends", None), "enabled", None) or ["rapyd"])
        return [n for n in wanted if n == "rapyd" or journeys.desk(self.teller, n) is not None]  # type: ignore[attr-defined]

    def _j_desk(self) -> Any:
        from kiosk.teller import journeys

        return journeys.desk(self.teller, self.journey.get("backend", ""))  # type: ignore[attr-defined]

    def _j_jvisit(self) -> Any:
        return self.journey.get("visit")

    def _j_run(self, step: str, call: Callable[[], Any], *, busy: bool = True) -> None:
        """The desk call in a worker the app owns; its result comes back as JourneyStep."""
        app: Any = self
        visit = self._j_jvisit()
        if busy:
            app.busy = step

        def work() -> None:
            try:
                result: Message = JourneyStep(step, call())
            except TellerError as exc:
                result = JourneyFailed(step, exc, visit)
            except JournalError as exc:  # a full disk, a broken journal: said plainly
                result = JourneyFailed(step, journal_failure(exc), visit)
            except Exception:
                log.exception("journey step %r failed unexpectedly", step)
                result = JourneyFailed(step, TellerError(
                    "INTERNAL", "Something went wrong inside the kiosk.",
                    "Do not move cash for this visit until a supervisor checked the journal."
                    if visit is not None and visit.stage not in (Stage.SESSION_OPEN, Stage.FAILED, Stage.CANCELLED)
                    else "Nothing moved. Try again."), visit)
            app.post_message(result)

        app.run_worker(work, name=f"journey:{step}", group="teller", thread=True, exit_on_error=False)

    def _j_progress(self, what: str, *, money: bool = False) -> None:
        app: Any = self
        bound = app.money_bound() if money else app.host_timeout * 2
        app.show(ProgressScreen(what, bound=bound, money=money))

    # --- supervisor approvals (with sign-in on; the teller checks them, as in kiosk.ui.app) -------------

    def _j_within_limits(self, amount: Any, retry: str) -> bool:
        """True to post the money step now; over a limit (sign-in on) the approval modal first,
        then the same request `retry` again (the teller takes the approval: auth.LIMIT)."""
        from kiosk.ui.auth import approved_or_ask

        app: Any = self
        visit, teller = self._j_jvisit(), app.teller
        over = teller.limit_exceeded(amount) if hasattr(teller, "limit_exceeded") else ""
        return approved_or_ask(app, auth.LIMIT, retry=lambda: JourneyRequest(retry, {}), why=over,
                               visit_id=visit.visit_id if visit is not None else None, needed=bool(over))

    def _j_supervisor(self, action: str, supervisor: str, then: Callable[[str], Any], *, why: str = "") -> None:
        """A supervisor's step (block / unblock a card, merchant override): with sign-in on, the
        supervisor approves with their PIN (the modal; the name fixed when one was typed), then
        `then(their name)`; without sign-in, `then(the name typed)` at once (the demo)."""
        from kiosk.ui.screens.approve import ask_approval, guard_of

        app: Any = self
        guard, visit = guard_of(app), self._j_jvisit()
        supervisor = (supervisor or "").strip()
        visit_id = visit.visit_id if visit is not None else None
        if guard is None or (supervisor and guard.has_approval(action, visit_id=visit_id, supervisor=supervisor)):
            then(supervisor)
            return

        def done(name: str | None) -> None:
            if name and self._j_jvisit() is visit and visit is not None and visit.stage is Stage.SESSION_OPEN:
                then(name)

        ask_approval(app, action, then=done, why=why, visit_id=visit_id, supervisor=supervisor)

    def _j_pin_next(self) -> str:
        from kiosk.ui.screens.approve import guard_of

        return "Then the supervisor approves it with their PIN." if guard_of(self) is not None else ""

    # --- choosing the back end ----------------------------------------------------------------------

    def on_choose_backend(self, message: ChooseBackend) -> None:
        app: Any = self
        if app.busy or app.visit is not None or self._j_jvisit() is not None:
            return
        keys = [Key(KEYS[n], NAMES[n], "start", {"backend": n}) for n in self.enabled_backends]
        keys.append(Key("escape", "Back to ready", "ready"))
        app.show(MenuScreen("New visit · which back end?", "Choose the system that serves this customer.", keys))

    def on_start_journey(self, message: StartJourney) -> None:
        self._j_start(message.backend)

    def _j_start(self, backend: str) -> None:
        app: Any = self
        if app.busy or app.visit is not None or self._j_jvisit() is not None:
            return
        if backend not in self.enabled_backends:
            app.notify(f"{TITLES.get(backend, backend)} is not enabled on this kiosk.", severity="warning")
            return
        if backend == "rapyd":
            app.post_message(m.StartVisit())
            return
        self.journey.clear()
        self.journey["backend"] = backend
        {"pospointe": self._gc_entry, "sdkfinance": self._sdk_sign_in_screen, "flexiti": self._fx_find}[backend]()

    # --- requests from the screens ---------------------------------------------------------------------

    def on_journey_request(self, message: JourneyRequest) -> None:
        app: Any = self
        name, data = message.name, message.data
        if name == "start":
            self._j_start(data["backend"])
            return
        if name == "ready":
            if self._j_jvisit() is None or self._j_jvisit().finished:
                self.journey.clear()
                app.show_ready()
            return
        if app.busy:
            return
        if name == "end":
            self._j_end_visit()
            return
        handler = getattr(self, f"_req_{self.journey.get('backend', '')}_{name}", None) or getattr(self, f"_req_{name}", None)
        if handler is None:
            log.warning("no handler for journey request %s", name)
            return
        try:
            handler(data)
        except TellerError as exc:
            self._j_failed(name, exc)

    def on_journey_step(self, message: JourneyStep) -> None:
        app: Any = self
        app.busy = ""
        handler = getattr(self, f"_step_{message.name}", None)
        if handler is not None:
            handler(message.value)

    def on_journey_failed(self, message: JourneyFailed) -> None:
        app: Any = self
        app.busy = ""
        self._j_failed(message.name, message.error)

    def _j_failed(self, step: str, error: TellerError) -> None:
        app: Any = self
        visit = self._j_jvisit()
        ready = ("enter", "Back to ready", _req("end"))
        if visit is None or visit.finished or visit.stage is not Stage.SESSION_OPEN:
            if visit is None or visit.stage in (Stage.FAILED, Stage.CANCELLED):
                self.journey["visit"] = None
                ways = _ways(("enter", "Try again", _req("again")), ("escape", "Back to ready", _req("end")))
            else:
                ways = _ways(ready)
        elif error.code in ("WRONG_VERIFICATION_CODE",):
            ways = _ways(("enter", "Type the PIN again", _req("pin_again")), ("escape", "End the visit", _req("end")))
        else:
            ways = _ways(("enter", "Back to the visit", _req("menu")), ("escape", "End the visit", _req("end")))
        app.show(ErrorScreen(error, ways))

    def _req_again(self, data: dict[str, Any]) -> None:
        backend = self.journey.get("backend", "")
        self.journey.clear()
        self._j_start(backend)

    def _j_end_visit(self) -> None:
        app: Any = self
        visit, desk = self._j_jvisit(), self._j_desk()
        if visit is not None and visit.stage is Stage.CASH_PENDING:
            return  # the cash step must be finished on the drawer screen
        if visit is not None and visit.stage is Stage.SESSION_OPEN and desk is not None:
            try:
                desk.cancel(visit)  # journal only (a gift card forgets its card; a wallet signs out)
            except Exception:
                log.exception("ending the visit failed")
        self.journey.clear()
        app.show_ready()

    # --- the shared messages, when the visit is one of these journeys' ---------------------------------

    def on_cash_done(self, message: m.CashDone) -> None:
        app: Any = self
        visit, desk = self._j_jvisit(), self._j_desk()
        if app.visit is not None or visit is None or app.busy or visit.stage is not Stage.CASH_PENDING:
            return
        self._j_progress("Printing the receipt")
        by_hand, teller = message.by_hand, app.teller

        def finish() -> Any:
            if hasattr(desk, "finish"):
                return desk.finish(visit, by_hand=by_hand)
            teller.confirm_cash(visit, by_hand=by_hand)
            return desk.complete(visit)

        self._j_run("completed", finish)

    def on_reverse_withdrawal(self, message: m.ReverseWithdrawal) -> None:
        app: Any = self
        visit, desk = self._j_jvisit(), self._j_desk()
        if app.visit is not None or visit is None or app.busy or visit.stage is not Stage.CASH_PENDING:
            return
        undo = getattr(desk, "undo_redeem", None) or getattr(desk, "undo", None)
        if undo is None:
            undo = desk.undo_payment  # Flexiti: nothing is undone at the host, it goes to a supervisor
        else:
            # A cashier's choice to undo: with sign-in on, a supervisor approves it first (the
            # desk takes the approval: auth.REVERSE), as for the wallet's reversal.
            from kiosk.ui.auth import approved_or_ask

            if not approved_or_ask(app, auth.REVERSE, retry=m.ReverseWithdrawal, visit_id=visit.visit_id):
                return
        self._j_progress("Undoing it: no cash was handed over", money=True)
        self._j_run("undone", lambda: undo(visit))

    def on_back_to_ready(self, message: m.BackToReady) -> None:
        # The wallet journey's handler ran first and showed Ready (its own visit is None).
        self._j_forget_journey()

    def on_cancel_visit(self, message: m.CancelVisit) -> None:
        self._j_forget_journey()

    def _j_forget_journey(self) -> None:
        visit, desk = self._j_jvisit(), self._j_desk()
        if visit is not None and visit.stage is Stage.CASH_PENDING:
            return  # still on its drawer screen's way: never dropped
        if visit is not None and visit.stage is Stage.SESSION_OPEN and desk is not None:
            try:
                desk.cancel(visit)
            except Exception:
                log.exception("ending the visit failed")
        self.journey.clear()

    def _step_moved(self, visit: Any) -> None:
        app: Any = self
        waiting = visit.drawer_outcome is not None and visit.drawer_outcome.value == "opened"
        title = f"{visit.receipt_kind} · {visit.phone_masked} · cash"
        not_opened = ""
        if visit.kind is VisitKind.WITHDRAW:
            not_opened = (f"{visit.receipt_kind} of {visit.amount} was applied.\n"
                          f"If you handed over {visit.amount} some other way, press H.\n"
                          "If the customer got no cash, press R: it is undone.")
        app.show(JourneyDrawerScreen(visit, waiting=waiting, bound=app.drawer_wait, title=title, not_opened_text=not_opened))
        if waiting:
            teller, bound = app.teller, app.drawer_wait

            def wait() -> Message:
                try:
                    closed = teller.wait_for_drawer_close(visit, bound)
                except Exception:
                    log.exception("waiting for the drawer failed")
                    closed = None
                return m.DrawerClosed(visit, closed)

            def work() -> None:
                app.post_message(wait())

            app.run_worker(work, name="journey:drawer", group="teller", thread=True, exit_on_error=False)

    def _step_completed(self, visit: Any) -> None:
        app: Any = self
        columns = int(getattr(app.teller.printer, "columns", 42) or 42)
        app.show(JourneyReceiptScreen(visit, columns=columns, title=f"{visit.receipt_kind} complete · {visit.phone_masked}",
                                      done=f"{visit.receipt_kind}: {visit.amount} complete."))

    def _step_undone(self, visit: Any) -> None:
        app: Any = self
        self.journey["visit"] = None
        app.show(NoticeScreen("Undone", f"{visit.receipt_kind} of {visit.amount} was undone at the host. "
                              "No cash was handed over.", "Tell the customer; they can try again.",
                              [Way("enter", "Back to ready", m.BackToReady)], tone="ok"))

    def _j_confirm(self, question: str, first: str = "", note: str = "") -> None:
        app: Any = self
        body = Text()
        if first:
            body.append(first + "\n\n", style="bold yellow")
        body.append(question + "\n\n", style="bold")
        body.append(note or "Nothing has moved yet. Enter sends it.")
        app.show(MenuScreen("Confirm", body, [Key("enter", "Confirm", "confirm"), Key("escape", "Back", "menu")]))

    def _j_amount_screen(self, title: str, info: str | Text, currency: str, check: Callable[[str], Any]) -> None:
        app: Any = self

        def words(text: str) -> str:
            return will_move(app, check(text))

        app.show(FormScreen(title, [Field("amount", f"Amount, in {currency}", currency=currency, check=words)],
                            "amount", info=info, back="menu"))

    # ================================ gift cards (POSPointe) =========================================

    def _gc_entry(self) -> None:
        app: Any = self
        demo = getattr(app.runtime, "demo", None)
        cards = list(getattr(demo, "gift_cards", []) or [])
        side = fill = None
        if cards:
            def side() -> Text:
                text = Text()
                for number, code, what in cards:
                    text.append(f"{number} ", style="bold")
                    text.append(f"{code}\n", style="reverse")
                    text.append(f" {what[:30]}\n")
                text.append("F2 types the next card in", style="italic")
                return text

            def fill() -> dict[str, str]:
                index = self.journey.get("demo_next", 0)
                self.journey["demo_next"] = index + 1
                number, code, _ = cards[index % len(cards)]
                return {"card": number, "code": code}

        app.show(FormScreen(
            "Gift card · card number and security code",
            [Field("card", "Card number (type it, or swipe / scan the card)", "12 to 19 digits", card=True),
             Field("code", "Security code (on the back of the card)", "3 to 8 digits", password=True, restrict=r"[0-9]*",
                   max_length=8)],
            "card", keys=[Key("f3", "Day's batch", "batch")], side=side, side_title="Demo gift cards",
            demo_fill=fill, back="end",
        ))

    def _req_pospointe_card(self, data: dict[str, Any]) -> None:
        desk = self._j_desk()
        number, code = data.get("card", ""), data.get("code", "")
        self._j_progress("Looking the card up")
        self._j_run("gc_found", lambda: desk.look_up(number, code))

    def _step_gc_found(self, visit: Any) -> None:
        self.journey["visit"] = visit
        self._gc_menu()

    def _req_pospointe_menu(self, data: dict[str, Any]) -> None:
        if self._j_jvisit() is None:
            self._gc_entry()
        else:
            self._gc_menu()

    def _gc_menu(self) -> None:
        app: Any = self
        visit, desk = self._j_jvisit(), self._j_desk()
        status = visit.details.get("status", "")
        balance = visit.details.get("balance")
        words = {"active": "active", "inactive": "not sold yet", "blocked": "BLOCKED"}.get(status, status)
        keys = []
        labels = {"sell": ("s", "Sell (cash in)"), "reload": ("r", "Reload (cash in)"), "redeem": ("d", "Redeem for cash")}
        for action in desk.actions(visit):
            key, label = labels[action]
            keys.append(Key(key, label, "action", {"action": action}))
        if status == "blocked":
            keys.append(Key("u", "Unblock (supervisor)", "status", {"blocked": False}))
        elif status in ("active", "inactive"):
            keys.append(Key("b", "Block (supervisor)", "status", {"blocked": True}))
        keys.append(Key("escape", "End the visit", "end"))
        body = Text()
        if status == "blocked":
            body.append("This card is blocked: it cannot be sold, reloaded or redeemed.\n", style="bold red")
        if status == "inactive":
            body.append("This card has not been sold: sell it to put money on it.\n")
        body.append("Cards hold up to 1000.00; a sale or reload is 1.00 to 500.00.")
        app.show(MenuScreen(f"Gift card {visit.phone_masked[5:]} · {words}", body, keys, big=f"Balance {balance}"))

    def _req_pospointe_action(self, data: dict[str, Any]) -> None:
        visit, desk = self._j_jvisit(), self._j_desk()
        action = data.get("action") or self.journey.get("action")
        self.journey["action"] = action
        balance = visit.details.get("balance")
        if action == "redeem":
            info = (f"Balance {balance}    Drawer holds {self_cash(self, desk.currency)}\n"
                    "If the card holds less, the server approves what it holds: hand over only that.")
        else:
            info = f"Balance {balance}. The customer pays this amount in cash."
        verb = {"sell": "Sell", "reload": "Reload", "redeem": "Redeem"}[action]
        self._j_amount_screen(f"{verb} · gift card {visit.phone_masked[5:]}", info, desk.currency,
                            lambda text: desk.check_amount(visit, action, text))

    def _req_pospointe_amount(self, data: dict[str, Any]) -> None:
        visit, desk = self._j_jvisit(), self._j_desk()
        action = self.journey["action"]
        amount = desk.check_amount(visit, action, data["amount"])
        self.journey["amount"] = amount
        card = visit.phone_masked[5:]
        if action == "redeem":
            self._j_confirm(f"Redeem {amount} from gift card {card} and hand it over in cash?",
                          note="If the card holds less, only what it holds is paid out. Nothing has moved yet.")
        else:
            verb = "Sell gift card" if action == "sell" else "Reload gift card"
            self._j_confirm(f"{verb} {card} with {amount}?", first=f"Take {amount} from the customer first.")

    def _req_pospointe_confirm(self, data: dict[str, Any]) -> None:
        visit, desk = self._j_jvisit(), self._j_desk()
        action, amount = self.journey["action"], self.journey["amount"]
        if not self._j_within_limits(amount, "confirm"):
            return  # over a limit: a supervisor approves first, then this request comes again
        words = {"sell": "Selling the card", "reload": "Reloading the card", "redeem": "Redeeming"}[action]
        self._j_progress(f"{words}: {amount}", money=True)
        self._j_run("moved", lambda: desk.move(visit, action, amount.plain()))

    def _req_pospointe_status(self, data: dict[str, Any]) -> None:
        app: Any = self
        blocked = bool(data.get("blocked"))
        self.journey["blocked"] = blocked
        verb = "Block" if blocked else "Unblock"
        app.show(FormScreen(
            f"{verb} gift card {self._j_jvisit().phone_masked[5:]} · supervisor",
            [Field("supervisor", "Supervisor's name (they approve this)", "name", max_length=40),
             Field("reason", "Reason (recorded by the gift card server)", "e.g. reported stolen", max_length=200)],
            "status_go", back="menu", info=self._j_pin_next(),
        ))

    def _req_pospointe_status_go(self, data: dict[str, Any]) -> None:
        from kiosk.ui.screens.approve import guard_of

        visit, desk = self._j_jvisit(), self._j_desk()
        blocked = self.journey.get("blocked", True)
        reason = data.get("reason", "")
        if guard_of(self) is not None and not reason.strip():
            # Said before the supervisor is asked for their PIN (the desk checks it too).
            raise TellerError("REASON_REQUIRED", "Say why the card is blocked or unblocked.", "Type a reason.")

        def change(supervisor: str) -> None:
            self._j_progress("Changing the card's status")
            self._j_run("gc_status", lambda: desk.set_blocked(visit, blocked, supervisor=supervisor, reason=reason))

        verb = "Block" if blocked else "Unblock"
        self._j_supervisor(auth.CARD_STATUS, data.get("supervisor", ""), change,
                           why=f"{verb} gift card {visit.phone_masked[5:]}: {reason.strip()}")

    def _step_gc_status(self, visit: Any) -> None:
        app: Any = self
        self.journey["visit"] = None
        status = visit.details.get("status", "")
        app.show(NoticeScreen("Card status changed", f"Gift card {visit.phone_masked[5:]} is now {status}.",
                              "Recorded with the supervisor's name.", [Way("enter", "Back to ready", m.BackToReady)],
                              tone="ok"))

    def _req_pospointe_batch(self, data: dict[str, Any]) -> None:
        desk = self._j_desk()
        self._j_progress("Reading the day's gift card batch")
        self._j_run("gc_batch", desk.batch)

    def _step_gc_batch(self, batch: Any) -> None:
        app: Any = self
        t = batch.totals
        body = Text()
        body.append(f"Batch {batch.batch_id} · {batch.status} · opened {batch.opened_at[:19]}\n\n", style="bold")
        body.append(f"Sales     {t.sell_count:>4}  {t.sell_amount}\n")
        body.append(f"Reloads   {t.reload_count:>4}  {t.reload_amount}\n")
        body.append(f"Redeemed  {t.redeem_count:>4}  {t.redeem_amount}\n")
        body.append(f"Net cash in         {t.net}\n\n", style="bold")
        for line in batch.lines[-6:]:
            body.append(f"{line.kind:<8} ****{line.last4}  {line.amount}  {line.at[11:19]}\n")
        keys = [Key("c", "Close the batch", "batch_close"), Key("escape", "Back", "again")]
        app.show(MenuScreen("Gift cards · the day's batch", body, keys))

    def _req_pospointe_batch_close(self, data: dict[str, Any]) -> None:
        desk = self._j_desk()
        self._j_progress("Closing the gift card batch")
        self._j_run("gc_batch_closed", desk.close_batch)

    def _step_gc_batch_closed(self, batch: Any) -> None:
        app: Any = self
        app.show(NoticeScreen("Batch closed", f"Batch {batch.batch_id} is closed: net {batch.totals.net}.",
                              f"A new batch is open{(' (' + batch.next_batch_id + ')') if batch.next_batch_id else ''}.",
                              [Way("enter", "Back to ready", m.BackToReady)], tone="ok"))

    # ================================ Flexiti ===========================================================

    def _fx_side(self) -> Callable[[], Text] | None:
        app: Any = self
        demo = getattr(app.runtime, "demo", None)
        accounts = list(getattr(demo, "flexiti_accounts", []) or [])
        if not accounts:
            return None

        def side() -> Text:
            text = Text()
            for number, what in accounts:
                text.append(f"{number} ", style="bold")
                try:
                    pin = demo.flexiti_pin(number)
                except Exception:
                    pin = None
                if pin:
                    text.append(f"PIN {pin}", style="reverse")
                answer = demo.flexiti_answers.get(number, "")
                text.append(f"\n answer: {answer}\n {what[:30]}\n")
            text.append("F2 types the next account in", style="italic")
            return text

        return side

    def _fx_find(self) -> None:
        app: Any = self
        demo = getattr(app.runtime, "demo", None)
        accounts = list(getattr(demo, "flexiti_accounts", []) or [])

        def fill() -> dict[str, str]:
            index = self.journey.get("demo_next", 0)
            self.journey["demo_next"] = index + 1
            return {"account": accounts[index % len(accounts)][0]}

        app.show(FormScreen(
            "Flexiti · find the customer",
            [Field("account", "Flexiti account number", "e.g. 116574819", restrict=r"[0-9 ]*", max_length=16)],
            "find", keys=[Key("f3", "Scan a driver's licence", "licence")], side=self._fx_side(),
            side_title="Demo Flexiti customers", demo_fill=fill if accounts else None, back="end",
        ))

    def _req_flexiti_licence(self, data: dict[str, Any]) -> None:
        app: Any = self
        demo = getattr(app.runtime, "demo", None)
        scans = list((getattr(demo, "flexiti_licences", {}) or {}).values())

        def fill() -> dict[str, str]:
            index = self.journey.get("demo_scan", 0)
            self.journey["demo_scan"] = index + 1
            return {"scan": scans[index % len(scans)].replace("\n", "\\n")}

        app.show(FormScreen(
            "Flexiti · scan the customer's driver's licence",
            [Field("scan", "Licence scan (the reader types it here)", "scan the barcode on the back", max_length=4000)],
            "scan", demo_fill=fill if scans else None, back="again",
        ))

    def _req_flexiti_find(self, data: dict[str, Any]) -> None:
        desk = self._j_desk()
        number = data.get("account", "")
        self._j_progress("Looking the customer up at Flexiti")
        self._j_run("fx_found", lambda: desk.look_up(account_number=number))

    def _req_flexiti_scan(self, data: dict[str, Any]) -> None:
        desk = self._j_desk()
        scan = data.get("scan", "").replace("\\n", "\n")
        self._j_progress("Reading the licence at Flexiti")
        self._j_run("fx_found", lambda: desk.look_up(licence_scan=scan))

    def _step_fx_found(self, visit: Any) -> None:
        self.journey["visit"] = visit
        self._fx_menu()

    def _req_flexiti_choose(self, data: dict[str, Any]) -> None:
        self._j_desk().choose_account(self._j_jvisit(), data["account"])
        self._fx_menu()

    def _req_flexiti_menu(self, data: dict[str, Any]) -> None:
        if self._j_jvisit() is None:
            self._fx_find()
        else:
            self._fx_menu()

    def _req_flexiti_pin_again(self, data: dict[str, Any]) -> None:
        self._fx_pin_form()

    def _fx_menu(self) -> None:
        app: Any = self
        visit, desk = self._j_jvisit(), self._j_desk()
        if "account" not in visit.details:
            keys = [Key(str(i + 1), f"{a.name} ····{a.account_number[-4:]}", "choose", {"account": a.account_number})
                    for i, a in enumerate(visit.details["accounts"][:9])]
            keys.append(Key("escape", "End the visit", "end"))
            app.show(MenuScreen("Flexiti · which account?", "The licence holder has several accounts.", keys))
            return
        account = desk.account(visit)
        body = Text()
        body.append(f"{account.name} · account ····{account.account_number[-4:]} · status {account.account_status}\n")
        if account.available_credit is not None:
            body.append(f"Available credit {account.available_credit}\n")
        if visit.details.get("locked"):
            body.append("Verification is LOCKED at Flexiti (3 wrong answers or PINs in 48 hours).\n", style="bold red")
        if visit.details.get("pin"):
            body.append("Verified.\n", style="bold green")
            keys = [Key("d", "Deposit (cash in)", "action", {"kind": "deposit"}),
                    Key("p", "In-store payment (cash out)", "action", {"kind": "instore_payment"}),
                    Key("escape", "End the visit", "end")]
            app.show(MenuScreen(f"Flexiti · {account.name}", body, keys))
            return
        body.append("\nVerify the customer first.")
        from kiosk.teller.flexiti import FORMAT_WORDS

        keys = [Key(str(i + 1), FORMAT_WORDS[f], "verify", {"format": f}) for i, f in enumerate(desk.allowed_formats(visit))]
        keys.append(Key("escape", "End the visit", "end"))
        app.show(MenuScreen(f"Flexiti · verify {account.name}", body, keys, side=self._fx_side(), side_title="Demo"))

    def _req_flexiti_verify(self, data: dict[str, Any]) -> None:
        app: Any = self
        visit, desk = self._j_jvisit(), self._j_desk()
        fmt = data["format"]
        self.journey["format"] = fmt
        if fmt == "security_question":
            question = desk.account(visit).security_question
            app.show(FormScreen("Flexiti · security question",
                                [Field("answer", question.text if question else "The customer's answer", "the answer",
                                       max_length=100)],
                                "verify_go", info="Three wrong answers or PINs in 48 hours lock verification.",
                                back="menu"))
            return
        if fmt == "merchant_override":
            app.show(FormScreen("Flexiti · merchant override",
                                [Field("supervisor", "Supervisor's name (they approve the override)", "name", max_length=40)],
                                "verify_go", back="menu", info=self._j_pin_next()))
            return
        self._req_flexiti_verify_go({})

    def _req_flexiti_verify_go(self, data: dict[str, Any]) -> None:
        visit, desk = self._j_jvisit(), self._j_desk()
        fmt = self.journey["format"]
        answer = data.get("answer", "")

        def verify(supervisor: str) -> None:
            self._j_progress("Verifying the customer with Flexiti")
            self._j_run("fx_verified", lambda: desk.verify(visit, fmt, answer=answer, supervisor=supervisor))

        if fmt != "merchant_override":
            verify("")
            return
        self._j_supervisor(auth.OVERRIDE, data.get("supervisor", ""), verify,
                           why=f"Verify {desk.account(visit).name} without a PIN.")

    def _step_fx_verified(self, visit: Any) -> None:
        if visit.details.get("pin") is None:
            self._fx_pin_form()
        else:
            self._fx_menu()

    def _fx_pin_form(self) -> None:
        app: Any = self
        visit = self._j_jvisit()
        where = {"sms": "by text message", "email": "by e-mail"}.get(visit.details.get("sent_to") or "", "")
        app.show(FormScreen("Flexiti · the customer's PIN",
                            [Field("pin", f"PIN the customer received {where}".strip(), "4 to 10 digits", password=True,
                                   restrict=r"[0-9]*", max_length=10)],
                            "pin", info="Ask the customer to read the PIN out. Three wrong PINs in 48 hours lock "
                            "verification.", side=self._fx_side(), side_title="Demo", back="menu"))

    def _req_flexiti_pin(self, data: dict[str, Any]) -> None:
        self._j_desk().enter_pin(self._j_jvisit(), data.get("pin", ""))
        self._fx_menu()

    def _req_flexiti_action(self, data: dict[str, Any]) -> None:
        visit, desk = self._j_jvisit(), self._j_desk()
        kind = data.get("kind") or self.journey.get("kind")
        self.journey["kind"] = kind
        account = desk.account(visit)
        if kind == "deposit":
            info = "The customer pays this in cash; it pays down what they owe."
        else:
            info = f"Drawn on the customer's credit ({account.available_credit} available) and paid out in cash. " \
                   f"Drawer holds {self_cash(self, desk.currency)}."
        title = "Deposit" if kind == "deposit" else "In-store payment"
        self._j_amount_screen(f"Flexiti · {title} · {account.name}", info, desk.currency,
                            lambda text: desk.check_amount(visit, kind, text))

    def _req_flexiti_amount(self, data: dict[str, Any]) -> None:
        visit, desk = self._j_jvisit(), self._j_desk()
        kind = self.journey["kind"]
        amount = desk.check_amount(visit, kind, data["amount"])
        self.journey["amount"] = amount
        name = desk.account(visit).name
        if kind == "deposit":
            self._j_confirm(f"Deposit {amount} into {name}'s Flexiti account?", first=f"Take {amount} from the customer first.")
        else:
            self._j_confirm(f"Pay {amount} from {name}'s Flexiti credit and hand it over in cash?")

    def _req_flexiti_confirm(self, data: dict[str, Any]) -> None:
        visit, desk = self._j_jvisit(), self._j_desk()
        kind, amount = self.journey["kind"], self.journey["amount"]
        if not self._j_within_limits(amount, "confirm"):
            return  # over a limit: a supervisor approves first, then this request comes again
        self._j_progress(f"Sending the {'deposit' if kind == 'deposit' else 'payment'} of {amount} to Flexiti", money=True)
        self._j_run("move", lambda: desk.move(visit, kind, amount.plain()))

    def _step_move(self, visit: Any) -> None:
        self._step_moved(visit)

    # ================================ SDK.finance ========================================================

    def _sdk_side(self) -> Callable[[], Text] | None:
        app: Any = self
        demo = getattr(app.runtime, "demo", None)
        logins = list(getattr(demo, "sdk_logins", []) or [])
        if not logins:
            return None

        def side() -> Text:
            text = Text()
            for login, password, what in logins:
                text.append(f"{login}\n", style="bold")
                text.append(f" {password}  ")
                try:
                    code = demo.sdk_otp(login)
                except Exception:
                    code = None
                if code:
                    text.append(f"code {code}", style="reverse")
                text.append(f"\n {what[:30]}\n")
            text.append("F2 types the next login in", style="italic")
            return text

        return side

    def _sdk_sign_in_screen(self) -> None:
        app: Any = self
        demo = getattr(app.runtime, "demo", None)
        logins = list(getattr(demo, "sdk_logins", []) or [])

        def fill() -> dict[str, str]:
            index = self.journey.get("demo_next", 0)
            self.journey["demo_next"] = index + 1
            login, password, _ = logins[index % len(logins)]
            return {"login": login, "password": password}

        app.show(FormScreen(
            "SDK.finance wallet · the customer signs in",
            [Field("login", "Customer's login (e-mail or phone)", "name@example.com", max_length=120),
             Field("password", "Customer's password (they type it)", "password", password=True, max_length=128)],
            "signin", side=self._sdk_side(), side_title="Demo wallets", demo_fill=fill if logins else None, back="end",
        ))

    def _req_sdkfinance_signin(self, data: dict[str, Any]) -> None:
        desk = self._j_desk()
        login, password = data.get("login", ""), data.get("password", "")
        self._j_progress("Signing the customer in")
        self._j_run("sdk_signed", lambda: desk.sign_in(login, password))

    def _step_sdk_signed(self, visit: Any) -> None:
        app: Any = self
        self.journey["visit"] = visit
        if visit.details.get("otp_pending"):
            app.show(FormScreen(
                "SDK.finance wallet · one-time code",
                [Field("otp", f"Code the wallet sent to {visit.phone_masked}", "digits", password=True,
                       restrict=r"[0-9]*", max_length=10)],
                "otp", info="This customer signs in with a second factor: ask for the code they received.",
                side=self._sdk_side(), side_title="Demo wallets", back="end",
            ))
            return
        self._sdk_menu()

    def _req_sdkfinance_otp(self, data: dict[str, Any]) -> None:
        visit, desk = self._j_jvisit(), self._j_desk()
        code = data.get("otp", "")
        self._j_progress("Checking the code")
        self._j_run("sdk_signed", lambda: desk.confirm_otp(visit, code))

    def _req_sdkfinance_menu(self, data: dict[str, Any]) -> None:
        if self._j_jvisit() is None:
            self._sdk_sign_in_screen()
        elif self._j_jvisit().details.get("otp_pending"):
            self._step_sdk_signed(self._j_jvisit())
        else:
            self._sdk_menu()

    def _sdk_menu(self) -> None:
        app: Any = self
        visit = self._j_jvisit()
        coins = visit.details.get("coins", [])
        body = Text()
        keys = []
        for i, coin in enumerate(coins[:9]):
            state = "" if coin.active else "  (blocked)"
            body.append(f"{i + 1}  {coin.name or coin.currency:<16} {coin.amount}  available {coin.available}{state}\n")
            if coin.active:
                keys.append(Key(str(i + 1), f"{coin.currency}", "coin", {"serial": coin.serial}))
        if not coins:
            body.append("The wallet has no coins.")
        keys.append(Key("escape", "End the visit", "end"))
        app.show(MenuScreen(f"SDK.finance wallet · {visit.phone_masked}", body, keys, big="Choose a coin"))

    def _req_sdkfinance_coin(self, data: dict[str, Any]) -> None:
        app: Any = self
        visit, desk = self._j_jvisit(), self._j_desk()
        coin = desk.coin(visit, data["serial"])
        self.journey["serial"] = coin.serial
        app.show(MenuScreen(f"SDK.finance wallet · {coin.name or coin.currency}",
                            f"Balance {coin.amount}, available {coin.available}.",
                            [Key("t", "Top up with cash", "action", {"flow": "topup"}),
                             Key("w", "Withdraw cash", "action", {"flow": "withdrawal"}),
                             Key("escape", "Back to the coins", "menu")]))

    def _req_sdkfinance_action(self, data: dict[str, Any]) -> None:
        visit, desk = self._j_jvisit(), self._j_desk()
        flow = data.get("flow") or self.journey.get("flow")
        self.journey["flow"] = flow
        serial = self.journey["serial"]
        coin = desk.coin(visit, serial)
        if flow == "topup":
            info = "The wallet gets this amount; the commission is added to the cash you take."
        else:
            info = f"Handed over in cash; the commission is taken from the wallet. Drawer holds {self_cash(self, coin.currency)}."
        verb = "Top up" if flow == "topup" else "Withdraw"
        self._j_amount_screen(f"{verb} · {coin.name or coin.currency} ({coin.currency})", info, coin.currency,
                            lambda text: desk.check_amount(visit, flow, serial, text))

    def _req_sdkfinance_amount(self, data: dict[str, Any]) -> None:
        visit, desk = self._j_jvisit(), self._j_desk()
        flow, serial, text = self.journey["flow"], self.journey["serial"], data["amount"]
        self._j_progress("Calculating the commission")
        self._j_run("sdk_quote", lambda: desk.quote(visit, flow, serial, text))

    def _step_sdk_quote(self, quote: Any) -> None:
        self.journey["quote"] = quote
        who = self._j_jvisit().phone_masked
        if self.journey["flow"] == "topup":
            self._j_confirm(f"Top up {who}'s wallet with {quote.amount}?",
                          first=f"Take {quote.total} from the customer first ({quote.amount} + commission {quote.commission}).")
        else:
            self._j_confirm(f"Withdraw {quote.amount} in cash from {who}'s wallet? "
                          f"The wallet pays {quote.total} (commission {quote.commission}).")

    def _req_sdkfinance_confirm(self, data: dict[str, Any]) -> None:
        visit, desk = self._j_jvisit(), self._j_desk()
        flow, serial, quote = self.journey["flow"], self.journey["serial"], self.journey["quote"]
        if not self._j_within_limits(desk.cash_of(flow, quote), "confirm"):
            return  # over a limit: a supervisor approves first, then this request comes again
        self._j_progress("Creating the request at the wallet", money=True)
        self._j_run("move", lambda: desk.move(visit, flow, serial, quote.amount.plain()))


def self_cash(app: Any, currency: str) -> Any:
    try:
        return app.teller.cash_in_drawer(currency)
    except Exception:
        return f"? {currency}"
