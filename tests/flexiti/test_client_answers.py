"""The client on canned answers: error shapes the documentation shows, garbled answers, and
the token life cycle edge cases the simulator cannot produce."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import httpx
import pytest

from kiosk.backends.base import AuthenticationFailed, BusinessError, HostUnreachable, OutcomeUnknown
from kiosk.backends.flexiti import (
    CustomerNotFound,
    FlexitiClient,
    InvalidRequest,
    Verification,
    WrongVerificationCode,
    redact_url,
)
from kiosk.money import Money

from .conftest import Clock, exception_text

SECRET = "s3cr3t-Client-Secret"
PIN = "482913"
ANSWER = "Mrs Whiskers"
TOKEN_BODY = {"token_type": "bearer", "access_token": "a" * 40, "expires_in": 300, "refresh_token": "r" * 40}


class Host:
    """A MockTransport handler: token answers and API answers by last path segment."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.token_answers: list[httpx.Response | Exception] = []
        self.answers: dict[str, Callable[[httpx.Request], httpx.Response] | httpx.Response] = {}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        name = request.url.path.rsplit("/", 1)[-1]
        if name == "token":
            answer: Any = self.token_answers.pop(0) if self.token_answers else httpx.Response(200, json=TOKEN_BODY)
        else:
            answer = self.answers[name]
        if isinstance(answer, Exception):
            answer.request = request  # type: ignore[attr-defined]
            raise answer
        return answer(request) if callable(answer) else answer

    def paths(self) -> list[str]:
        return [r.url.path.rsplit("/", 1)[-1] for r in self.requests]


@pytest.fixture
def host() -> Host:
    return Host()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def client(host: Host, clock: Clock):
    with FlexitiClient("https://posapi.example", "flexitidemo", SECRET, transport=httpx.MockTransport(host),
                       clock=clock) as flexiti:
        yield flexiti


def cad(text: str) -> Money:
    return Money(Decimal(text), "CAD")


def pay(client: FlexitiClient) -> Any:
    return client.transaction("deposit", "116574819", cad("10.00"), PIN, "req-1", "key-1")


def test_the_default_base_path_and_headers(client, host):
    host.answers["transactions"] = httpx.Response(200, json={"transaction_id": 700001, "total_amount": "10.00"})
    result = pay(client)
    assert result.transaction_id == "700001"
    token, request = host.requests
    assert token.url.path == "/flexiti/pos-api/v2.5/oauth/token"
    assert token.headers["content-type"] == "application/x-www-form-urlencoded"
    assert request.url.path == "/flexiti/pos-api/v2.5/client-id/flexitidemo/transactions"
    assert request.headers["authorization"] == "Bearer " + "a" * 40
    assert len(request.headers["x-reference-id"]) == 32 and request.headers["x-idempotency-key"] == "key-1"
    body = json.loads(request.content)
    assert body == {"transaction_type": "deposit", "amount": 10, "account_number": "116574819",
                    "verification_code": PIN, "request_id": "req-1"}
    assert b'"amount":10' in request.content  # an exact JSON number, never a float's digits


def test_older_error_shape_is_understood(client, host):
    host.answers["transactions"] = httpx.Response(
        409, json={"code": 409, "error": "wrong_verification_code", "error_description": "wrong_verification_code"})
    with pytest.raises(WrongVerificationCode):
        pay(client)


def test_unknown_refusal_keeps_the_host_reason_without_secrets(client, host):
    message = f"Cannot post: pin {PIN} for client secret {SECRET} and answer {ANSWER.upper()}"
    host.answers["verify"] = httpx.Response(409, json={"url": "/x", "message": message, "error": "odd_thing",
                                                       "field_errors": []})
    with pytest.raises(BusinessError) as caught:
        client.verify("116574819", "security_question", request_id="r", security_qid="1", security_answer=ANSWER)
    text = exception_text(caught.value)
    assert "Cannot post" in text and "odd_thing" in text
    for secret in (PIN, SECRET, ANSWER, ANSWER.upper()):
        assert secret not in text


def test_field_errors_are_named_never_shown(client, host):
    host.answers["verify"] = httpx.Response(400, json={
        "url": "/x", "message": "Some inputs are wrong!", "error": "wrong_inputs",
        "field_errors": [{"param": "security_answer", "msg": "invalid", "value": ANSWER}]})
    with pytest.raises(InvalidRequest) as caught:
        client.verify("116574819", "security_question", request_id="r", security_qid="1", security_answer=ANSWER)
    assert "fields: security_answer" in str(caught.value) and ANSWER not in exception_text(caught.value)


def test_a_second_401_is_authentication_failed(client, host):
    host.answers["lookup"] = httpx.Response(401, json={"code": 401, "error": "invalid_token"})
    with pytest.raises(AuthenticationFailed, match="twice"):
        client.lookup_by_account("116574819")
    assert host.paths() == ["token", "lookup", "token", "lookup"]


def test_403_and_blocked_requests_are_authentication_failed(client, host):
    for status in (403, 466):
        host.answers["lookup"] = httpx.Response(status, json={"code": status, "error": "insufficient_scope"})
        with pytest.raises(AuthenticationFailed, match="not provisioned"):
            client.lookup_by_account("116574819")


