"""What the SDK.finance platform refuses like a real host: bodies over the limit (413
PAYLOAD_TOO_LARGE, before they are read) and digits other than 0-9 in amounts, request
identifiers, one-time codes and phone logins (400 VALIDATION_ERROR). No coin ever moves.

The platform honours no idempotency key (none is documented), so there is no binding to test
here: a repeated accept answers 409 REQUEST_ALREADY_ACCEPTED (test_sim_requests.py).
"""

from __future__ import annotations

import json
from decimal import Decimal
from urllib.parse import quote

import pytest

from kiosk.sim.sdkfinance import BASE_PATH, DEMO_ADMIN
from tests.sim.wire import MIB, declared_only, unfinished_chunks

from .conftest import ANNA, TOM

TOPUP, WITHDRAWAL = "/bank-top-ups", "/bank-withdrawals"
ARABIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def unmoved(sim) -> bool:
    coins = {c.currency: c for c in sim.coins(ANNA["login"])}
    return coins["EUR"].amount == Decimal("420.00") and coins["EUR"].held == 0 and sim.requests() == []


def too_large(status: int, document: dict) -> bool:
    return status == 413 and document["code"] == "PAYLOAD_TOO_LARGE" and document["message"]


def withdrawal_body(serial: str, padding: int) -> bytes:
    """A withdrawal the platform would create and hold funds for: `note` is ignored."""
    return json.dumps({"coinSerial": serial, "amount": 10, "note": "x" * padding}).encode()


def test_a_50_mb_withdrawal_request_is_refused_and_holds_nothing(sim, api, anna):
    body = withdrawal_body(api.coin(anna, "EUR")["serial"], 50 * MIB)
    response = api.http.post(f"{WITHDRAWAL}/with-bank", content=body,
                             headers={"Authorization": f"Bearer {anna}", "Content-Type": "application/json"})
    assert too_large(response.status_code, response.json())
    assert unmoved(sim)


def test_a_chunked_withdrawal_request_over_the_limit_is_refused(sim, api, anna):
    body = withdrawal_body(api.coin(anna, "EUR")["serial"], 2 * MIB)
    response = api.http.post(f"{WITHDRAWAL}/with-bank", content=(body[i:i + 65536] for i in range(0, len(body), 65536)),
                             headers={"Authorization": f"Bearer {anna}", "Content-Type": "application/json"})
    assert "content-length" not in response.request.headers
    assert too_large(response.status_code, response.json())
    assert unmoved(sim)


def test_a_declared_50_mb_body_is_refused_without_waiting_for_it(sim, server):
    assert too_large(*declared_only(server.url, "POST", BASE_PATH + "/authorization", 50 * MIB))


def test_an_endless_chunked_body_is_refused_once_past_the_limit(sim, server):
    assert too_large(*unfinished_chunks(server.url, "POST", BASE_PATH + "/bank-top-ups/create-request", MIB + 16384))


def test_the_limit_is_configurable(make_sim, api):
    sim = make_sim(max_body_bytes=2048)
    anna = api.token(sim, ANNA)
    serial = api.coin(anna, "EUR")["serial"]
    headers = {"Authorization": f"Bearer {anna}", "Content-Type": "application/json"}
    assert api.http.post(f"{WITHDRAWAL}/with-bank", content=withdrawal_body(serial, 1500), headers=headers).status_code == 200
    response = api.http.post(f"{WITHDRAWAL}/with-bank", content=withdrawal_body(serial, 2048), headers=headers)
    assert too_large(response.status_code, response.json())
    assert len(sim.requests()) == 1


# -- only ASCII digits ---------------------------------------------------------------------------


def validation_error(response, field: str) -> bool:
    body = response.json()
    return response.status_code == 400 and body["code"] == "VALIDATION_ERROR" and \
        field in [e["field"] for e in body.get("fieldErrors", [])]


# Every documented path that reads an amount (a withdrawal is created at with-bank only).
AMOUNT_PATHS = [f"{TOPUP}/calculate", f"{TOPUP}/create-request", f"{TOPUP}/with-bank",
                f"{TOPUP}/create-request/with-bank", f"{WITHDRAWAL}/calculate", f"{WITHDRAWAL}/with-bank"]


@pytest.mark.parametrize("path", AMOUNT_PATHS)
@pytest.mark.parametrize("amount", ["١٠", "１０.００", "१०", "1٠", "٦٦٦.٠١"])
def test_an_amount_in_other_digits_is_a_validation_error(sim, api, anna, path, amount):
    serial = api.coin(anna, "EUR")["serial"]
    assert validation_error(api.post(path, {"coinSerial": serial, "amount": amount}, anna), "amount")
    assert unmoved(sim)


