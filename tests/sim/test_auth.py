"""Request authentication (REFERENCE §1): every way a request can fail to be authentic."""

from __future__ import annotations

import pytest

from kiosk.sim.rapyd import DEMO_ACCESS_KEY
from tests.sim.pos import error_code, ok_data, signature


def test_a_correctly_signed_echo_succeeds(sim, pos):
    response = pos.echo()
    ok_data(response)
    assert response.json()["status"]["error_code"] == "0"


@pytest.mark.parametrize("header", ["access_key", "salt", "timestamp", "signature"])
def test_each_missing_header_is_400(sim, pos, header):
    headers = pos.auth_headers("GET", "/v1/pos/echo")
    del headers[header]
    response = pos.http.get("/v1/pos/echo", headers=headers)
    assert response.status_code == 400
    assert error_code(response) == "MISSING_AUTHENTICATION_HEADERS"


@pytest.mark.parametrize("timestamp", ["abc", "1.8e9", "-5", "12x"])
def test_a_non_numeric_timestamp_is_400(sim, pos, timestamp):
    response = pos.echo(timestamp=timestamp)
    assert response.status_code == 400
    assert error_code(response) == "MISSING_AUTHENTICATION_HEADERS"


def test_an_unknown_access_key_is_401(sim, pos):
    response = pos.echo(access_key="0000000000000000")
    assert response.status_code == 401
    assert error_code(response) == "UNAUTHENTICATED_API_CALL"


def test_a_signature_made_with_another_secret_is_401(sim, pos):
    response = pos.echo(secret="not-the-secret")
    assert response.status_code == 401
    assert error_code(response) == "UNAUTHENTICATED_API_CALL"


def test_a_tampered_signature_is_401(sim, pos):
    headers = pos.auth_headers("GET", "/v1/pos/echo")
    headers["signature"] = headers["signature"][:-4] + "AAA="
    response = pos.http.get("/v1/pos/echo", headers=headers)
    assert (response.status_code, error_code(response)) == (401, "UNAUTHENTICATED_API_CALL")


def test_the_signature_is_base64_of_the_lowercase_hex_digest(sim, pos, clock):
    # An uppercase hex digest, or the raw digest in base64, is a different signature.
    import base64
    import hashlib
    import hmac

    from kiosk.sim.rapyd import DEMO_SECRET_KEY

    ts, salt = str(int(clock())), "abcdefgh12"
    to_sign = ("get/v1/pos/echo" + salt + ts + DEMO_ACCESS_KEY + DEMO_SECRET_KEY).encode()
    mac = hmac.new(DEMO_SECRET_KEY.encode(), to_sign, hashlib.sha256)
    for wrong in (base64.b64encode(mac.hexdigest().upper().encode()), base64.b64encode(mac.digest())):
        headers = {"access_key": DEMO_ACCESS_KEY, "salt": salt, "timestamp": ts, "signature": wrong.decode()}
        response = pos.http.get("/v1/pos/echo", headers=headers)
        assert response.status_code == 401
    good = base64.b64encode(mac.hexdigest().encode()).decode()
    assert len(good) == 88 and good.endswith("==")
    headers = {"access_key": DEMO_ACCESS_KEY, "salt": salt, "timestamp": ts, "signature": good}
    ok_data(pos.http.get("/v1/pos/echo", headers=headers))


@pytest.mark.parametrize("salt,accepted", [("1234567", False), ("12345678", True), ("a" * 16, True), ("a" * 17, False)])
def test_the_salt_must_be_8_to_16_characters(sim, pos, salt, accepted):
    response = pos.echo(salt=salt)
    if accepted:
        ok_data(response)
    else:
        assert (response.status_code, error_code(response)) == (401, "UNAUTHENTICATED_API_CALL")


@pytest.mark.parametrize("offset,accepted", [(-60, True), (-61, False), (-3600, False), (5, True), (6, False), (600, False)])
def test_the_timestamp_window(sim, pos, clock, offset, accepted):
    response = pos.echo(timestamp=str(int(clock()) + offset))
    if accepted:
        ok_data(response)
    else:
        assert (response.status_code, error_code(response)) == (401, "UNAUTHENTICATED_API_CALL")


@pytest.mark.parametrize(
    "method,path",
    [("GET", "/v1/pos/nothing"), ("GET", "/v1/pos/logout"), ("POST", "/v1/pos/echo"), ("GET", "/v1/pos/echo/"), ("GET", "/")],
)
def test_an_unknown_path_or_method_is_401_unauthorized(sim, pos, method, path):
    response = pos.call(method, path)
    assert (response.status_code, error_code(response)) == (401, "UNAUTHORIZED_API_CALL")


def test_an_unknown_path_with_a_bad_signature_is_unauthenticated(sim, pos):
    response = pos.call("GET", "/v1/pos/nothing", secret="wrong")
    assert (response.status_code, error_code(response)) == (401, "UNAUTHENTICATED_API_CALL")


def test_the_query_string_is_part_of_the_signed_path(sim, pos):
    body = b""
    ok_data(pos.call("GET", "/v1/pos/echo?lang=en", body=body))
    headers = pos.auth_headers("GET", "/v1/pos/echo")  # signed without the query
    response = pos.http.get("/v1/pos/echo?lang=en", headers=headers)
    assert response.status_code == 401


def test_the_body_is_verified_by_its_exact_bytes(sim, pos):
    s = pos.open_session(sim, "+14155559992")
    pretty = b'{\n  "metadata": {"till": 1}\n}'
    # Signed over the exact (non-compact) bytes sent: accepted.
    response = pos.deposit(s, "5", "GBP", body=pretty)
    assert ok_data(response)["metadata"] == {"till": 1}
    # Signed over a compact rendering but sending the pretty one: refused.
    s2 = pos.open_session(sim, "+447700900123")
    path = "/v1/pos/deposit/5/GBP"
    headers = {**pos.auth_headers("POST", path, b'{"metadata":{"till":1}}'), **s2.headers}
    response = pos.http.post(path, headers=headers, content=pretty)
    assert (response.status_code, error_code(response)) == (401, "UNAUTHENTICATED_API_CALL")


def test_an_empty_body_is_signed_as_the_empty_string_not_braces(sim, pos):
    headers = pos.auth_headers("POST", "/v1/pos/logout", b"{}")
    response = pos.http.post("/v1/pos/logout", headers=headers)
    assert response.status_code == 401


def test_a_replayed_request_is_refused(sim, pos):
    headers = pos.auth_headers("GET", "/v1/pos/echo")
    ok_data(pos.http.get("/v1/pos/echo", headers=headers))
    response = pos.http.get("/v1/pos/echo", headers=headers)
    assert (response.status_code, error_code(response)) == (401, "UNAUTHENTICATED_API_CALL")


def test_error_envelope_shape(sim, pos):
    status = pos.echo(secret="wrong").json()["status"]
    assert status["status"] == "ERROR"
    assert status["response_code"] == status["error_code"] == "UNAUTHENTICATED_API_CALL"
    assert set(status) == {"error_code", "status", "message", "response_code", "operation_id"}


def test_signature_helper_matches_an_independent_rendering():
    sig = signature("GET", "/v1/pos/echo", "salt1234", "1", DEMO_ACCESS_KEY, "s", b"")
    assert len(sig) == 88