def test_busy_host_is_unreachable(client, host):
    host.answers["transactions"] = httpx.Response(429, text="slow down")
    with pytest.raises(HostUnreachable, match="busy"):
        pay(client)


def test_garbled_answers(client, host):
    host.answers["transactions"] = httpx.Response(200, content=b"<html>oops</html>")
    with pytest.raises(OutcomeUnknown, match="could not be read"):
        pay(client)
    host.answers["transactions"] = httpx.Response(200, json={"transaction_id": "1", "total_amount": "100.00"})
    with pytest.raises(OutcomeUnknown, match="not the amount sent"):
        pay(client)
    host.answers["transactions"] = httpx.Response(200, json={"total_amount": "10.00"})
    with pytest.raises(OutcomeUnknown, match="transaction id"):
        pay(client)
    host.answers["lookup"] = httpx.Response(200, json={"account_number": "abc"})
    with pytest.raises(HostUnreachable):
        client.lookup_by_account("116574819")
    host.answers["verify"] = httpx.Response(200, json={"verification_code": "verification_sent_to_pigeon"})
    with pytest.raises(OutcomeUnknown):
        client.verify("116574819", "sms", request_id="r")


def test_verify_answers(client, host):
    host.answers["verify"] = httpx.Response(200, json={"verification_code": 24856785})
    found = client.verify("116574819", "security_question", request_id="r", security_qid="1", security_answer="x")
    assert found == Verification("security_question", "24856785", None)
    assert "24856785" not in repr(found)
    host.answers["verify"] = httpx.Response(200, json={"verification_code": "verification_sent_to_email"})
    assert client.verify("116574819", "email", request_id="r").sent_to == "email"


def test_search_404_is_an_empty_list_and_lookup_404_an_error(client, host):
    host.answers["search"] = httpx.Response(404, json={"error": "not_found", "message": "x"})
    assert client.lookup_by_name("A", "B", "2000-01-01") == []
    host.answers["lookup"] = httpx.Response(404, json={"error": "not_found", "message": "x"})
    with pytest.raises(CustomerNotFound):
        client.lookup_by_account("1")


def test_an_unreadable_token_answer_is_unreachable(client, host):
    host.token_answers = [httpx.Response(200, json={"access_token": "a" * 40})]
    with pytest.raises(HostUnreachable, match="token"):
        client.lookup_by_account("1")
    host.token_answers = [httpx.Response(503, text="down")]
    with pytest.raises(HostUnreachable, match="nothing was sent"):
        client.lookup_by_account("1")


def test_refresh_failing_on_the_network_keeps_the_still_valid_token(client, host, clock):
    host.answers["lookup"] = httpx.Response(200, json={"account_number": 1, "available_credit": 5})
    client.lookup_by_account("1")
    clock.advance(290)
    host.token_answers = [httpx.ConnectError("refused")]
    client.lookup_by_account("1")
    assert host.paths() == ["token", "lookup", "token", "lookup"]
    assert host.requests[-1].headers["authorization"] == "Bearer " + "a" * 40


def test_a_short_token_lifetime_does_not_refresh_on_every_call(client, host, clock):
    host.token_answers = [httpx.Response(200, json={**TOKEN_BODY, "expires_in": 20})]
    host.answers["lookup"] = httpx.Response(200, json={"account_number": 1, "available_credit": 5})
    client.lookup_by_account("1")
    client.lookup_by_account("1")
    assert host.paths().count("token") == 1


def test_arguments_are_checked_before_anything_is_sent(client, host):
    with pytest.raises(ValueError):
        client.transaction("tradein", "1", cad("1.00"), PIN, "r", "k")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        client.transaction("deposit", "1", Money(Decimal("1.00"), "USD"), PIN, "r", "k")
    with pytest.raises(ValueError):
        client.transaction("deposit", "12-34", cad("1.00"), PIN, "r", "k")
    with pytest.raises(ValueError):
        client.transaction("deposit", "1", cad("1.00"), PIN, "r", "")
    with pytest.raises(ValueError):
        client.verify("1", "telepathy", request_id="r")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        client.verify("1", "security_question", request_id="r", security_qid="1")
    with pytest.raises(ValueError):
        FlexitiClient("ftp://x", "id", "secret")
    with pytest.raises(ValueError):
        FlexitiClient("https://x", "id", "")
    assert host.requests == []


def test_reprs_hold_no_secret(client):
    assert SECRET not in repr(client) and SECRET not in str(vars(client))
    assert "posapi.example/flexiti/pos-api/v2.5" in repr(client)


def test_redact_url():
    assert redact_url("GET https://h/flexiti/pos-api/v2.5/client-id/c/customers/search?first_name=Jane&dob=1985-03-14"
                      ) == "GET https://h/flexiti/pos-api/v2.5/client-id/c/customers/search?******"
    assert redact_url("/flexiti/pos-api/v2.5/client-id/c/account/116574819/verify").endswith("/account/****4819/verify")
