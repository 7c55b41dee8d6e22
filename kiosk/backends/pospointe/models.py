"""POSPointe's answers as the client reads them (property names matched case-insensitively:
keys are lower-cased first), and the values the teller gets back."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Annotated, Any

from pydantic import BeforeValidator

from kiosk.backends.wire import LooseText, WireModel, parse_json
from kiosk.money import Money

TOKEN_LIFETIME = 600.0  # documented: tokens are valid for 10 minutes from creation
TOKEN_RENEW_AFTER = 570.0  # re-made at 9.5 minutes, so a call never carries a dying token
SUCCESS_CODE = "000000"

# ---------------------------------------------------------------------------------------------
# What the teller gets back


def mask_card(number: str) -> str:
    """A card number for screens, receipts and logs: its last 4 digits only."""
    digits = re.sub(r"\D", "", number or "")
    return f"****{digits[-4:]}" if len(digits) >= 4 else "****"


@dataclass(frozen=True)
class CardToken:
    """A stand-in for the card for 10 minutes. `expires_at` is on this terminal's clock
    (issued + 600 s): the host's own `exp` is kept as text only, since the two clocks differ."""

    token: str = field(repr=False)
    expires_at: float
    last4: str
    issued_at: float = 0.0
    host_exp: str = field(default="", repr=False)

    def needs_renewal(self, now: float, renew_after: float = TOKEN_RENEW_AFTER) -> bool:
        return now - self.issued_at >= renew_after or now >= self.expires_at

    def __repr__(self) -> str:
        return f"CardToken(last4={self.last4!r}, expires_at={self.expires_at!r})"

    __str__ = __repr__


@dataclass(frozen=True)
class CardBalance:
    balance: Money
    status: str  # "active" | "inactive" (not sold) | "blocked" | what the host said, lower case
    last4: str


@dataclass(frozen=True)
class CardLoad:
    """A sale or a reload: the amount loaded and the card's balance after it."""

    host_ref: str
    amount: Money
    balance: Money
    last4: str


@dataclass(frozen=True)
class Redemption:
    host_ref: str
    requested: Money
    approved: Money  # what to hand over in cash: less than requested on a partial approval
    previous_balance: Money
    new_balance: Money
    last4: str

    @property
    def partial(self) -> bool:
        return self.approved < self.requested


@dataclass(frozen=True)
class StatusChange:
    status: str  # "active" | "blocked"
    last4: str


@dataclass(frozen=True)
class BatchLine:
    host_ref: str
    kind: str  # "sell" | "reload" | "redeem" | what the host said, lower case
    last4: str
    amount: Money
    pos_ref: str
    at: str  # the host's timestamp text


@dataclass(frozen=True)
class BatchTotals:
    sell_count: int
    sell_amount: Money
    reload_count: int
    reload_amount: Money
    redeem_count: int
    redeem_amount: Money

    @property
    def net(self) -> Money:
        """Cash into the drawer from gift cards: sales + reloads - redemptions."""
        return self.sell_amount + self.reload_amount - self.redeem_amount


@dataclass(frozen=True)
class Batch:
    batch_id: str
    store_id: str
    status: str  # "open" | "closed"
    opened_at: str
    closed_at: str | None
    lines: tuple[BatchLine, ...]
    totals: BatchTotals
    next_batch_id: str = ""  # after a close: the batch that opened


# ---------------------------------------------------------------------------------------------
# Response models: property names are matched case-insensitively (keys lower-cased first)


def _loose_flag(value: object) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise ValueError("not a boolean")


LooseFlag = Annotated[bool | None, BeforeValidator(_loose_flag)]


class HostAnswer(WireModel):
    statuscode: LooseText = ""
    description: LooseText = ""
    status: LooseFlag = None


class TokenAnswer(WireModel):
    token: LooseText
    exp: LooseText = ""


class BalanceAnswer(WireModel):
    balance: Any
    cardending: LooseText = ""
    cardstatus: LooseText = ""
    currency: LooseText = ""


class LoadAnswer(WireModel):
    hostref: LooseText
    balance: Any
    amount: Any = None
    cardno: LooseText = ""


class RedeemAnswer(WireModel):
    hostref: LooseText
    approvedbalance: Any
    previousbalance: Any
    newbalance: Any
    cardno: LooseText = ""


class StatusAnswer(WireModel):
    cardstatus: LooseText = ""
    cardending: LooseText = ""


class BatchAnswer(WireModel):
    batchid: LooseText
    storeid: LooseText = ""
    batchstatus: LooseText = ""
    opendate: LooseText = ""
    closedate: LooseText = ""
    transactions: list[dict[str, Any]] = []
    totals: dict[str, Any] | None = None
    newbatchid: LooseText = ""


class LineAnswer(WireModel):
    hostref: LooseText
    type: LooseText
    amount: Any
    cardending: LooseText = ""
    posref: LooseText = ""
    transactiondate: LooseText = ""


def _lower_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k).lower(): _lower_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_lower_keys(v) for v in value]
    return value


def parse_answer(content: bytes) -> dict[str, Any] | None:
    """The JSON object with lower-cased keys and exact decimals, or None when it is not one."""
    document = parse_json(content)
    return _lower_keys(document) if isinstance(document, dict) else None


