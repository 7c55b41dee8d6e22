"""One loopback server for the whole run, pointed at a fresh POSPointe simulator per test.

The simulator tests speak raw HTTP through `Api` (written from the documentation, not from
kiosk.backends); the client tests use PosPointeClient against the same server.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from kiosk.backends.pospointe import PosPointeClient
from kiosk.sim.pospointe import DEMO_FRANCHISEE_ID, DEMO_PASSWORD, DEMO_STORE_ID, DEMO_USER, PosPointeSimulator
from kiosk.sim.server import ServerHandle
from tests.simserver import T0, Clock, simulator_fixtures

ACTIVE = ("7012340000001001", "4821")  # 100.00
ACTIVE_250 = ("7012340000001019", "7310")  # 250.00
LOW = ("7012340000001027", "2694")  # 7.35
UNSOLD = ("7012340000001035", "5057")
UNSOLD_2 = ("7012340000001043", "8146")
BLOCKED = ("7012340000001050", "3390")  # 60.00


def basic(user: str = DEMO_USER, password: str = DEMO_PASSWORD) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


class Api:
    """Raw HTTP to the simulator, as the documentation describes the requests."""

    def __init__(self, url: str, transport: httpx.BaseTransport | None = None) -> None:
        self.http = httpx.Client(base_url=url, timeout=5.0, transport=transport)

    def close(self) -> None:
        self.http.close()

    def send(self, method: str, path: str, body: Any = None, *, auth: str | None = None,
             timeout: float | None = None, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": basic() if auth is None else auth} if auth != "" else {}
        headers.update(kwargs.pop("headers", {}))
        if body is not None:
            kwargs["json"] = body
        if timeout is not None:
            kwargs["timeout"] = timeout
        return self.http.request(method, path, headers=headers, **kwargs)

    def token_answer(self, card: tuple[str, str], **kwargs: Any) -> httpx.Response:
        return self.send("POST", "/v1/Token", {"cardnumber": card[0], "securitycode": card[1]}, **kwargs)

    def token(self, card: tuple[str, str]) -> str:
        answer = self.token_answer(card).json()
        assert answer["statuscode"] == "000000", answer
        return answer["token"]

    def balance(self, token: str, **kwargs: Any) -> httpx.Response:
        return self.send("POST", "/Transaction/balancecheck", {"cardtoken": token}, **kwargs)

    def money(self, operation: str, token: str, amount: Any, pos_ref: str = "ref-1", **extra: Any) -> httpx.Response:
        path = {"sell": "/Transaction/sellnewcard", "reload": "/Transaction/reload", "redeem": "/Transaction/radeem"}
        timeout = extra.pop("timeout", None)
        body = {"cardtoken": token, "amount": amount, "franchiseeID": DEMO_FRANCHISEE_ID, "posRef": pos_ref, **extra}
        return self.send("POST", path[operation], body, timeout=timeout)

    def change_status(self, token: str, status: str, reason: str = "customer request") -> httpx.Response:
        return self.send("PATCH", "/Transaction/changestatus", {"cardtoken": token, "status": status, "reason": reason})

    def batch(self, store: str = DEMO_STORE_ID) -> httpx.Response:
        return self.send("GET", f"/Batch/{store}")

    def close_batch(self, store: str = DEMO_STORE_ID) -> httpx.Response:
        return self.send("POST", f"/Batch/batch/{store}")


def ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, (response.status_code, response.text)
    body = response.json()
    assert body["statuscode"] == "000000" and body.get("status", True) is True, body
    return body


def refused(response: httpx.Response, http_status: int = 200) -> str:
    """The statuscode of a refusal (which must say status false and describe itself)."""
    assert response.status_code == http_status, (response.status_code, response.text)
    body = response.json()
    assert body["status"] is False and body["statuscode"] != "000000" and body["description"], body
    return body["statuscode"]


switch, server, make_sim, sim = simulator_fixtures(PosPointeSimulator)


@pytest.fixture(scope="session")
def loopback() -> Iterator[httpx.HTTPTransport]:
    """One transport for every client of the run: building an httpx.Client builds a TLS
    context (~75 ms), which would dominate these loopback tests. Clients using it are not
    closed one by one (closing a client closes its transport)."""
    transport = httpx.HTTPTransport()
    yield transport
    transport.close()


@pytest.fixture
def clock() -> Clock:
    return Clock(T0)


@pytest.fixture
def api(server: ServerHandle, loopback: httpx.HTTPTransport) -> Api:
    return Api(server.url, loopback)


@pytest.fixture
def make_client(server: ServerHandle, clock: Clock, loopback: httpx.HTTPTransport) -> Iterator[Any]:
    made: list[PosPointeClient] = []

    def make(**kwargs: Any) -> PosPointeClient:
        kwargs.setdefault("clock", clock)
        kwargs.setdefault("transport", loopback)
        kwargs.setdefault("store_id", DEMO_STORE_ID)
        kwargs.setdefault("franchisee_id", DEMO_FRANCHISEE_ID)
        url = kwargs.pop("base_url", server.url)
        user = kwargs.pop("user", DEMO_USER)
        password = kwargs.pop("password", DEMO_PASSWORD)
        client = PosPointeClient(url, user, password, **kwargs)
        if kwargs["transport"] is not loopback:
            made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@pytest.fixture
def client(sim: PosPointeSimulator, make_client: Any) -> PosPointeClient:
    return make_client()
