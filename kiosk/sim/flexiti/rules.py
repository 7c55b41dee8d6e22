"""Flexiti's business rules for the in-store channel: verify, look up, post a transaction.

Each rule takes the parsed request and returns the JSON answer, or raises `ApiError` (an
HTTP status and Flexiti's error body). Every check happens before any write, except the record
of a failed try, which must stay even though the answer is an error.

Verification (POST .../account/{account_number}/verify):
- email / sms send a dynamic PIN out of band; security_question (right answer),
  regular_purchase_bypass (qualifying customers) and merchant_override (merchants allowed to)
  answer with the PIN inline, as a JSON number.
- One standing verification per account: the latest, with its request_id. It is good for
  PIN_LIFETIME seconds and for any number of transactions carrying the same request_id and PIN
  (which is why a repeated transaction without an idempotency key applies twice).
- A wrong security answer or a wrong PIN on a transaction is a failed try; after MAX_TRIES
  failed tries within TRIES_WINDOW (48 h) every verify and transaction for the account answers
  tries_exceed until the oldest of them is 48 h old.

Transactions (POST .../transactions), in the order of the checks:
    validation (400 wrong_inputs / 409 invalid_transaction_type / 409 verification_code_required)
    -> 404 not_found -> 409 user_not_active -> 409 tries_exceed
    -> 409 not_verified (no verification, another request_id, or expired)
    -> 409 wrong_verification_code (counts as a failed try)
    -> 409 user_not_able_to_purchase (instore_payment needs status N; deposits need not closed)
    -> 409 not_enough_credit (instore_payment above available credit)
    -> 409 limit_payment_amount_24 (deposits above 10,000 in 24 h)
    -> applied: instore_payment adds to the balance owed, deposit and tradein take from it.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from dataclasses import field as dc_field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from kiosk.sim.flexiti.books import Books, Customer, SentPin, Verification
from kiosk.sim.flexiti.licence import LicenceError, parse_licence

FORMATS = ("email", "sms", "security_question", "regular_purchase_bypass", "merchant_override")
TRANSACTION_TYPES = ("deposit", "instore_payment", "tradein")
MAX_TRIES = 3
TRIES_WINDOW = 48 * 3600.0
PIN_LIFETIME = 15 * 60.0
DAILY_PAYMENT_LIMIT = Decimal("10000")
MAX_AMOUNT = Decimal("100000")
# Digits per PIN, after the documentation's examples: 8 for a security answer, 4 for a
# bypass or an override; a PIN sent by e-mail or text has 6.
PIN_DIGITS = {"email": 6, "sms": 6, "security_question": 8, "regular_purchase_bypass": 4, "merchant_override": 4}

# Digits are ASCII 0-9 everywhere: `\d`, isdigit(), int() and Decimal() also take Arabic-Indic,
# full-width or Devanagari digits, which no Flexiti field allows.
_ACCOUNT = re.compile(r"^[0-9]{1,14}$")
_PRINTABLE = re.compile(r"^[\x20-\x7e]{1,100}$")
_DOB = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


class ApiError(Exception):
    """A refusal: HTTP status, Flexiti's error code, a message, and field errors."""

    def __init__(self, status: int, error: str, message: str, field_errors: list[dict[str, Any]] | None = None):
        super().__init__(error)
        self.status = status
        self.error = error
        self.message = message
        self.field_errors = field_errors or []


def wrong_inputs(*errors: dict[str, Any]) -> ApiError:
    return ApiError(400, "wrong_inputs", "Some inputs are wrong!", list(errors))


def field(param: str, msg: str, value: Any = None, location: str = "body") -> dict[str, Any]:
    entry: dict[str, Any] = {"param": param, "msg": msg, "location": location}
    if value is not None:
        entry["value"] = value
    return entry


@dataclass
class MerchantSettings:
    merchant_override_allowed: bool = True
    require_location: bool = False
    location_ids: set[str] = dc_field(default_factory=set)


def _new_pin(digits: int) -> str:
    # First digit never 0: the inline PIN is a JSON number, so it must survive int().
    return str(secrets.randbelow(9) + 1) + "".join(str(secrets.randbelow(10)) for _ in range(digits - 1))


