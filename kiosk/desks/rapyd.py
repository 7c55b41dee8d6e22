"""The Rapyd wallet at the till: the customer's phone and the code from their app open a
wallet session; the desk withdraws or deposits, the cashier hands over or puts away the cash,
and the session is closed however the visit ends. It implements the desks' protocol
(kiosk.desks.base.Desk) like the gift card, SDK.finance and Flexiti desks, and uses only the
till's public services (kiosk.teller.Teller: journal, readiness, limits, drawer, receipt,
settling with retries, shift); its recovery table is in kiosk.teller.recovery.

Invariants kept here:
- a withdrawal never exceeds the account balance the host reported, nor the cash in the
  drawer for that currency; both are checked before anything is sent;
- the wallet session is closed when the visit ends, whatever happened (a visit left
  unresolved or suspect keeps it until settled, so that a reversal stays possible);
- a host call that got no answer is re-sent with the same idempotency value, and if that
  cannot settle it the outbox keeps settling it: the visit is UNRESOLVED, never guessed.

Calls are synchronous and may block for a bounded time (host timeouts, device timeouts);
the UI runs them in worker threads."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Callable

from kiosk.backends.base import (
    Account,
    AuthenticationFailed,
    BackendError,
    HostUnreachable,
    InsufficientFunds,
    OtpRejected,
    OutcomeUnknown,
    HostReceipt,
    WalletSession,
)
from kiosk.backends.pinning import ClockWrong
from kiosk.desks.base import PhoneLogin
from kiosk.journal import store as journal_states
from kiosk.money import Money, MoneyError, parse_amount
from kiosk import auth as auth_actions
from kiosk.teller.code_errors import code_refusal
from kiosk.teller.teller import check_otp, check_phone, mask_phone
from kiosk.teller.steps import Step, WalletStep
from kiosk.teller.visit import Stage, TellerError, Visit, VisitKind

if TYPE_CHECKING:
    from kiosk.desks.table import RecoveryTable
    from kiosk.journal.store import Compensation
    from kiosk.teller.teller import Teller

ACTIONS = ("withdraw", "deposit")

# The desk's error messages for each wallet refusal: what happened and what to do now.
_HOST_MESSAGES: dict[type[BackendError], tuple[str, str, str]] = {
    ClockWrong: (  # before AuthenticationFailed, of which it is a kind
        "CLOCK_WRONG",
        "The terminal's clock is wrong, so the wallet service would refuse it: nothing was sent.",
        "Call IT support to set the clock (NTP); then try again.",
    ),
    OtpRejected: (
        "OTP_REJECTED",
        "The wallet did not accept the code: it is wrong, expired or already used.",
        "Ask the customer for a new code from the app and enter it again.",
    ),
    InsufficientFunds: (
        "INSUFFICIENT_FUNDS",
        "The customer's account does not hold enough for this withdrawal.",
        "Offer a smaller amount.",
    ),
    AuthenticationFailed: (
        "AUTHENTICATION_FAILED",
        "The wallet service refused this terminal's credentials or clock.",
        "Call IT support: check the access key, secret key and the terminal's clock.",
    ),
    HostUnreachable: (
        "HOST_UNREACHABLE",
        "The wallet service cannot be reached. Nothing was charged.",
        "Check the network and try again in a minute.",
    ),
    OutcomeUnknown: (
        "OUTCOME_UNKNOWN",
        "The wallet service did not answer in time.",
        "Do not hand over or take cash. The kiosk will settle it with the wallet service.",
    ),
}


def teller_error(exc: BackendError) -> TellerError:
    """The cashier's words for a wallet service refusal."""
    for kind, (code, message, next_step) in _HOST_MESSAGES.items():
        if isinstance(exc, kind):
            return TellerError(code, message, next_step)
    return TellerError("DECLINED", f"The wallet service declined: {exc.message}", "Tell the customer; no money moved.")


def wallet_desk(teller: Teller) -> RapydDesk:
    """The till's Rapyd desk (one per till, made on first use: it holds nothing but the till)."""
    found = teller.__dict__.get("wallet_desk")
    if found is None:
        found = teller.__dict__["wallet_desk"] = RapydDesk(teller)
    return found


