"""One-time codes: RFC 6238 time steps per (phone, POS), absolute windows, single use."""

from __future__ import annotations

import time

import pytest

from kiosk.sim.otp import OtpIssuer, hotp
from kiosk.sim.rapyd import DEMO_POS_ID, SECOND_POS_ID, RapydSimulator
from tests.sim.conftest import T0
from tests.sim.pos import error_code, ok_data

PHONE = "+14155559992"


def test_hotp_matches_the_rfc_6238_sha1_vectors():
    key = b"12345678901234567890"
    # RFC 6238 appendix B (8 digits); the 6-digit code is the last six.
    assert hotp(key, 59 // 30, digits=8) == "94287082"
    assert hotp(key, 1111111109 // 30, digits=8) == "07081804"
    assert hotp(key, 59 // 30) == "287082"


def test_codes_differ_per_phone_and_per_pos_and_per_window():
    issuer = OtpIssuer(b"k" * 32, 30)
    codes = {
        issuer.code(PHONE, DEMO_POS_ID, T0),
        issuer.code("+447700900123", DEMO_POS_ID, T0),
        issuer.code(PHONE, SECOND_POS_ID, T0),
        issuer.code(PHONE, DEMO_POS_ID, T0 + 30),
    }
    assert len(codes) == 4
    assert issuer.code(PHONE, DEMO_POS_ID, T0) == issuer.code(PHONE, DEMO_POS_ID, T0 + 29.999)
    assert issuer.expires_at(T0 + 12.5) == T0 + 30


def test_a_code_is_valid_at_the_last_instant_of_its_window(sim, pos, clock):
    clock.now = T0
    code = sim.current_otp(PHONE)
    assert sim.otp_expires_at() == T0 + 30
    clock.now = T0 + 29.999
    ok_data(pos.login(PHONE, code))


def test_a_code_is_refused_from_the_first_instant_of_the_next_window(sim, pos, clock):
    clock.now = T0 + 29.999
    code = sim.current_otp(PHONE)
    clock.now = T0 + 30
    response = pos.login(PHONE, code)
    assert (response.status_code, error_code(response)) == (400, "ERROR_OTP_EXPIRED")
    # ... and a code two windows old is simply not valid.
    clock.now = T0 + 60
    assert error_code(pos.login(PHONE, code)) == "ERROR_INVALID_OTP"


def test_a_used_code_is_refused_even_inside_its_window(sim, pos):
    code = sim.current_otp(PHONE)
    ok_data(pos.login(PHONE, code))
    response = pos.login(PHONE, code)
    assert (response.status_code, error_code(response)) == (400, "ERROR_OTP_ALREADY_USED")


def test_a_wrong_code_and_an_unknown_phone_answer_alike(sim, pos):
    code = sim.current_otp(PHONE)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    first = pos.login(PHONE, wrong)
    unknown = pos.login("+15005550000", code)
    assert (first.status_code, error_code(first)) == (400, "ERROR_INVALID_OTP")
    assert (unknown.status_code, error_code(unknown)) == (400, "ERROR_INVALID_OTP")
    assert first.json()["status"]["message"] == unknown.json()["status"]["message"]
    # The failed attempts did not burn the right code.
    ok_data(pos.login(PHONE, code))


@pytest.mark.parametrize("code", ["12345", "1234567", "abcdef", "12345%20"])
def test_malformed_codes_are_invalid(sim, pos, code):
    assert error_code(pos.login(PHONE, code)) == "ERROR_INVALID_OTP"


def test_a_code_for_one_pos_does_not_open_a_session_at_another(sim, pos):
    code = sim.current_otp(PHONE, SECOND_POS_ID)
    assert error_code(pos.login(PHONE, code, DEMO_POS_ID)) in ("ERROR_INVALID_OTP",)
    ok_data(pos.login(PHONE, code, SECOND_POS_ID))


def test_an_unregistered_pos_is_refused(sim, pos):
    code = sim.current_otp(PHONE)
    response = pos.login(PHONE, code, "z128ffb-11a5-11l9-93p5-1231a8maf28")
    assert (response.status_code, error_code(response)) == (400, "ERROR_INVALID_POS_ID")


@pytest.mark.parametrize("phone", ["", "14155559992", "+0123456789", "+1 415 555 9992"])
def test_a_malformed_phone_is_refused(sim, pos, phone):
    headers = {"phone_number": phone} if phone else {}
    response = pos.call("POST", f"/v1/pos/login/{DEMO_POS_ID}/123456", headers)
    assert (response.status_code, error_code(response)) == (400, "ERROR_INVALID_PHONE_NUMBER")


def test_login_answers_the_documented_fields(sim, pos):
    response = pos.login(PHONE, sim.current_otp(PHONE))
    assert '"account_balance": 189,' in response.text  # a JSON number, as in seed 001
    body = response.json()
    assert body["status"]["error_code"] == "0" and "response_code" not in body["status"]  # seed 000's shape
    data = body["data"]
    assert set(data) == {"token_id", "operation_id", "accounts"}
    (account,) = data["accounts"]
    assert account["account_currency"] == account["account_alias"] == "GBP"
    assert account["account_currency_symbol"] == "£"
    assert len(account["account_id"]) == 36


def test_sim_otp_endpoint(sim, pos, clock):
    reply = pos.http.get("/_sim/otp", params={"phone": PHONE}).json()
    assert reply == {"otp": sim.current_otp(PHONE), "expires_at": T0 + 30, "expires_in": 25.0, "window": 30}
    other = pos.http.get("/_sim/otp", params={"phone": PHONE, "pos_id": SECOND_POS_ID}).json()
    assert other["otp"] == sim.current_otp(PHONE, SECOND_POS_ID)
    assert pos.http.get("/_sim/otp", params={"phone": "+15005550000"}).status_code == 404
    assert pos.http.get("/_sim/otp", params={"phone": PHONE, "pos_id": "nope"}).status_code == 404
    assert pos.http.get("/_sim/otp").status_code == 400


def test_a_short_window_on_the_real_clock(make_sim, pos):
    # The configurable window, with real time passing (at most one 1 s window of waiting).
    sim = make_sim(otp_window=1, clock=time.time)
    pos.clock = time.time
    code = sim.current_otp(PHONE)
    time.sleep(max(0.0, sim.otp_expires_at() - time.time()) + 0.01)
    assert error_code(pos.login(PHONE, code)) == "ERROR_OTP_EXPIRED"
    ok_data(pos.login(PHONE, sim.current_otp(PHONE)))


def test_a_window_shorter_than_a_second_is_refused():
    with pytest.raises(ValueError):
        RapydSimulator(otp_window=0)
