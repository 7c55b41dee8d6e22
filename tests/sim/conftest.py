"""One loopback HTTP server for the whole run, pointed at a fresh simulator per test.

Starting uvicorn once keeps the suite fast; every test still gets its own in-memory ledger
and its own hand-moved clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from kiosk.sim.rapyd import RapydSimulator
from kiosk.sim.server import ServerHandle, start_in_thread
from tests.sim.pos import Pos

T0 = 1_800_000_000.0  # a multiple of 30: the start of an OTP window


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = T0 + 5) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Switch:
    """An ASGI app that forwards to whichever simulator the current test installed."""

    def __init__(self) -> None:
        self.app: Any = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)


@pytest.fixture(scope="session")
def switch() -> Switch:
    return Switch()


@pytest.fixture(scope="session")
def server(switch: Switch) -> Iterator[ServerHandle]:
    handle = start_in_thread(switch)
    yield handle
    handle.stop()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def make_sim(switch: Switch, server: ServerHandle, clock: Clock) -> Iterator[Any]:
    made: list[RapydSimulator] = []

    def make(**kwargs: Any) -> RapydSimulator:
        kwargs.setdefault("clock", clock)
        sim = RapydSimulator(**kwargs)
        switch.app = sim.app
        made.append(sim)
        return sim

    yield make
    for sim in made:
        sim.clear_faults()
        sim.close()


@pytest.fixture
def sim(make_sim: Any) -> RapydSimulator:
    return make_sim()


@pytest.fixture
def pos(server: ServerHandle, clock: Clock) -> Iterator[Pos]:
    client = Pos(server.url, clock)
    yield client
    client.close()
