"""Flexiti's answers as the client reads them, and the values handed to the teller."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from kiosk.backends.wire import printable
from kiosk.digits import is_digits
from kiosk.money import Money, MoneyError, parse_host_amount

CURRENCY = "CAD"  # Flexiti lends in Canadian dollars
PLAIN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")

@dataclass(frozen=True)
class Flow:
    """One customer at the till: the x-reference-id on every call (Flexiti's trace id for the
    flow) and the in-store request_id tying a verification to its transaction."""

    reference_id: str
    request_id: str

    @classmethod
    def new(cls) -> Flow:
        return cls(uuid.uuid4().hex, uuid.uuid4().hex)


@dataclass(frozen=True)
class Verification:
    format: str
    pin: str | None = field(repr=False)  # None when the PIN went to the customer's phone or e-mail
    sent_to: Literal["sms", "email"] | None = None

    def __repr__(self) -> str:
        shown = "None" if self.pin is None else "'******'"
        return f"Verification(format={self.format!r}, sent_to={self.sent_to!r}, pin={shown})"


@dataclass(frozen=True)
class SecurityQuestion:
    id: str
    text: str


@dataclass(frozen=True)
class CustomerAccount:
    """A Flexiti account as a look-up or a search reported it (fields it lacked are empty)."""

    account_number: str
    customer_id: str
    first_name: str
    last_name: str
    account_status: str  # N normal, A auth prohibited, F frozen, Z charged off, C closed
    available_credit: Money | None
    credit_limit: Money | None = None
    security_question: SecurityQuestion | None = None
    card_ending_in: str = ""
    phone_ending: str = ""  # last 4 digits of the mobile on file: where an sms PIN goes
    email_hint: str = ""  # e.g. j***@example.com: where an e-mail PIN goes

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def in_good_standing(self) -> bool:
        return self.account_status == "N"


@dataclass(frozen=True)
class LicenceHolder:
    """Who a driver's licence says the customer is (no licence number kept)."""

    first_name: str
    middle_name: str
    last_name: str
    dob: date = field(repr=False)
    expiry: date | None = None
    province: str = ""

    def expired(self, today: date) -> bool:
        return self.expiry is not None and self.expiry < today


@dataclass(frozen=True)
class LicenceLookup:
    holder: LicenceHolder
    accounts: list[CustomerAccount]


@dataclass(frozen=True)
class TransactionResult:
    transaction_id: str
    kind: str
    amount: Money
    account_number: str
    available_credit: Money | None = None
    verified: bool = True



class Garbled(Exception):
    """A success answer whose content cannot be trusted."""


def text_of(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, (str, int)):
        return str(value).strip()
    return ""


def _mask_email(email: str) -> str:
    local, _, domain = (email or "").partition("@")
    if not local or not domain:
        return ""
    return f"{local[0]}***@{printable(domain, 64)}"


def _amount_or_none(value: Any) -> Money | None:
    if value is None or value == "":
        return None
    try:
        return parse_host_amount(value, CURRENCY)
    except MoneyError:
        raise Garbled("an amount is not a number") from None


def account_of(item: Any) -> CustomerAccount:
    if not isinstance(item, dict):
        raise Garbled("an account is not an object")
    number = text_of(item.get("account_number"))
    if not is_digits(number, 1, 14):
        raise Garbled("an account number is missing or malformed")
    question = item.get("security_qid")
    security: SecurityQuestion | None = None
    if isinstance(question, dict) and text_of(question.get("id")):
        security = SecurityQuestion(text_of(question.get("id"))[:20], printable(text_of(question.get("text")), 200))
    phone = re.sub(r"\D", "", text_of(item.get("phone_number")))
    return CustomerAccount(
        account_number=number,
        customer_id=printable(text_of(item.get("customer_id")), 40),
        first_name=printable(text_of(item.get("first_name")), 80),
        last_name=printable(text_of(item.get("last_name")), 130),
        account_status=printable(text_of(item.get("account_status")), 2).upper(),
        available_credit=_amount_or_none(item.get("available_credit")),
        credit_limit=_amount_or_none(item.get("credit_limit")),
        security_question=security,
        card_ending_in=re.sub(r"\D", "", text_of(item.get("card_ending_in")))[-4:],
        phone_ending=phone[-4:] if len(phone) >= 4 else "",
        email_hint=_mask_email(text_of(item.get("email"))),
    )


def holder_of(document: Any) -> LicenceHolder:
    if not isinstance(document, dict):
        raise Garbled("it is not an object")
    first, last = printable(text_of(document.get("first_name")), 80), printable(text_of(document.get("last_name")), 130)
    try:
        dob = date.fromisoformat(text_of(document.get("dob")))
    except ValueError:
        raise Garbled("the date of birth is missing or malformed") from None
    try:
        expiry_text = text_of(document.get("govid_expiry"))
        expiry = date.fromisoformat(expiry_text) if expiry_text else None
    except ValueError:
        expiry = None
    if not first or not last:
        raise Garbled("the name is missing")
    return LicenceHolder(first, printable(text_of(document.get("middle_name")), 80), last, dob, expiry,
                         printable(text_of(document.get("province")), 4))


def transaction_result(document: Any, kind: str, amount: Money, number: str) -> TransactionResult:
    if not isinstance(document, dict):
        raise Garbled("it is not an object")
    transaction_id = text_of(document.get("transaction_id"))
    if not PLAIN_ID.match(transaction_id):
        raise Garbled("the transaction id is missing or malformed")
    reported = document.get("total_amount", document.get("amount"))
    if reported is not None and _amount_or_none(reported) != amount:
        raise Garbled("the amount in the answer is not the amount sent")
    verified = document.get("verified", True)
    return TransactionResult(
        transaction_id=transaction_id,
        kind=kind,
        amount=amount,
        account_number=number,
        available_credit=_amount_or_none(document.get("available_credit")),
        verified=verified is not False,
    )
