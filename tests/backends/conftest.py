"""Shared pieces for the back-end client tests: fixed credentials, a canned host, leak checks."""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from kiosk.backends.rapyd import RapydClient

BASE_URL = "https://sandboxpos.rapyd.net"
ACCESS_KEY = "AK8C6223151345345D"
SECRET_KEY = "SKe4b1c7f0a9d2"
POS_ID = "z128ffb-11a5-11l9-93p5-1231a8maf28"
PHONE = "+14155559992"
OTP = "876680"
NOW = 1_700_000_000.0

# What must never show up in a message, a log line or a traceback.
SECRETS = (OTP, PHONE, PHONE.lstrip("+"), ACCESS_KEY, SECRET_KEY)

Answer = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


def envelope(data: Any = None, *, error_code: str = "", status: str = "SUCCESS", message: str = "") -> dict:
    body: dict[str, Any] = {
        "status": {
            "error_code": error_code,
            "status": status,
            "message": message,
            "response_code": "",
            "operation_id": "0c211a3c-a4c4-4708-bbe9-7628ddd07437",
        }
    }
    if data is not None:
        body["data"] = data
    return body


def refusal(code: str, message: str = "") -> dict:
    return envelope(error_code=code, status="ERROR", message=message)


LOGIN_DATA = {
    "token_id": "d9b7398f-5c2f-438c-8ac6-68e79f28c02e",
    "operation_id": "95e2c071-9513-48d6-a717-a480814f7df8",
    "accounts": [
        {
            "account_id": "64e4a964-53b5-11e9-8495-02f0df928b",
            "account_currency": "GBP",
            "account_alias": "GBP",
            "account_balance": 189,
            "account_currency_symbol": "£",
        }
    ],
}
GBP_ACCOUNT = "64e4a964-53b5-11e9-8495-02f0df928b"


class FakeHost:
    """A MockTransport handler: one canned answer per operation (login, withdraw, ...), and a
    record of every request. An exception answer is raised with the request attached, the way
    httpx's real transports do (so its text holds the full URL, OTP included)."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.answers: dict[str, Answer] = {
            "echo": httpx.Response(200, json=envelope()),
            "login": httpx.Response(200, json=envelope(LOGIN_DATA, error_code="0")),
            "deposit": httpx.Response(200, json=envelope({"transaction_id": "tx-dep-1", "metadata": {}})),
            "withdraw": httpx.Response(200, json=envelope({"transaction_id": "tx-wd-1"})),
            "reversal": httpx.Response(200, json=envelope({"transaction_id": "tx-rev-1", "operation_id": "op-rev"})),
            "logout": httpx.Response(200, json=envelope()),
        }

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        operation = request.url.path.split("/")[3]
        answer = self.answers[operation]
        if isinstance(answer, type) and issubclass(answer, httpx.HTTPError):
            answer = answer(f"failed talking to {request.url}")
        if isinstance(answer, httpx.RequestError):
            answer.request = request
            raise answer
        if isinstance(answer, Exception):
            raise answer
        if callable(answer) and not isinstance(answer, httpx.Response):
            return answer(request)
        return answer

    def fail(self, operation: str, exc_type: type[httpx.HTTPError]) -> None:
        self.answers[operation] = exc_type  # type: ignore[assignment]

    def respond(self, operation: str, status: int, body: Any = None, **kwargs: Any) -> None:
        if body is None or isinstance(body, (bytes, str)):
            self.answers[operation] = httpx.Response(status, content=body or b"", **kwargs)
        else:
            self.answers[operation] = httpx.Response(status, json=body, **kwargs)


@pytest.fixture
def host() -> FakeHost:
    return FakeHost()


@pytest.fixture
def client(host: FakeHost):
    with RapydClient(
        BASE_URL, ACCESS_KEY, SECRET_KEY, POS_ID, transport=httpx.MockTransport(host), clock=lambda: NOW
    ) as rapyd:
        yield rapyd


def assert_no_secrets(*texts: str) -> None:
    for text in texts:
        for secret in SECRETS:
            assert secret not in text, f"{secret!r} leaked into: {text}"


def exception_text(exc: BaseException) -> str:
    """Everything a log handler could print for this exception: str, repr, args, traceback
    with its chained causes and contexts."""
    parts = [str(exc), repr(exc), repr(exc.args)]
    parts += traceback.format_exception(exc)
    assert exc.__cause__ is None and exc.__context__ is None, "an original exception is chained"
    return "\n".join(parts)


def log_text(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(f"{r.name} {r.getMessage()}" for r in caplog.records)
