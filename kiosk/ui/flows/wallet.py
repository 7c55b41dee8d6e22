"""The Rapyd wallet: the customer types their phone and a one-time code from the wallet's app,
picks an account, withdraws cash from it or deposits cash into it.

The wallet's screens post kiosk.ui.messages (not journey messages); the app's handlers (each
@guarded) route them here. Its desk calls run in the app's teller workers (`app.run_teller`),
whose results and failures (TellerFailed: the error screen with ways_forward) are the wallet's
own messages, so every screen, key and word stays what the cashier knows."""

from __future__ import annotations

import dataclasses
from typing import Any

from textual.message import Message

from kiosk import auth
from kiosk.desks.base import PhoneLogin
from kiosk.money import Money
from kiosk.teller import Stage, TellerError, VisitKind
from kiosk.ui import messages as m
from kiosk.ui.flows.base import Flow
from kiosk.ui.journey_messages import FlowMessage
from kiosk.ui.screens.accounts import AccountsScreen
from kiosk.ui.screens.amount import AmountScreen
from kiosk.ui.screens.approve import approved_or_ask
from kiosk.ui.screens.confirm import ConfirmScreen
from kiosk.ui.screens.customer import CustomerScreen
from kiosk.ui.screens.drawer import DrawerScreen
from kiosk.ui.screens.error import NoticeScreen, Way
from kiosk.ui.screens.progress import ProgressScreen
from kiosk.ui.screens.receipt import ReceiptScreen

# How long opening a session may run before the progress screen replaces the customer screen
# (about what a person notices as a delay).
PROGRESS_AFTER = 0.15


@dataclasses.dataclass
class Choice:
    """What the cashier picked on the accounts screen."""

    kind: VisitKind
    account_id: str  # '' for a deposit into a currency the wallet has no account for yet
    currency: str


