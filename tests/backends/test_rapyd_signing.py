"""The request signature and the exact requests the client sends.

Expected signatures are computed here from the published formula with hmac/hashlib/base64,
never by calling the client's signing code.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import string
from decimal import Decimal

import httpx
import pytest

from kiosk.backends.rapyd import RapydClient
from kiosk.backends.signing import compact_json, new_salt, sign_request
from kiosk.money import Money

from .conftest import ACCESS_KEY, GBP_ACCOUNT, NOW, OTP, PHONE, POS_ID, SECRET_KEY, FakeHost


def formula(method: str, path: str, salt: str, timestamp: str, body: str) -> str:
    to_sign = method.lower() + path + salt + timestamp + ACCESS_KEY + SECRET_KEY + body
    digest = hmac.new(SECRET_KEY.encode(), to_sign.encode(), hashlib.sha256).hexdigest()
    return base64.b64encode(digest.encode()).decode()


def test_signature_of_an_empty_body_follows_the_formula() -> None:
    path = f"/v1/pos/login/{POS_ID}/{OTP}"
    expected = formula("POST", path, "abcdefgh1234", "1700000000", "")
    assert sign_request("POST", path, "abcdefgh1234", 1700000000, ACCESS_KEY, SECRET_KEY) == expected
    # base64 of a 64-character hex digest: 88 characters ending "="
    assert len(expected) == 88 and expected.endswith("=")
    assert base64.b64decode(expected).decode() == base64.b64decode(expected).decode().lower()


def test_signature_of_a_json_body_follows_the_formula() -> None:
    body = '{"metadata":{"till":"T1","n":2}}'
    path = "/v1/pos/deposit/10.5/EUR"
    expected = formula("POST", path, "SALTsalt99", "1700000123", body)
    assert sign_request("post", path, "SALTsalt99", 1700000123, ACCESS_KEY, SECRET_KEY, body) == expected
    # The body is part of what is signed: one changed character changes the signature.
    assert sign_request("POST", path, "SALTsalt99", 1700000123, ACCESS_KEY, SECRET_KEY, body + " ") != expected


def test_query_string_is_signed_as_sent() -> None:
    path = "/v1/pos/echo?x=1"
    assert sign_request("GET", path, "s" * 8, 1, ACCESS_KEY, SECRET_KEY) == formula("GET", path, "s" * 8, "1", "")


def test_signed_path_must_start_at_v1() -> None:
    with pytest.raises(ValueError):
        sign_request("GET", "https://sandboxpos.rapyd.net/v1/pos/echo", "s" * 8, 1, ACCESS_KEY, SECRET_KEY)


def test_compact_json_has_no_whitespace_outside_strings() -> None:
    text = compact_json({"metadata": {"note": "a b", "items": [1, 2], "nested": {"k": None}}})
    assert text == '{"metadata":{"note":"a b","items":[1,2],"nested":{"k":null}}}'
    assert compact_json({"name": "Zoë"}) == '{"name":"Zo\\u00eb"}'  # ASCII bytes on the wire
    with pytest.raises(ValueError):
        compact_json({"x": float("nan")})


def test_salts_are_fresh_and_8_to_16_characters() -> None:
    salts = {new_salt() for _ in range(200)}
    assert len(salts) == 200
    for salt in salts:
        assert 8 <= len(salt) <= 16
        assert set(salt) <= set(string.ascii_letters + string.digits)
    with pytest.raises(ValueError):
        new_salt(7)


def _client(host: FakeHost, **kwargs) -> RapydClient:
    return RapydClient(
        "https://sandboxpos.rapyd.net",
        ACCESS_KEY,
        SECRET_KEY,
        POS_ID,
        transport=httpx.MockTransport(host),
        clock=lambda: NOW + 0.9,
        **kwargs,
    )


def _check_signed(request: httpx.Request) -> None:
    """The request's signature is the formula over the exact path and body bytes sent."""
    path = request.url.raw_path.decode("ascii")
    path = path[path.index("/v1/") :]
    expected = formula(
        request.method, path, request.headers["salt"], request.headers["timestamp"], request.content.decode()
    )
    assert request.headers["signature"] == expected


AUTH_HEADERS = {"access_key", "salt", "timestamp", "signature", "content-type"}
LIBRARY_HEADERS = {"host", "accept", "accept-encoding", "connection", "user-agent", "content-length"}