class RapydDesk:
    prefix = "rapyd"  # its visits' kinds are "withdraw" / "deposit" (no prefix in the journal)
    backend_name = "rapyd"
    title = "Wallet"
    undo_needs_approval = True

    def __init__(self, teller: Teller) -> None:
        self.teller = teller

    # --- who the customer is -----------------------------------------------------------------

    def identify(self, who: PhoneLogin) -> Visit:
        """Identify the customer and open the wallet session (as late as possible: the code
        lives 30 s). Raises TellerError; a refused code leaves nothing open."""
        teller = self.teller
        phone = check_phone(who.phone, teller.phone_region)
        otp = check_otp(who.otp)
        with teller.lock:
            teller.ensure_ready_for_cash()
            visit = Visit(visit_id=str(uuid.uuid4()), phone_masked=mask_phone(phone))
            key = str(uuid.uuid4())
            teller.journal.record(
                visit.visit_id,
                WalletStep.SESSION_OPEN_SENT,
                phone_ref=teller.journal.phone_ref(phone),
                phone_last4=phone[-4:],
                idempotency=key,
                summary={"cashier": teller.cashier},
            )
            try:
                # A login is not re-sent: its code is single-use, and an unanswered login
                # moved no money, so the customer simply reads a new code.
                session = teller.backend.open_session(phone, otp, idempotency=key)
            except BackendError as exc:
                error = code_refusal(exc, teller_error(exc))  # wrong, expired, used code or unknown phone
                teller.journal.record(
                    visit.visit_id, WalletStep.SESSION_REFUSED, code=error.code, summary={"state": journal_states.DECLINED}
                )
                if exc.outcome_unknown:
                    error = TellerError(
                        "HOST_NO_ANSWER",
                        "The wallet service did not answer. No money moved.",
                        "Ask the customer for a new code and try again.",
                    )
                raise error from None
            visit.session = session
            # The row carries, sealed, what recovery needs to finish or compensate this visit
            # after a crash; erased once the session is closed and nothing is left to do. It
            # does not wait for the disk: the accounts screen comes next, and every later step
            # begins with a durable commit (a power cut loses at most this row, leaving the
            # login unconfirmed: abandoned, as after a power cut during the login itself).
            teller.journal.record(
                visit.visit_id,
                WalletStep.SESSION_OPENED,
                operation_id=session.operation_id,
                accounts=[[a.account_id, a.currency] for a in session.accounts],
                seal={"token_id": session.token_id, "operation_id": session.operation_id, "phone": phone},
                durable=False,
            )
            return visit

    def actions(self, visit: Visit) -> list[str]:
        return list(ACTIONS) if visit.accounts else []

    # --- the amount ----------------------------------------------------------------------------

    def check_amount(self, visit: Visit, action: str, text: str, *, currency: str = "") -> Money:
        """Validate `text` in `currency` ('' = the wallet's first account's)."""
        currency = self._currency(visit, currency)
        if action == "withdraw":
            return self.check_withdrawal(visit, self._account_id(visit, currency), text)
        if action == "deposit":
            return self.check_deposit(visit, currency, text)
        raise TellerError("WRONG_STEP", f"{action!r} is not a wallet action.")

    def check_withdrawal(self, visit: Visit, account_id: str, amount_text: str) -> Money:
        """Validate a withdrawal from one account without moving anything (the amount screen)."""
        account = self._account(visit, account_id)
        try:
            amount = parse_amount(amount_text, account.currency)
        except MoneyError as exc:
            raise TellerError("AMOUNT_INVALID", str(exc), "Type the amount again.") from None
        if account.balance < amount:
            raise TellerError(
                "INSUFFICIENT_FUNDS",
                f"The account holds {account.balance}; {amount} is more than that.",
                "Offer a smaller amount.",
            )
        self.teller.require_cash(amount)
        return amount

    def check_deposit(self, visit: Visit, currency: str, amount_text: str) -> Money:
        self.teller.expect_stage(visit, Stage.SESSION_OPEN)
        try:
            return parse_amount(amount_text, currency)
        except MoneyError as exc:
            raise TellerError("AMOUNT_INVALID", str(exc), "Type the amount again.") from None

    # --- moving the money ----------------------------------------------------------------------

    def move(self, visit: Visit, action: str, amount_text: str, *, currency: str = "") -> Visit:
        currency = self._currency(visit, currency)
        if action == "withdraw":
            return self.withdraw(visit, self._account_id(visit, currency), amount_text)
        if action == "deposit":
            return self.deposit(visit, currency, amount_text)
        raise TellerError("WRONG_STEP", f"{action!r} is not a wallet action.")

    def withdraw(self, visit: Visit, account_id: str, amount_text: str) -> Visit:
        """Debit the wallet, then open the drawer for the cashier to pay out.

        On return the visit is CASH_PENDING (drawer_outcome says whether the drawer opened)
        unless the host declined (FAILED, raises) or did not answer (UNRESOLVED, raises)."""
        teller = self.teller
        with teller.lock:
            teller.expect_stage(visit, Stage.SESSION_OPEN)
            amount = self.check_withdrawal(visit, account_id, amount_text)
            visit.kind, visit.account, visit.amount = VisitKind.WITHDRAW, self._account(visit, account_id), amount
            session = self._session(visit)
            return self._move_money(visit, lambda key: teller.backend.withdraw(session, account_id, amount, idempotency=key))

    def deposit(self, visit: Visit, currency: str, amount_text: str) -> Visit:
        """Credit the wallet for cash the cashier already holds, then open the drawer."""
        teller = self.teller
        with teller.lock:
            teller.expect_stage(visit, Stage.SESSION_OPEN)
            amount = self.check_deposit(visit, currency, amount_text)
            account = visit.session.account_for(amount.currency) if visit.session else None
            visit.kind, visit.amount = VisitKind.DEPOSIT, amount
            visit.account = account or Account("", amount.currency, Money.zero(amount.currency))
            session = self._session(visit)
            return self._move_money(visit, lambda key: teller.backend.deposit(session, amount, idempotency=key))

    def _move_money(self, visit: Visit, call: Callable[[str], HostReceipt]) -> Visit:
        """With the till ready and within limits: journal the intent, send `call` (settling an
        unanswered one), then open the drawer."""
        teller, journal = self.teller, self.teller.journal
        assert visit.kind and visit.amount and visit.account is not None
        teller.ensure_ready_for_cash()
        teller.within_limits(visit, visit.amount)
        key = str(uuid.uuid4())
        with journal.one_commit():  # nothing happens between the two: both durable before the call
            journal.record(
                visit.visit_id,
                Step.INTENT,
                guard=teller.cash_out_guard(visit.amount) if visit.kind is VisitKind.WITHDRAW else None,
                kind=visit.kind.value,
                account_id=visit.account.account_id,
                amount=visit.amount.plain(),
                currency=visit.amount.currency,
                idempotency=key,
                summary={
                    "kind": visit.kind.value,
                    "amount": visit.amount.plain(),
                    "currency": visit.amount.currency,
                    "account_id": visit.account.account_id,
                },
            )
            journal.record(visit.visit_id, Step.HOST_SENT, idempotency=key)
        try:
            receipt = teller.send_settling(visit.visit_id, lambda: call(key))
        except BackendError as exc:
            error = teller_error(exc)
            if exc.outcome_unknown:
                visit.stage, visit.error = Stage.UNRESOLVED, error
                # The outbox keeps re-sending with the same key until the host says; the
                # session stays open so that an applied withdrawal can still be reversed.
                journal.record(visit.visit_id, Step.HOST_UNKNOWN, code=exc.code, outbox=[("settle", {"idempotency": key})])
                raise error from None
            journal.record(visit.visit_id, Step.HOST_DECLINED, code=error.code, summary={"state": journal_states.DECLINED})
            visit.stage, visit.error = Stage.FAILED, error
            self.close_session(visit)
            raise error from None
        # The drawer's kick is announced by a durable commit next, which makes this one
        # durable with it; a power cut before that leaves HOST_SENT, which recovery settles.
        journal.record(
            visit.visit_id, Step.HOST_OK, transaction_id=receipt.transaction_id,
            summary={"transaction_id": receipt.transaction_id}, durable=False,
        )
        visit.transaction_id = receipt.transaction_id
        teller.open_drawer(visit)
        return visit

    # --- ending the visit ----------------------------------------------------------------------

    def finish(self, visit: Visit, *, by_hand: bool = False) -> Visit:
        """The cash changed hands: count it, print the receipt, close the session."""
        with self.teller.lock:
            self.teller.confirm_cash_and_print(visit, by_hand=by_hand)
            return self._log_out_completed(visit)

    def complete(self, visit: Visit) -> Visit:
        """Print the receipt and close the session (the cash was confirmed). A receipt that did
        not print does not undo the visit: the cash moved; the cashier can reprint."""
        teller = self.teller
        with teller.lock:
            teller.expect_stage(visit, Stage.CASH_DONE)
            teller.print_visit_receipt(visit, copy=False)
            return self._log_out_completed(visit)

    def _log_out_completed(self, visit: Visit) -> Visit:
        from kiosk.teller.recovery import log_out, note_logout

        teller = self.teller
        with teller.lock:
            failure = log_out(teller, visit.visit_id, visit.session) if visit.session is not None else None
            # The logout's outcome, COMPLETED and the sealed details erased: one commit.
            with teller.journal.one_commit():
                if failure is not None:
                    note_logout(teller, visit.visit_id, failure)
                return teller.record_completed(visit)

    def undo(self, visit: Visit, *, by_rule: bool = False) -> Visit:
        """No cash was handed over (drawer did not open, customer left): give the money back to
        the wallet. Raises TellerError when the host could not confirm it.

        A cashier's choice to reverse needs a supervisor's approval (with sign-in on);
        `by_rule` is the headless visit's own rule (the drawer did not open, nobody there)."""
        teller, journal = self.teller, self.teller.journal
        with teller.lock:
            teller.expect_stage(visit, Stage.CASH_PENDING)
            if visit.kind is not VisitKind.WITHDRAW:
                raise TellerError("NOT_A_WITHDRAWAL", "Only a withdrawal can be reversed.")
            if not by_rule:
                teller.require_approval(auth_actions.REVERSE, visit_id=visit.visit_id)
            assert visit.amount and visit.account and visit.session
            key = str(uuid.uuid4())
            with journal.one_commit():  # nothing happens between the two: both durable before the call
                journal.record(visit.visit_id, Step.CASH_NOT_HANDED)
                journal.record(visit.visit_id, WalletStep.REVERSAL_SENT, idempotency=key, transaction_id=visit.transaction_id)
            session, account_id, amount, txn = visit.session, visit.account.account_id, visit.amount, visit.transaction_id
            try:
                receipt = teller.send_settling(
                    visit.visit_id, lambda: teller.backend.reverse_withdrawal(session, account_id, amount, txn, idempotency=key)
                )
            except BackendError as exc:
                journal.record(visit.visit_id, WalletStep.REVERSAL_FAILED, code=exc.code, outbox=[("reverse", {"idempotency": key})])
                visit.stage = Stage.UNRESOLVED
                raise TellerError(
                    "REVERSAL_FAILED",
                    "The withdrawal could not be reversed yet.",
                    "Keep the cash in the drawer. The kiosk will retry; a supervisor can settle it.",
                ) from None
            journal.record(
                visit.visit_id, Step.REVERSED, reversal_id=receipt.transaction_id, summary={"state": journal_states.REVERSED}
            )
            teller.shifts.note_reversal(amount)
            visit.stage = Stage.REVERSED
            self.close_session(visit)
            return visit

    def cancel(self, visit: Visit) -> Visit:
        """The cashier stops the visit before any money moved."""
        teller = self.teller
        with teller.lock:
            teller.expect_stage(visit, Stage.SESSION_OPEN)
            teller.journal.record(visit.visit_id, Step.CANCELLED, summary={"state": journal_states.ABANDONED})
            visit.stage = Stage.CANCELLED
            self.close_session(visit)
            return visit

    def close_session(self, visit: Visit) -> None:
        """Always log out of the wallet session; one that cannot be closed now goes to the
        outbox. Never raises."""
        from kiosk.teller.recovery import close_session

        if visit.session is not None:
            close_session(self.teller, visit.visit_id, visit.session)

    # --- after a crash, the outbox, a supervisor's count ------------------------------------------

    @property
    def recovery(self) -> RecoveryTable:
        from kiosk.teller.recovery import wallet_table

        return wallet_table(self.teller)

    def send(self, item: Compensation) -> None:
        from kiosk.teller.recovery import send_wallet_item

        send_wallet_item(self.teller, item)

    def health(self) -> str:
        """'' when the wallet service answers its echo, else plain words why not."""
        try:
            self.teller.backend.echo()
            return ""
        except BackendError as exc:
            return teller_error(exc).message

    def close(self) -> None:
        """The wallet client belongs to the till (runtime closes it)."""

    # --- helpers -------------------------------------------------------------------------------

    def _currency(self, visit: Visit, currency: str) -> str:
        if currency:
            return currency.upper()
        if not visit.accounts:
            raise TellerError("NO_SUCH_ACCOUNT", "The customer's wallet has no account.")
        return visit.accounts[0].currency

    def _account_id(self, visit: Visit, currency: str) -> str:
        account = visit.session.account_for(currency) if visit.session else None
        if account is None:
            raise TellerError("NO_SUCH_ACCOUNT", f"The wallet has no {currency} account.")
        return account.account_id

    @staticmethod
    def _session(visit: Visit) -> WalletSession:
        if visit.session is None:
            raise TellerError("WRONG_STEP", "This visit has no wallet session open.")
        return visit.session

    @staticmethod
    def _account(visit: Visit, account_id: str) -> Account:
        try:
            if visit.session is None:
                raise KeyError(account_id)
            return visit.session.account(account_id)
        except KeyError:
            raise TellerError("NO_SUCH_ACCOUNT", "That account is not in the customer's wallet.") from None
