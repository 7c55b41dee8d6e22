"""A customer's saved destinations (seed 002's transfer flows): validating an account, their
smart cards, and transfers made from a saved template. Every call is the signed-in user's own:
another user's template, card or operation is "not found", never shown.

    POST /coins/validate                 {serial | coinSerial | coin} -> the account, if it can take money
    GET  /smart-cards/my                 {"records": [{id, brand, maskedNumber, expiry}], "totalRecords"}
    POST /templates/transfer/view        {filter: {paymentToolType: COIN | SMART_CARD}} -> a page of templates
    POST /templates/transfer/{id}/calculate          {amount} -> {amount, commission, totalAmount, currency}
    POST /templates/transfer/{id}/execute            {amount} -> the same and {businessProcessId, status}
    POST /templates/transfer/operation/{businessProcessId}   {name} -> the template saved from that transfer

Inferred where the seed is thin: the request fields (a template's calculate and execute take only
the amount: the template holds source and destination), the answer shapes (those of the top-up
and withdrawal calls), a transfer's commission (the "transfer" entry of the commissions, none by
default) and its limits (the currency's per-request limits). A transfer is done at once: to a coin
the recipient is credited, to a card the money leaves the platform.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from kiosk.sim.sdkfinance.books import Books, Coin, SmartCard, Template, Transfer, User
from kiosk.sim.sdkfinance.rules import (
    ApiError,
    Platform,
    amount_field,
    coin_reference,
    issuer_id,
    page,
    required_text,
    view_filter,
)

TOOL_TYPES = ("COIN", "SMART_CARD")


class Transfers:
    def __init__(self, books: Books, clock: Callable[[], float], platform: Platform) -> None:
        self._books = books
        self._clock = clock
        self._platform = platform

    def validate_coin(self, user: User, body: Mapping[str, Any]) -> dict[str, Any]:
        serial = coin_reference(body, "", required=True, names=("serial", "coinSerial", "coin"))
        assert serial is not None
        coin = self._books.coin(serial)
        if coin is None:
            raise ApiError(404, "COIN_NOT_FOUND", "Coin not found")
        if not coin.active:
            raise ApiError(400, "COIN_INACTIVE", "The coin is not active")
        holder = self._books.user(coin.user_id)
        # Only what the payer needs to check the account: its currency and its holder's name.
        return {"serial": coin.serial, "active": True, "currency": coin.currency,
                "issuer": {"id": issuer_id(coin.currency), "sn": coin.currency},
                "owner": {"name": holder.name if holder is not None else ""}}

    def my_cards(self, user: User) -> dict[str, Any]:
        cards = self._books.cards(user.user_id)
        return {"records": [card_json(c) for c in cards], "totalRecords": len(cards)}

    def view(self, user: User, body: Mapping[str, Any]) -> dict[str, Any]:
        wanted = view_filter(body).get("paymentToolType")
        if wanted is not None and wanted not in TOOL_TYPES:
            raise ApiError(400, "VALIDATION_ERROR", "Request validation failed", [
                {"field": "filter.paymentToolType", "code": "Pattern", "message": "must be COIN or SMART_CARD"}])
        templates = [t for t in self._books.templates(user.user_id) if wanted is None or t.tool_type == wanted]
        return page(body, [self._template_json(t) for t in templates])

    def calculate(self, user: User, template_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        template, source, amount = self._ready(user, template_id, body)
        commission = self._platform.commission("transfer", source.currency, amount)
        return {"amount": amount, "commission": commission, "totalAmount": amount + commission,
                "currency": source.currency}

    def execute(self, user: User, template_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        template, source, amount = self._ready(user, template_id, body)
        commission = self._platform.commission("transfer", source.currency, amount)
        total = amount + commission
        if source.available < total:
            raise self._platform.insufficient(source, total)
        if template.tool_type == "COIN":
            recipient = self._recipient_coin(template.recipient, source.currency)
            self._books.set_coin_balances(recipient.serial, recipient.amount + amount, recipient.held)
            source = self._books.coin(source.serial) or source  # the same coin when paying oneself
        elif self._own_card(user, template.recipient) is None:
            raise ApiError(404, "SMART_CARD_NOT_FOUND", "Smart card not found")
        self._books.set_coin_balances(source.serial, source.amount - total, source.held)
        transfer = Transfer(str(uuid.uuid4()), user.user_id, template.tool_type, source.serial, template.recipient,
                            source.currency, amount, commission, total, self._clock())
        self._books.add_transfer(transfer)
        return {"businessProcessId": transfer.process_id, "status": "COMPLETED", "amount": amount,
                "commission": commission, "totalAmount": total, "currency": source.currency}

    def save_operation(self, user: User, process_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        name = required_text(body, "name")
        if len(name) > 255:
            raise ApiError(400, "VALIDATION_ERROR", "Request validation failed",
                           [{"field": "name", "code": "Size", "message": "must be at most 255 characters"}])
        transfer = self._books.transfer(process_id)
        if transfer is None or transfer.user_id != user.user_id:
            raise ApiError(404, "OPERATION_NOT_FOUND", "Operation not found")
        template = Template(str(uuid.uuid4()), user.user_id, name, transfer.tool_type, transfer.source,
                            transfer.recipient, self._clock())
        self._books.add_template(template)
        return self._template_json(template)

    # -- helpers ----------------------------------------------------------------------------

    def _ready(self, user: User, template_id: str, body: Mapping[str, Any]) -> tuple[Template, Coin, Decimal]:
        template = self._books.template(template_id)
        if template is None or template.user_id != user.user_id:
            raise ApiError(404, "TEMPLATE_NOT_FOUND", "Transfer template not found")
        source = self._books.coin(template.source)
        if source is None or source.user_id != user.user_id:
            raise ApiError(404, "COIN_NOT_FOUND", "Coin not found")
        if body.get("amount") is None:
            raise ApiError(400, "VALIDATION_ERROR", "Request validation failed",
                           [{"field": "amount", "code": "NotNull", "message": "must not be null"}])
        amount = amount_field(body["amount"], source.currency)
        if not source.active:
            raise ApiError(400, "COIN_INACTIVE", "The coin is not active")
        self._platform.check_limits("transfer", source.currency, amount)
        return template, source, amount

    def _recipient_coin(self, serial: str, currency: str) -> Coin:
        coin = self._books.coin(serial)
        if coin is None:
            raise ApiError(404, "COIN_NOT_FOUND", "The recipient's coin was not found")
        if not coin.active:
            raise ApiError(400, "COIN_INACTIVE", "The recipient's coin is not active")
        if coin.currency != currency:
            # "it is required that such transfers are made between the wallets in the same currency"
            raise ApiError(400, "CURRENCY_MISMATCH", "The recipient's coin is in another currency")
        return coin

    def _own_card(self, user: User, card_id: str) -> SmartCard | None:
        card = self._books.card(card_id)
        return card if card is not None and card.user_id == user.user_id else None

    def _template_json(self, t: Template) -> dict[str, Any]:
        recipient: dict[str, Any]
        if t.tool_type == "COIN":
            recipient = {"coinSerial": t.recipient}
        else:
            card = self._books.card(t.recipient)
            recipient = {"smartCardId": t.recipient, "maskedNumber": masked(card) if card is not None else None}
        return {"id": t.template_id, "name": t.name, "paymentToolType": t.tool_type,
                "source": {"coinSerial": t.source}, "recipient": recipient}


def masked(card: SmartCard) -> str:
    return f"**** **** **** {card.last4}"  # the platform keeps no more of the number than this


def card_json(c: SmartCard) -> dict[str, Any]:
    return {"id": c.card_id, "brand": c.brand, "maskedNumber": masked(c), "expiry": c.expiry}
