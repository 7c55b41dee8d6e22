"""Self-registration (seed 002): POST /registration sends a one-time code to the login, and
POST /registration/confirm with that code and a password that meets the platform's rule makes
the user and answers like a sign-in. No token is needed; a refusal makes no user."""

from __future__ import annotations

import pytest

from .conftest import ANNA

ARABIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
NEW = "noor.haddad@example.com"
PASSWORD = "Noor#2024wallet"


def refused(response, status, code, field=None) -> bool:
    document = response.json()
    if field is not None and field not in [e["field"] for e in document.get("fieldErrors", [])]:
        return False
    return response.status_code == status and document["code"] == code


def register(api, login=NEW, role="individual", **extra):
    return api.post("/registration", {"login": login, "role": role, **extra})


def test_registering_sends_a_code_and_confirming_makes_the_user_with_a_token(sim, api):
    assert register(api).json() == {"action": "OTP_SENT"}
    assert sim.books.user_by_login(NEW) is None  # nobody until the code comes back
    code = sim.pending_otp(NEW)
    assert code is not None and len(code) == 6 and code.isdigit()
    assert api.control.get("/otp", params={"login": NEW}).json()["otp"] == code
    confirmed = api.post("/registration/confirm", {"login": NEW, "otp": code, "password": PASSWORD})
    (member,) = confirmed.json()["members"]
    assert member["user"]["id"] and member["organization"]["id"] and member["role"] == "individual"
    assert api.get("/coins", member["token"]["token"]).json() == {"coins": []}
    signed_in = api.post("/authorization", {"login": NEW, "password": PASSWORD}).json()["members"][0]
    assert signed_in["user"]["id"] == member["user"]["id"]
    assert sim.pending_otp(NEW) is None
    assert PASSWORD not in str(sim.info())  # a password the user chose is never shown


def test_a_merchant_registers_with_the_legal_type_the_seed_names(sim, api):
    assert refused(register(api, role="merchant"), 400, "VALIDATION_ERROR", "legalType")
    assert register(api, role="merchant", legalType="individual").json() == {"action": "OTP_SENT"}
    confirmed = api.post("/registration/confirm", {"login": NEW, "otp": sim.pending_otp(NEW), "password": PASSWORD})
    assert confirmed.json()["members"][0]["role"] == "merchant"


@pytest.mark.parametrize("body, field", [
    ({"role": "individual"}, "login"),
    ({"login": NEW}, "role"),
    ({"login": NEW, "role": "administrator"}, "role"),  # no one makes themselves an administrator
    ({"login": "+447700900123".translate(FULL_WIDTH), "role": "individual"}, "login"),
])
def test_a_registration_without_a_usable_login_or_role_sends_nothing(sim, api, body, field):
    assert refused(api.post("/registration", body), 400, "VALIDATION_ERROR", field)
    assert sim.books.registration(NEW) is None


def test_a_login_that_is_taken_is_409_and_no_code_is_sent(sim, api):
    assert refused(register(api, login=ANNA["login"]), 409, "USER_ALREADY_EXISTS", "login")
    assert sim.pending_otp(ANNA["login"]) is None


@pytest.mark.parametrize("password, missing", [
    ("noor#2024wallet", "upper-case"), ("NOOR#2024WALLET", "lower-case"), ("Noor#wallet", "digit"),
    ("Noor2024wallet", "one of"), ("No#1a", "8 characters"), ("Noor#٢٠٢٤wallet", "digit"),
])
def test_a_password_that_breaks_the_rule_is_refused_and_costs_no_try(sim, api, password, missing):
    register(api)
    code = sim.pending_otp(NEW)
    response = api.post("/registration/confirm", {"login": NEW, "otp": code, "password": password})
    assert refused(response, 400, "VALIDATION_ERROR", "password") and missing in response.json()["fieldErrors"][0]["message"]
    assert sim.books.registration(NEW).failures == 0 and sim.books.user_by_login(NEW) is None
    assert api.post("/registration/confirm", {"login": NEW, "otp": code, "password": PASSWORD}).status_code == 200


def test_three_wrong_codes_end_the_registration(sim, api):
    register(api)
    code = sim.pending_otp(NEW)
    wrong = "000000" if code != "000000" else "111111"
    first = api.post("/registration/confirm", {"login": NEW, "otp": wrong, "password": PASSWORD})
    assert refused(first, 400, "OTP_INVALID") and "2 attempt" in first.json()["message"]
    api.post("/registration/confirm", {"login": NEW, "otp": wrong, "password": PASSWORD})
    third = api.post("/registration/confirm", {"login": NEW, "otp": wrong, "password": PASSWORD})
    assert refused(third, 400, "OTP_ATTEMPTS_EXCEEDED")
    late = api.post("/registration/confirm", {"login": NEW, "otp": code, "password": PASSWORD})
    assert refused(late, 400, "OTP_EXPIRED") and sim.books.user_by_login(NEW) is None


def test_the_code_expires_and_an_unknown_login_has_none(sim, api, clock):
    register(api)
    code = sim.pending_otp(NEW)
    clock.advance(301)
    expired = api.post("/registration/confirm", {"login": NEW, "otp": code, "password": PASSWORD})
    assert refused(expired, 400, "OTP_EXPIRED") and sim.books.user_by_login(NEW) is None
    nobody = api.post("/registration/confirm", {"login": "nobody@example.com", "otp": "123456", "password": PASSWORD})
    assert refused(nobody, 400, "OTP_EXPIRED")


def test_a_code_in_other_digits_is_a_validation_error_not_a_wrong_try(sim, api):
    register(api)
    code = sim.pending_otp(NEW)
    for digits in (ARABIC, FULL_WIDTH):
        response = api.post("/registration/confirm", {"login": NEW, "otp": code.translate(digits), "password": PASSWORD})
        assert refused(response, 400, "VALIDATION_ERROR", "otp")
    assert sim.books.registration(NEW).failures == 0


def test_a_sign_in_code_and_a_registration_code_never_stand_in_for_each_other(sim, api):
    register(api)
    code = sim.pending_otp(NEW)
    assert refused(api.post("/authorization/confirm", {"login": NEW, "otp": code}), 400, "OTP_EXPIRED")
    assert sim.pending_otp(NEW) == code  # the registration is untouched
