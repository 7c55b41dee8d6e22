"""The simulator's cash-point flows: coins, calculate, create, accept, decline, view, refusals."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from kiosk.sim.sdkfinance import Fee, Limit

from .conftest import ANNA, LENA, RAJ, TOM

TOPUP, WITHDRAWAL = "/bank-top-ups", "/bank-withdrawals"


def exact(response):
    """The body with fractions as Decimal: amounts must be exact JSON numbers."""
    return json.loads(response.content, parse_float=Decimal)


def test_coins_are_wrapped_with_exact_amounts_and_issuer_currency(sim, api, anna):
    response = api.get("/coins", anna)
    coins = exact(response)["coins"]
    eur = next(c for c in coins if c["issuer"]["currency"]["code"] == "EUR")
    assert eur["amount"] == Decimal("420.00") and b'"amount": 420.00' in response.content
    assert eur["availableAmount"] == Decimal("420.00") and eur["heldAmount"] == Decimal("0.00")
    assert eur["active"] is True and eur["main"] is True and eur["serial"] and eur["name"]
    assert eur["issuer"]["sn"] == "EUR" and eur["issuer"]["id"]
    usd = next(c for c in coins if c["issuer"]["sn"] == "USD")
    assert usd["amount"] == Decimal("75.50") and usd["main"] is False


def test_the_cash_point_has_no_coins_of_its_own(sim, api, cash):
    assert api.coins(cash) == []


@pytest.mark.parametrize("field", ["coinSerial", "coin", "coin-object"])
def test_calculate_accepts_both_field_names(sim, api, anna, field):
    serial = api.coin(anna, "EUR")["serial"]
    body = {"coin": {"serial": serial}} if field == "coin-object" else {field: serial}
    top = exact(api.post(f"{TOPUP}/calculate", {**body, "amount": "100"}, anna))
    assert (top["commission"], top["totalAmount"]) == (Decimal("0.50"), Decimal("100.50"))
    out = exact(api.post(f"{WITHDRAWAL}/calculate", {**body, "amount": 100}, anna))
    assert (out["amount"], out["commission"], out["totalAmount"]) == (Decimal("100.00"), Decimal("1.50"), Decimal("101.50"))
    assert out["coinSerial"] == serial


def test_commission_is_percent_plus_fixed_rounded_half_up(make_sim, api):
    sim = make_sim(commissions={"withdrawal": {"EUR": Fee(Decimal("2.5"), Decimal("0.30"))}})
    token = api.token(sim, ANNA)
    serial = api.coin(token, "EUR")["serial"]
    out = exact(api.post(f"{WITHDRAWAL}/calculate", {"coinSerial": serial, "amount": 10.1}, token))
    assert out["commission"] == Decimal("0.55")  # 0.2525 -> 0.25, + 0.30
    free = exact(api.post(f"{TOPUP}/calculate", {"coinSerial": serial, "amount": 10}, token))
    assert free["commission"] == Decimal("0.00")


def test_a_top_up_is_pending_until_the_cash_point_accepts_it(sim, api, anna, cash):
    serial = api.coin(anna, "EUR")["serial"]
    created = exact(api.post(f"{TOPUP}/create-request", {"coin": serial, "amount": 50}, anna))
    request_id = created["requestIdentifier"]
    assert isinstance(request_id, int) and created["status"] == "PENDING"
    assert api.coin(anna, "EUR")["amount"] == 420  # nothing moves yet
    accepted = api.post(f"{TOPUP}/{request_id}/accept", None, cash)
    assert accepted.status_code == 200 and accepted.json()["status"] == "ACCEPTED"
    assert exact(api.get("/coins", anna))["coins"][0]["amount"] == Decimal("470.00")


@pytest.mark.parametrize("path", ["create-request", "with-bank", "create-request/with-bank"])
def test_every_documented_create_path_makes_a_pending_request(sim, api, anna, path):
    serial = api.coin(anna, "EUR")["serial"]
    response = api.post(f"{TOPUP}/{path}", {"coinSerial": serial, "amount": 5}, anna)
    assert response.status_code == 200 and response.json()["status"] == "PENDING"


@pytest.mark.parametrize("path", ["create-request", "create-request/with-bank"])
def test_a_withdrawal_is_created_at_with_bank_only(sim, api, anna, path):
    # Seed 002: "To create the withdrawal request, use POST /bank-withdrawals/with-bank".
    serial = api.coin(anna, "EUR")["serial"]
    response = api.post(f"{WITHDRAWAL}/{path}", {"coinSerial": serial, "amount": 5}, anna)
    assert (response.status_code, response.json()["code"]) == (404, "NOT_FOUND")
    assert sim.requests() == [] and sim.coin(serial).held == 0


def test_a_declined_top_up_credits_nothing(sim, api, anna, cash):
    serial = api.coin(anna, "EUR")["serial"]
    request_id = api.post(f"{TOPUP}/create-request", {"coinSerial": serial, "amount": 50}, anna).json()["requestIdentifier"]
    assert api.post(f"{TOPUP}/{request_id}/decline", None, cash).json()["status"] == "DECLINED"
    assert api.coin(anna, "EUR")["amount"] == 420


def test_a_withdrawal_holds_the_total_then_accept_takes_it(sim, api, anna, cash):
    serial = api.coin(anna, "EUR")["serial"]
    request_id = api.post(f"{WITHDRAWAL}/with-bank", {"coinSerial": serial, "amount": 100}, anna).json()["requestIdentifier"]
    coin = exact(api.get("/coins", anna))["coins"][0]
    assert (coin["amount"], coin["heldAmount"], coin["availableAmount"]) == (
        Decimal("420.00"), Decimal("101.50"), Decimal("318.50"))
    assert api.post(f"{WITHDRAWAL}/{request_id}/accept", None, cash).status_code == 200
    coin = exact(api.get("/coins", anna))["coins"][0]
    assert (coin["amount"], coin["heldAmount"], coin["availableAmount"]) == (
        Decimal("318.50"), Decimal("0.00"), Decimal("318.50"))


def test_a_declined_withdrawal_releases_the_hold(sim, api, anna, cash):
    serial = api.coin(anna, "EUR")["serial"]
    request_id = api.post(f"{WITHDRAWAL}/with-bank", {"coin": serial, "amount": 100}, anna).json()["requestIdentifier"]
    assert api.post(f"{WITHDRAWAL}/{request_id}/decline", None, cash).json()["status"] == "DECLINED"
    coin = exact(api.get("/coins", anna))["coins"][0]
    assert (coin["amount"], coin["heldAmount"]) == (Decimal("420.00"), Decimal("0.00"))


def test_accepting_twice_never_applies_twice_and_says_so(sim, api, anna, cash):
    serial = api.coin(anna, "EUR")["serial"]
    request_id = api.post(f"{WITHDRAWAL}/with-bank", {"coinSerial": serial, "amount": 10}, anna).json()["requestIdentifier"]
    api.post(f"{WITHDRAWAL}/{request_id}/accept", None, cash)
    again = api.post(f"{WITHDRAWAL}/{request_id}/accept", None, cash)
    assert again.status_code == 409
    assert again.json() == {
        "code": "REQUEST_ALREADY_ACCEPTED", "message": f"Request {request_id} is already accepted",
        "requestIdentifier": request_id, "status": "ACCEPTED",
    }
    late_decline = api.post(f"{WITHDRAWAL}/{request_id}/decline", None, cash)
    assert (late_decline.status_code, late_decline.json()["status"]) == (409, "ACCEPTED")
    assert exact(api.get("/coins", anna))["coins"][0]["amount"] == Decimal("409.40")  # 420 - 10.60, once


def test_accepting_a_declined_request_is_409_declined(sim, api, anna, cash):
    serial = api.coin(anna, "EUR")["serial"]
    request_id = api.post(f"{TOPUP}/create-request", {"coinSerial": serial, "amount": 10}, anna).json()["requestIdentifier"]
    api.post(f"{TOPUP}/{request_id}/decline", None, cash)
    response = api.post(f"{TOPUP}/{request_id}/accept", None, cash)
    assert (response.status_code, response.json()["code"]) == (409, "REQUEST_ALREADY_DECLINED")
    assert api.coin(anna, "EUR")["amount"] == 420


def test_unknown_requests_are_404_and_a_flow_does_not_see_the_other(sim, api, anna, cash):
    serial = api.coin(anna, "EUR")["serial"]
    top_id = api.post(f"{TOPUP}/create-request", {"coinSerial": serial, "amount": 10}, anna).json()["requestIdentifier"]
    for path in (f"{TOPUP}/999999/accept", f"{WITHDRAWAL}/{top_id}/accept", f"{TOPUP}/999999/decline"):
        response = api.post(path, None, cash)
        assert (response.status_code, response.json()["code"]) == (404, "REQUEST_NOT_FOUND")
    bad = api.post(f"{TOPUP}/abc/accept", None, cash)
    assert (bad.status_code, bad.json()["code"]) == (400, "VALIDATION_ERROR")


def test_only_the_cash_point_accepts_and_only_customers_create(sim, api, anna, cash):
    serial = api.coin(anna, "EUR")["serial"]
    request_id = api.post(f"{TOPUP}/create-request", {"coinSerial": serial, "amount": 10}, anna).json()["requestIdentifier"]
    own = api.post(f"{TOPUP}/{request_id}/accept", None, anna)
    assert (own.status_code, own.json()["code"]) == (403, "ACCESS_DENIED")
    by_cash = api.post(f"{TOPUP}/create-request", {"coinSerial": serial, "amount": 10}, cash)
    assert (by_cash.status_code, by_cash.json()["code"]) == (403, "ACCESS_DENIED")
    assert api.coin(anna, "EUR")["amount"] == 420


def test_another_customers_coin_is_not_found(sim, api, anna):
    tom = api.token(sim, TOM)
    toms = api.coin(tom, "GBP")["serial"]
    response = api.post(f"{TOPUP}/calculate", {"coinSerial": toms, "amount": 10}, anna)
    assert (response.status_code, response.json()["code"]) == (404, "COIN_NOT_FOUND")


def test_insufficient_funds_counts_the_commission_and_holds(sim, api, anna):
    serial = api.coin(anna, "EUR")["serial"]
    # 415.00 + 1 % + 0.50 = 419.65 fits in 420.00; 416.00 -> 420.66 does not.
    assert api.post(f"{WITHDRAWAL}/with-bank", {"coinSerial": serial, "amount": 416}, anna).json()["code"] == "INSUFFICIENT_FUNDS"
    ok = api.post(f"{WITHDRAWAL}/with-bank", {"coinSerial": serial, "amount": 415}, anna)
    assert ok.status_code == 200
    second = api.post(f"{WITHDRAWAL}/with-bank", {"coinSerial": serial, "amount": 1}, anna)
    assert (second.status_code, second.json()["code"]) == (400, "INSUFFICIENT_FUNDS")
    assert "available 0.35 EUR" in second.json()["message"]


def test_an_empty_wallet_cannot_withdraw(sim, api):
    token = api.token(sim, LENA)
    serial = api.coin(token, "EUR")["serial"]
    response = api.post(f"{WITHDRAWAL}/with-bank", {"coinSerial": serial, "amount": 1}, token)
    assert response.json()["code"] == "INSUFFICIENT_FUNDS"


def test_a_blocked_coin_is_refused(sim, api):
    token = api.token(sim, RAJ)
    blocked = api.coin(token, "EUR")
    assert blocked["active"] is False
    response = api.post(f"{TOPUP}/create-request", {"coinSerial": blocked["serial"], "amount": 5}, token)
    assert (response.status_code, response.json()["code"]) == (400, "COIN_INACTIVE")


def test_limits_per_currency(make_sim, api):
    sim = make_sim(limits={"EUR": Limit(Decimal("5.00"), Decimal("200.00"))})
    token = api.token(sim, ANNA)
    serial = api.coin(token, "EUR")["serial"]
    small = api.post(f"{TOPUP}/create-request", {"coinSerial": serial, "amount": 4.99}, token)
    assert (small.status_code, small.json()["code"]) == (400, "AMOUNT_TOO_SMALL")
    assert small.json()["fieldErrors"][0]["field"] == "amount"
    large = api.post(f"{WITHDRAWAL}/calculate", {"coinSerial": serial, "amount": 200.01}, token)
    assert large.json()["code"] == "AMOUNT_TOO_LARGE"
    assert sim.requests() == []


@pytest.mark.parametrize(
    "body, field",
    [
        ({"amount": 10}, "coinSerial"),
        ({"coinSerial": "S"}, "amount"),
        ({"coinSerial": "S", "amount": -1}, "amount"),
        ({"coinSerial": "S", "amount": 0}, "amount"),
        ({"coinSerial": "S", "amount": "ten"}, "amount"),
        ({"coinSerial": "S", "amount": 1.005}, "amount"),
        ({"coinSerial": "S", "amount": True}, "amount"),
        ({"coinSerial": "S", "coin": "T", "amount": 1}, "coin"),
    ],
)
def test_validation_errors_name_the_field(sim, api, anna, body, field):
    serial = api.coin(anna, "EUR")["serial"]
    body = {k: (serial if v == "S" else v) for k, v in body.items()}
    response = api.post(f"{TOPUP}/create-request", body, anna)
    document = response.json()
    assert (response.status_code, document["code"]) == (400, "VALIDATION_ERROR")
    assert document["fieldErrors"][0]["field"] == field
    assert sim.requests() == []


def test_view_finds_requests_by_id_description_and_status(sim, api, anna, cash):
    serial = api.coin(anna, "EUR")["serial"]
    first = api.post(f"{WITHDRAWAL}/with-bank", {"coinSerial": serial, "amount": 10, "description": "visit-a"}, anna)
    api.post(f"{WITHDRAWAL}/with-bank", {"coinSerial": serial, "amount": 20, "description": "visit-b"}, anna)
    found = api.post(f"{WITHDRAWAL}/view", {"filter": {"description": "visit-a"}}, cash).json()
    assert found["totalRecords"] == 1 and found["records"][0]["requestIdentifier"] == first.json()["requestIdentifier"]
    by_id = api.post(f"{WITHDRAWAL}/view", {"filter": {"requestIdentifier": first.json()["requestIdentifier"]}}, cash)
    assert by_id.json()["records"][0]["status"] == "PENDING"
    assert api.post(f"{WITHDRAWAL}/view", {"filter": {"status": "ACCEPTED"}}, cash).json()["records"] == []
    # A customer sees only their own requests.
    tom = api.token(sim, TOM)
    assert api.post(f"{WITHDRAWAL}/view", {}, tom).json()["totalRecords"] == 0
    assert api.post(f"{WITHDRAWAL}/view", {}, anna).json()["totalRecords"] == 2
    assert api.post(f"{TOPUP}/view", {}, cash).json()["totalRecords"] == 0


def test_older_versions_name_the_coin_field_coin_in_answers(make_sim, api):
    sim = make_sim(coin_field="coin")
    token = api.token(sim, ANNA)
    serial = api.coin(token, "EUR")["serial"]
    created = api.post(f"{TOPUP}/create-request", {"coinSerial": serial, "amount": 1}, token).json()
    assert created["coin"] == serial and "coinSerial" not in created


def test_bank_catalog_lists_the_cash_desk_and_create_checks_bank_ids(sim, api, anna):
    banks = api.get("/bank-catalog", anna).json()["records"]
    serial = api.coin(anna, "EUR")["serial"]
    ok = api.post(f"{TOPUP}/create-request/with-bank", {"coinSerial": serial, "amount": 1, "bankId": banks[0]["id"]}, anna)
    assert ok.status_code == 200 and ok.json()["bankId"] == banks[0]["id"]
    bad = api.post(f"{TOPUP}/create-request/with-bank", {"coinSerial": serial, "amount": 1, "bankId": "nope"}, anna)
    assert (bad.status_code, bad.json()["code"]) == (404, "BANK_NOT_FOUND")