def _text(value: Any) -> str | None:
    """A string or integer field as text; None when missing or of another type."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return value.strip()
    return None


def _account_number(value: Any, param: str = "account_number", location: str = "body") -> str:
    text = _text(value)
    if text is None or text == "":
        raise wrong_inputs(field(param, "required", location=location))
    if not _ACCOUNT.match(text):
        raise wrong_inputs(field(param, "invalid", text[:40], location))
    return text


def _request_id(value: Any) -> str:
    text = _text(value)
    if not text:
        raise wrong_inputs(field("request_id", "required"))
    if not _PRINTABLE.match(text):
        raise wrong_inputs(field("request_id", "invalid"))
    return text


def ascii_amount(value: Any) -> Decimal:
    """A JSON number or a numeric string in ASCII, as a finite Decimal (not yet range-checked);
    400 wrong_inputs otherwise."""
    if isinstance(value, bool) or value is None:
        raise wrong_inputs(field("amount", "required" if value is None else "invalid"))
    if isinstance(value, str) and not value.isascii():  # Decimal() would read '١٠' as 10
        raise wrong_inputs(field("amount", "invalid"))
    try:
        amount = Decimal(value) if isinstance(value, (int, Decimal)) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise wrong_inputs(field("amount", "invalid")) from None
    if not amount.is_finite():
        raise wrong_inputs(field("amount", "invalid", str(value)[:20]))
    return amount


def _amount(value: Any) -> Decimal:
    amount = ascii_amount(value)
    if amount <= 0 or amount > MAX_AMOUNT or amount != amount.quantize(Decimal("0.01")):
        raise wrong_inputs(field("amount", "invalid", str(value)[:20]))
    return amount.quantize(Decimal("0.01"))


def _norm_answer(text: str) -> str:
    return " ".join(text.casefold().split())


def money(value: Decimal) -> str:
    return f"{value:.2f}"


class Rules:
    def __init__(self, books: Books, clock: Callable[[], float], merchant: MerchantSettings) -> None:
        self.books = books
        self.clock = clock
        self.merchant = merchant

    # -- shared -----------------------------------------------------------------------------

    def _customer(self, account_number: str) -> Customer:
        customer = self.books.customer(account_number)
        if customer is None:
            raise ApiError(404, "not_found", "Customer account not found")
        return customer

    def failed_tries(self, account_number: str, now: float) -> list[float]:
        return self.books.failures_since(account_number, now - TRIES_WINDOW)

    def _check_not_locked(self, account_number: str, now: float) -> None:
        tries = self.failed_tries(account_number, now)
        if len(tries) >= MAX_TRIES:
            unlock = tries[-MAX_TRIES] + TRIES_WINDOW
            hours = max(1, round((unlock - now) / 3600))
            raise ApiError(
                409, "tries_exceed",
                f"Too many failed verification attempts in the last 48 hours; try again in about {hours} h",
            )

    def _fail(self, account_number: str, kind: str, now: float, error: str, what: str) -> ApiError:
        self.books.add_failure(account_number, kind, now)
        left = MAX_TRIES - len(self.failed_tries(account_number, now))
        tail = "no tries left: verification is locked for 48 hours" if left <= 0 else f"{left} tries left"
        return ApiError(409, error, f"{what}; {tail}")

    # -- verify -----------------------------------------------------------------------------

    def verify(self, account_path: str, body: Mapping[str, Any], reference_id: str) -> dict[str, Any]:
        now = self.clock()
        account_number = _account_number(account_path, "account_number", "path")
        errors = []
        fmt = body.get("format")
        if fmt is None:
            errors.append(field("format", "required"))
        elif fmt not in FORMATS:
            errors.append(field("format", "invalid", str(fmt)[:40]))
        raw_request_id = _text(body.get("request_id"))
        if not raw_request_id:
            errors.append(field("request_id", "required"))
        elif not _PRINTABLE.match(raw_request_id):
            errors.append(field("request_id", "invalid"))
        qid = _text(body.get("security_qid"))
        answer = body.get("security_answer")
        if fmt == "security_question":
            if not qid:
                errors.append(field("security_qid", "required"))
            if not isinstance(answer, str) or not answer.strip():
                errors.append(field("security_answer", "required"))
        if errors:
            raise wrong_inputs(*errors)
        assert isinstance(fmt, str) and raw_request_id
        customer = self._customer(account_number)
        if not customer.active:
            raise ApiError(409, "user_not_active", "Customer account is not activated")
        self._check_not_locked(account_number, now)
        if fmt == "merchant_override" and not self.merchant.merchant_override_allowed:
            raise ApiError(409, "merchant_override_is_not_allowed", "Merchant is not configured for Merchant Override")
        if fmt == "regular_purchase_bypass" and not customer.bypass:
            raise ApiError(409, "regular_purchase_bypass_is_not_allowed",
                           "Customer does not qualify for a regular purchase bypass")
        if fmt == "security_question":
            assert isinstance(answer, str)
            if qid != customer.security_qid or _norm_answer(answer) != _norm_answer(customer.security_answer):
                raise self._fail(account_number, "security_answer", now, "secret_answer_mismatch",
                                 "Security question answer does not match what is on file")
        if fmt == "sms" and not re.fullmatch(r"[0-9]{10}", customer.phone):
            raise ApiError(400, "sms_not_valid_phone", "Phone number on file invalid/missing")
        if fmt == "email" and "@" not in customer.email:
            raise ApiError(400, "email_not_valid", "E-mail address on file invalid/missing")

        pin = _new_pin(PIN_DIGITS[fmt])
        with self.books.transaction():
            self.books.set_verification(Verification(account_number, raw_request_id, pin, fmt, now, reference_id))
            if fmt in ("email", "sms"):
                self.books.set_sent_pin(SentPin(account_number, pin, fmt, raw_request_id, now))
        if fmt in ("email", "sms"):
            return {"verification_code": f"verification_sent_to_{fmt}"}
        return {"verification_code": int(pin)}

    # -- look-ups ---------------------------------------------------------------------------

    def lookup(self, query: Mapping[str, str]) -> dict[str, Any]:
        """GET customers/lookup?account_number=N (or customer_id=N)."""
        if query.get("customer_id"):
            matches = [c for c in self.books.customers() if c.customer_id == query["customer_id"].strip()]
            if not matches:
                raise ApiError(404, "not_found", "Customer account not found")
            customer = matches[0]
        else:
            number = _account_number(query.get("account_number"), "account_number", "query")
            customer = self._customer(number)
        if not customer.active:
            raise ApiError(409, "user_not_active", "Customer account is not activated")
        return {
            "available_credit": customer.available_credit,
            "credit_limit": money(customer.credit_limit),
            "account_number": int(customer.account_number),
            "customer_id": customer.customer_id,
            "account_status": customer.account_status,
            "first_name": customer.first_name,
            "last_name": customer.last_name,
            "security_qid": {"id": customer.security_qid, "text": _question(customer.security_qid)},
            "email": customer.email,
            "phone_number": customer.phone,
            "address_1": customer.address_1,
            "address_2": "",
            "city": customer.city,
            "postal_code": customer.postal_code,
            "province": customer.province,
            "payment_protection": False,
            "risk_rating": "M",
            "offer_types": [],
            "card_ending_in": customer.card_ending_in,
            "preferred_language": "en-CA",
        }

    def search(self, query: Mapping[str, str]) -> list[dict[str, Any]]:
        """GET customers/search?first_name=&last_name=&dob=YYYY-MM-DD."""
        errors = [field(name, "required", location="query") for name in ("first_name", "last_name", "dob")
                  if not (query.get(name) or "").strip()]
        dob = (query.get("dob") or "").strip()
        if dob and not _valid_dob(dob):
            errors.append(field("dob", "invalid", dob[:20], "query"))
        if errors:
            raise wrong_inputs(*errors)
        found = self.books.find_customers(query["first_name"].strip(), query["last_name"].strip(), dob)
        if not found:
            raise ApiError(404, "not_found", "Customer account not found")
        return [
            {
                "customer_id": c.customer_id,
                "account_status": c.account_status,
                "account_status_reason_code": {"N": "NNOR", "A": "AAUT", "F": "FLCK", "Z": "ZCCO", "C": "FCLC"}.get(
                    c.account_status, "NNOR"),
                "tos_agreement": c.active,
                "risk_rating": "M",
                "account_number": int(c.account_number),
                "account_type": "consumer",
                "credit_limit": money(c.credit_limit),
                "available_credit": money(c.available_credit),
                "originating_merchant_id": "12345",
                "originating_merchant_name": "Cash Point Demo",
                "creation_date": date.fromtimestamp(max(c.created_at, 0)).isoformat(),
                "first_name": c.first_name,
                "last_name": c.last_name,
                "card_ending_in": c.card_ending_in,
                "preferred_language": "en-CA",
            }
            for c in found
        ]

    def licence(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """POST customers/driverslicense {code}: decode the scan (no account look-up)."""
        code = body.get("code")
        if not isinstance(code, str) or not code.strip():
            raise wrong_inputs(field("code", "required"))
        try:
            data = parse_licence(code)
        except LicenceError:
            raise wrong_inputs(field("code", "invalid")) from None
        return {
            "first_name": data.first_name.title(),
            "middle_name": data.middle_name.title(),
            "last_name": data.last_name.title(),
            "dob": data.dob.isoformat(),
            "address_1": data.address_1,
            "city": data.city,
            "province": data.province,
            "postal_code": data.postal_code,
            "govid_type": "CADL" if data.country == "CAN" else "USDL",
            "govid_issuedby": data.province,
            "govid_number": data.licence_number,
            "govid_expiry": data.expiry.isoformat() if data.expiry else "",
        }

    # -- transactions -----------------------------------------------------------------------

    def transaction(
        self, body: Mapping[str, Any], reference_id: str, idempotency_key: str | None
    ) -> dict[str, Any]:
        now = self.clock()
        kind = body.get("transaction_type")
        if kind is None:
            raise wrong_inputs(field("transaction_type", "required"))
        if kind not in TRANSACTION_TYPES:
            raise ApiError(409, "invalid_transaction_type", "Wrong value for transaction type in the request")
        amount = _amount(body.get("amount"))
        account_number = _account_number(body.get("account_number"))
        code = _text(body.get("verification_code"))
        if not code:
            raise ApiError(409, "verification_code_required", "verification_code_required")
        if not (code.isascii() and code.isdigit()):
            # A malformed PIN is a wrong input, not a wrong guess: no failed try is counted.
            raise wrong_inputs(field("verification_code", "invalid"))
        request_id = _request_id(body.get("request_id"))
        location = _text(body.get("external_location_id"))
        if location is None and self.merchant.require_location:
            raise wrong_inputs(field("external_location_id", "required"))
        if location is not None and location not in self.merchant.location_ids:
            raise ApiError(409, "external_location_id_not_found",
                           "The external location ID is not registered with Flexiti")

        customer = self._customer(account_number)
        if not customer.active:
            raise ApiError(409, "user_not_active", "Customer account is not activated")
        self._check_not_locked(account_number, now)
        verification = self.books.verification(account_number)
        if (
            verification is None
            or verification.request_id != request_id
            or now - verification.issued_at > PIN_LIFETIME
        ):
            raise ApiError(409, "not_verified",
                           "For in-store channel the request_id does not match the one passed in /verify")
        if code != verification.pin:
            raise self._fail(account_number, "verification_code", now, "wrong_verification_code",
                             "Verification code entered is incorrect")
        if kind == "instore_payment" and customer.account_status != "N":
            raise ApiError(409, "user_not_able_to_purchase", "Customer account status different to normal (NNOR)")
        if kind != "instore_payment" and customer.account_status == "C":
            raise ApiError(409, "user_not_able_to_purchase", "Customer account is closed")
        if kind == "instore_payment" and amount > customer.available_credit:
            raise ApiError(409, "not_enough_credit", "Customer does not have enough open to buy for transaction amount")
        if kind == "deposit":
            paid = self.books.paid_since(account_number, ("deposit",), now - 24 * 3600)
            if paid + amount > DAILY_PAYMENT_LIMIT:
                raise ApiError(409, "limit_payment_amount_24", "Payments made on the account exceed the $10,000/day limit")

        balance = customer.balance + amount if kind == "instore_payment" else customer.balance - amount
        with self.books.transaction():
            self.books.set_balance(account_number, balance)
            record = self.books.add_transaction(
                account_number, kind, amount, balance, request_id, reference_id, idempotency_key, location, now
            )
        return {
            "transaction_id": record.transaction_id,
            "transaction_type": kind,
            "account_number": int(account_number),
            "amount": amount,
            "total_amount": money(amount),
            "customer_name": customer.first_name,
            "customer_lname": customer.last_name,
            "available_credit": customer.credit_limit - balance,
            "verified": True,
        }


def _valid_dob(text: str) -> bool:
    if not _DOB.match(text):
        return False
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _question(qid: str) -> str:
    from kiosk.sim.flexiti.demo import SECURITY_QUESTIONS

    return SECURITY_QUESTIONS.get(qid, "Security question")
