"""One loopback HTTP server for the SDK.finance tests, pointed at a fresh simulator per test.

Each test gets its own in-memory books and its own hand-moved clock; `api` is a raw httpx
client written from the specification (it shares nothing with kiosk.backends), `client` the
kiosk's SdkFinanceClient with the demo cash point configured.
"""

from __future__ import annotations

import ssl
import traceback
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from kiosk.backends.sdkfinance import SdkFinanceClient
from kiosk.sim.sdkfinance import BASE_PATH, DEMO_CASHPOINT, DEMO_USERS, SdkFinanceSimulator
from kiosk.sim.server import ServerHandle
from tests.simserver import T0, Clock, simulator_fixtures

# Every httpx client loads the CA bundle (~0.3 s); one context for the whole run keeps the
# suite fast. Loopback is plain HTTP anyway.
SSL_CONTEXT = ssl.create_default_context()

ANNA = DEMO_USERS[0]  # EUR 420.00 (main), USD 75.50; password only
TOM = DEMO_USERS[1]  # GBP 300.00, EUR 25.00; two-factor sign-in (OTP_SENT)
LENA = DEMO_USERS[2]  # EUR 0.00
RAJ = DEMO_USERS[3]  # USD 1200.00, EUR 50.00 blocked
CASH = DEMO_CASHPOINT


class Api:
    """A plain HTTP client for the simulator's API, from the seed's description."""

    def __init__(self, url: str) -> None:
        self.http = httpx.Client(base_url=url + BASE_PATH, timeout=5.0, verify=SSL_CONTEXT)
        self.control = httpx.Client(base_url=url + "/_sim/sdkfinance", timeout=5.0, verify=SSL_CONTEXT)

    def close(self) -> None:
        self.http.close()
        self.control.close()

    def post(self, path: str, json: Any = None, token: str | None = None, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return self.http.post(path, json=json, headers=headers, **kwargs)

    def get(self, path: str, token: str | None = None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return self.http.get(path, headers=headers)

    def token(self, sim: SdkFinanceSimulator, person: dict[str, Any]) -> str:
        response = self.post("/authorization", {"login": person["login"], "password": person["password"]})
        assert response.status_code == 200, response.text
        document = response.json()
        if document.get("action") == "OTP_SENT":
            otp = sim.pending_otp(person["login"])
            response = self.post("/authorization/confirm", {"login": person["login"], "otp": otp})
            assert response.status_code == 200, response.text
            document = response.json()
        return document["members"][0]["token"]["token"]

    def coins(self, token: str) -> list[dict[str, Any]]:
        response = self.get("/coins", token)
        assert response.status_code == 200, response.text
        return response.json()["coins"]

    def coin(self, token: str, currency: str) -> dict[str, Any]:
        return next(c for c in self.coins(token) if c["issuer"]["currency"]["code"] == currency)


switch, server, make_sim, sim = simulator_fixtures(SdkFinanceSimulator)


@pytest.fixture
def clock() -> Clock:
    return Clock(T0)


@pytest.fixture
def api(server: ServerHandle) -> Iterator[Api]:
    client = Api(server.url)
    yield client
    client.close()


@pytest.fixture
def make_client(server: ServerHandle) -> Iterator[Any]:
    made: list[SdkFinanceClient] = []

    def make(**kwargs: Any) -> SdkFinanceClient:
        kwargs.setdefault("cash_point_login", CASH["login"])
        kwargs.setdefault("cash_point_password", CASH["password"])
        kwargs.setdefault("transport", httpx.HTTPTransport(verify=SSL_CONTEXT))
        client = SdkFinanceClient(server.url + BASE_PATH, **kwargs)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@pytest.fixture
def client(make_client: Any, sim: SdkFinanceSimulator) -> SdkFinanceClient:
    return make_client()


def secrets_of(*people: dict[str, Any]) -> list[str]:
    found: list[str] = []
    for person in people:
        found += [person["password"], person["login"]]
    return found


def exception_text(exc: BaseException) -> str:
    """Everything a log handler could print for this exception."""
    parts = [str(exc), repr(exc), repr(exc.args)]
    parts += traceback.format_exception(exc)
    assert exc.__cause__ is None and exc.__context__ is None, "an original exception is chained"
    return "\n".join(parts)


@pytest.fixture
def anna(sim, api):
    """A customer's token (Anna), for the simulator's request tests."""
    return api.token(sim, ANNA)


@pytest.fixture
def cash(sim, api):
    """The cash point's token."""
    return api.token(sim, CASH)
