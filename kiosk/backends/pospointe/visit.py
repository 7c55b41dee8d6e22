"""The gift card of one visit (CardVisit: card data in memory only, its token renewed before it
runs out), and deciding what happened after a lost answer (settle_unknown)."""

from __future__ import annotations

import logging
import time
from typing import Any, Callable, Literal

from pydantic import SecretStr

from kiosk.backends.base import BackendError, BusinessError, HostUnreachable, OutcomeUnknown
from kiosk.backends.pospointe.client import PosPointeClient, check_card
from kiosk.backends.pospointe.errors import CardTokenRejected
from kiosk.backends.pospointe.models import (
    TOKEN_RENEW_AFTER,
    CardBalance,
    CardLoad,
    CardToken,
    Redemption,
    StatusChange,
)
from kiosk.money import Money

log = logging.getLogger("kiosk.backends.pospointe")


# ---------------------------------------------------------------------------------------------
# The card for one visit


class CardVisit:
    """The card number and security code for one visit, held in memory only (never logged,
    never journalled, never shown but the last 4), and a token re-made before it is 9.5
    minutes old. A call refused for its token is made once more with a new token: a token
    refusal means the host applied nothing, so this is never a blind repeat.

        with CardVisit(client, number, code) as card:
            card.balance(); card.reload(amount, pos_ref)
    """

    def __init__(self, client: PosPointeClient, card_number: str, security_code: str, *,
                 renew_after: float = TOKEN_RENEW_AFTER) -> None:
        number, code = check_card(card_number, security_code)
        self.client = client
        self.last4 = number[-4:]
        self._number: SecretStr | None = SecretStr(number)
        self._code: SecretStr | None = SecretStr(code)
        self._token: CardToken | None = None
        self._renew_after = renew_after

    def __repr__(self) -> str:
        return f"CardVisit(last4={self.last4!r})"

    __str__ = __repr__

    def __enter__(self) -> CardVisit:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.forget()

    def forget(self) -> None:
        """Drop the card data and the token (end of the visit)."""
        self._number = self._code = None
        self._token = None

    def token(self) -> CardToken:
        """A token with at least 30 s to live, made now if needed."""
        if self._token is None or self._token.needs_renewal(self.client.now(), self._renew_after):
            return self.renew()
        return self._token

    def renew(self) -> CardToken:
        if self._number is None or self._code is None:
            raise BusinessError("The card's details were cleared at the end of the visit: enter the card again.")
        self._token = None
        self._token = self.client.tokenize(self._number.get_secret_value(), self._code.get_secret_value())
        return self._token

    def _with_token(self, operation: Callable[..., Any], *args: Any) -> Any:
        try:
            return operation(self.token(), *args)
        except CardTokenRejected:
            log.info("card ****%s: token refused, making a new one", self.last4)
        return operation(self.renew(), *args)

    def balance(self) -> CardBalance:
        result: CardBalance = self._with_token(self.client.balance)
        return result

    def sell_new_card(self, amount: Money, pos_ref: str) -> CardLoad:
        result: CardLoad = self._with_token(self.client.sell_new_card, amount, pos_ref)
        return result

    def reload(self, amount: Money, pos_ref: str) -> CardLoad:
        result: CardLoad = self._with_token(self.client.reload, amount, pos_ref)
        return result

    def redeem(self, amount: Money, pos_ref: str, accept_partial: bool = True) -> Redemption:
        result: Redemption = self._with_token(self.client.redeem, amount, pos_ref, accept_partial)
        return result

    def change_status(self, blocked: bool, reason: str) -> StatusChange:
        result: StatusChange = self._with_token(self.client.change_status, blocked, reason)
        return result


# ---------------------------------------------------------------------------------------------
# After a lost answer

Settlement = Literal["applied", "not_applied", "unknown"]


def redeem_delta(before_balance: Money, amount: Money, accept_partial: bool = True) -> Money:
    """The balance change a redemption of `amount` makes when it is applied (for settle_unknown):
    with partial approval the host takes what the card holds when that is less."""
    taken = before_balance if accept_partial and before_balance < amount else amount
    return Money.zero(amount.currency) - taken


def settle_unknown(
    client: PosPointeClient,
    token: CardToken | CardVisit,
    before_balance: Money,
    expected_delta: Money,
    *,
    confirm_after: float = 0.0,
    attempts: int = 3,
    pause: float = 0.25,
    sleep: Callable[[float], None] = time.sleep,
) -> Settlement:
    """What happened to a sale, reload or redemption whose answer was lost (OutcomeUnknown),
    decided by the card's balance, never by repeating the call (the API has no idempotency).

    `before_balance` is the balance read before the call; `expected_delta` the change the call
    makes when applied (+amount for a sale or reload, `redeem_delta(...)` for a redemption).
    "applied" when the balance moved by exactly that, "not_applied" when it did not move,
    "unknown" when it moved by something else (another till used the card meanwhile) or
    the balance could not be read in `attempts` tries: then a person must look.

    A request that hung before the host applied it may still be applied late. With
    `confirm_after` > 0 a "did not move" reading is taken again after that many seconds and
    only then trusted; the teller should use a few seconds here.
    """
    if before_balance.currency != expected_delta.currency or expected_delta.amount == 0:
        raise ValueError("expected_delta must be a non-zero change in the balance's currency")

    def read() -> Money | None:
        for attempt in range(max(1, attempts)):
            failure: BackendError | None = None
            try:
                if isinstance(token, CardVisit):
                    return token.balance().balance
                return client.balance(token).balance
            except (HostUnreachable, OutcomeUnknown) as exc:
                failure = exc
            except BackendError as exc:  # token refused, card blocked meanwhile, ...: cannot tell
                log.warning("card ****%s: balance unreadable while settling (%s)", _last4_of(token), exc.code)
                return None
            log.info("card ****%s: balance check failed while settling (%s), attempt %d",
                     _last4_of(token), failure.code, attempt + 1)
            if attempt + 1 < attempts:
                sleep(pause * (2 ** attempt))
        return None

    def judge(after: Money | None) -> Settlement:
        if after is None:
            return "unknown"
        delta = after - before_balance
        if delta.amount == expected_delta.amount:
            return "applied"
        if delta.amount == 0:
            return "not_applied"
        return "unknown"

    outcome = judge(read())
    if outcome == "not_applied" and confirm_after > 0:
        sleep(confirm_after)
        outcome = judge(read())
    log.info("card ****%s: lost answer settled as %s", _last4_of(token), outcome)
    return outcome


def _last4_of(token: CardToken | CardVisit) -> str:
    return token.last4
