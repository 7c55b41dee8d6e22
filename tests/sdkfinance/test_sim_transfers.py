"""A customer's saved destinations (seed 002's transfer flows): POST /coins/validate, GET
/smart-cards/my, POST /templates/transfer/view, .../{id}/calculate, .../{id}/execute and
.../operation/{businessProcessId}. The demo gives Anna a VISA card and two templates from her
EUR coin: one to Tom's EUR coin, one to her card."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from kiosk.sim.sdkfinance import Fee

from .conftest import ANNA, RAJ, TOM

ARABIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def exact(response):
    return json.loads(response.content, parse_float=Decimal)


def refused(response, status, code, field=None) -> bool:
    document = response.json()
    if field is not None and field not in [e["field"] for e in document.get("fieldErrors", [])]:
        return False
    return response.status_code == status and document["code"] == code


def template(api, token, tool):
    records = api.post("/templates/transfer/view", {"filter": {"paymentToolType": tool}}, token).json()["records"]
    return records[0]


def balance(sim, login, currency):
    return next(c for c in sim.coins(login) if c.currency == currency).amount


# -- /coins/validate -------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["serial", "coinSerial", "coin"])
def test_validate_names_the_currency_and_holder_of_another_customers_coin(sim, api, anna, field):
    toms = next(c.serial for c in sim.coins(TOM["login"]) if c.currency == "GBP")
    found = api.post("/coins/validate", {field: toms}, anna).json()
    assert found["serial"] == toms and found["currency"] == "GBP" and found["active"] is True
    assert found["owner"] == {"name": TOM["name"]} and "amount" not in found  # no balance disclosed


def test_validate_refuses_an_unknown_or_blocked_coin_and_a_missing_serial(sim, api, anna, cash):
    assert refused(api.post("/coins/validate", {"serial": "no-such-coin"}, anna), 404, "COIN_NOT_FOUND")
    blocked = next(c.serial for c in sim.coins(RAJ["login"]) if not c.active)
    assert refused(api.post("/coins/validate", {"serial": blocked}, cash), 400, "COIN_INACTIVE")
    assert refused(api.post("/coins/validate", {}, anna), 400, "VALIDATION_ERROR", "serial")
    assert refused(api.post("/coins/validate", {"serial": 12}, anna), 400, "VALIDATION_ERROR", "serial")
    assert api.post("/coins/validate", {"serial": "x"}).status_code == 401


# -- /smart-cards/my -------------------------------------------------------------------------------


def test_my_cards_are_masked_and_only_mine(sim, api, anna, cash):
    (card,) = api.get("/smart-cards/my", anna).json()["records"]
    assert card["maskedNumber"] == "**** **** **** 4242" and card["brand"] == "VISA" and card["id"]
    assert api.get("/smart-cards/my", api.token(sim, TOM)).json() == {"records": [], "totalRecords": 0}
    assert api.get("/smart-cards/my", cash).json()["records"] == []
    assert api.post("/smart-cards/my", {}, anna).status_code == 405
    assert api.get("/smart-cards/my").status_code == 401


# -- templates ---------------------------------------------------------------------------------------


def test_view_filters_by_payment_tool_and_shows_only_the_callers(sim, api, anna):
    coin = template(api, anna, "COIN")
    card = template(api, anna, "SMART_CARD")
    assert coin["recipient"]["coinSerial"] == next(c.serial for c in sim.coins(TOM["login"]) if c.currency == "EUR")
    assert card["recipient"]["maskedNumber"] == "**** **** **** 4242"
    assert api.post("/templates/transfer/view", {}, anna).json()["totalRecords"] == 2
    assert api.post("/templates/transfer/view", {}, api.token(sim, TOM)).json()["totalRecords"] == 0
    bad = api.post("/templates/transfer/view", {"filter": {"paymentToolType": "IBAN"}}, anna)
    assert refused(bad, 400, "VALIDATION_ERROR", "filter.paymentToolType")


def test_calculate_quotes_the_transfer_commission_and_moves_nothing(make_sim, api):
    sim = make_sim(commissions={"transfer": {"EUR": Fee(Decimal("1"), Decimal("0.25"))}})
    anna = api.token(sim, ANNA)
    tid = template(api, anna, "COIN")["id"]
    quote = exact(api.post(f"/templates/transfer/{tid}/calculate", {"amount": "20.00"}, anna))
    assert (quote["amount"], quote["commission"], quote["totalAmount"]) == (Decimal("20.00"), Decimal("0.45"), Decimal("20.45"))
    assert balance(sim, ANNA["login"], "EUR") == Decimal("420.00")


def test_execute_to_a_coin_moves_the_money_and_the_operation_becomes_a_template(sim, api, anna):
    tid = template(api, anna, "COIN")["id"]
    done = exact(api.post(f"/templates/transfer/{tid}/execute", {"amount": 20}, anna))
    assert done["status"] == "COMPLETED" and done["businessProcessId"] and done["totalAmount"] == Decimal("20.00")
    assert balance(sim, ANNA["login"], "EUR") == Decimal("400.00")
    assert balance(sim, TOM["login"], "EUR") == Decimal("45.00")
    saved = api.post(f"/templates/transfer/operation/{done['businessProcessId']}", {"name": "Tom again"}, anna).json()
    assert saved["name"] == "Tom again" and saved["paymentToolType"] == "COIN" and saved["id"] != tid
    assert api.post("/templates/transfer/view", {}, anna).json()["totalRecords"] == 3


def test_execute_to_my_card_takes_the_money_out(sim, api, anna):
    tid = template(api, anna, "SMART_CARD")["id"]
    assert api.post(f"/templates/transfer/{tid}/execute", {"amount": "100.50"}, anna).status_code == 200
    assert balance(sim, ANNA["login"], "EUR") == Decimal("319.50")


def test_execute_refuses_more_than_is_available_and_moves_nothing(sim, api, anna):
    tid = template(api, anna, "COIN")["id"]
    response = api.post(f"/templates/transfer/{tid}/execute", {"amount": "420.01"}, anna)
    assert refused(response, 400, "INSUFFICIENT_FUNDS")
    assert balance(sim, ANNA["login"], "EUR") == Decimal("420.00") and balance(sim, TOM["login"], "EUR") == Decimal("25.00")


@pytest.mark.parametrize("step", ["calculate", "execute"])
@pytest.mark.parametrize("amount, field", [(None, "amount"), (0, "amount"), ("ten", "amount"), ("1.001", "amount"),
                                           ("١٠", "amount"), ("1٠.00", "amount")])
def test_a_template_amount_must_be_a_positive_number_in_ascii_digits(sim, api, anna, step, amount, field):
    tid = template(api, anna, "COIN")["id"]
    body = {} if amount is None else {"amount": amount}
    assert refused(api.post(f"/templates/transfer/{tid}/{step}", body, anna), 400, "VALIDATION_ERROR", field)
    assert balance(sim, ANNA["login"], "EUR") == Decimal("420.00")


@pytest.mark.parametrize("step", ["calculate", "execute"])
def test_another_customers_template_or_an_unknown_one_is_not_found(sim, api, anna, step):
    tid = template(api, anna, "COIN")["id"]
    tom = api.token(sim, TOM)
    assert refused(api.post(f"/templates/transfer/{tid}/{step}", {"amount": 1}, tom), 404, "TEMPLATE_NOT_FOUND")
    assert refused(api.post(f"/templates/transfer/nope/{step}", {"amount": 1}, anna), 404, "TEMPLATE_NOT_FOUND")
    assert balance(sim, ANNA["login"], "EUR") == Decimal("420.00")


def test_only_the_payer_saves_their_operation_and_it_needs_a_name(sim, api, anna):
    tid = template(api, anna, "COIN")["id"]
    process = api.post(f"/templates/transfer/{tid}/execute", {"amount": 1}, anna).json()["businessProcessId"]
    tom = api.token(sim, TOM)
    assert refused(api.post(f"/templates/transfer/operation/{process}", {"name": "x"}, tom), 404, "OPERATION_NOT_FOUND")
    assert refused(api.post("/templates/transfer/operation/nope", {"name": "x"}, anna), 404, "OPERATION_NOT_FOUND")
    assert refused(api.post(f"/templates/transfer/operation/{process}", {}, anna), 400, "VALIDATION_ERROR", "name")
    assert api.post("/templates/transfer/view", {}, anna).json()["totalRecords"] == 2
