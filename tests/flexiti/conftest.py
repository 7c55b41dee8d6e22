"""One loopback server for the Flexiti tests, pointed at a fresh simulator per test.

Each test gets its own in-memory books and a clock moved by hand (shared by the simulator and
the client, so token expiry and PIN lifetimes can be crossed without waiting). `api` is a raw
httpx caller written from the documentation, not the kiosk's client: the simulator tests check
the simulator against the specification, the client tests check the client against the simulator.
"""

from __future__ import annotations

import logging
import traceback
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from kiosk.backends.flexiti import FlexitiClient
from kiosk.sim.flexiti import BASE_PATH, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, FlexitiSimulator
from kiosk.sim.server import ServerHandle
from tests.simserver import T0, Clock, simulator_fixtures

JANE = "116574819"  # good standing, bypass-qualified, security answer "Biscuit"
SAM = "234567890"  # 50.00 of credit left
LIAM = "345678901"  # past due (status A)
MARIE = "456789012"  # not activated


switch, server, make_sim, sim = simulator_fixtures(FlexitiSimulator)


@pytest.fixture
def clock() -> Clock:
    return Clock(T0)


class Api:
    """Raw calls as the documentation describes them."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.http = httpx.Client(base_url=url + BASE_PATH, timeout=5.0)
        self.access_token: str | None = None
        self.reference_id = uuid.uuid4().hex

    def close(self) -> None:
        self.http.close()

    def token(self, **form: str) -> httpx.Response:
        data = {"client_id": DEMO_CLIENT_ID, "client_secret": DEMO_CLIENT_SECRET,
                "grant_type": "client_credentials", "scope": "merchant", **form}
        return self.http.post("/oauth/token", data={k: v for k, v in data.items() if v is not None})

    def login(self, **form: str) -> str:
        response = self.token(**form)
        assert response.status_code == 200, response.text
        self.access_token = response.json()["access_token"]
        return self.access_token

    def headers(self, **extra: str) -> dict[str, str]:
        if self.access_token is None:
            self.login()
        return {"authorization": f"Bearer {self.access_token}", "x-reference-id": self.reference_id, **extra}

    def verify(self, account: str, headers: dict[str, str] | None = None, **body: Any) -> httpx.Response:
        body.setdefault("request_id", "req-1")
        return self.http.post(f"/client-id/{DEMO_CLIENT_ID}/account/{account}/verify", json=body,
                              headers=headers if headers is not None else self.headers())

    def pin_for(self, sim: FlexitiSimulator, account: str, request_id: str = "req-1", fmt: str = "sms") -> str:
        response = self.verify(account, format=fmt, request_id=request_id)
        assert response.status_code == 200, response.text
        if fmt in ("sms", "email"):
            pin = sim.last_pin(account)
            assert pin is not None
            return pin
        return str(response.json()["verification_code"])

    def transaction(self, key: str | None = None, headers: dict[str, str] | None = None, **body: Any) -> httpx.Response:
        body.setdefault("transaction_type", "deposit")
        body.setdefault("request_id", "req-1")
        extra = {"x-idempotency-key": key} if key else {}
        return self.http.post(f"/client-id/{DEMO_CLIENT_ID}/transactions", json=body,
                              headers=headers if headers is not None else self.headers(**extra))

    def lookup(self, **params: str) -> httpx.Response:
        return self.http.get(f"/client-id/{DEMO_CLIENT_ID}/customers/lookup", params=params, headers=self.headers())

    def search(self, **params: str) -> httpx.Response:
        return self.http.get(f"/client-id/{DEMO_CLIENT_ID}/customers/search", params=params, headers=self.headers())

    def licence(self, code: Any) -> httpx.Response:
        return self.http.post(f"/client-id/{DEMO_CLIENT_ID}/customers/driverslicense", json={"code": code},
                              headers=self.headers())


@pytest.fixture
def api(server: ServerHandle) -> Iterator[Api]:
    caller = Api(server.url)
    yield caller
    caller.close()


def error_of(response: httpx.Response) -> str:
    return response.json()["error"]


@pytest.fixture
def make_client(server: ServerHandle, clock: Clock) -> Iterator[Any]:
    made: list[FlexitiClient] = []

    def make(**kwargs: Any) -> FlexitiClient:
        kwargs.setdefault("clock", clock)
        client = FlexitiClient(server.url, kwargs.pop("client_id", DEMO_CLIENT_ID),
                               kwargs.pop("client_secret", DEMO_CLIENT_SECRET), **kwargs)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@pytest.fixture
def client(make_client: Any) -> FlexitiClient:
    return make_client()


def exception_text(exc: BaseException) -> str:
    """Everything a log handler could print for an exception (no chained originals allowed)."""
    assert exc.__cause__ is None and exc.__context__ is None, "an original exception is chained"
    return "\n".join([str(exc), repr(exc), repr(exc.args), *traceback.format_exception(exc)])


def log_text(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(f"{r.name} {r.getMessage()}" for r in caplog.records)


def debug_everything(caplog: pytest.LogCaptureFixture) -> None:
    """DEBUG on the root logger and on httpx / httpcore, which the client quiets on import."""
    caplog.set_level(logging.DEBUG)
    for name in ("httpx", "httpcore", "kiosk"):
        caplog.set_level(logging.DEBUG, logger=name)
