"""Verification: each format, the three-tries lockout, and who may bypass or override."""

from __future__ import annotations

import httpx

from .conftest import JANE, MARIE, SAM, error_of


def test_sms_and_email_send_the_pin_out_of_band(sim, api, server):
    for channel in ("sms", "email"):
        response = api.verify(JANE, format=channel)
        assert response.status_code == 200
        assert response.json() == {"verification_code": f"verification_sent_to_{channel}"}
        pin = sim.last_pin(JANE)
        assert pin is not None and len(pin) == 6 and pin.isdigit()
        shown = httpx.get(server.url + f"/_sim/flexiti/pins?account_number={JANE}").json()
        assert shown["pin"] == pin and shown["channel"] == channel


def test_security_question_with_the_right_answer_gives_the_pin_inline(sim, api):
    response = api.verify(JANE, format="security_question", security_qid="1", security_answer="  biscuit ")
    assert response.status_code == 200
    code = response.json()["verification_code"]
    assert isinstance(code, int) and len(str(code)) == 8
    assert sim.last_pin(JANE) is None  # nothing was sent to the customer


def test_bypass_only_for_qualifying_customers(sim, api):
    ok = api.verify(JANE, format="regular_purchase_bypass")
    assert ok.status_code == 200 and isinstance(ok.json()["verification_code"], int)
    refused = api.verify(SAM, format="regular_purchase_bypass")
    assert refused.status_code == 409 and error_of(refused) == "regular_purchase_bypass_is_not_allowed"


def test_merchant_override_only_for_merchants_allowed_to(make_sim, api):
    sim = make_sim()
    assert isinstance(api.verify(SAM, format="merchant_override").json()["verification_code"], int)
    sim.merchant_override_allowed = False
    refused = api.verify(SAM, format="merchant_override")
    assert refused.status_code == 409 and error_of(refused) == "merchant_override_is_not_allowed"


def test_override_setting_from_the_control_endpoint(make_sim, api, server):
    make_sim(merchant_override_allowed=False)
    assert error_of(api.verify(SAM, format="merchant_override")) == "merchant_override_is_not_allowed"
    assert httpx.post(server.url + "/_sim/flexiti/settings", json={"merchant_override_allowed": True}).status_code == 200
    assert api.verify(SAM, format="merchant_override").status_code == 200


def test_three_wrong_answers_lock_the_account_for_48_hours(sim, api, clock):
    messages = []
    for _ in range(3):
        response = api.verify(JANE, format="security_question", security_qid="1", security_answer="Rex")
        assert response.status_code == 409 and error_of(response) == "secret_answer_mismatch"
        messages.append(response.json()["message"])
        clock.advance(60)
    assert "2 tries left" in messages[0] and "locked" in messages[2]
    for fmt in ("security_question", "sms", "merchant_override"):
        locked = api.verify(JANE, format=fmt, security_qid="1", security_answer="Biscuit")
        assert locked.status_code == 409 and error_of(locked) == "tries_exceed", fmt
    clock.advance(48 * 3600 - 180)  # the first failure is now 48 h old
    api.login()  # (the old token expired long ago)
    assert api.verify(JANE, format="sms").status_code == 200


def test_wrong_pins_on_transactions_count_towards_the_lockout(sim, api):
    api.verify(JANE, format="security_question", security_qid="1", security_answer="wrong")
    pin = api.pin_for(sim, JANE)
    for _ in range(2):
        bad = api.transaction(amount=10, account_number=JANE, verification_code="999999" if pin != "999999" else "111111")
        assert error_of(bad) == "wrong_verification_code"
    assert error_of(api.transaction(amount=10, account_number=JANE, verification_code=pin)) == "tries_exceed"
    assert sim.failed_tries(JANE) == 3
    sim.unlock(JANE)
    assert api.transaction(amount=10, account_number=JANE, verification_code=pin).status_code == 200


def test_a_wrong_question_id_is_a_wrong_answer(sim, api):
    response = api.verify(JANE, format="security_question", security_qid="2", security_answer="Biscuit")
    assert error_of(response) == "secret_answer_mismatch"


def test_validation_errors_name_the_fields(sim, api):
    response = api.verify(JANE, format="carrier_pigeon", request_id="")
    assert response.status_code == 400 and error_of(response) == "wrong_inputs"
    assert {e["param"] for e in response.json()["field_errors"]} == {"format", "request_id"}
    missing = api.verify(JANE, format="security_question")
    assert {e["param"] for e in missing.json()["field_errors"]} == {"security_qid", "security_answer"}


def test_unknown_and_inactive_accounts(sim, api):
    assert api.verify("999999999", format="sms").status_code == 404
    inactive = api.verify(MARIE, format="sms")
    assert inactive.status_code == 409 and error_of(inactive) == "user_not_active"