class WalletFlow(Flow):
    backend = "rapyd"
    title = "Wallet"

    def __init__(self, app: Any, desk: Any) -> None:
        super().__init__(app, desk)
        # The full phone number is kept in memory only, so a new code can be asked for without
        # retyping it; it is never shown once the session is open.
        self.phone = ""
        self.choice: Choice | None = None
        self.amount: Money | None = None
        self.code_problem: TellerError | None = None  # why the last code failed

    def handle(self, message: FlowMessage) -> None:
        """The wallet's screens post no journey messages: nothing to do."""

    # --- customer and session --------------------------------------------------------------

    def start(self) -> None:
        self.phone = ""
        self.app.show(self.customer_screen())

    def customer_screen(self) -> CustomerScreen:
        app = self.app
        return CustomerScreen(
            phone=self.phone, window=app.otp_window, demo=app.demo, region=getattr(app.teller, "phone_region", ""),
            problem=self.code_problem,  # why the last code failed: said at the field that was wrong
        )

    def back_to_customer(self) -> None:
        if self.visit is not None and self.visit.stage is Stage.SESSION_OPEN:
            return  # a session is open: the way back is cancel, not a new code
        self.visit = None
        self.app.show(self.customer_screen())

    def open_session(self, phone: str, otp: str) -> None:
        app, wallet = self.app, self.desk
        self.phone = phone
        app.run_teller("open", lambda: m.SessionOpened(wallet.identify(PhoneLogin(phone, otp))))
        # A session usually opens in a few milliseconds: the progress screen is shown only
        # if it has not by then, rather than composed, drawn and dropped on every visit
        # while the call competes with it for the interpreter. Meanwhile the customer
        # screen's keys start nothing: the app is busy.
        visit_before = self.visit

        def still_opening() -> None:
            if app.busy == "open" and self.visit is visit_before:
                app.show(ProgressScreen("Opening the customer's session", bound=app.host_timeout))

        app.set_timer(PROGRESS_AFTER, still_opening)

    def session_opened(self, visit: Any) -> None:
        self.visit = visit
        self.menu()

    def menu(self) -> None:
        self.app.show(self.accounts_screen())

    def accounts_screen(self) -> AccountsScreen:
        assert self.visit is not None
        currencies = self.app.teller.drawer_currencies()
        return AccountsScreen(self.visit, currencies, selected=self.choice.account_id or self.choice.currency if self.choice else "")

    # --- accounts, amount, confirm ---------------------------------------------------------

    def session_open(self) -> bool:
        return self.visit is not None and self.visit.stage is Stage.SESSION_OPEN

    def choose_action(self, kind_name: str, account_id: str, currency: str) -> None:
        if not self.session_open():
            return
        kind = VisitKind.WITHDRAW if kind_name == "withdraw" else VisitKind.DEPOSIT
        if self.choice != Choice(kind, account_id, currency):
            self.amount = None
        self.choice = Choice(kind, account_id, currency)
        self.app.show(self.amount_screen_for())

    def amount_screen_for(self) -> AmountScreen:
        visit, choice, teller, wallet = self.visit, self.choice, self.app.teller, self.desk
        assert visit is not None and choice is not None
        account = next((a for a in visit.accounts if a.account_id == choice.account_id), None)
        if choice.kind is VisitKind.WITHDRAW:
            def check(text: str):
                return wallet.check_withdrawal(visit, choice.account_id, text)
        else:
            def check(text: str):
                return wallet.check_deposit(visit, choice.currency, text)
        return AmountScreen(
            kind=choice.kind,
            currency=choice.currency,
            phone_masked=visit.phone_masked,
            balance=account.balance if account else None,
            drawer_cash=teller.cash_in_drawer(choice.currency),
            check=check,
            amount=self.amount.plain() if self.amount else "",
        )

    def back_to_accounts(self) -> None:
        if self.session_open():
            self.menu()

    def amount_chosen(self, amount: Money) -> None:
        if self.choice is None or not self.session_open():
            return
        self.amount = amount
        self.app.show(self.confirm_screen())

    def confirm_screen(self) -> ConfirmScreen:
        assert self.visit and self.choice and self.amount
        return ConfirmScreen(self.choice.kind, self.amount, self.visit.phone_masked)

    def back_to_amount(self) -> None:
        if self.choice is not None and self.session_open():
            self.app.show(self.amount_screen_for())

    def back_to_confirm(self) -> None:
        if self.amount is not None and self.session_open():
            self.app.show(self.confirm_screen())

    # --- moving the money ------------------------------------------------------------------

    def move(self) -> None:
        app, visit, choice, amount, wallet = self.app, self.visit, self.choice, self.amount, self.desk
        if app.busy or visit is None or choice is None or amount is None or visit.stage is not Stage.SESSION_OPEN:
            return
        teller = app.teller
        over = teller.limit_exceeded(amount) if hasattr(teller, "limit_exceeded") else ""
        if not approved_or_ask(
            app, auth.LIMIT, retry=m.MoveMoney, why=over, visit_id=visit.visit_id, needed=bool(over)
        ):
            return
        bound = app.money_bound()
        if choice.kind is VisitKind.WITHDRAW:
            app.show(ProgressScreen(f"Withdrawing {amount} from the customer's wallet", bound=bound, money=True))
            app.run_teller("move", lambda: m.MoneyMoved(wallet.withdraw(visit, choice.account_id, amount.plain())))
        else:
            app.show(ProgressScreen(f"Depositing {amount} into the customer's wallet", bound=bound, money=True))
            app.run_teller("move", lambda: m.MoneyMoved(wallet.deposit(visit, choice.currency, amount.plain())))

    def moved(self, visit: Any) -> None:
        app = self.app
        waiting = visit.drawer_outcome is not None and visit.drawer_outcome.value == "opened"
        app.show(DrawerScreen(visit, waiting=waiting, bound=app.drawer_wait))
        if waiting:
            app.wait_for_drawer(visit)

    def cash_done(self, by_hand: bool) -> None:
        visit, wallet = self.visit, self.desk
        self.app.show(ProgressScreen("Printing the receipt and closing the session", bound=None))

        def finish() -> Message:
            return m.VisitCompleted(wallet.finish(visit, by_hand=by_hand))

        self.app.run_teller("cash", finish)

    def completed(self, visit: Any) -> None:
        self.app.show(ReceiptScreen(visit, columns=int(getattr(self.app.teller.printer, "columns", 42) or 42)))

    def reverse(self) -> None:
        app, visit, wallet = self.app, self.visit, self.desk
        if app.busy or visit is None or visit.stage is not Stage.CASH_PENDING or visit.kind is not VisitKind.WITHDRAW:
            return
        if not approved_or_ask(app, auth.REVERSE, retry=m.ReverseWithdrawal, visit_id=visit.visit_id):
            return
        app.show(ProgressScreen("Reversing the withdrawal", bound=app.money_bound(), money=True))
        app.run_teller("reverse", lambda: m.VisitReversed(wallet.undo(visit)))

    def undone(self, visit: Any) -> None:
        self.app.show(
            NoticeScreen(
                "Withdrawal reversed",
                f"{visit.amount} went back to the customer's wallet. No cash was handed over.",
                "Tell the customer; they can try again.",
                [Way("enter", "Back to ready", m.BackToReady)],
                tone="ok",
            )
        )

    # --- leaving a visit -------------------------------------------------------------------

    def end(self) -> None:
        app, visit, wallet = self.app, self.visit, self.desk
        if visit is None or visit.stage is not Stage.SESSION_OPEN:
            app.show_ready()
            return
        app.show(ProgressScreen("Cancelling: closing the customer's session", bound=app.host_timeout))

        def cancel() -> Message:
            wallet.cancel(visit)
            return m.VisitCancelled()

        app.run_teller("cancel", cancel)

    def ended(self) -> None:
        self.app.notify("Visit cancelled. Nothing was charged.")
        self.app.show_ready()

    def back_to_ready(self) -> None:
        visit = self.visit
        if visit is not None and visit.stage is Stage.SESSION_OPEN:
            self.app.post_message(m.CancelVisit())  # never leave a wallet session open behind
            return
        if visit is not None and visit.stage is Stage.CASH_PENDING:
            return  # the cash step must be finished on the drawer screen
        self.app.show_ready()
