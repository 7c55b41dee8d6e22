"""SDK.finance wallets at the till: the customer signs in (with the one-time code the platform
sends when their account has two-factor sign-in), picks a coin, and makes a cash top-up or a
cash withdrawal as a request that this cash point accepts or declines.

Top-up: commission calculated and shown -> request created -> the customer's cash into the
drawer -> accepted (the wallet is credited). The cash taken is the total (amount + commission).
Withdrawal: calculated -> request created (the total is held on the coin) -> the amount handed
over -> accepted (the total leaves the wallet); cash not handed over -> declined (hold released).

Journal rows:

    SIGN_IN_SENT (login masked) -> SIGNED_IN | OTP_SENT -> OTP_CONFIRMED | SIGN_IN_REFUSED / OTP_REFUSED
    INTENT (journey, cash amount, wallet amount, commission, coin, reference) -> HOST_SENT
        -> REQUEST_CREATED (request_id) | HOST_DECLINED | HOST_UNKNOWN -> (request found by reference)
    DRAWER_KICKED -> ... -> CASH_CONFIRMED -> ACCEPT_SENT -> ACCEPTED -> RECEIPT_* -> COMPLETED
    (cash not handed) CASH_NOT_HANDED -> DECLINE_SENT -> REQUEST_DECLINED

Unknown outcomes: accept and decline are re-sent (the platform never applies a request twice
and answers a repeat with "already accepted / declined"); a create whose answer was lost is
looked up by its unique reference. The cash point's own sign-in (settings) does the accepting,
declining and looking up, so recovery after a crash needs no customer; the client re-signs in
on a 401 by itself.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from kiosk import auth as auth_actions
from kiosk.backends.base import (
    AuthenticationFailed,
    BackendError,
    HostUnreachable,
    InsufficientFunds,
    OtpRejected,
    OutcomeUnknown,
)
from kiosk.backends.sdkfinance import (
    AmountOutsideLimits,
    Coin,
    CustomerSignInExpired,
    OtpRequired,
    Quote,
    RequestAlreadySettled,
    SdkFinanceClient,
    SignInRejected,
    mask_login,
)
from kiosk.digits import FOREIGN_DIGITS, foreign_digit, is_digits
from kiosk.journal import store as states
from kiosk.money import Money, MoneyError, parse_amount
from kiosk.desks.base import JourneyVisit, NeedsAPerson, WalletLogin, last_value, promise, queue
from kiosk.desks.table import RecoveryTable
from kiosk.teller import recovery
from kiosk.teller.steps import Step
from kiosk.teller.visit import Stage, TellerError, VisitKind

if TYPE_CHECKING:
    from kiosk.teller.teller import Teller

log = logging.getLogger("kiosk.desks.sdkwallet")


@dataclass
class SdkDetails:
    """What the SDK.finance desk keeps of a visit between verbs (memory only)."""

    login: str = field(default="", repr=False)  # as typed: the customer's e-mail or phone
    otp_pending: bool = False  # signed in, waiting for the code the customer received
    coins: list[Coin] = field(default_factory=list)
    coin_serial: str = ""  # the coin chosen for this visit ('' = the first active one)
    quote: Quote | None = None  # the commission the confirm screen showed
    flow: str = ""  # "topup" | "withdrawal", once the request is made
    request_id: int | None = None  # the platform's transfer request


@dataclass
class SdkVisit(JourneyVisit):
    details: SdkDetails = field(default_factory=SdkDetails)


class SdkStep(StrEnum):
    """Steps only the SDK.finance desk writes (sign-in, code, the request and its accept/decline).
    The shared ones are kiosk.teller.steps.Step."""

    SIGN_IN_SENT = "SIGN_IN_SENT"
    SIGN_IN_REFUSED = "SIGN_IN_REFUSED"
    SIGNED_IN = "SIGNED_IN"
    OTP_SENT = "OTP_SENT"
    OTP_CONFIRM_SENT = "OTP_CONFIRM_SENT"
    OTP_REFUSED = "OTP_REFUSED"
    OTP_CONFIRMED = "OTP_CONFIRMED"
    REQUEST_CREATED = "REQUEST_CREATED"
    ACCEPT_SENT = "ACCEPT_SENT"
    ACCEPT_REFUSED = "ACCEPT_REFUSED"
    ACCEPT_UNKNOWN = "ACCEPT_UNKNOWN"
    ACCEPTED = "ACCEPTED"
    DECLINE_SENT = "DECLINE_SENT"
    DECLINE_REFUSED = "DECLINE_REFUSED"
    DECLINE_FAILED = "DECLINE_FAILED"
    REQUEST_DECLINED = "REQUEST_DECLINED"

FLOWS: dict[str, tuple[str, VisitKind, str]] = {
    "topup": ("sdk_topup", VisitKind.DEPOSIT, "Wallet top-up (cash)"),
    "withdrawal": ("sdk_withdrawal", VisitKind.WITHDRAW, "Wallet withdrawal (cash)"),
}
CASH_IN = {"sdk_topup"}

_MESSAGES: list[tuple[type[BackendError], str, str, str]] = [
    (SignInRejected, "SIGN_IN_REJECTED", "The wallet did not accept that login and password.",
     "Ask the customer to type them again."),
    (OtpRejected, "OTP_REJECTED", "The wallet did not accept the code: it is wrong, expired or used up.",
     "Ask the customer for the code again, or sign in again for a new one."),
    (CustomerSignInExpired, "SIGN_IN_EXPIRED", "The customer's sign-in ran out.",
     "Sign the customer in again (a new code will be sent). Nothing moved."),
    (InsufficientFunds, "INSUFFICIENT_FUNDS", "The wallet does not hold enough for this withdrawal and its commission.",
     "Offer a smaller amount. Nothing moved."),
    (AmountOutsideLimits, "AMOUNT_OUTSIDE_LIMITS", "The amount is outside the wallet's limits for a cash point.",
     "Type another amount. Nothing moved."),
    (AuthenticationFailed, "AUTHENTICATION_FAILED", "The wallet platform refused this cash point's own sign-in.",
     "Call IT support: check the sdkfinance cash-point login. Nothing moved."),
    (HostUnreachable, "HOST_UNREACHABLE", "The wallet platform cannot be reached. Nothing moved.",
     "Check the network and try again in a minute."),
    (OutcomeUnknown, "OUTCOME_UNKNOWN", "The wallet platform did not answer in time.",
     "Do not hand over or take cash. The kiosk settles it with the platform."),
]


def wallet_error(exc: BackendError) -> TellerError:
    for kind, code, message, next_step in _MESSAGES:
        if isinstance(exc, kind):
            return TellerError(code, message, next_step)
    return TellerError("DECLINED", f"The wallet platform declined: {exc.message}", "Tell the customer; nothing moved.")


class SdkWalletDesk:
    prefix = "sdk"
    backend_name = "sdkfinance"
    title = "SDK.finance wallet"
    undo_needs_approval = True

    def __init__(self, teller: Teller, client: SdkFinanceClient) -> None:
        self.teller = teller
        self.client = client

    def health(self) -> str:
        try:
            self.client.health()  # never signs in: see SdkFinanceClient.health
            return ""
        except BackendError as exc:
            return wallet_error(exc).message

    def close(self) -> None:
        self.client.close()

    # --- signing the customer in ----------------------------------------------------------------------

    def identify(self, who: WalletLogin) -> SdkVisit:
        """Sign the customer in: SESSION_OPEN with the coins listed, or with
        details.otp_pending (type the code: `confirm_otp`)."""
        journal = self.teller.journal
        login, password = (who.login or "").strip(), who.password
        if not login or not password:
            raise TellerError("SIGN_IN_INCOMPLETE", "Type the customer's login and password.")
        if foreign_digit(login):  # a phone login typed with another script's digits
            raise TellerError("LOGIN_FORMAT", "The login has digits that are not 0-9.", f"Type it again: {FOREIGN_DIGITS}.")
        cashier = self.teller.require_cashier()  # with sign-in on: nobody signed in, no visit
        self.teller.shifts.require_open()  # no shift, no visit: said before anything is sent
        visit = SdkVisit(visit_id=str(uuid.uuid4()), phone_masked=mask_login(login), journey="sdk",
                         backend=self.backend_name)
        with self.teller.lock:
            journal.record(visit.visit_id, SdkStep.SIGN_IN_SENT, login=mask_login(login),
                           summary={"kind": "sdk", "cashier": cashier})
            try:
                result = self.client.sign_in(login, password)
            except BackendError as exc:
                error = wallet_error(exc)
                journal.record(visit.visit_id, SdkStep.SIGN_IN_REFUSED, code=error.code, summary={"state": states.DECLINED})
                visit.stage = Stage.FAILED
                raise error from None
            visit.details.login = login
            if isinstance(result, OtpRequired):
                journal.record(visit.visit_id, SdkStep.OTP_SENT, to=result.login_hint)
                visit.details.otp_pending = True
                return visit
            journal.record(visit.visit_id, SdkStep.SIGNED_IN)
        self.load_coins(visit)
        return visit

    def confirm_otp(self, visit: SdkVisit, otp: str) -> SdkVisit:
        journal = self.teller.journal
        otp = "".join((otp or "").split())
        if not is_digits(otp, 4, 10):  # before anything is journalled or sent
            words = "has digits that are not 0-9" if foreign_digit(otp) else "is the 4 to 10 digits (0-9) the customer received"
            raise TellerError("OTP_FORMAT", f"The code {words}.", "Type it again.")
        with self.teller.lock:
            self.teller.expect_stage(visit, Stage.SESSION_OPEN)
            journal.record(visit.visit_id, SdkStep.OTP_CONFIRM_SENT)
            try:
                self.client.confirm_otp(visit.details.login, otp)
            except BackendError as exc:
                error = wallet_error(exc)
                journal.record(visit.visit_id, SdkStep.OTP_REFUSED, code=error.code)
                raise error from None
            journal.record(visit.visit_id, SdkStep.OTP_CONFIRMED)
            visit.details.otp_pending = False
        self.load_coins(visit)
        return visit

    def load_coins(self, visit: SdkVisit) -> list[Coin]:
        try:
            coins = self.client.coins()
        except BackendError as exc:
            raise wallet_error(exc) from None
        visit.details.coins = coins
        return coins

    def coin(self, visit: SdkVisit, serial: str = "") -> Coin:
        """The coin `serial`; '' is the one chosen for this visit (`choose_coin`), else the
        first active one."""
        coins = visit.details.coins
        serial = serial or visit.details.coin_serial or next((c.serial for c in coins if c.active), "")
        found = next((c for c in coins if c.serial == serial), None)
        if found is None:
            raise TellerError("NO_SUCH_ACCOUNT", "That coin is not in the customer's wallet.")
        return found

    def choose_coin(self, visit: SdkVisit, serial: str) -> Coin:
        """The coin this visit's money moves on (the default of the amount verbs)."""
        coin = self.coin(visit, serial)
        visit.details.coin_serial = coin.serial
        return coin

    def actions(self, visit: SdkVisit) -> list[str]:
        """A top-up or a withdrawal, once the customer is signed in and has an active coin."""
        if visit.details.otp_pending or not any(c.active for c in visit.details.coins):
            return []
        return list(FLOWS)

    # --- the money ----------------------------------------------------------------------------------------

    def check_amount(self, visit: SdkVisit, flow: str, text: str, *, coin: str = "") -> Money:
        """Validate a top-up or withdrawal of `text` on `coin` ('' = the visit's coin)."""
        if flow not in FLOWS:
            raise TellerError("WRONG_STEP", f"{flow!r} is not a wallet request.")
        wallet = self.coin(visit, coin)  # `coin` is its serial
        if not wallet.active:
            raise TellerError("COIN_INACTIVE", "That coin is blocked.", "Choose another coin.")
        try:
            amount = parse_amount(text, wallet.currency)
        except MoneyError as exc:
            raise TellerError("AMOUNT_INVALID", str(exc), "Type the amount again.") from None
        if flow == "withdrawal":
            if wallet.available < amount:
                raise TellerError("INSUFFICIENT_FUNDS", f"The coin has {wallet.available} available.", "Offer a smaller amount.")
            self.teller.require_cash(amount)
        return amount

    def quote(self, visit: SdkVisit, flow: str, amount_text: str, *, coin: str = "") -> Quote:
        """The commission, calculated by the platform (nothing is created)."""
        serial = self.coin(visit, coin).serial
        amount = self.check_amount(visit, flow, amount_text, coin=serial)
        try:
            if flow == "topup":
                quote = self.client.topup_calculate(serial, amount)
            else:
                quote = self.client.withdrawal_calculate(serial, amount)
        except BackendError as exc:
            raise wallet_error(exc) from None
        found = self.coin(visit, serial)
        if flow == "withdrawal" and found.available < quote.total:
            raise TellerError("INSUFFICIENT_FUNDS", f"With the commission of {quote.commission} the wallet needs "
                              f"{quote.total}; the coin has {found.available} available.", "Offer a smaller amount.")
        visit.details.quote = quote
        return quote

    @staticmethod
    def cash_of(flow: str, quote: Quote) -> Money:
        """The cash that changes hands: a top-up takes the total (amount + commission), a
        withdrawal hands over the amount. What the limits are checked against."""
        return quote.total if flow == "topup" else quote.amount

    def move(self, visit: SdkVisit, flow: str, amount_text: str, *, coin: str = "") -> SdkVisit:
        """Create the request, then open the drawer (CASH_PENDING). It is accepted in `finish`,
        once the cash changed hands, or declined in `undo`."""
        teller, journal = self.teller, self.teller.journal
        with teller.lock:
            teller.expect_stage(visit, Stage.SESSION_OPEN)
            if visit.details.otp_pending:
                raise TellerError("OTP_PENDING", "Type the code the customer received first.")
            cashier = teller.require_cashier()
            chosen = self.coin(visit, coin)
            quote = self.quote(visit, flow, amount_text, coin=chosen.serial)
            teller.ensure_ready_for_cash()
            journey, direction, title = FLOWS[flow]
            cash = self.cash_of(flow, quote)
            # Over a per-visit / per-shift limit a supervisor must have approved (sign-in on):
            # on the cash that changes hands, before the request is created.
            teller.within_limits(visit, cash)
            reference = f"kiosk-{visit.visit_id}"
            visit.journey, visit.receipt_kind, visit.kind, visit.amount = journey, title, direction, cash
            from kiosk.backends.base import Account

            visit.account = Account(chosen.serial, f"{chosen.name or chosen.currency} ({chosen.currency})", chosen.amount)
            with journal.one_commit():  # nothing happens between the two: both durable before the call
                journal.record(
                    visit.visit_id, Step.INTENT, kind=journey, amount=cash.plain(), currency=cash.currency,
                    guard=teller.cash_out_guard(cash) if direction is VisitKind.WITHDRAW else None,
                    wallet_amount=quote.amount.plain(), commission=quote.commission.plain(), total=quote.total.plain(),
                    coin=chosen.serial, reference=reference,
                    summary={"kind": journey, "amount": cash.plain(), "currency": cash.currency, "account_id": chosen.serial,
                             "cashier": cashier},
                )
                journal.record(visit.visit_id, Step.HOST_SENT, reference=reference)
            create = self.client.topup_create if flow == "topup" else self.client.withdrawal_create
            try:
                request_id = create(chosen.serial, quote.amount, reference=reference)
            except OutcomeUnknown as exc:
                journal.record(visit.visit_id, Step.HOST_UNKNOWN, code=exc.code)
                request_id = self._find(visit, flow, reference)
            except BackendError as exc:
                error = wallet_error(exc)
                journal.record(visit.visit_id, Step.HOST_DECLINED, code=error.code, summary={"state": states.DECLINED})
                visit.stage, visit.error = Stage.FAILED, error
                self.client.sign_out_customer()
                raise error from None
            journal.record(visit.visit_id, SdkStep.REQUEST_CREATED, request_id=request_id,
                           summary={"transaction_id": str(request_id)})
            visit.transaction_id = str(request_id)
            visit.details.request_id, visit.details.flow = request_id, flow
            teller.open_drawer(visit)
            return visit

    def _find(self, visit: SdkVisit, flow: str, reference: str) -> int:
        journal = self.teller.journal
        try:
            found = self.client.topup_find(reference) if flow == "topup" else self.client.withdrawal_find(reference)
        except BackendError:
            queue(self.teller, visit.visit_id, "sdk_settle")
            error = wallet_error(OutcomeUnknown(""))
            visit.stage, visit.error = Stage.UNRESOLVED, error
            raise error from None
        if found is None:
            journal.record(visit.visit_id, Step.HOST_DECLINED, code="NOT_APPLIED", summary={"state": states.DECLINED})
            error = TellerError("NOT_APPLIED", "The wallet platform did not answer, and no request was made.",
                                "Nothing moved: you may try again.")
            visit.stage, visit.error = Stage.FAILED, error
            raise error
        return found.request_id

    def finish(self, visit: SdkVisit, *, by_hand: bool = False) -> SdkVisit:
        """The cash changed hands: count it, accept the request, print the receipt."""
        teller = self.teller
        with teller.lock:
            teller.confirm_cash(visit, by_hand=by_hand)
            self._accept(visit.visit_id, *self._request(visit), live=True)
            teller.complete(visit)
            self.client.sign_out_customer()
            return visit

    @staticmethod
    def _request(visit: SdkVisit) -> tuple[str, int]:
        """The flow and id of the request `move` made for this visit."""
        if visit.details.request_id is None:
            raise TellerError("WRONG_STEP", "No request was made for this visit.")
        return visit.details.flow, visit.details.request_id

    def _accept(self, visit_id: str, flow: str, request_id: int, *, live: bool) -> None:
        teller, journal = self.teller, self.teller.journal
        journal.record(visit_id, SdkStep.ACCEPT_SENT, request_id=request_id)
        accept = self.client.topup_accept if flow == "topup" else self.client.withdrawal_accept
        try:
            if live:
                done = teller.send_settling(visit_id, lambda: accept(request_id), record_retries=False)
            else:
                done = accept(request_id)
        except RequestAlreadySettled as exc:
            journal.record(visit_id, SdkStep.ACCEPT_REFUSED, code=exc.code, status=exc.status)
            reason = f"the cash moved but the request was already {exc.status.lower()}"
            if not live:
                raise _needs_a_person(reason) from None
            journal.record(visit_id, Step.ESCALATED, action="wallet correction", reason=reason)
            raise TellerError("NEEDS_A_PERSON", "The cash moved, but the wallet platform had already "
                              f"{exc.status.lower()} the request.", "Call a supervisor: the visit is in the journal.") from None
        except (OutcomeUnknown, HostUnreachable) as exc:
            promise(teller, visit_id, SdkStep.ACCEPT_UNKNOWN, "sdk_accept", code=exc.code)
            if live:
                raise TellerError("ACCEPT_PENDING", "The cash moved; the wallet platform has not confirmed it yet.",
                                  "The kiosk keeps asking it; nothing else to do now.") from None
            raise
        except BackendError as exc:
            journal.record(visit_id, SdkStep.ACCEPT_REFUSED, code=exc.code)
            if not live:
                raise _needs_a_person(f"accept refused: {exc.message}") from None
            journal.record(visit_id, Step.ESCALATED, action="wallet correction", reason=f"accept refused: {exc.message}")
            raise TellerError("NEEDS_A_PERSON", f"The cash moved, but the wallet platform refused it: {exc.message}",
                              "Call a supervisor: the visit is in the journal.") from None
        journal.record(visit_id, SdkStep.ACCEPTED, request_id=request_id, already=done.already_settled)

    def undo(self, visit: SdkVisit, *, by_rule: bool = False) -> SdkVisit:
        """No cash changed hands (the drawer did not open): decline the request.

        As RapydDesk.undo: a cashier's choice to undo needs a supervisor's approval
        (with sign-in on, auth.REVERSE); `by_rule` is the headless visit's own rule (the
        drawer did not open, nobody there)."""
        teller, journal = self.teller, self.teller.journal
        with teller.lock:
            teller.expect_stage(visit, Stage.CASH_PENDING)
            if not by_rule:
                teller.require_approval(auth_actions.REVERSE, visit_id=visit.visit_id)
            journal.record(visit.visit_id, Step.CASH_NOT_HANDED)
            try:
                self._decline(visit.visit_id, *self._request(visit))
            except BackendError as exc:
                promise(teller, visit.visit_id, SdkStep.DECLINE_FAILED, "sdk_decline", code=exc.code)
                visit.stage = Stage.UNRESOLVED
                raise TellerError("REVERSAL_FAILED", "The request could not be declined yet.",
                                  "Keep the cash in the drawer. The kiosk keeps trying.") from None
            visit.stage = Stage.REVERSED
            self.client.sign_out_customer()
            return visit

    def _decline(self, visit_id: str, flow: str, request_id: int) -> None:
        journal = self.teller.journal
        journal.record(visit_id, SdkStep.DECLINE_SENT, request_id=request_id)
        decline = self.client.topup_decline if flow == "topup" else self.client.withdrawal_decline
        try:
            decline(request_id)
        except RequestAlreadySettled as exc:
            journal.record(visit_id, SdkStep.DECLINE_REFUSED, status=exc.status)
            journal.record(visit_id, Step.SUSPECT, reason=f"declining, but the request was already {exc.status.lower()}",
                           summary={"state": states.SUSPECT})
            return
        journal.record(visit_id, SdkStep.REQUEST_DECLINED, request_id=request_id, summary={"state": states.DECLINED})

    def cancel(self, visit: SdkVisit) -> SdkVisit:
        with self.teller.lock:
            self.teller.expect_stage(visit, Stage.SESSION_OPEN)
            self.teller.journal.record(visit.visit_id, Step.CANCELLED, summary={"state": states.ABANDONED})
            visit.stage = Stage.CANCELLED
            self.client.sign_out_customer()
            return visit

    # --- recovery ------------------------------------------------------------------------------------------

    @property
    def recovery(self) -> RecoveryTable:
        return RecoveryTable(
            cash_in=frozenset(CASH_IN), reprint=self._reprint, settle="sdk_settle", give_back="sdk_decline",
            applied=SdkStep.REQUEST_CREATED, giving_back=(SdkStep.DECLINE_SENT,), given_back=(SdkStep.REQUEST_DECLINED, states.DECLINED),
            confirm_at_host=(SdkStep.ACCEPTED, "sdk_accept"), gives_back_deposits=True,
            words={"completed": "cash confirmed and accepted: completed", "confirming": "cash moved: the request is accepted",
                   "given_back": "request declined", "giving_back": "no cash moved: the request is declined",
                   "not_handed": "withdrawal made, no cash handed over: declined",
                   "kept?": "top-up made, drawer never opened: suspect",
                   "settle": "request may exist: looked up by its reference"},
        )

    def send(self, item: Any) -> None:
        journal = self.teller.journal
        visit_id = item.visit_id
        rows = list(journal.rows(visit_id))
        summary = journal.visit(visit_id)
        assert summary is not None
        flow = "topup" if summary.kind == "sdk_topup" else "withdrawal"
        request_id = last_value(rows, SdkStep.REQUEST_CREATED, "request_id")
        if item.action == "sdk_settle":
            reference = last_value(rows, Step.INTENT, "reference")
            found = self.client.topup_find(reference) if flow == "topup" else self.client.withdrawal_find(reference)
            if found is None:
                recovery.declined_after_visit(self.teller, visit_id, self.recovery, "NOT_APPLIED")
                return
            journal.record(visit_id, SdkStep.REQUEST_CREATED, request_id=found.request_id,
                           summary={"transaction_id": str(found.request_id)})
            recovery.applied_after_visit(self.teller, visit_id, self.recovery, "request found after the visit ended")
            return
        if request_id is None:
            raise NeedsAPerson("The request's id is unknown: look it up at the wallet platform.")
        if item.action == "sdk_accept":
            self._accept(visit_id, flow, int(request_id), live=False)
            if SdkStep.ACCEPTED in {r.step for r in journal.rows(visit_id)}:
                steps = [r.step for r in journal.rows(visit_id)]
                if Step.RECEIPT_SENT not in steps:
                    self._reprint(visit_id)
                journal.record(visit_id, Step.COMPLETED, summary={"state": states.COMPLETED})
            return
        if item.action == "sdk_decline":
            self._decline(visit_id, flow, int(request_id))
            return
        raise NeedsAPerson(f"unknown wallet compensation {item.action}")

    def _reprint(self, visit_id: str) -> None:
        summary = self.teller.journal.visit(visit_id)
        match = next(((j, d, t) for j, d, t in FLOWS.values() if summary and j == summary.kind), None)
        if summary is None or match is None or not summary.amount:
            return
        journey, direction, title = match
        visit = SdkVisit(
            visit_id=visit_id, phone_masked="wallet customer", kind=direction,
            amount=summary.money(), transaction_id=summary.transaction_id or "",
            stage=Stage.CASH_DONE, journey=journey, receipt_kind=title, backend=self.backend_name,
        )
        if self.teller.printer_ready():
            self.teller.print_visit_receipt(visit, copy=True)


def _needs_a_person(reason: str) -> BackendError:
    return NeedsAPerson(reason)
