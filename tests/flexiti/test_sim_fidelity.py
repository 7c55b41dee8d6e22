"""What the Flexiti API refuses like a real host: bodies over the limit (413, before they are
read), an x-idempotency-key replayed with another request (409 idempotency_key_reused, never the
first request's answer), and digits other than 0-9 in account numbers, amounts and PINs
(400 wrong_inputs, not a failed try). The customer's balance never moves."""

from __future__ import annotations

import json
from decimal import Decimal
from urllib.parse import quote

import pytest

from kiosk.sim.flexiti import BASE_PATH, DEMO_CLIENT_ID
from tests.sim.wire import MIB, declared_only, unfinished_chunks

from .conftest import JANE, SAM, error_of

OWED = Decimal("1200.00")  # what Jane owes at the start
TRANSACTIONS = f"/client-id/{DEMO_CLIENT_ID}/transactions"
ARABIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
DEVANAGARI = str.maketrans("0123456789", "०१२३४५६७८९")


def too_large(status: int, document: dict) -> bool:
    return status == 413 and document["error"] == "payload_too_large" and document["url"].startswith("/")


def deposit_body(pin: str, padding: int = 0, **fields: object) -> bytes:
    document = {"transaction_type": "deposit", "amount": 10, "account_number": JANE, "verification_code": pin,
                "request_id": "req-1", "note": "x" * padding, **fields}
    return json.dumps(document).encode()


def test_a_50_mb_transaction_is_refused_and_applies_nothing(sim, api):
    pin = api.pin_for(sim, JANE)
    response = api.http.post(TRANSACTIONS, content=deposit_body(pin, 50 * MIB),
                             headers={**api.headers(), "content-type": "application/json"})
    assert too_large(response.status_code, response.json())
    assert sim.balance(JANE) == OWED and sim.transactions() == []


def test_a_chunked_transaction_over_the_limit_is_refused(sim, api):
    body = deposit_body(api.pin_for(sim, JANE), 2 * MIB)
    response = api.http.post(TRANSACTIONS, content=(body[i:i + 65536] for i in range(0, len(body), 65536)),
                             headers={**api.headers(), "content-type": "application/json"})
    assert "content-length" not in response.request.headers
    assert too_large(response.status_code, response.json())
    assert sim.balance(JANE) == OWED and sim.transactions() == []


def test_a_declared_50_mb_body_is_refused_without_waiting_for_it(sim, server):
    assert too_large(*declared_only(server.url, "POST", BASE_PATH + "/oauth/token", 50 * MIB))


def test_an_endless_chunked_body_is_refused_once_past_the_limit(sim, server):
    assert too_large(*unfinished_chunks(server.url, "POST", BASE_PATH + TRANSACTIONS, MIB + 16384))


def test_the_limit_is_configurable(make_sim, api):
    sim = make_sim(max_body_bytes=1024)
    pin = api.pin_for(sim, JANE)
    headers = {**api.headers(), "content-type": "application/json"}
    assert api.http.post(TRANSACTIONS, content=deposit_body(pin, 700), headers=headers).status_code == 200
    response = api.http.post(TRANSACTIONS, content=deposit_body(pin, 1024), headers=headers)
    assert too_large(response.status_code, response.json())
    assert sim.balance(JANE) == OWED - 10


# -- an idempotency key is bound to its request ---------------------------------------------------


def reused(response) -> bool:
    return response.status_code == 409 and error_of(response) == "idempotency_key_reused"


def test_a_key_reused_for_another_amount_is_refused_not_answered(sim, api):
    pin = api.pin_for(sim, JANE)
    first = api.transaction(key="k", amount=10, account_number=JANE, verification_code=pin)
    assert first.status_code == 200
    attempt = api.transaction(key="k", amount=20, account_number=JANE, verification_code=pin)
    assert reused(attempt) and first.json()["transaction_id"] not in attempt.text
    assert sim.balance(JANE) == OWED - 10 and len(sim.transactions()) == 1


