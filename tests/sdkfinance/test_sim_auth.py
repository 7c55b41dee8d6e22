"""The simulator's sign-in: password, OTP_SENT + confirm, tokens that expire, and refusals."""

from __future__ import annotations

from datetime import datetime

import pytest

from .conftest import ANNA, CASH, T0, TOM


def test_password_sign_in_answers_members_with_a_token(sim, api):
    response = api.post("/authorization", {"login": ANNA["login"], "password": ANNA["password"]})
    assert response.status_code == 200
    (member,) = response.json()["members"]
    assert member["role"] == "individual"
    assert member["user"]["name"] == ANNA["name"] and member["user"]["id"]
    assert member["organization"]["id"]
    assert member["token"]["token"]
    expires = datetime.fromisoformat(member["token"]["expiresAt"].replace("Z", "+00:00")).timestamp()
    assert expires == pytest.approx(T0 + 900)


def test_the_cash_point_signs_in_as_a_merchant_without_a_code(sim, api):
    response = api.post("/authorization", {"login": CASH["login"], "password": CASH["password"]})
    assert response.json()["members"][0]["role"] == "merchant"


def test_two_factor_login_answers_otp_sent_then_confirm_gives_the_token(sim, api):
    response = api.post("/authorization", {"login": TOM["login"], "password": TOM["password"]})
    assert response.status_code == 200 and response.json() == {"action": "OTP_SENT"}
    otp = sim.pending_otp(TOM["login"])
    assert otp is not None and len(otp) == 6 and otp.isdigit()
    shown = api.control.get("/otp", params={"login": TOM["login"]}).json()
    assert shown["otp"] == otp and shown["expires_in"] == pytest.approx(300)
    confirmed = api.post("/authorization/confirm", {"login": TOM["login"], "otp": otp})
    assert confirmed.status_code == 200
    token = confirmed.json()["members"][0]["token"]["token"]
    assert api.get("/coins", token).status_code == 200
    assert sim.pending_otp(TOM["login"]) is None  # used up
    again = api.post("/authorization/confirm", {"login": TOM["login"], "otp": otp})
    assert (again.status_code, again.json()["code"]) == (400, "OTP_EXPIRED")


def test_a_wrong_code_counts_and_the_third_one_ends_the_sign_in(sim, api):
    api.post("/authorization", {"login": TOM["login"], "password": TOM["password"]})
    otp = sim.pending_otp(TOM["login"])
    wrong = "000000" if otp != "000000" else "111111"
    first = api.post("/authorization/confirm", {"login": TOM["login"], "otp": wrong})
    assert (first.status_code, first.json()["code"]) == (400, "OTP_INVALID")
    assert "2 attempt" in first.json()["message"]
    api.post("/authorization/confirm", {"login": TOM["login"], "otp": wrong})
    third = api.post("/authorization/confirm", {"login": TOM["login"], "otp": wrong})
    assert third.json()["code"] == "OTP_ATTEMPTS_EXCEEDED"
    late = api.post("/authorization/confirm", {"login": TOM["login"], "otp": otp})
    assert late.json()["code"] == "OTP_EXPIRED"


def test_the_code_expires_after_its_lifetime(sim, api, clock):
    api.post("/authorization", {"login": TOM["login"], "password": TOM["password"]})
    otp = sim.pending_otp(TOM["login"])
    clock.advance(301)
    assert sim.pending_otp(TOM["login"]) is None
    assert api.control.get("/otp", params={"login": TOM["login"]}).status_code == 404
    response = api.post("/authorization/confirm", {"login": TOM["login"], "otp": otp})
    assert (response.status_code, response.json()["code"]) == (400, "OTP_EXPIRED")


@pytest.mark.parametrize(
    "login, password",
    [(ANNA["login"], "Wrong#pass1"), ("nobody@example.com", ANNA["password"]), (ANNA["login"].upper(), "x")],
)
def test_wrong_credentials_are_401_invalid_credentials_whatever_is_wrong(sim, api, login, password):
    response = api.post("/authorization", {"login": login, "password": password})
    assert response.status_code == 401
    assert response.json() == {"code": "INVALID_CREDENTIALS", "message": "Invalid login or password"}


def test_a_sign_in_without_fields_is_a_validation_error_naming_the_field(sim, api):
    response = api.post("/authorization", {"login": ANNA["login"]})
    body = response.json()
    assert (response.status_code, body["code"]) == (400, "VALIDATION_ERROR")
    assert body["fieldErrors"][0]["field"] == "password"
    garbled = api.http.post("/authorization", content=b"{not json", headers={"Content-Type": "application/json"})
    assert (garbled.status_code, garbled.json()["code"]) == (400, "VALIDATION_ERROR")


def test_tokens_expire_after_their_lifetime(sim, api, clock):
    token = api.token(sim, ANNA)
    clock.advance(899)
    assert api.get("/coins", token).status_code == 200
    clock.advance(1)
    response = api.get("/coins", token)
    assert (response.status_code, response.json()["code"]) == (401, "TOKEN_EXPIRED")
    fresh = api.token(sim, ANNA)  # "to refresh a token, request a new one"
    assert api.get("/coins", fresh).status_code == 200


def test_token_lifetime_is_configurable(make_sim, api, clock):
    sim = make_sim(token_lifetime=60)
    token = api.token(sim, ANNA)
    clock.advance(61)
    assert api.get("/coins", token).status_code == 401


@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer not-a-token", "Basic abc"])
def test_missing_or_unknown_tokens_are_401(sim, api, header):
    headers = {} if header is None else {"Authorization": header}
    response = api.http.get("/coins", headers=headers)
    assert (response.status_code, response.json()["code"]) == (401, "UNAUTHORIZED")


def test_the_bare_token_is_accepted_in_the_authorization_header(sim, api):
    token = api.token(sim, ANNA)
    assert api.http.get("/coins", headers={"Authorization": token}).status_code == 200


def test_unknown_paths_are_404_and_wrong_methods_405(sim, api):
    token = api.token(sim, ANNA)
    assert api.get("/nothing-here", token).status_code == 404
    assert api.post("/coins", {}, token).status_code == 405
