"""One loopback HTTP server per test directory, pointed at a fresh simulator per test.

Starting uvicorn once keeps a suite fast; every test still gets its own in-memory books and its
own hand-moved clock. A simulator's conftest.py brings the fixtures in by name:

    switch, server, make_sim, sim = simulator_fixtures(PosPointeSimulator)

    @pytest.fixture
    def clock() -> Clock:          # make_sim gives every simulator this clock
        return Clock(T0)

  switch    (session) the ASGI app the server serves: it forwards to the current simulator
  server    (session) the running server (ServerHandle: .url)
  make_sim  make_sim(**kwargs) -> a new simulator on `clock`, which the server now serves
  sim       make_sim() with the defaults
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from kiosk.sim.server import ServerHandle, start_in_thread

T0 = 1_800_000_000.0  # a multiple of 30: the start of an OTP window


def free_port() -> int:
    """A loopback port nothing listens on now (bound for a moment, then let go): free to
    serve on, or to find nothing there."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = T0) -> None:
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


def simulator_fixtures(simulator: Callable[..., Any]) -> tuple[Any, Any, Any, Any]:
    """The switch, server, make_sim and sim fixtures for one simulator class (see above)."""

    @pytest.fixture(scope="session")
    def switch() -> Switch:
        return Switch()

    @pytest.fixture(scope="session")
    def server(switch: Switch) -> Iterator[ServerHandle]:
        handle = start_in_thread(switch)
        yield handle
        handle.stop()

    @pytest.fixture
    def make_sim(switch: Switch, server: ServerHandle, clock: Clock) -> Iterator[Callable[..., Any]]:
        made: list[Any] = []

        def make(**kwargs: Any) -> Any:
            kwargs.setdefault("clock", clock)
            sim = simulator(**kwargs)
            switch.app = sim.app
            made.append(sim)
            return sim

        yield make
        for sim in made:
            sim.clear_faults()
            sim.close()

    @pytest.fixture
    def sim(make_sim: Callable[..., Any]) -> Any:
        return make_sim()

    return switch, server, make_sim, sim