def test_open_session_request_is_exactly_as_documented() -> None:
    host = FakeHost()
    with _client(host) as client:
        client.open_session(PHONE, OTP, idempotency="visit-1:login")
    (request,) = host.requests
    assert request.method == "POST"
    assert request.url.raw_path == f"/v1/pos/login/{POS_ID}/{OTP}".encode()
    assert set(request.headers) - LIBRARY_HEADERS == AUTH_HEADERS | {"phone_number", "idempotency"}
    assert request.headers["access_key"] == ACCESS_KEY
    assert request.headers["phone_number"] == PHONE
    assert request.headers["idempotency"] == "visit-1:login"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["timestamp"] == str(int(NOW))  # whole seconds, not rounded up
    assert request.content == b""  # an empty body is sent as nothing, and signed as ""
    assert request.headers.get("content-length", "0") == "0"
    assert SECRET_KEY not in str(request.headers) and SECRET_KEY not in request.url.path
    _check_signed(request)


def test_money_calls_send_the_session_headers_and_are_signed() -> None:
    host = FakeHost()
    with _client(host) as client:
        session = client.open_session(PHONE, OTP, idempotency="k-login")
        gbp10 = Money(Decimal("10.00"), "GBP")
        client.withdraw(session, GBP_ACCOUNT, gbp10, idempotency="k-wd")
        client.reverse_withdrawal(session, GBP_ACCOUNT, gbp10, "tx-wd-1", idempotency="k-rev")
        client.deposit(session, Money(Decimal("10.50"), "EUR"), idempotency="k-dep")
        client.close_session(session, idempotency="k-out")
        client.echo()
    login, withdraw, reversal, deposit, logout, echo = host.requests
    assert withdraw.url.path == f"/v1/pos/withdraw/{GBP_ACCOUNT}/10"
    assert reversal.url.path == f"/v1/pos/reversal/{GBP_ACCOUNT}/10"
    assert reversal.headers["transaction_id"] == "tx-wd-1"
    assert deposit.url.path == "/v1/pos/deposit/10.5/EUR"
    assert logout.url.path == "/v1/pos/logout"
    for request, key in ((withdraw, "k-wd"), (reversal, "k-rev"), (deposit, "k-dep"), (logout, "k-out")):
        assert request.method == "POST"
        assert request.headers["token_id"] == "d9b7398f-5c2f-438c-8ac6-68e79f28c02e"
        assert request.headers["operation_id"] == "95e2c071-9513-48d6-a717-a480814f7df8"
        assert request.headers["phone_number"] == PHONE
        assert request.headers["idempotency"] == key
        assert request.content == b""
    assert echo.method == "GET" and echo.url.path == "/v1/pos/echo"
    assert "idempotency" not in echo.headers and "phone_number" not in echo.headers
    for request in host.requests:
        _check_signed(request)
    salts = [r.headers["salt"] for r in host.requests]
    assert len(set(salts)) == len(salts)  # fresh per request


def test_json_body_is_compact_and_exactly_what_was_signed() -> None:
    host = FakeHost()
    with _client(host) as client:
        session = client.open_session(PHONE, OTP, idempotency="k1")
        client.deposit(
            session, Money(Decimal("20.00"), "GBP"), idempotency="k2", metadata={"till": "T 1", "shift": 7}
        )
    deposit = host.requests[1]
    assert deposit.content == b'{"metadata":{"till":"T 1","shift":7}}'
    assert json.loads(deposit.content) == {"metadata": {"till": "T 1", "shift": 7}}
    _check_signed(deposit)


def test_timestamp_can_be_back_dated() -> None:
    host = FakeHost()
    with _client(host, timestamp_backdate=10) as client:
        client.echo()
    assert host.requests[0].headers["timestamp"] == str(int(NOW) - 10)
    _check_signed(host.requests[0])


def test_base_url_with_a_path_prefix_signs_from_v1() -> None:
    sent: list[httpx.Request] = []

    def gateway(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={"status": {"status": "SUCCESS"}})

    client = RapydClient(
        "https://proxy.example/gateway", ACCESS_KEY, SECRET_KEY, POS_ID,
        transport=httpx.MockTransport(gateway), clock=lambda: NOW,
    )
    client.echo()
    assert sent[0].url.raw_path == b"/gateway/v1/pos/echo"
    _check_signed(sent[0])  # signed over "/v1/pos/echo", the part from /v1 on
