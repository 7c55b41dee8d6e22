"""Flexiti's error kinds (each a subclass of the kind the teller already handles), which kind
a refusal is, and what a lost answer means for each call."""

from __future__ import annotations

import re
from typing import Any

from kiosk.backends.base import (
    AuthenticationFailed,
    BackendError,
    BusinessError,
    HostUnreachable,
    InsufficientFunds,
    OtpRejected,
    OutcomeUnknown,
    SessionRejected,
)
from kiosk.backends.flexiti.models import text_of

MAX_TRIES = 3  # Flexiti locks verification after 3 failed tries in 48 hours
WHAT: dict[str, str] = {
    "verify": "customer verification",
    "lookup": "account look-up",
    "search": "customer search",
    "licence": "driver's licence reading",
    "transaction": "transaction",
    "health": "health check",
}

class TriesExceeded(BusinessError):
    """Three failed tries (security answers or PINs) in 48 hours: Flexiti has locked verification."""

    code = "TRIES_EXCEEDED"


class OverrideNotAllowed(BusinessError):
    code = "OVERRIDE_NOT_ALLOWED"


class BypassNotAllowed(BusinessError):
    code = "BYPASS_NOT_ALLOWED"


class WrongSecurityAnswer(OtpRejected):
    code = "WRONG_SECURITY_ANSWER"


class WrongVerificationCode(OtpRejected):
    code = "WRONG_VERIFICATION_CODE"


class NotVerified(SessionRejected):
    """The transaction's request_id is not the one verified (or the verification ran out)."""

    code = "NOT_VERIFIED"


class NotEnoughCredit(InsufficientFunds):
    code = "NOT_ENOUGH_CREDIT"


class PaymentLimitExceeded(BusinessError):
    code = "PAYMENT_LIMIT_EXCEEDED"


class UserNotActive(BusinessError):
    code = "USER_NOT_ACTIVE"


class AccountOnHold(BusinessError):
    """user_not_able_to_purchase: the account status is not normal (past due, frozen, ...)."""

    code = "ACCOUNT_ON_HOLD"


class NoContactOnFile(BusinessError):
    """No valid mobile number / e-mail on file for the PIN to be sent to."""

    code = "NO_CONTACT_ON_FILE"


class CustomerNotFound(BusinessError):
    code = "CUSTOMER_NOT_FOUND"


class InvalidRequest(BusinessError):
    """Flexiti found the request malformed: a bug or a configuration problem, not the customer."""

    code = "INVALID_REQUEST"


_LOCKOUT_NOTE = f"After {MAX_TRIES} wrong answers or PINs in 48 hours Flexiti locks the account's verification."
_TRIES_LEFT = re.compile(r"\b(no|\d) tries? left\b", re.IGNORECASE)


