"""OAuth client credentials, token expiry and refresh, bearer and x-reference-id checks."""

from __future__ import annotations

import httpx

from kiosk.sim.flexiti import BASE_PATH, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET

from .conftest import JANE, error_of


def test_client_credentials_give_a_bearer_token(sim, api):
    response = api.token()
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 300 and body["scope"] == "merchant"
    assert len(body["access_token"]) == 40 and body["refresh_token"] != body["access_token"]
    api.access_token = body["access_token"]
    assert api.lookup(account_number=JANE).status_code == 200


def test_token_lifetime_is_configurable(make_sim, api):
    make_sim(token_lifetime=60)
    assert api.token().json()["expires_in"] == 60


def test_wrong_secret_or_unknown_client_is_invalid_client(sim, api):
    for form in ({"client_secret": "nope"}, {"client_id": "someone-else"}, {"client_secret": None}):
        response = api.token(**form)
        assert response.status_code == 400 and response.json()["error"] == "invalid_client", form


def test_token_wants_a_form_not_json(sim, api):
    response = api.http.post("/oauth/token", json={"client_id": DEMO_CLIENT_ID, "client_secret": DEMO_CLIENT_SECRET,
                                                   "grant_type": "client_credentials", "scope": "merchant"})
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"


def test_unknown_grant_and_scope_are_refused(sim, api):
    assert api.token(grant_type="password").json()["error"] == "invalid_request"
    assert api.token(scope="admin").json()["error"] == "invalid_scope"


def test_expired_token_is_refused_with_401(sim, api, clock):
    api.login()
    clock.advance(299)
    assert api.lookup(account_number=JANE).status_code == 200
    clock.advance(1)
    response = api.lookup(account_number=JANE)
    assert response.status_code == 401 and response.json()["error"] == "invalid_token"
    assert "expired" in response.json()["error_description"]


def test_missing_or_unknown_bearer_is_401(sim, api):
    url = f"/client-id/{DEMO_CLIENT_ID}/customers/lookup?account_number={JANE}"
    assert api.http.get(url, headers={"x-reference-id": "r"}).status_code == 401
    assert api.http.get(url, headers={"x-reference-id": "r", "authorization": "Bearer " + "0" * 40}).status_code == 401
    assert api.http.get(url, headers={"x-reference-id": "r", "authorization": "Basic abc"}).status_code == 401


def test_refresh_token_gives_a_new_token_once_and_only_before_expiry(sim, api, clock):
    first = api.token().json()
    clock.advance(100)
    refreshed = api.token(grant_type="refresh_token", refresh_token=first["refresh_token"], scope=None)
    assert refreshed.status_code == 200
    assert refreshed.json()["access_token"] != first["access_token"]
    again = api.token(grant_type="refresh_token", refresh_token=first["refresh_token"], scope=None)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"  # single use
    second = refreshed.json()
    clock.advance(300)  # the second token has expired: its refresh token is dead too
    late = api.token(grant_type="refresh_token", refresh_token=second["refresh_token"], scope=None)
    assert late.status_code == 400 and late.json()["error"] == "invalid_grant"


def test_customer_scope_cannot_post_transactions(sim, api):
    api.login(scope="customer")
    assert api.verify(JANE, format="sms").status_code == 200  # a customer-scope endpoint
    response = api.transaction(amount=10, account_number=JANE, verification_code="1234")
    assert response.status_code == 403 and response.json()["error"] == "insufficient_scope"


def test_every_call_needs_an_x_reference_id(sim, api):
    headers = api.headers()
    del headers["x-reference-id"]
    response = api.verify(JANE, headers=headers, format="sms")
    assert response.status_code == 400 and error_of(response) == "wrong_inputs"
    assert response.json()["field_errors"][0]["param"] == "x-reference-id"
    assert response.json()["url"].startswith(BASE_PATH)
    assert sim.last_pin(JANE) is None  # refused before anything was sent


def test_another_clients_path_is_invalid_role(sim, api):
    response = api.http.get(f"/client-id/someone-else/customers/lookup?account_number={JANE}", headers=api.headers())
    assert response.status_code == 409 and error_of(response) == "invalid_role"


def test_unknown_paths_are_404(sim, api, server):
    assert api.http.get("/client-id/x/nothing", headers=api.headers()).status_code == 404
    assert httpx.get(server.url + "/v1/pos/echo").status_code == 404
