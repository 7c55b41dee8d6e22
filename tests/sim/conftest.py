"""One loopback HTTP server for the whole run, pointed at a fresh simulator per test
(tests/simserver.py): every test gets its own in-memory ledger and its own hand-moved clock.
"""

from __future__ import annotations

from collections.abc import Iterator
import pytest

from kiosk.sim.rapyd import RapydSimulator
from kiosk.sim.server import ServerHandle
from tests.sim.pos import Pos
from tests.simserver import T0, Clock, simulator_fixtures

switch, server, make_sim, sim = simulator_fixtures(RapydSimulator)


@pytest.fixture
def clock() -> Clock:
    return Clock(T0 + 5)  # 5 s into an OTP window: a code is good for 25 s more


@pytest.fixture
def pos(server: ServerHandle, clock: Clock) -> Iterator[Pos]:
    client = Pos(server.url, clock)
    yield client
    client.close()
