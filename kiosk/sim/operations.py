"""The POS API's business rules: open session, deposit, withdraw, reverse, close session.

Each operation runs inside one ledger transaction and either returns the `data` of a
successful answer or raises ApiError with the error_code the API answers. Rules, and why:

- A session (token_id + operation_id + phone_number, all three must match, for the same
  access key) allows ONE successful deposit or withdrawal ("a session is valid for one Deposit
  or Withdraw action"). A refused attempt (e.g. not enough funds) does not use it up, so the
  cashier can try a smaller amount within the same session.
- A reversal is accepted only for a withdrawal made in the same, still open session, once,
  for at most the withdrawn amount, on the same account.
- A session not used for SESSION_IDLE_SECONDS expires; after Close Session every call on it,
  Close Session included, is refused with ERROR_SESSION_CLOSED (not idempotent success: the
  caller learns the truth; with an idempotency key a retried Close Session replays "SUCCESS").
- An unknown wallet phone answers exactly like a wrong code: the API does not say which
  phone numbers have wallets.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from kiosk.sim import currencies
from kiosk.sim.ledger import Ledger, Session, Transaction
from kiosk.sim.otp import OtpIssuer

SESSION_IDLE_SECONDS = 600.0
E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")  # ASCII digits only (`\d` also takes '١' or '１')


class ApiError(Exception):
    def __init__(self, code: str, message: str, http_status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.http_status = http_status


def _amount_error(exc: currencies.AmountError) -> ApiError:
    return ApiError(exc.code, str(exc))


class PosOperations:
    def __init__(
        self,
        ledger: Ledger,
        issuer: OtpIssuer,
        pos_registry: Mapping[str, str],  # pos_id -> the access key it belongs to
        clock: Callable[[], float],
        session_idle: float = SESSION_IDLE_SECONDS,
    ) -> None:
        self._ledger = ledger
        self._issuer = issuer
        self._pos = dict(pos_registry)
        self._clock = clock
        self._idle = session_idle

    # -- helpers ----------------------------------------------------------------------------

    @staticmethod
    def _phone(headers: Mapping[str, str]) -> str:
        phone = headers.get("phone_number", "").strip()
        if not E164.match(phone):
            raise ApiError("ERROR_INVALID_PHONE_NUMBER", "phone_number must be an E.164 number such as +14155559992")
        return phone

    def session_state(self, s: Session, now: float) -> str:
        if s.closed_at is not None:
            return "closed"
        if now - s.last_used_at > self._idle:
            return "expired"
        return "open"

    def _session(self, access_key: str, headers: Mapping[str, str]) -> Session:
        token, operation_id = headers.get("token_id", ""), headers.get("operation_id", "")
        phone = headers.get("phone_number", "").strip()
        if not (token and operation_id and phone):
            raise ApiError("ERROR_INVALID_SESSION", "token_id, operation_id and phone_number headers are required")
        s = self._ledger.session(token)
        if s is None or s.access_key != access_key or s.operation_id != operation_id or s.phone != phone:
            raise ApiError("ERROR_INVALID_SESSION", "No session matches token_id, operation_id and phone_number")
        state = self.session_state(s, self._clock())
        if state == "closed":
            raise ApiError("ERROR_SESSION_CLOSED", "The session is closed")
        if state == "expired":
            raise ApiError("ERROR_SESSION_EXPIRED", "The session expired; open a new session")
        return s

    @staticmethod
    def _format_checked(text: str) -> None:
        try:
            currencies.parse_amount(text, None)
        except currencies.AmountError as exc:
            raise _amount_error(exc) from None

    @staticmethod
    def _amount(text: str, currency: str) -> Decimal:
        try:
            return currencies.parse_amount(text, currency)
        except currencies.AmountError as exc:
            raise _amount_error(exc) from None

    def _accounts_data(self, phone: str) -> list[dict[str, Any]]:
        return [
            {
                "account_id": a.account_id,
                "account_currency": a.currency,
                "account_alias": a.alias,
                "account_balance": a.balance,
                "account_currency_symbol": currencies.symbol(a.currency),
            }
            for a in self._ledger.accounts(phone)
        ]

    def _record(self, s: Session, kind: str, account_id: str, currency: str, amount: Decimal,
                now: float, **extra: Any) -> Transaction:
        t = Transaction(str(uuid.uuid4()), kind, s.phone, account_id, currency, amount, now,
                        s.pos_id, s.token_id, **extra)
        self._ledger.add_transaction(t)
        return t

    # -- operations -------------------------------------------------------------------------

    def echo(self, access_key: str, params: Mapping[str, str], headers: Mapping[str, str], body: bytes) -> None:
        return None

    def login(self, access_key: str, params: Mapping[str, str], headers: Mapping[str, str], body: bytes) -> dict[str, Any]:
        phone = self._phone(headers)
        pos_id = params["pos_id"]
        if self._pos.get(pos_id) != access_key:
            raise ApiError("ERROR_INVALID_POS_ID", "The pos_id is not a point of sale of this account")
        invalid = ApiError("ERROR_INVALID_OTP", "The one-time password is not valid")
        if not self._ledger.wallet_exists(phone):
            raise invalid
        now = self._clock()
        verdict = self._issuer.check(phone, pos_id, params["otp_code"], now)
        if verdict.reason == "expired":
            raise ApiError("ERROR_OTP_EXPIRED", "The one-time password expired; ask the customer for a new one")
        if not verdict.ok:
            raise invalid
        if self._ledger.otp_used(phone, pos_id, verdict.counter):
            raise ApiError("ERROR_OTP_ALREADY_USED", "The one-time password was already used")
        self._ledger.mark_otp_used(phone, pos_id, verdict.counter, now)
        s = Session(str(uuid.uuid4()), str(uuid.uuid4()), access_key, phone, pos_id, now, now, None, None)
        self._ledger.add_session(s)
        return {"token_id": s.token_id, "operation_id": s.operation_id, "accounts": self._accounts_data(phone)}

    def deposit(self, access_key: str, params: Mapping[str, str], headers: Mapping[str, str], body: bytes) -> dict[str, Any]:
        s = self._session(access_key, headers)
        if s.action_txn is not None:
            raise ApiError("ERROR_SESSION_ALREADY_USED", "This session already made its deposit or withdrawal")
        text, currency = params["amount"], params["currency"]
        self._format_checked(text)
        if currency not in currencies.CURRENCIES:
            raise ApiError("ERROR_CURRENCY_NOT_SUPPORTED", f"The currency '{currency}' is not supported")
        amount = self._amount(text, currency)
        metadata = _metadata(body)
        now = self._clock()
        account = self._ledger.account_for(s.phone, currency)
        if account is None:  # documented: a deposit in a new currency opens the account
            account = self._ledger.add_account(s.phone, currency, currencies.quantize(Decimal(0), currency), now)
        self._ledger.set_balance(account.account_id, account.balance + amount)
        t = self._record(s, "deposit", account.account_id, currency, amount, now, metadata=metadata)
        self._ledger.set_session_action(s.token_id, t.transaction_id)
        self._ledger.touch_session(s.token_id, now)
        return {"transaction_id": t.transaction_id, "metadata": metadata or {}}

    def withdraw(self, access_key: str, params: Mapping[str, str], headers: Mapping[str, str], body: bytes) -> dict[str, Any]:
        s = self._session(access_key, headers)
        if s.action_txn is not None:
            raise ApiError("ERROR_SESSION_ALREADY_USED", "This session already made its deposit or withdrawal")
        text = params["sum"]
        self._format_checked(text)
        account = self._ledger.account(params["account_id"])
        if account is None or account.phone != s.phone:
            raise ApiError("ERROR_ACCOUNT_NOT_FOUND", "The account is not an account of this wallet")
        amount = self._amount(text, account.currency)
        if amount > account.balance:
            raise ApiError("NOT_ENOUGH_FUNDS", "The account does not hold enough funds for this withdrawal")
        now = self._clock()
        self._ledger.set_balance(account.account_id, account.balance - amount)
        t = self._record(s, "withdraw", account.account_id, account.currency, amount, now)
        self._ledger.set_session_action(s.token_id, t.transaction_id)
        self._ledger.touch_session(s.token_id, now)
        return {"transaction_id": t.transaction_id}

    def reversal(self, access_key: str, params: Mapping[str, str], headers: Mapping[str, str], body: bytes) -> dict[str, Any]:
        s = self._session(access_key, headers)
        withdrawal_id = headers.get("transaction_id", "").strip()
        if not withdrawal_id:
            raise ApiError("ERROR_TRANSACTION_NOT_FOUND", "The transaction_id header (the withdrawal's) is required")
        w = self._ledger.transaction_by_id(withdrawal_id)
        if w is None or w.kind != "withdraw" or w.token_id != s.token_id:
            raise ApiError("ERROR_TRANSACTION_NOT_FOUND", "No withdrawal with this transaction_id in this session")
        if w.reversed_by is not None:
            raise ApiError("ERROR_TRANSACTION_ALREADY_REVERSED", "The withdrawal was already reversed")
        text = params["reversed_amount"]
        self._format_checked(text)
        if params["account_id"] != w.account_id:
            raise ApiError("ERROR_ACCOUNT_MISMATCH", "The account is not the account of the withdrawal")
        amount = self._amount(text, w.currency)
        if amount > w.amount:
            raise ApiError("ERROR_REVERSAL_AMOUNT_EXCEEDS_WITHDRAWAL", "The reversed amount exceeds the withdrawal")
        account = self._ledger.account(w.account_id)
        assert account is not None, "a withdrawal's account is never deleted"
        now = self._clock()
        self._ledger.set_balance(account.account_id, account.balance + amount)
        t = self._record(s, "reversal", account.account_id, w.currency, amount, now, reverses=w.transaction_id)
        self._ledger.set_reversed_by(w.transaction_id, t.transaction_id)
        self._ledger.touch_session(s.token_id, now)
        return {"transaction_id": t.transaction_id, "operation_id": s.operation_id}

    def logout(self, access_key: str, params: Mapping[str, str], headers: Mapping[str, str], body: bytes) -> None:
        s = self._session(access_key, headers)
        self._ledger.close_session(s.token_id, self._clock())
        return None


def _metadata(body: bytes) -> dict[str, Any] | None:
    """The optional {"metadata": {...}} of a deposit; anything else in the body is ignored."""
    if not body.strip():
        return None
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise ApiError("ERROR_INVALID_REQUEST_BODY", "The request body is not valid JSON") from None
    if not isinstance(document, dict):
        raise ApiError("ERROR_INVALID_REQUEST_BODY", "The request body must be a JSON object")
    metadata = document.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        raise ApiError("ERROR_INVALID_REQUEST_BODY", "metadata must be a JSON object")
    return metadata
