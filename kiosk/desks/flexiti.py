"""Flexiti at the till: find the customer (account number, or a driver's licence scan), verify
them in store, then a deposit (cash in: pays down what they owe) or an in-store payment (cash
out: drawn on their available credit and paid out from the drawer), carrying the verified
request_id and an x-idempotency-key.

Verification formats: sms / email (Flexiti sends the customer a PIN; the cashier types what
the customer reads out), security_question (the customer's answer; Flexiti answers with the
PIN), regular_purchase_bypass (qualifying customers) and merchant_override (only where the
store is allowed to, and only with a supervisor's name). Three wrong answers or PINs in 48
hours lock the account's verification at Flexiti: the cashier is told so plainly.

Journal rows:

    CUSTOMER_LOOKUP_SENT (by, last4) -> CUSTOMER_FOUND (last4, status) | CUSTOMER_REFUSED
    VERIFY_SENT (format, request_id, supervisor) -> VERIFY_PIN_SENT (channel) | VERIFIED | VERIFY_REFUSED
    INTENT (journey, amount, request_id, idempotency) -> HOST_SENT -> HOST_OK | HOST_DECLINED
        | PIN_REJECTED (a failed try; the visit stays open for the right PIN) | HOST_RESENT... | HOST_UNKNOWN
    DRAWER_KICKED -> ... -> CASH_CONFIRMED -> RECEIPT_* -> COMPLETED

A lost answer is re-sent with the same x-idempotency-key (Flexiti replays its first successful
answer); after a crash the outbox re-sends it from the PIN, request_id and key sealed in the
journal's vault. Flexiti has no reversal: an in-store payment whose cash was not handed over
goes to a person (escalated), never guessed.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from kiosk import auth as auth_actions
from kiosk.backends.base import AuthenticationFailed, BackendError, HostUnreachable, OtpRejected, OutcomeUnknown
from kiosk.backends.flexiti import (
    CURRENCY,
    CustomerAccount,
    FlexitiClient,
    Flow,
    TriesExceeded,
    WrongVerificationCode,
)
from kiosk.digits import is_digits
from kiosk.journal import store as states
from kiosk.money import Money, MoneyError, parse_amount
from kiosk.desks.base import AccountLookup, JourneyVisit, NeedsAPerson, promise
from kiosk.desks.table import RecoveryTable
from kiosk.teller import recovery
from kiosk.teller.steps import Step
from kiosk.teller.visit import Stage, TellerError, VisitKind

if TYPE_CHECKING:
    from kiosk.teller.teller import Teller

log = logging.getLogger("kiosk.desks.flexiti")


@dataclass
class FlexitiDetails:
    """What the Flexiti desk keeps of a visit between verbs (memory only)."""

    flow: Flow | None = None  # the verification flow's ids, from the look-up on
    accounts: list[CustomerAccount] = field(default_factory=list)  # the look-up's answer
    account: CustomerAccount | None = None  # the one chosen
    format: str = ""  # how the customer was verified
    sent_to: str | None = None  # "sms" | "email": where the PIN went, when it went to the customer
    pin: str | None = field(default=None, repr=False)  # the verification's PIN: cleared at the end
    locked: bool = False  # Flexiti stopped taking tries for this verification
    idempotency: str = ""  # the key of the money movement being sent ('' = a new one next time)
    available_after: Money | None = None  # the credit left, as the host said after moving


@dataclass
class FlexitiVisit(JourneyVisit):
    details: FlexitiDetails = field(default_factory=FlexitiDetails)


class FlexitiStep(StrEnum):
    """Steps only the Flexiti desk writes (customer look-up, account, verification, PIN).
    The shared ones are kiosk.teller.steps.Step."""

    CUSTOMER_LOOKUP_SENT = "CUSTOMER_LOOKUP_SENT"
    CUSTOMER_FOUND = "CUSTOMER_FOUND"
    CUSTOMER_REFUSED = "CUSTOMER_REFUSED"
    ACCOUNT_CHOSEN = "ACCOUNT_CHOSEN"
    VERIFY_SENT = "VERIFY_SENT"
    VERIFY_REFUSED = "VERIFY_REFUSED"
    VERIFY_PIN_SENT = "VERIFY_PIN_SENT"
    VERIFY_RESUMED = "VERIFY_RESUMED"
    VERIFIED = "VERIFIED"
    PIN_REJECTED = "PIN_REJECTED"

# kind -> (journey, cash direction, receipt title)
KINDS: dict[str, tuple[str, VisitKind, str]] = {
    "deposit": ("flexiti_deposit", VisitKind.DEPOSIT, "Flexiti payment (deposit)"),
    "instore_payment": ("flexiti_instore_payment", VisitKind.WITHDRAW, "Flexiti in-store payment"),
}
CASH_IN = {"flexiti_deposit"}
FORMAT_WORDS = {
    "sms": "PIN by text message",
    "email": "PIN by e-mail",
    "security_question": "security question",
    "regular_purchase_bypass": "regular-purchase bypass",
    "merchant_override": "merchant override (supervisor)",
}

_NEXT: list[tuple[type[BackendError], str]] = [
    (TriesExceeded, "Do not try again today. Nothing moved."),
    (OtpRejected, "Check it with the customer and try again. Nothing moved."),
    (AuthenticationFailed, "Call IT support: check the flexiti settings. Nothing moved."),
    (HostUnreachable, "Check the network and try again in a minute. Nothing moved."),
    (OutcomeUnknown, "Do not hand over or take cash. The kiosk settles it with Flexiti."),
]


def flexiti_error(exc: BackendError) -> TellerError:
    """The client's messages are already in the cashier's words; add what to do now."""
    if isinstance(exc, HostUnreachable):
        return TellerError("HOST_UNREACHABLE", "Flexiti cannot be reached. Nothing moved.",
                           "Check the network and try again in a minute.")
    if isinstance(exc, OutcomeUnknown):
        return TellerError("OUTCOME_UNKNOWN", "Flexiti did not answer in time.",
                           "Do not hand over or take cash. The kiosk settles it with Flexiti.")
    next_step = next((text for kind, text in _NEXT if isinstance(exc, kind)), "Tell the customer; nothing moved.")
    return TellerError(exc.code, exc.message, next_step)


def _last4(number: str) -> str:
    return number[-4:]


class FlexitiDesk:
    prefix = "flexiti"
    backend_name = "flexiti"
    title = "Flexiti"
    undo_needs_approval = False  # no reversal call: an undone payment goes to a person

    def __init__(self, teller: Teller, client: FlexitiClient, *, formats: list[str] | None = None) -> None:
        self.teller = teller
        self.client = client
        self.currency = CURRENCY
        self.formats = list(formats or ["sms", "email", "security_question", "regular_purchase_bypass"])

    def health(self) -> str:
        try:
            self.client.health()  # fetches no token: see FlexitiClient.health
            return ""
        except BackendError as exc:
            return flexiti_error(exc).message

    def close(self) -> None:
        self.client.close()

    # --- finding and verifying the customer --------------------------------------------------------

    def identify(self, who: AccountLookup) -> FlexitiVisit:
        """By account number, or by a driver's licence scan (several accounts: choose one)."""
        journal = self.teller.journal
        licence_scan = who.licence_scan
        number = "".join((who.account_number or "").split())
        if not licence_scan and not is_digits(number, 1, 14):
            raise TellerError("ACCOUNT_FORMAT", "A Flexiti account number is 1 to 14 digits (0-9).", "Type it again.")
        cashier = self.teller.require_cashier()  # with sign-in on: nobody signed in, no visit
        self.teller.shifts.require_open()  # no shift, no visit: said before anything is sent
        flow = self.client.new_flow()
        visit = FlexitiVisit(visit_id=str(uuid.uuid4()), phone_masked="", journey="flexiti", backend=self.backend_name)
        by = "licence" if licence_scan else "account"
        with self.teller.lock:
            journal.record(visit.visit_id, FlexitiStep.CUSTOMER_LOOKUP_SENT, by=by, last4=_last4(number) if number else "",
                           reference_id=flow.reference_id, summary={"kind": "flexiti", "cashier": cashier})
            try:
                if licence_scan:
                    found = self.client.lookup_by_licence(licence_scan, flow=flow)
                    accounts = found.accounts
                else:
                    accounts = [self.client.lookup_by_account(number, flow=flow)]
            except ValueError as exc:
                journal.record(visit.visit_id, FlexitiStep.CUSTOMER_REFUSED, code="INPUT", summary={"state": states.ABANDONED})
                raise TellerError("INPUT_INVALID", str(exc).capitalize() + ".", "Type or scan it again.") from None
            except BackendError as exc:
                error = flexiti_error(exc)
                journal.record(visit.visit_id, FlexitiStep.CUSTOMER_REFUSED, code=error.code, summary={"state": states.DECLINED})
                visit.stage = Stage.FAILED
                raise error from None
            if not accounts:
                journal.record(visit.visit_id, FlexitiStep.CUSTOMER_REFUSED, code="CUSTOMER_NOT_FOUND",
                               summary={"state": states.DECLINED})
                raise TellerError("CUSTOMER_NOT_FOUND", "No Flexiti account belongs to the person on this licence.",
                                  "Ask the customer for their account number.")
            journal.record(visit.visit_id, FlexitiStep.CUSTOMER_FOUND, accounts=[_last4(a.account_number) for a in accounts])
        visit.details.flow, visit.details.accounts = flow, accounts
        if len(accounts) == 1:
            self.choose_account(visit, accounts[0].account_number)
        return visit

    def choose_account(self, visit: FlexitiVisit, account_number: str) -> FlexitiVisit:
        account = next((a for a in visit.details.accounts if a.account_number == account_number), None)
        if account is None:
            raise TellerError("NO_SUCH_ACCOUNT", "That account is not one of the customer's.")
        if account.security_question is None or account.available_credit is None:
            try:  # a search answers less than a look-up: read the account itself (a read only)
                account = self.client.lookup_by_account(account.account_number, flow=visit.details.flow)
            except BackendError as exc:
                log.info("Flexiti account details not read (%s): carrying on with the search's", exc.code)
        visit.details.account = account
        visit.phone_masked = f"{account.name} ····{_last4(account.account_number)}"
        from kiosk.backends.base import Account

        visit.account = Account(account.account_number, f"Flexiti ····{_last4(account.account_number)}",
                                account.available_credit or Money.zero(self.currency))
        self.teller.journal.record(visit.visit_id, FlexitiStep.ACCOUNT_CHOSEN, last4=_last4(account.account_number),
                                   status=account.account_status,
                                   summary={"account_id": f"····{_last4(account.account_number)}"})
        return visit

    @staticmethod
    def _flow(visit: FlexitiVisit) -> Flow:
        if visit.details.flow is None:
            raise TellerError("WRONG_STEP", "Look the customer up first.")
        return visit.details.flow

    def account(self, visit: FlexitiVisit) -> CustomerAccount:
        account = visit.details.account
        if account is None:
            raise TellerError("NO_ACCOUNT", "Choose the customer's account first.")
        return account

    def allowed_formats(self, visit: FlexitiVisit | None = None) -> list[str]:
        return list(self.formats)

    def verify(self, visit: FlexitiVisit, format: str, *, answer: str = "", supervisor: str = "") -> FlexitiVisit:
        """Ask Flexiti to verify the customer. sms / email: a PIN goes to the customer (type it
        with `enter_pin`); the other formats give the PIN at once (kept in memory only).
        A merchant override is a supervisor's: with sign-in on, that supervisor must have
        approved it with their PIN (auth.OVERRIDE)."""
        teller, journal = self.teller, self.teller.journal
        account = self.account(visit)
        if format not in self.formats:
            raise TellerError("FORMAT_NOT_ALLOWED", f"This store does not verify customers by {FORMAT_WORDS.get(format, format)}.",
                              "Choose another way.")
        supervisor = (supervisor or "").strip()
        if format == "merchant_override" and not supervisor:
            raise TellerError("SUPERVISOR_REQUIRED", "A merchant override needs a supervisor.",
                              "Ask a supervisor to type their name.")
        if format == "security_question" and not (answer or "").strip():
            raise TellerError("ANSWER_REQUIRED", "Type the customer's answer to the security question.")
        flow = self._flow(visit)
        with teller.lock:
            teller.expect_stage(visit, Stage.SESSION_OPEN)
            teller.require_cashier()
            if format == "merchant_override":
                approval = teller.require_approval(auth_actions.OVERRIDE, visit_id=visit.visit_id, supervisor=supervisor,
                                            why="A merchant override needs a supervisor.")
                if approval is not None:
                    supervisor = approval.supervisor
            journal.record(visit.visit_id, FlexitiStep.VERIFY_SENT, format=format, request_id=flow.request_id,
                           supervisor=supervisor or None)
            question = account.security_question
            try:
                result = self.client.verify(
                    account.account_number, format, request_id=flow.request_id,  # type: ignore[arg-type]
                    security_qid=question.id if (question and format == "security_question") else None,
                    security_answer=answer if format == "security_question" else None, flow=flow,
                )
            except BackendError as exc:
                error = flexiti_error(exc)
                journal.record(visit.visit_id, FlexitiStep.VERIFY_REFUSED, format=format, code=error.code)
                if isinstance(exc, TriesExceeded):
                    visit.details.locked = True
                raise error from None
            except ValueError as exc:
                journal.record(visit.visit_id, FlexitiStep.VERIFY_REFUSED, format=format, code="INPUT")
                raise TellerError("INPUT_INVALID", str(exc), "Check what was typed.") from None
            if result.pin is None:
                journal.record(visit.visit_id, FlexitiStep.VERIFY_PIN_SENT, channel=result.sent_to)
                visit.details.pin, visit.details.sent_to, visit.details.format = None, result.sent_to, format
            else:
                journal.record(visit.visit_id, FlexitiStep.VERIFIED, format=format)
                visit.details.pin, visit.details.sent_to, visit.details.format = result.pin, None, format
            return visit

    def resume_verification(self, visit: FlexitiVisit, request_id: str, pin: str) -> FlexitiVisit:
        """Carry on a verification made earlier (sms / email, by `kiosk txn flexiti-verify`): its
        request_id and the PIN the customer received."""
        request_id = (request_id or "").strip()
        if not request_id or len(request_id) > 64 or not (request_id.isascii() and request_id.isprintable()):
            raise TellerError("REQUEST_ID_INVALID", "That is not a request_id from a verification.")
        self.enter_pin(visit, pin)  # checked before the journal says the verification resumed
        visit.details.flow = Flow(self._flow(visit).reference_id, request_id)
        self.teller.journal.record(visit.visit_id, FlexitiStep.VERIFY_RESUMED, request_id=request_id)
        return visit

    def enter_pin(self, visit: FlexitiVisit, pin: str) -> FlexitiVisit:
        """The PIN the customer received (sms / email), as the cashier typed it."""
        pin = "".join((pin or "").split())
        if not is_digits(pin, 4, 10):
            raise TellerError("PIN_FORMAT", "The PIN is the 4 to 10 digits (0-9) the customer received.", "Type it again.")
        visit.details.pin = pin
        return visit

    @property
    def needs_pin(self) -> bool:  # pragma: no cover - convenience for screens
        return True

    # --- the money ------------------------------------------------------------------------------------

    def actions(self, visit: FlexitiVisit) -> list[str]:
        """A deposit or an in-store payment, once the customer is verified (a PIN is held)."""
        return list(KINDS) if visit.details.pin else []

    def check_amount(self, visit: FlexitiVisit, kind: str, text: str) -> Money:
        if kind not in KINDS:
            raise TellerError("WRONG_STEP", f"{kind!r} is not a Flexiti transaction.")
        try:
            amount = parse_amount(text, self.currency)
        except MoneyError as exc:
            raise TellerError("AMOUNT_INVALID", str(exc), "Type the amount again.") from None
        account = self.account(visit)
        if kind == "instore_payment":
            if account.available_credit is not None and account.available_credit < amount:
                raise TellerError("INSUFFICIENT_FUNDS", f"The account has {account.available_credit} of credit available.",
                                  "Offer a smaller amount.")
            self.teller.require_cash(amount)
        return amount

    def move(self, visit: FlexitiVisit, kind: str, amount_text: str) -> FlexitiVisit:
        """The deposit or in-store payment, then the drawer. A wrong PIN leaves the visit open
        (a failed try: type the right one); other refusals end it."""
        teller, journal = self.teller, self.teller.journal
        with teller.lock:
            teller.expect_stage(visit, Stage.SESSION_OPEN)
            amount = self.check_amount(visit, kind, amount_text)
            pin = visit.details.pin
            if not pin:
                raise TellerError("NOT_VERIFIED", "The customer is not verified yet.", "Verify them first.")
            cashier = teller.require_cashier()
            teller.ensure_ready_for_cash()
            # Over a per-visit / per-shift limit a supervisor must have approved (sign-in on),
            # before anything is sealed or sent.
            teller.within_limits(visit, amount)
            journey, direction, title = KINDS[kind]
            account = self.account(visit)
            flow = self._flow(visit)
            key = visit.details.idempotency or str(uuid.uuid4())
            visit.details.idempotency = key
            visit.journey, visit.receipt_kind, visit.kind, visit.amount = journey, title, direction, amount
            with journal.one_commit():  # nothing happens between these: all durable before the call
                journal.seal(visit.visit_id, {"pin": pin, "account": account.account_number, "request_id": flow.request_id,
                                              "reference_id": flow.reference_id, "idempotency": key})
                journal.record(
                    visit.visit_id, Step.INTENT, kind=journey, amount=amount.plain(), currency=amount.currency,
                    guard=teller.cash_out_guard(amount) if direction is VisitKind.WITHDRAW else None,
                    request_id=flow.request_id, idempotency=key,
                    summary={"kind": journey, "amount": amount.plain(), "currency": amount.currency, "cashier": cashier},
                )
                journal.record(visit.visit_id, Step.HOST_SENT, idempotency=key)

            def call():
                return self.client.transaction(kind, account.account_number, amount, pin, flow.request_id, key,  # type: ignore[arg-type]
                                               flow=flow)

            try:
                result = teller.send_settling(visit.visit_id, call)
            except WrongVerificationCode as exc:
                journal.record(visit.visit_id, FlexitiStep.PIN_REJECTED, code=exc.code)
                visit.details.pin = None
                visit.details.idempotency = ""  # a refusal is not remembered: a new key next time
                journal.erase(visit.visit_id)
                raise flexiti_error(exc) from None
            except BackendError as exc:
                error = flexiti_error(exc)
                if exc.outcome_unknown:
                    promise(teller, visit.visit_id, Step.HOST_UNKNOWN, "flexiti_settle", code=exc.code)
                    visit.stage, visit.error = Stage.UNRESOLVED, error
                    raise error from None
                journal.record(visit.visit_id, Step.HOST_DECLINED, code=error.code, summary={"state": states.DECLINED})
                if isinstance(exc, TriesExceeded):
                    visit.details.locked = True
                visit.stage, visit.error = Stage.FAILED, error
                journal.erase(visit.visit_id)
                raise error from None
            journal.record(visit.visit_id, Step.HOST_OK, transaction_id=result.transaction_id,
                           summary={"transaction_id": result.transaction_id})
            visit.transaction_id = result.transaction_id
            if result.available_credit is not None:
                visit.details.available_after = result.available_credit
            teller.open_drawer(visit)
            return visit

    def undo(self, visit: FlexitiVisit, *, by_rule: bool = False) -> FlexitiVisit:
        """The drawer did not open and no cash was handed over for an in-store payment. Flexiti
        has no reversal call: the payment goes to a person (escalated), the visit stays suspect
        (so no supervisor approval is asked, whoever chose it: `by_rule` changes nothing)."""
        teller = self.teller
        with teller.lock:
            teller.expect_stage(visit, Stage.CASH_PENDING)
            recovery.cancel_at_host(teller, visit.visit_id, "Flexiti", "the drawer did not open")
            visit.stage = Stage.SUSPECT
        raise TellerError(
            "NEEDS_A_PERSON",
            "Flexiti has no way for the kiosk to cancel a payment: it was recorded for a supervisor.",
            "Keep the cash in the drawer. A supervisor must ask Flexiti to cancel the payment "
            f"(transaction {visit.transaction_id}).",
        )

    def finish(self, visit: FlexitiVisit, *, by_hand: bool = False) -> FlexitiVisit:
        """The cash changed hands: count it, print the receipt, forget the PIN."""
        with self.teller.lock:
            self.teller.confirm_cash_and_print(visit, by_hand=by_hand)
            self.teller.record_completed(visit)
        visit.details.pin = None
        return visit

    def cancel(self, visit: FlexitiVisit) -> FlexitiVisit:
        with self.teller.lock:
            self.teller.expect_stage(visit, Stage.SESSION_OPEN)
            with self.teller.journal.one_commit():
                self.teller.journal.record(visit.visit_id, Step.CANCELLED, summary={"state": states.ABANDONED})
                self.teller.journal.erase(visit.visit_id)
            visit.stage = Stage.CANCELLED
            visit.details.pin = None
            return visit

    # --- recovery --------------------------------------------------------------------------------------

    @property
    def recovery(self) -> RecoveryTable:
        return RecoveryTable(
            cash_in=frozenset(CASH_IN), reprint=self._reprint, settle="flexiti_settle", refused_by=frozenset({FlexitiStep.PIN_REJECTED}),
            cancel_with="Flexiti", not_kept="cash not moved: Flexiti must correct it", not_kept_action="flexiti correction",
            words={"cancel": "payment applied, no cash handed over: escalated",
                   "settle": "outcome unknown: re-sent with the same idempotency key"},
        )

    def send(self, item: Any) -> None:
        journal = self.teller.journal
        visit_id = item.visit_id
        if item.action != "flexiti_settle":
            raise NeedsAPerson(f"unknown Flexiti compensation {item.action}")
        sealed = journal.unseal(visit_id)
        summary = journal.visit(visit_id)
        if not sealed or summary is None:
            raise NeedsAPerson("The verification details for this visit are gone: ask Flexiti whether it was applied.")
        kind = "deposit" if summary.kind == "flexiti_deposit" else "instore_payment"
        amount = summary.money()
        flow = Flow(sealed["reference_id"], sealed["request_id"])
        journal.record(visit_id, Step.HOST_RESENT, attempt="outbox", idempotency=sealed["idempotency"])
        try:
            result = self.client.transaction(kind, sealed["account"], amount, sealed["pin"], sealed["request_id"],  # type: ignore[arg-type]
                                             sealed["idempotency"], flow=flow)
        except (OutcomeUnknown, HostUnreachable):
            raise
        except BackendError as exc:
            # Refused on the re-send: Flexiti replays a success, so the first was not applied.
            recovery.declined_after_visit(self.teller, visit_id, self.recovery, exc.code)
            return
        journal.record(visit_id, Step.HOST_OK, transaction_id=result.transaction_id,
                       summary={"transaction_id": result.transaction_id})
        recovery.applied_after_visit(self.teller, visit_id, self.recovery, "host answer came after the visit ended")

    def _reprint(self, visit_id: str) -> None:
        summary = self.teller.journal.visit(visit_id)
        match = next(((j, d, t) for j, d, t in KINDS.values() if summary and j == summary.kind), None)
        if summary is None or match is None or not summary.amount:
            return
        journey, direction, title = match
        visit = FlexitiVisit(
            visit_id=visit_id, phone_masked=f"account {summary.account_id or ''}".strip(), kind=direction,
            amount=summary.money(), transaction_id=summary.transaction_id or "",
            stage=Stage.CASH_DONE, journey=journey, receipt_kind=title, backend=self.backend_name,
        )
        if self.teller.printer_ready():
            self.teller.print_visit_receipt(visit, copy=True)