@pytest.mark.parametrize("action", ["accept", "decline"])
@pytest.mark.parametrize("digits", [ARABIC, FULL_WIDTH])
def test_a_request_identifier_in_other_digits_settles_nothing(sim, api, anna, cash, action, digits):
    serial = api.coin(anna, "EUR")["serial"]
    request_id = api.post(f"{WITHDRAWAL}/with-bank", {"coinSerial": serial, "amount": 10}, anna).json()["requestIdentifier"]
    held = sim.coin(serial).held
    response = api.post(f"{WITHDRAWAL}/{quote(str(request_id).translate(digits))}/{action}", None, cash)
    assert validation_error(response, "requestIdentifier")
    (request,) = sim.requests()
    assert request.status == "PENDING" and request.attempts == 0
    assert sim.coin(serial).amount == Decimal("420.00") and sim.coin(serial).held == held


def test_a_view_filter_in_other_digits_is_a_validation_error(sim, api, anna):
    response = api.post(f"{TOPUP}/view", {"filter": {"requestIdentifier": "١"}}, anna)
    assert validation_error(response, "filter.requestIdentifier")


def test_a_one_time_code_in_other_digits_is_a_validation_error_not_a_wrong_guess(sim, api):
    assert api.post("/authorization", {"login": TOM["login"], "password": TOM["password"]}).json() == {"action": "OTP_SENT"}
    code = sim.pending_otp(TOM["login"])
    for digits in (ARABIC, FULL_WIDTH):
        response = api.post("/authorization/confirm", {"login": TOM["login"], "otp": code.translate(digits)})
        assert validation_error(response, "otp")  # not a 500, and not one of the 3 tries
    confirmed = api.post("/authorization/confirm", {"login": TOM["login"], "otp": code})
    assert confirmed.status_code == 200 and confirmed.json()["members"]


def test_a_phone_login_in_other_digits_is_a_validation_error(sim, api):
    response = api.post("/authorization", {"login": TOM["login"].translate(FULL_WIDTH), "password": TOM["password"]})
    assert validation_error(response, "login")
    assert sim.pending_otp(TOM["login"]) is None


def test_the_user_control_endpoint_takes_only_ascii_digits(sim, api):
    document = {"login": "noor@example.com", "password": "Wallet#2024n", "coins": [{"currency": "EUR", "amount": "١٠"}]}
    response = api.control.post("/users", json=document)
    assert response.status_code == 400 and "ASCII" in response.json()["error"]
    assert sim.coins("noor@example.com") == []


# -- the same rules on the set-up, registration and transfer calls -------------------------------


def new_calls(sim, api):
    """(path, token, a body the call accepts) for every POST call added beside the cash-point flows."""
    admin = api.token(sim, DEMO_ADMIN)
    anna = api.token(sim, ANNA)
    template = api.post("/templates/transfer/view", {"filter": {"paymentToolType": "COIN"}}, anna).json()["records"][0]
    toms = next(c.serial for c in sim.coins(TOM["login"]) if c.currency == "EUR")
    return [
        ("/registration", None, {"login": "noor@example.com", "role": "individual"}),
        ("/currencies", admin, {"code": "PTS", "name": "Points", "symbol": "P"}),
        ("/issuers", admin, {"snPrefix": "EURB", "currencyCode": "EUR", "name": "EUR B"}),
        ("/bank-catalog", admin, {"name": "Bank", "bic": "HSBKGB2LXXX", "swift": "HSBKGB2L"}),
        ("/organizations", admin, {}),
        ("/users", admin, {"login": "sam@example.com", "role": "individual"}),
        ("/users/view", admin, {}),
        ("/coins/validate", anna, {"serial": toms}),
        ("/templates/transfer/view", anna, {}),
        (f"/templates/transfer/{template['id']}/calculate", anna, {"amount": 1}),
        (f"/templates/transfer/{template['id']}/execute", anna, {"amount": 1}),
    ]


def test_every_new_call_takes_a_body_under_the_limit_and_refuses_one_over_it(make_sim, api):
    sim = make_sim(max_body_bytes=4096)
    for path, token, body in new_calls(sim, api):
        headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
        before = (len(sim.books.users()), sim.books.currencies(), sim.books.banks(), sim.coins(ANNA["login"]))
        over = api.http.post(path, content=json.dumps({**body, "note": "x" * 4096}).encode(), headers=headers)
        assert too_large(over.status_code, over.json()), path
        assert (len(sim.books.users()), sim.books.currencies(), sim.books.banks(), sim.coins(ANNA["login"])) == before
        under = api.http.post(path, content=json.dumps({**body, "note": "x" * 3000}).encode(), headers=headers)
        assert under.status_code == 200, (path, under.text)


def test_a_declared_50_mb_registration_is_refused_without_waiting_for_it(sim, server):
    assert too_large(*declared_only(server.url, "POST", BASE_PATH + "/registration", 50 * MIB))
    assert sim.books.registration("noor@example.com") is None