def test_a_key_reused_for_another_account_is_refused_not_answered(sim, api):
    jane_pin = api.pin_for(sim, JANE)
    first = api.transaction(key="k", amount=10, account_number=JANE, verification_code=jane_pin)
    sam_pin = api.pin_for(sim, SAM, request_id="req-S")
    sam_before = sim.balance(SAM)
    attempt = api.transaction(key="k", transaction_type="instore_payment", amount=10, account_number=SAM,
                              verification_code=sam_pin, request_id="req-S")
    assert reused(attempt) and first.json()["transaction_id"] not in attempt.text
    assert sim.balance(SAM) == sam_before and len(sim.transactions()) == 1
    # Sam's verification still stands: the same payment under a fresh key goes through.
    assert api.transaction(key="k2", transaction_type="instore_payment", amount=10, account_number=SAM,
                           verification_code=sam_pin, request_id="req-S").status_code == 200


def test_a_key_reused_on_another_path_is_refused(sim, api):
    pin = api.pin_for(sim, JANE)
    assert api.transaction(key="k", amount=10, account_number=JANE, verification_code=pin).status_code == 200
    # The very body api.transaction sent (same dict, same serialiser), on the path with a query.
    same_body = {"amount": 10, "account_number": JANE, "verification_code": pin,
                 "transaction_type": "deposit", "request_id": "req-1"}
    attempt = api.http.post(TRANSACTIONS + "?channel=web", json=same_body,
                            headers=api.headers(**{"x-idempotency-key": "k"}))
    assert reused(attempt)
    assert sim.balance(JANE) == OWED - 10 and len(sim.transactions()) == 1


def test_the_same_request_with_a_refreshed_token_still_gets_its_answer(sim, api):
    pin = api.pin_for(sim, JANE)
    first = api.transaction(key="k", amount=10, account_number=JANE, verification_code=pin)
    api.login()  # a new bearer token: the credential is not part of the request
    again = api.transaction(key="k", amount=10, account_number=JANE, verification_code=pin)
    assert again.status_code == 200 and again.content == first.content
    assert sim.balance(JANE) == OWED - 10 and len(sim.transactions()) == 1


def test_the_first_request_still_gets_its_answer_after_a_refused_reuse(sim, api):
    pin = api.pin_for(sim, JANE)
    first = api.transaction(key="k", amount=10, account_number=JANE, verification_code=pin)
    assert reused(api.transaction(key="k", amount=11, account_number=JANE, verification_code=pin))
    assert api.transaction(key="k", amount=10, account_number=JANE, verification_code=pin).content == first.content
    assert sim.balance(JANE) == OWED - 10


# -- only ASCII digits ---------------------------------------------------------------------------


def wrong_input(response, param: str) -> bool:
    body = response.json()
    return response.status_code == 400 and body["error"] == "wrong_inputs" and \
        param in [e["param"] for e in body["field_errors"]]


@pytest.mark.parametrize("digits", [ARABIC, FULL_WIDTH, DEVANAGARI])
def test_an_account_number_in_other_digits_is_a_wrong_input(sim, api, digits):
    pin = api.pin_for(sim, JANE)
    other = JANE.translate(digits)
    assert wrong_input(api.transaction(amount=10, account_number=other, verification_code=pin), "account_number")
    assert wrong_input(api.verify(quote(other), format="sms"), "account_number")
    assert wrong_input(api.lookup(account_number=other), "account_number")
    assert sim.balance(JANE) == OWED and sim.transactions() == [] and sim.failed_tries(JANE) == 0


@pytest.mark.parametrize("amount", ["١٠", "１０.００", "१०", "1٠", "٦٦٦.٠١"])
def test_an_amount_in_other_digits_is_a_wrong_input(sim, api, amount):
    pin = api.pin_for(sim, JANE)
    assert wrong_input(api.transaction(amount=amount, account_number=JANE, verification_code=pin), "amount")
    assert sim.balance(JANE) == OWED and sim.transactions() == []


@pytest.mark.parametrize("digits", [ARABIC, FULL_WIDTH, DEVANAGARI])
def test_a_pin_in_other_digits_is_a_wrong_input_not_a_failed_try(sim, api, digits):
    pin = api.pin_for(sim, JANE)
    for _ in range(3):  # three wrong guesses would lock the account for 48 h
        response = api.transaction(amount=10, account_number=JANE, verification_code=pin.translate(digits))
        assert wrong_input(response, "verification_code")
    assert sim.failed_tries(JANE) == 0 and sim.transactions() == []
    assert api.transaction(amount=10, account_number=JANE, verification_code=pin).status_code == 200


def test_a_date_of_birth_in_other_digits_is_a_wrong_input(sim, api):
    assert wrong_input(api.search(first_name="Jane", last_name="Doe", dob="١٩٨٥-٠٣-١٢"), "dob")