def refusal(call: str, status: int, error: str, hint: str, document: Any) -> BackendError:
    """The error kind, in plain words, for Flexiti's refusal `error` (its `error` field) with
    HTTP `status`; `hint` is Flexiti's own message, already made safe to show."""
    what = WHAT[call]
    host_code = error or f"HTTP_{status}"
    if status == 401:
        return AuthenticationFailed(
            "Flexiti refused this terminal's access token twice in a row: check the flexiti client "
            "settings and the terminal clock.", host_code=host_code)
    if status in (403, 465, 466, 467) or error in ("invalid_client", "invalid_role", "insufficient_scope"):
        return AuthenticationFailed(
            f"Flexiti does not allow this terminal to make the {what} ({host_code}): the merchant account "
            "is not provisioned for it. Contact Flexiti implementation support.", host_code=host_code)
    if error == "tries_exceed":
        return TriesExceeded(
            f"Locked: this customer has had {MAX_TRIES} wrong security answers or PINs in the last 48 "
            "hours, so Flexiti will not verify them now. Do not try again: ask the customer to call "
            "Flexiti, or to come back once 48 hours have passed.", host_code=error)
    if error == "merchant_override_is_not_allowed":
        return OverrideNotAllowed(
            "This store is not set up for merchant override with Flexiti: verify the customer by text "
            "message, e-mail or security question instead.", host_code=error)
    if error == "regular_purchase_bypass_is_not_allowed":
        return BypassNotAllowed(
            "This customer does not qualify for the regular-purchase bypass: verify them by text "
            "message, e-mail or security question instead.", host_code=error)
    if error in ("secret_answer_mismatch", "piw_mismatch"):
        return WrongSecurityAnswer(
            f"The answer to the security question is wrong{_tries_left(hint)}. {_LOCKOUT_NOTE}",
            host_code=error)
    if error == "wrong_verification_code":
        return WrongVerificationCode(
            f"The PIN is wrong{_tries_left(hint)}: check it with the customer and type it again. "
            f"{_LOCKOUT_NOTE}", host_code=error)
    if error == "not_verified":
        return NotVerified(
            "Flexiti has no current verification for this transaction (it belongs to another request, "
            "or has run out): verify the customer again, then repeat the transaction.", host_code=error)
    if error == "not_enough_credit":
        return NotEnoughCredit(
            "The customer's Flexiti account does not have enough available credit for this payment.",
            host_code=error)
    if error == "limit_payment_amount_24":
        return PaymentLimitExceeded(
            "Flexiti accepts at most $10,000 of payments on one account in a day, and this one would go "
            "over: take a smaller amount.", host_code=error)
    if error == "user_not_active":
        return UserNotActive(
            "This Flexiti account is not activated yet: the customer must activate it with Flexiti "
            "before it can be used.", host_code=error)
    if error == "user_not_able_to_purchase":
        return AccountOnHold(
            "This Flexiti account is on hold (its status is not normal) and cannot be used for this "
            "transaction: the customer should contact Flexiti.", host_code=error)
    if error in ("sms_not_valid_phone", "email_not_valid"):
        where = "mobile number" if error.startswith("sms") else "e-mail address"
        return NoContactOnFile(
            f"Flexiti has no valid {where} for this customer, so no PIN could be sent: verify them "
            "another way.", host_code=error)
    if status == 404 or error == "not_found":
        subject = "that account number" if call in ("lookup", "verify", "transaction") else "those details"
        return CustomerNotFound(
            f"No Flexiti account matches {subject}: check it with the customer.", host_code=host_code)
    if error == "external_location_id_not_found":
        return BusinessError(
            "Flexiti does not know this till's location id: check the flexiti location_id setting.",
            host_code=error)
    if error in ("wrong_inputs", "wrong_input", "invalid_transaction_type", "verification_code_required",
                 "context_hash_mismatch", "invalid_request"):
        params = _field_params(document)
        fields = f" (fields: {', '.join(params)})" if params else ""
        return InvalidRequest(
            f"Flexiti refused the {what} as malformed ({error}){fields}. This is a kiosk or "
            "configuration problem, not the customer's: report it.", host_code=error)
    if error == "general_error":
        return BusinessError(
            "Flexiti reported a general error, usually in the merchant set-up: contact Flexiti "
            "implementation support.", host_code=error)
    reason = hint or f"HTTP {status}, no reason given"
    suffix = f" ({error})" if error and error not in reason else ""
    return BusinessError(f"Flexiti declined the {what}: {reason}{suffix}.", host_code=host_code)


def _tries_left(hint: str) -> str:
    match = _TRIES_LEFT.search(hint)
    if match is None:
        return ""
    left = match.group(1).lower()
    if left in ("no", "0"):
        return " and that was the last try: verification is now locked for 48 hours"
    return f" ({left} {'try' if left == '1' else 'tries'} left)"


def _field_params(document: Any) -> list[str]:
    """The names of the fields Flexiti complained about (never their values: they may be secret)."""
    items = document.get("field_errors") if isinstance(document, dict) else None
    if not isinstance(items, list):
        return []
    names = []
    for item in items[:8]:
        if isinstance(item, dict):
            name = re.sub(r"[^A-Za-z0-9_.-]", "", text_of(item.get("param")))[:40]
            if name:
                names.append(name)
    return names


def no_answer(call: str, message: str, host_code: str = "") -> BackendError:
    """Sent, but no usable answer: a transaction may have been applied, a verification may
    have sent a PIN; a look-up changes nothing."""
    if call == "transaction":
        return OutcomeUnknown(
            f"{message} It may have been applied: send it again with the same idempotency key "
            "to learn the outcome.", host_code=host_code)
    if call == "verify":
        return OutcomeUnknown(
            f"{message} A PIN may have been sent to the customer; verify again if none arrives.",
            host_code=host_code)
    return HostUnreachable(f"{message} Nothing was changed; try again.", host_code=host_code)
