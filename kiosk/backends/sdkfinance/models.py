"""SDK.finance's answers as the client reads them (field names differ between platform
versions: both are accepted), and the values the teller gets back."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, BeforeValidator, ConfigDict, Field, SecretStr, ValidationError

from kiosk.backends.wire import LooseText, WireModel, loose_text
from kiosk.money import Money, MoneyError, check_currency

Flow = Literal["topup", "withdrawal"]
Status = Literal["PENDING", "ACCEPTED", "DECLINED"]
SERIAL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")

# ---------------------------------------------------------------------------------------------
# What the kiosk gets back


@dataclass(frozen=True)
class SignedIn:
    """A successful sign-in. `token` is the access token (a SecretStr: it never prints)."""

    role: str  # "individual" (a customer) or "merchant" (a cash point), lower case
    user_id: str
    user_name: str
    organization_id: str
    organization_name: str
    expires_at: float | None  # Unix seconds, when the platform said
    token: SecretStr = field(repr=False)


@dataclass(frozen=True)
class OtpRequired:
    """The platform sent the customer a one-time code: call `confirm_otp(login, code)`."""

    login_hint: str  # the login, masked, for the cashier's screen


@dataclass(frozen=True)
class Coin:
    """One of the customer's wallet accounts ("coins")."""

    serial: str
    name: str
    currency: str
    amount: Money  # the balance
    available: Money  # what can be withdrawn now (balance minus holds)
    held: Money  # held by pending withdrawal requests
    active: bool = True
    main: bool = False


@dataclass(frozen=True)
class Quote:
    """A commission calculation: `amount` reaches the wallet (top-up) or the customer's hand
    (withdrawal); `total` = amount + commission is the cash taken (top-up) or the sum that
    leaves the wallet (withdrawal)."""

    coin_serial: str
    amount: Money
    commission: Money
    total: Money


@dataclass(frozen=True)
class TransferRequest:
    """A top-up or withdrawal request as the platform reported it."""

    request_id: int
    flow: Flow
    status: Status
    coin_serial: str = ""
    amount: Money | None = None
    commission: Money | None = None
    total: Money | None = None
    reference: str | None = None
    #: True when an accept / decline was answered "already accepted / declined" (a repeat).
    already_settled: bool = False


# ---------------------------------------------------------------------------------------------
# Wire models: tolerant of the documented variants, strict about what matters


def _serial(value: object) -> str:
    """A coin reference: a serial string, or an object holding one ({"serial": ...})."""
    if isinstance(value, Mapping):
        value = value.get("serial") or value.get("coinSerial")
    text = loose_text(value)
    if not SERIAL.match(text):
        raise ValueError("not a coin serial")
    return text


Serial = Annotated[str, BeforeValidator(_serial)]


class _Model(WireModel):
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True, defer_build=True)


class WireToken(_Model):
    token: LooseText
    expires_at: Any = Field(None, validation_alias=AliasChoices("expiresAt", "expires_at", "expires"))


class WireMember(_Model):
    token: WireToken
    user: dict[str, Any] = {}
    organization: dict[str, Any] = {}
    role: LooseText = ""


class WireSignIn(_Model):
    action: LooseText = ""
    members: list[WireMember] = []


class WireCoin(_Model):
    serial: Serial = Field(validation_alias=AliasChoices("serial", "coinSerial", "coin"))
    name: LooseText = ""
    amount: Any
    available: Any = Field(None, validation_alias=AliasChoices("availableAmount", "available"))
    held: Any = Field(None, validation_alias=AliasChoices("heldAmount", "held"))
    issuer: Any = None
    currency: Any = None
    active: bool = True
    main: bool = False


class WireQuote(_Model):
    coin: Serial | None = Field(None, validation_alias=AliasChoices("coinSerial", "coin"))
    amount: Any = None
    commission: Any
    total: Any = Field(None, validation_alias=AliasChoices("totalAmount", "total", "transactionAmount"))
    currency: Any = None


class WireRequest(_Model):
    request_id: int = Field(validation_alias=AliasChoices("requestIdentifier", "requestId", "id"))
    status: LooseText = ""
    coin: Serial | None = Field(None, validation_alias=AliasChoices("coinSerial", "coin"))
    amount: Any = None
    commission: Any = None
    total: Any = Field(None, validation_alias=AliasChoices("totalAmount", "total"))
    currency: Any = None
    description: str | None = None


class WireError(_Model):
    code: LooseText = Field("", validation_alias=AliasChoices("code", "errorCode", "error"))
    message: LooseText = Field("", validation_alias=AliasChoices("message", "errorMessage", "description"))
    field_errors: list[dict[str, Any]] = Field(
        [], validation_alias=AliasChoices("fieldErrors", "field_errors", "errors")
    )
    status: LooseText = ""


def currency_of(*candidates: Any) -> str | None:
    """The first ISO 4217 code among the places a version puts it: "EUR", {"code": "EUR"}, ..."""
    for value in candidates:
        if isinstance(value, Mapping):
            value = value.get("code") or value.get("currency") or value.get("sn")
            if isinstance(value, Mapping):
                value = value.get("code")
        if isinstance(value, str) and value.strip():
            try:
                return check_currency(value)
            except MoneyError:
                continue
    return None


def commission_value(value: Any) -> Any:
    """A commission is a number, or an object holding one under "amount" / "value"."""
    if isinstance(value, Mapping):
        return value.get("amount", value.get("value"))
    return value


def parse_expiry(value: Any) -> float | None:
    """expiresAt as Unix seconds: an ISO 8601 text, or a number of seconds / milliseconds."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, Decimal, float)):
        number = float(value)
        return number / 1000 if number > 1e11 else number
    if isinstance(value, str):
        text = value.strip().replace("Z", "+00:00")
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return None
        if moment.tzinfo is None:  # no zone given: the platform writes UTC
            moment = moment.replace(tzinfo=UTC)
        return moment.timestamp()
    return None


def mask_login(login: str) -> str:
    """A login for screens and logs: an e-mail as a***@domain, a phone as its last 4 digits."""
    login = (login or "").strip()
    if "@" in login:
        local, _, domain = login.partition("@")
        return f"{local[:1]}***@{domain}"
    digits = re.sub(r"\D", "", login)
    if len(digits) >= 4:
        return f"***{digits[-4:]}"
    return "***"


def wire_error(document: Any) -> WireError | None:
    if not isinstance(document, dict):
        return None
    try:
        return WireError.model_validate(document)
    except ValidationError:
        return None


def unwrap(document: Any, *keys: str) -> list[Any] | None:
    """A list the platform wraps ({"coins": [...]}, {"records": [...]}) or sends bare."""
    if isinstance(document, list):
        return document
    if isinstance(document, dict):
        for key in keys:
            value = document.get(key)
            if isinstance(value, list):
                return value
    return None
