"""Gift cards (POSPointe GiftCard Server) at the till: look a card up, sell it, reload it or
redeem it for cash, block or unblock it (a supervisor's decision), and the day's batch.

A visit: the cashier types (or a card / barcode reader types) the card number and security
code -> `identify` makes a token and reads the balance -> one action -> cash -> receipt.

Journal rows, in order (each before the side effect it names, or after its outcome):

    CARD_LOOKUP_SENT (last4)  -> CARD_FOUND (status, balance) | CARD_REFUSED
    BALANCE_CHECKED (before)  -> INTENT (journey, amount, before_balance, pos_ref) -> HOST_SENT
        -> HOST_OK (host_ref, approved, balance) | HOST_DECLINED | HOST_UNKNOWN -> BALANCE_SETTLED
           (applied -> HOST_OK settled; not_applied -> HOST_DECLINED NOT_APPLIED; unknown -> outbox)
    DRAWER_KICKED -> DRAWER_OPENED | ... -> CASH_CONFIRMED -> RECEIPT_SENT -> RECEIPT_* -> COMPLETED
    (redeem, drawer did not open) CASH_NOT_HANDED -> REFUND_SENT -> REFUND_OK ... -> REVERSED
    STATUS_SENT (blocked, supervisor, reason) -> STATUS_CHANGED | STATUS_REFUSED | STATUS_UNKNOWN
    (no visit) GIFTCARD_BATCH_CLOSE_SENT -> GIFTCARD_BATCH_CLOSED | GIFTCARD_BATCH_CLOSE_UNKNOWN

Privacy: the card number and security code live in memory only, inside the CardVisit, for
the visit; rows hold the last 4 digits; the card token (good for 10 minutes, re-made by the
CardVisit before it runs out) is sealed in the journal's vault while the visit can still need
it, so recovery can read the balance after a crash, and erased with the visit.

No idempotency at POSPointe: a sale, reload or redemption is never re-sent. A lost answer is
settled by the card's balance (`settle_unknown`): moved by the amount -> applied, unmoved (read
again after `confirm_after` seconds) -> not applied, anything else -> the outbox reads it again
while the token lives, then a person.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Callable

from kiosk import auth as auth_actions
from kiosk.backends.base import (
    Account,
    AuthenticationFailed,
    BackendError,
    HostUnreachable,
    InsufficientFunds,
    OutcomeUnknown,
)
from kiosk.backends.pospointe import (
    Batch,
    CardAlreadyActive,
    CardBlocked,
    CardLocked,
    CardNotActive,
    CardRejected,
    CardToken,
    CardTokenRejected,
    CardVisit,
    LimitExceeded,
    PosPointeClient,
    redeem_delta,
    settle_unknown,
)
from kiosk.journal import store as states
from kiosk.money import Money, MoneyError, parse_amount
from kiosk.desks.base import CardEntry, JourneyVisit, NeedsAPerson, last_value, promise, queue
from kiosk.desks.table import RecoveryTable
from kiosk.teller import recovery
from kiosk.teller.steps import Step
from kiosk.teller.visit import Stage, TellerError, VisitKind

if TYPE_CHECKING:
    from kiosk.teller.teller import Teller

log = logging.getLogger("kiosk.desks.giftcards")


@dataclass
class GiftCardDetails:
    """What the gift card desk keeps of a visit between verbs (memory only)."""

    card: CardVisit | None = field(default=None, repr=False)  # number and code: dropped at the end
    status: str = ""  # the card's status at the server, e.g. "active"
    balance: Money | None = None  # the card's balance as last read
    requested: Money | None = None  # what a redeem asked for (the host may approve less)


@dataclass
class GiftCardVisit(JourneyVisit):
    details: GiftCardDetails = field(default_factory=GiftCardDetails)


class GiftCardStep(StrEnum):
    """Steps only the gift card desk writes (card look-up, balance settling, refunds, status, batch).
    The shared ones are kiosk.teller.steps.Step."""

    CARD_LOOKUP_SENT = "CARD_LOOKUP_SENT"
    CARD_FOUND = "CARD_FOUND"
    CARD_REFUSED = "CARD_REFUSED"
    BALANCE_CHECKED = "BALANCE_CHECKED"
    BALANCE_SETTLED = "BALANCE_SETTLED"
    HOST_UNRESOLVED = "HOST_UNRESOLVED"
    REFUND_SENT = "REFUND_SENT"
    REFUND_OK = "REFUND_OK"
    REFUND_FAILED = "REFUND_FAILED"
    STATUS_SENT = "STATUS_SENT"
    STATUS_CHANGED = "STATUS_CHANGED"
    STATUS_REFUSED = "STATUS_REFUSED"
    STATUS_UNKNOWN = "STATUS_UNKNOWN"
    GIFTCARD_BATCH_CLOSE_SENT = "GIFTCARD_BATCH_CLOSE_SENT"
    GIFTCARD_BATCH_CLOSED = "GIFTCARD_BATCH_CLOSED"
    GIFTCARD_BATCH_CLOSE_REFUSED = "GIFTCARD_BATCH_CLOSE_REFUSED"
    GIFTCARD_BATCH_CLOSE_UNKNOWN = "GIFTCARD_BATCH_CLOSE_UNKNOWN"

MIN_LOAD = Decimal("1.00")
MAX_LOAD = Decimal("500.00")
MAX_BALANCE = Decimal("1000.00")

# action -> (journey kind, cash direction, receipt title)
ACTIONS: dict[str, tuple[str, VisitKind, str]] = {
    "sell": ("giftcard_sell", VisitKind.DEPOSIT, "Gift card sale"),
    "reload": ("giftcard_reload", VisitKind.DEPOSIT, "Gift card reload"),
    "redeem": ("giftcard_redeem", VisitKind.WITHDRAW, "Gift card redemption"),
}
CASH_IN = {"giftcard_sell", "giftcard_reload"}

_MESSAGES: list[tuple[type[BackendError], str, str, str]] = [
    (CardLocked, "CARD_LOCKED",
     "Too many wrong security codes: the gift card server refuses this card for a while (30 minutes).",
     "Ask the customer to come back later. Nothing moved."),
    (CardRejected, "CARD_REJECTED",
     "The gift card server does not know this card, or the security code is wrong.",
     "Check the number and the code on the back of the card, then type them again. "
     "After 5 wrong codes the card is locked for 30 minutes."),
    (CardTokenRejected, "CARD_TOKEN_REJECTED",
     "The card's 10-minute session at the gift card server ran out.", "Enter the card again. Nothing moved."),
    (CardNotActive, "CARD_NOT_ACTIVE",
     "This card has not been sold yet: it holds nothing.", "Sell it first (S), or check the card."),
    (CardAlreadyActive, "CARD_ALREADY_ACTIVE",
     "This card was sold already.", "Reload it instead (R). Nothing moved."),
    (CardBlocked, "CARD_BLOCKED",
     "This card is blocked: it cannot be sold, reloaded or redeemed.", "A supervisor can unblock it. Nothing moved."),
    (InsufficientFunds, "INSUFFICIENT_FUNDS",
     "The card holds less than that, or nothing at all.", "Offer a smaller amount. Nothing moved."),
    (LimitExceeded, "LIMIT_EXCEEDED",
     "The amount is outside the card's limits: 1.00 to 500.00 per sale or reload, at most 1000.00 on a card.",
     "Type another amount. Nothing moved."),
    (AuthenticationFailed, "AUTHENTICATION_FAILED",
     "The gift card server refused this terminal's user, password, store or franchisee id.",
     "Call IT support: check the pospointe settings. Nothing moved."),
    (HostUnreachable, "HOST_UNREACHABLE",
     "The gift card server cannot be reached. Nothing moved.", "Check the network and try again in a minute."),
    (OutcomeUnknown, "OUTCOME_UNKNOWN",
     "The gift card server did not answer in time.",
     "Do not hand over or take cash. The kiosk settles it by the card's balance."),
]


def card_error(exc: BackendError) -> TellerError:
    for kind, code, message, next_step in _MESSAGES:
        if isinstance(exc, kind):
            return TellerError(code, message, next_step)
    return TellerError("DECLINED", f"The gift card server declined: {exc.message}", "Tell the customer; nothing moved.")


def _token_from(sealed: dict[str, Any] | None) -> CardToken | None:
    if not sealed or "token" not in sealed:
        return None
    return CardToken(sealed["token"], float(sealed["expires_at"]), sealed.get("last4", ""), float(sealed["issued_at"]))


class GiftCardDesk:
    prefix = "giftcard"
    backend_name = "pospointe"
    title = "Gift card"
    undo_needs_approval = True

    def __init__(
        self,
        teller: Teller,
        client: PosPointeClient,
        *,
        confirm_after: float = 2.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.teller = teller
        self.client = client
        self.currency = client.currency
        self.confirm_after = confirm_after
        self.sleep = sleep

    # --- readiness ------------------------------------------------------------------------------

    def health(self) -> str:
        try:
            self.client.health()
            return ""
        except BackendError as exc:
            return card_error(exc).message

    def close(self) -> None:
        self.client.close()

    # --- the visit --------------------------------------------------------------------------------

    def identify(self, who: CardEntry) -> GiftCardVisit:
        """Tokenize the card and read its balance. The numbers are kept in memory only."""
        card_number, security_code = who.number, who.code
        journal = self.teller.journal
        cashier = self.teller.require_cashier()  # with sign-in on: nobody signed in, no visit
        self.teller.shifts.require_open()  # no shift, no visit: said before anything is sent
        try:
            card = CardVisit(self.client, card_number, security_code)
        except CardRejected as exc:
            raise TellerError("CARD_FORMAT", exc.message, "Type the card again, or scan it.") from None
        visit = GiftCardVisit(
            visit_id=str(uuid.uuid4()), phone_masked=f"card ****{card.last4}",
            journey="giftcard", backend=self.backend_name,
        )
        with self.teller.lock:
            journal.record(
                visit.visit_id, GiftCardStep.CARD_LOOKUP_SENT, last4=card.last4,
                summary={"kind": "giftcard", "cashier": cashier, "account_id": f"****{card.last4}"},
            )
            try:
                found = card.balance()
            except BackendError as exc:
                card.forget()
                error = card_error(exc)
                journal.record(visit.visit_id, GiftCardStep.CARD_REFUSED, code=error.code, summary={"state": states.DECLINED})
                visit.stage, visit.error = Stage.FAILED, error
                raise error from None
            journal.record(
                visit.visit_id, GiftCardStep.CARD_FOUND, status=found.status, balance=found.balance.plain(),
                currency=found.balance.currency,
            )
        visit.details.card, visit.details.status, visit.details.balance = card, found.status, found.balance
        visit.account = Account("", f"Gift card ****{card.last4}", found.balance)
        return visit

    def refresh(self, visit: GiftCardVisit) -> GiftCardVisit:
        """Read the balance and status again (a read: always safe)."""
        self.teller.expect_stage(visit, Stage.SESSION_OPEN)
        try:
            found = self._card(visit).balance()
        except BackendError as exc:
            raise card_error(exc) from None
        visit.details.status, visit.details.balance = found.status, found.balance
        visit.account = Account("", f"Gift card ****{self._card(visit).last4}", found.balance)
        return visit

    def actions(self, visit: GiftCardVisit) -> list[str]:
        """What can be done with this card now: sell an unsold card; reload or redeem an active one."""
        status = visit.details.status
        if status == "inactive":
            return ["sell"]
        if status == "active":
            balance = visit.details.balance
            return ["reload", "redeem"] if balance is not None and balance.amount > 0 else ["reload"]
        return []

    def check_amount(self, visit: GiftCardVisit, action: str, text: str) -> Money:
        """Validate without moving anything (for the amount screen)."""
        if action not in ACTIONS:
            raise TellerError("WRONG_STEP", f"{action!r} is not a gift card action.")
        try:
            amount = parse_amount(text, self.currency)
        except MoneyError as exc:
            raise TellerError("AMOUNT_INVALID", str(exc), "Type the amount again.") from None
        status = visit.details.status
        balance: Money = visit.details.balance or Money.zero(self.currency)
        if status == "blocked":
            raise card_error(CardBlocked(""))
        if action == "sell" and status != "inactive":
            raise card_error(CardAlreadyActive(""))
        if action in ("reload", "redeem") and status != "active":
            raise card_error(CardNotActive(""))
        if action in ("sell", "reload"):
            if not MIN_LOAD <= amount.amount <= MAX_LOAD:
                raise TellerError("LIMIT_EXCEEDED", f"A sale or reload is {MIN_LOAD} to {MAX_LOAD} {self.currency}.",
                                  "Type another amount.")
            if balance.amount + amount.amount > MAX_BALANCE:
                room = MAX_BALANCE - balance.amount
                raise TellerError("LIMIT_EXCEEDED", f"A card holds at most {MAX_BALANCE} {self.currency}; "
                                  f"this one can take {room:.2f} more.", "Type a smaller amount.")
            return amount
        if balance.amount <= 0:
            raise card_error(InsufficientFunds(""))
        cash = self.teller.cash_in_drawer(self.currency)
        # With partial approval the host pays out what the card holds when that is less.
        payout = min(amount.amount, balance.amount)
        if cash.amount < payout:
            raise TellerError("NOT_ENOUGH_CASH", f"The drawer holds {cash}; it cannot pay out {payout:.2f} {self.currency}.",
                              "Offer a smaller amount.")
        return amount

    def move(self, visit: GiftCardVisit, action: str, amount_text: str) -> GiftCardVisit:
        """Sell, reload or redeem, then open the drawer. On return the visit is CASH_PENDING;
        raises TellerError when the host declined (FAILED), or the outcome could not be
        settled (UNRESOLVED: do not move cash)."""
        teller, journal = self.teller, self.teller.journal
        with teller.lock:
            teller.expect_stage(visit, Stage.SESSION_OPEN)
            amount = self.check_amount(visit, action, amount_text)
            cashier = teller.require_cashier()
            teller.ensure_ready_for_cash()
            # Over a per-visit / per-shift limit a supervisor must have approved (sign-in on),
            # checked before anything is sent (a redemption: on the amount asked for).
            teller.within_limits(visit, amount)
            journey, direction, title = ACTIONS[action]
            card = self._card(visit)
            try:
                before = card.balance()  # what a lost answer is judged against
                token = card.token()
            except BackendError as exc:
                raise card_error(exc) from None  # a read: nothing was sent that moves money
            journal.record(visit.visit_id, GiftCardStep.BALANCE_CHECKED, balance=before.balance.plain(), status=before.status)
            visit.details.balance, visit.details.status = before.balance, before.status
            self.check_amount(visit, action, amount_text)  # again, against the balance just read
            pos_ref = f"{visit.visit_id[:8]}-{action}"
            visit.journey, visit.receipt_kind, visit.kind = journey, title, direction
            visit.amount = amount
            payout = Money(min(amount.amount, before.balance.amount), amount.currency)
            with journal.one_commit():  # nothing happens between these: all durable before the call
                self._seal(visit.visit_id, token)
                journal.record(
                    visit.visit_id, Step.INTENT, kind=journey, amount=amount.plain(), currency=amount.currency,
                    guard=teller.cash_out_guard(payout) if direction is VisitKind.WITHDRAW else None,
                    before_balance=before.balance.plain(), pos_ref=pos_ref,
                    summary={"kind": journey, "amount": amount.plain(), "currency": amount.currency, "cashier": cashier},
                )
                journal.record(visit.visit_id, Step.HOST_SENT, pos_ref=pos_ref)
            try:
                if action == "sell":
                    done = card.sell_new_card(amount, pos_ref)
                    ref, cash, after = done.host_ref, done.amount, done.balance
                elif action == "reload":
                    done = card.reload(amount, pos_ref)
                    ref, cash, after = done.host_ref, done.amount, done.balance
                else:
                    redeemed = card.redeem(amount, pos_ref, accept_partial=True)
                    ref, cash, after = redeemed.host_ref, redeemed.approved, redeemed.new_balance
            except OutcomeUnknown as exc:
                journal.record(visit.visit_id, Step.HOST_UNKNOWN, code=exc.code)
                ref, cash, after = self._settle_now(visit, card, before.balance, amount, action)
            except BackendError as exc:
                error = card_error(exc)
                journal.record(visit.visit_id, Step.HOST_DECLINED, code=error.code, summary={"state": states.DECLINED})
                self._end(visit, Stage.FAILED, error)
                raise error from None
            journal.record(
                visit.visit_id, Step.HOST_OK, transaction_id=ref, approved=cash.plain(), balance=after.plain(),
                partial=cash != amount,
                summary={"transaction_id": ref, "amount": cash.plain()},
            )
            visit.amount, visit.transaction_id = cash, ref
            visit.details.balance, visit.details.requested, visit.details.status = after, amount, "active"
            visit.account = Account("", f"Gift card ****{card.last4}", after)
            teller.open_drawer(visit)
            return visit

    def _settle_now(self, visit: GiftCardVisit, card: CardVisit, before: Money, amount: Money, action: str):
        """The answer was lost: the balance says what happened (never a re-send)."""
        journal = self.teller.journal
        delta = redeem_delta(before, amount) if action == "redeem" else amount
        outcome = settle_unknown(self.client, card, before, delta, confirm_after=self.confirm_after, sleep=self.sleep)
        journal.record(visit.visit_id, GiftCardStep.BALANCE_SETTLED, outcome=outcome)
        if outcome == "applied":
            cash = Money(abs(delta.amount), amount.currency)
            return f"balance-{visit.visit_id[:8]}", cash, before + delta
        if outcome == "not_applied":
            error = TellerError(
                "NOT_APPLIED",
                "The gift card server did not answer, and the card's balance shows nothing was applied.",
                "Nothing moved: you may try again.",
            )
            journal.record(visit.visit_id, Step.HOST_DECLINED, code="NOT_APPLIED", summary={"state": states.DECLINED})
            self._end(visit, Stage.FAILED, error)
            raise error
        promise(self.teller, visit.visit_id, GiftCardStep.HOST_UNRESOLVED, "giftcard_settle",
                reason="balance moved by another amount or unreadable")
        error = TellerError(
            "OUTCOME_UNKNOWN",
            "The gift card server did not answer, and the card's balance does not tell what happened.",
            "Do not hand over or take cash. The kiosk keeps checking the balance; a supervisor can see it.",
        )
        visit.stage, visit.error = Stage.UNRESOLVED, error
        self._forget_card(visit)
        raise error

    def undo(self, visit: GiftCardVisit, *, by_rule: bool = False) -> GiftCardVisit:
        """The drawer did not open and no cash was handed over: put the amount back on the card
        (a reload, settled by the balance like any other). Raises TellerError when it could
        not be confirmed: the outbox keeps trying.

        As RapydDesk.undo: a cashier's choice to undo needs a supervisor's approval
        (with sign-in on, auth.REVERSE); `by_rule` is the headless visit's own rule (the
        drawer did not open, nobody there)."""
        teller, journal = self.teller, self.teller.journal
        with teller.lock:
            teller.expect_stage(visit, Stage.CASH_PENDING)
            if visit.journey != "giftcard_redeem":
                raise TellerError("NOT_A_WITHDRAWAL", "Only a redemption can be put back on the card.")
            if not by_rule:
                teller.require_approval(auth_actions.REVERSE, visit_id=visit.visit_id)
            assert visit.amount is not None  # a CASH_PENDING visit has its amount
            journal.record(visit.visit_id, Step.CASH_NOT_HANDED)
            try:
                self._refund(visit.visit_id, self._card(visit), visit.amount)
            except BackendError as exc:
                promise(teller, visit.visit_id, GiftCardStep.REFUND_FAILED, "giftcard_refund", code=exc.code)
                visit.stage = Stage.UNRESOLVED
                self._forget_card(visit)
                raise TellerError(
                    "REVERSAL_FAILED",
                    "The redemption could not be put back on the card yet.",
                    "Keep the cash in the drawer. The kiosk keeps trying; a supervisor can see it.",
                ) from None
            visit.stage = Stage.REVERSED
            self._forget_card(visit)
            return visit

    def _refund(self, visit_id: str, card: CardVisit | CardToken, amount: Money) -> None:
        """Reload `amount` (in steps of at most 500.00) onto the card; each step is settled by
        the balance when its answer is lost. REVERSED when all of it is back."""
        journal = self.teller.journal
        rows = list(journal.rows(visit_id))
        done = sum((Decimal(r.data["amount"]) for r in rows if r.step == GiftCardStep.REFUND_OK), Decimal(0))
        left = amount.amount - done
        while left > 0:
            part = Money(min(left, MAX_LOAD), amount.currency)
            before = card.balance().balance if isinstance(card, CardVisit) else self.client.balance(card).balance
            pos_ref = f"{visit_id[:8]}-refund-{int(done * 100)}"
            journal.record(visit_id, GiftCardStep.REFUND_SENT, amount=part.plain(), before_balance=before.plain(), pos_ref=pos_ref)
            try:
                if isinstance(card, CardVisit):
                    card.reload(part, pos_ref)
                else:
                    self.client.reload(card, part, pos_ref)
            except OutcomeUnknown:
                outcome = settle_unknown(self.client, card, before, part, confirm_after=self.confirm_after, sleep=self.sleep)
                journal.record(visit_id, GiftCardStep.BALANCE_SETTLED, outcome=outcome)
                if outcome != "applied":
                    raise OutcomeUnknown("The refund's outcome is not known yet.") from None
            journal.record(visit_id, GiftCardStep.REFUND_OK, amount=part.plain())
            done += part.amount
            left -= part.amount
        journal.record(visit_id, Step.REVERSED, amount=amount.plain(), summary={"state": states.REVERSED})
        self.teller.shifts.note_reversal(amount)
        journal.erase(visit_id)

    def finish(self, visit: GiftCardVisit, *, by_hand: bool = False) -> GiftCardVisit:
        """The cash changed hands: count it, print the receipt, forget the card."""
        with self.teller.lock:
            self.teller.confirm_cash_and_print(visit, by_hand=by_hand)
            self.teller.record_completed(visit)
        self._forget_card(visit)
        return visit

    def cancel(self, visit: GiftCardVisit) -> GiftCardVisit:
        """The cashier ends the visit before any money moved (a balance enquiry ends here)."""
        with self.teller.lock:
            self.teller.expect_stage(visit, Stage.SESSION_OPEN)
            self.teller.journal.record(visit.visit_id, Step.CANCELLED, summary={"state": states.ABANDONED})
            self._end(visit, Stage.CANCELLED, None)
            return visit

    def set_blocked(self, visit: GiftCardVisit, blocked: bool, *, supervisor: str, reason: str) -> GiftCardVisit:
        """Block or unblock the card: a supervisor's decision, recorded with their name. With
        sign-in on, that supervisor must have approved it with their PIN (auth.CARD_STATUS)."""
        teller, journal = self.teller, self.teller.journal
        supervisor, reason = (supervisor or "").strip(), (reason or "").strip()
        if not supervisor:
            raise TellerError("SUPERVISOR_REQUIRED", "A supervisor must approve blocking or unblocking a card.",
                              "Ask a supervisor to type their name.")
        if not reason:
            raise TellerError("REASON_REQUIRED", "Say why the card is blocked or unblocked.", "Type a reason.")
        with teller.lock:
            teller.expect_stage(visit, Stage.SESSION_OPEN)
            cashier = teller.require_cashier()
            card = self._card(visit)
            approval = teller.require_approval(auth_actions.CARD_STATUS, visit_id=visit.visit_id, supervisor=supervisor,
                                        why="Blocking or unblocking a gift card is a supervisor's decision.")
            if approval is not None:
                supervisor = approval.supervisor
            journey = "giftcard_block" if blocked else "giftcard_unblock"
            visit.journey = journey
            try:
                self._seal(visit.visit_id, card.token())
            except BackendError as exc:
                raise card_error(exc) from None
            journal.record(visit.visit_id, GiftCardStep.STATUS_SENT, blocked=blocked, supervisor=supervisor, reason=reason,
                           summary={"kind": journey, "cashier": cashier})
            try:
                changed = card.change_status(blocked, reason)
                status = changed.status
            except OutcomeUnknown as exc:
                journal.record(visit.visit_id, GiftCardStep.STATUS_UNKNOWN, code=exc.code)
                try:
                    status = card.balance().status
                except BackendError:
                    queue(teller, visit.visit_id, "giftcard_status")
                    error = TellerError("OUTCOME_UNKNOWN", "The gift card server did not say whether the card's status changed.",
                                        "Check the card again in a minute: the kiosk keeps asking.")
                    visit.stage, visit.error = Stage.UNRESOLVED, error
                    self._forget_card(visit)
                    raise error from None
                if (status == "blocked") != blocked:
                    error = TellerError("NOT_APPLIED", "The gift card server did not change the card's status.",
                                        "Try again.")
                    journal.record(visit.visit_id, GiftCardStep.STATUS_REFUSED, code="NOT_APPLIED", summary={"state": states.DECLINED})
                    self._end(visit, Stage.FAILED, error)
                    raise error from None
            except BackendError as exc:
                error = card_error(exc)
                journal.record(visit.visit_id, GiftCardStep.STATUS_REFUSED, code=error.code, summary={"state": states.DECLINED})
                self._end(visit, Stage.FAILED, error)
                raise error from None
            journal.record(visit.visit_id, GiftCardStep.STATUS_CHANGED, status=status, summary={"state": states.COMPLETED})
            visit.details.status = status
            self._end(visit, Stage.COMPLETED, None)
            return visit

    # --- the day's batch --------------------------------------------------------------------------

    def batch(self) -> Batch:
        try:
            return self.client.batch()
        except BackendError as exc:
            raise card_error(exc) from None

    def close_batch(self) -> Batch:
        journal = self.teller.journal
        with self.teller.lock:
            cashier = self.teller.require_cashier()
            journal.record(None, GiftCardStep.GIFTCARD_BATCH_CLOSE_SENT, store_id=self.client.store_id, cashier=cashier)
            try:
                closed = self.client.close_batch()
            except OutcomeUnknown as exc:
                journal.record(None, GiftCardStep.GIFTCARD_BATCH_CLOSE_UNKNOWN, code=exc.code)
                raise TellerError("OUTCOME_UNKNOWN", "The gift card server did not say whether the batch closed.",
                                  "View the batch again: if its number changed, it was closed.") from None
            except BackendError as exc:
                error = card_error(exc)
                journal.record(None, GiftCardStep.GIFTCARD_BATCH_CLOSE_REFUSED, code=error.code)
                raise error from None
            t = closed.totals
            journal.record(
                None, GiftCardStep.GIFTCARD_BATCH_CLOSED, batch_id=closed.batch_id, next_batch_id=closed.next_batch_id,
                sells=[t.sell_count, t.sell_amount.plain()], reloads=[t.reload_count, t.reload_amount.plain()],
                redeems=[t.redeem_count, t.redeem_amount.plain()], net=t.net.plain(), currency=t.net.currency,
            )
            return closed

    # --- helpers ------------------------------------------------------------------------------------

    def _card(self, visit: GiftCardVisit) -> CardVisit:
        card = visit.details.card
        if card is None:
            raise TellerError("CARD_GONE", "The card's details were cleared.", "Enter the card again.")
        return card

    def _seal(self, visit_id: str, token: CardToken) -> None:
        self.teller.journal.seal(visit_id, {
            "token": token.token, "issued_at": str(token.issued_at), "expires_at": str(token.expires_at),
            "last4": token.last4,
        })

    def _forget_card(self, visit: GiftCardVisit) -> None:
        card, visit.details.card = visit.details.card, None
        if card is not None:
            card.forget()

    def _end(self, visit: GiftCardVisit, stage: Stage, error: TellerError | None) -> None:
        visit.stage, visit.error = stage, error
        self._forget_card(visit)
        self.teller.journal.erase(visit.visit_id)

    # --- recovery (kiosk.teller.recovery hands these over) -------------------------------------------

    @property
    def recovery(self) -> RecoveryTable:
        return RecoveryTable(
            cash_in=frozenset(CASH_IN), reprint=self._reprint, settle="giftcard_settle", give_back="giftcard_refund",
            giving_back=(GiftCardStep.REFUND_SENT,), not_kept="cash not moved: card loaded, needs a correction",
            not_kept_action="card correction",
            ended_by=((GiftCardStep.STATUS_CHANGED, "status changed", states.COMPLETED),
                      (GiftCardStep.STATUS_REFUSED, "status change refused", states.DECLINED)),
            asked_by=((GiftCardStep.STATUS_SENT, "giftcard_status", "status change unknown: the card's status is read"),),
            words={"given_back": "already put back on the card", "giving_back": "redemption to be put back on the card",
                   "not_handed": "redeemed, cash never paid out: to be put back on the card",
                   "kept?": "card loaded, drawer never opened: suspect",
                   "settle": "outcome unknown: settled by the card's balance"},
        )

    def send(self, item: Any) -> None:
        journal = self.teller.journal
        visit_id = item.visit_id
        token = _token_from(journal.unseal(visit_id))
        if token is None or token.expires_at <= self.client.now():
            summary = journal.visit(visit_id)
            last4 = summary.account_id if summary is not None and summary.account_id else "****"
            raise NeedsAPerson(
                f"The card's token has run out: a person must check card {last4} at the gift card server."
            )
        rows = list(journal.rows(visit_id))
        summary = journal.visit(visit_id)
        assert summary is not None
        if item.action == "giftcard_settle":
            amount = summary.money(last_value(rows, Step.INTENT, "amount"))
            before = summary.money(last_value(rows, Step.INTENT, "before_balance"), allow_zero=True)
            delta = redeem_delta(before, amount) if summary.kind == "giftcard_redeem" else amount
            outcome = settle_unknown(self.client, token, before, delta, confirm_after=self.confirm_after, sleep=self.sleep)
            journal.record(visit_id, GiftCardStep.BALANCE_SETTLED, outcome=outcome, attempt="outbox")
            if outcome == "unknown":
                raise OutcomeUnknown("The card's balance does not tell yet whether it was applied.")
            if outcome == "not_applied":
                recovery.declined_after_visit(self.teller, visit_id, self.recovery, "NOT_APPLIED")
                return
            cash = Money(abs(delta.amount), amount.currency)
            journal.record(visit_id, Step.HOST_OK, transaction_id=f"balance-{visit_id[:8]}", approved=cash.plain(),
                           settled=True, summary={"transaction_id": f"balance-{visit_id[:8]}", "amount": cash.plain()})
            recovery.applied_after_visit(self.teller, visit_id, self.recovery, "host answer settled after the visit ended")
            return
        if item.action == "giftcard_refund":
            amount = summary.money()
            self._refund(visit_id, token, amount)
            return
        if item.action == "giftcard_status":
            wanted = bool(last_value(rows, GiftCardStep.STATUS_SENT, "blocked"))
            status = self.client.balance(token).status
            if (status == "blocked") == wanted:
                journal.record(visit_id, GiftCardStep.STATUS_CHANGED, status=status, summary={"state": states.COMPLETED})
            else:
                journal.record(visit_id, GiftCardStep.STATUS_REFUSED, code="NOT_APPLIED", summary={"state": states.DECLINED})
            journal.erase(visit_id)
            return
        raise NeedsAPerson(f"unknown gift card compensation {item.action}")

    def _reprint(self, visit_id: str) -> None:
        summary = self.teller.journal.visit(visit_id)
        if summary is None or not summary.amount or not summary.kind or summary.kind not in {a[0] for a in ACTIONS.values()}:
            return
        action = next(a for a, (k, _, _) in ACTIONS.items() if k == summary.kind)
        _, direction, title = ACTIONS[action]
        visit = GiftCardVisit(
            visit_id=visit_id, phone_masked=f"card {summary.account_id or '****'}", kind=direction,
            amount=summary.money(), transaction_id=summary.transaction_id or "",
            stage=Stage.CASH_DONE, journey=summary.kind, receipt_kind=title, backend=self.backend_name,
        )
        if self.teller.printer_ready():
            self.teller.print_visit_receipt(visit, copy=True)
