"""Transactions: the verified request_id, idempotency, credit and payment limits."""

from __future__ import annotations

from decimal import Decimal

from .conftest import JANE, LIAM, SAM, error_of


def test_deposit_reduces_what_is_owed(sim, api):
    pin = api.pin_for(sim, JANE)
    response = api.transaction(amount=250.25, account_number=JANE, verification_code=pin)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["transaction_type"] == "deposit" and body["total_amount"] == "250.25" and body["verified"] is True
    assert sim.balance(JANE) == Decimal("949.75")
    assert Decimal(str(body["available_credit"])) == Decimal("4050.25")
    (t,) = sim.transactions()
    assert t.transaction_id == body["transaction_id"] and t.reference_id == api.reference_id


def test_instore_payment_draws_on_available_credit(sim, api):
    pin = api.pin_for(sim, SAM)
    refused = api.transaction(transaction_type="instore_payment", amount=50.01, account_number=SAM, verification_code=pin)
    assert refused.status_code == 409 and error_of(refused) == "not_enough_credit"
    ok = api.transaction(transaction_type="instore_payment", amount=50, account_number=SAM, verification_code=pin)
    assert ok.status_code == 200 and sim.available_credit(SAM) == 0


def test_request_id_must_be_the_verified_one(sim, api):
    pin = api.pin_for(sim, JANE, request_id="req-A")
    other = api.transaction(amount=10, account_number=JANE, verification_code=pin, request_id="req-B")
    assert other.status_code == 409 and error_of(other) == "not_verified"
    assert api.transaction(amount=10, account_number=JANE, verification_code=pin, request_id="req-A").status_code == 200


def test_no_verification_at_all_is_not_verified(sim, api):
    assert error_of(api.transaction(amount=10, account_number=JANE, verification_code="123456")) == "not_verified"


def test_the_pin_runs_out_after_15_minutes(sim, api, clock):
    pin = api.pin_for(sim, JANE)
    clock.advance(15 * 60 + 1)
    api.login()
    assert error_of(api.transaction(amount=10, account_number=JANE, verification_code=pin)) == "not_verified"


def test_same_idempotency_key_replays_without_applying_twice(sim, api):
    pin = api.pin_for(sim, JANE)
    first = api.transaction("key-1", amount=100, account_number=JANE, verification_code=pin)
    second = api.transaction("key-1", amount=100, account_number=JANE, verification_code=pin)
    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    assert len(sim.transactions()) == 1 and sim.balance(JANE) == Decimal("1100.00")


def test_without_a_key_a_repeat_applies_again(sim, api):
    pin = api.pin_for(sim, JANE)
    first = api.transaction(amount=100, account_number=JANE, verification_code=pin)
    second = api.transaction(amount=100, account_number=JANE, verification_code=pin)
    assert first.json()["transaction_id"] != second.json()["transaction_id"]
    assert len(sim.transactions()) == 2 and sim.balance(JANE) == Decimal("1000.00")


def test_a_refusal_is_not_remembered_under_the_key(sim, api):
    pin = api.pin_for(sim, SAM)
    refused = api.transaction("key-2", transaction_type="instore_payment", amount=60, account_number=SAM,
                              verification_code=pin)
    assert error_of(refused) == "not_enough_credit"
    api.pin_for(sim, SAM)  # a new PIN: the repeat is processed afresh (and refused again here)
    deposit = api.transaction("key-2", amount=20, account_number=SAM, verification_code=sim.last_pin(SAM))
    assert deposit.status_code == 200


def test_a_changed_context_hash_under_the_same_key_is_refused(sim, api):
    pin = api.pin_for(sim, JANE)
    headers = api.headers(**{"x-idempotency-key": "key-3", "x-context-hash": "aaa"})
    assert api.transaction(headers=headers, amount=5, account_number=JANE, verification_code=pin).status_code == 200
    headers["x-context-hash"] = "bbb"
    changed = api.transaction(headers=headers, amount=6, account_number=JANE, verification_code=pin)
    assert changed.status_code == 409 and error_of(changed) == "context_hash_mismatch"
    assert len(sim.transactions()) == 1


def test_past_due_account_takes_deposits_but_not_payments(sim, api):
    pin = api.pin_for(sim, LIAM)
    refused = api.transaction(transaction_type="instore_payment", amount=5, account_number=LIAM, verification_code=pin)
    assert error_of(refused) == "user_not_able_to_purchase"
    assert api.transaction(amount=75.40, account_number=LIAM, verification_code=pin).status_code == 200


def test_deposits_are_limited_to_10000_a_day(sim, api, clock):
    pin = api.pin_for(sim, JANE)
    assert api.transaction(amount=9000, account_number=JANE, verification_code=pin).status_code == 200
    over = api.transaction(amount=1000.01, account_number=JANE, verification_code=pin)
    assert over.status_code == 409 and error_of(over) == "limit_payment_amount_24"
    assert api.transaction(amount=1000, account_number=JANE, verification_code=pin).status_code == 200


def test_transaction_validation(sim, api):
    pin = api.pin_for(sim, JANE)
    assert error_of(api.transaction(transaction_type="promotional_purchase", amount=5, account_number=JANE,
                                    verification_code=pin)) == "invalid_transaction_type"
    assert error_of(api.transaction(amount=5, account_number=JANE)) == "verification_code_required"
    for amount in (0, -5, 1.005, "ten", None):
        bad = api.transaction(amount=amount, account_number=JANE, verification_code=pin)
        assert bad.status_code == 400 and bad.json()["field_errors"][0]["param"] == "amount", amount
    assert api.transaction(amount=5, account_number="999999999", verification_code=pin).status_code == 404
    unknown_location = api.transaction(amount=5, account_number=JANE, verification_code=pin,
                                       external_location_id="ELSEWHERE")
    assert error_of(unknown_location) == "external_location_id_not_found"
    assert sim.transactions() == []
