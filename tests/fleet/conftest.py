"""Fixtures for the fleet tests: one private PostgreSQL cluster per pytest worker (a fresh
database per test), the Rapyd simulator over loopback, and tills whose journals are made by
the real teller serving real visits."""

from __future__ import annotations

import itertools
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest

from drivers.simulated import SimulatedDrawer
from kiosk.fleet.push import PushResult, push
from kiosk.fleet.schema import migrate
from kiosk.settings import load_settings
from kiosk.sim import rapyd as sim
from kiosk.teller.headless import serve_visit
from tests.fleet import postgres
from tests.stack import SimulatorServer, build_stack

_phones = itertools.count(1)


@pytest.fixture(scope="session")
def pg_cluster():
    if not postgres.available():
        pytest.fail("the PostgreSQL server binaries (initdb, pg_ctl) are missing: apt-get install postgresql")
    cluster = postgres.Cluster()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def fleet_dsn(pg_cluster) -> str:
    """A fresh database with the fleet schema."""
    dsn = pg_cluster.create_database(f"fleet_{uuid.uuid4().hex[:12]}")
    with psycopg.connect(dsn, autocommit=True) as conn:
        migrate(conn)
    return dsn


@pytest.fixture
def central(fleet_dsn):
    with psycopg.connect(fleet_dsn, autocommit=True) as conn:
        yield conn


@pytest.fixture(scope="module")
def sim_server():
    running = SimulatorServer()
    yield running
    running.stop()


@pytest.fixture
def simulator(sim_server, tmp_path):
    made = sim_server.fresh(tmp_path / "rapyd-ledger.sqlite3")
    yield made
    made.close()


def fleet_settings(data_dir: Path, dsn: str, till: str, store: str, **fleet: Any):
    return load_settings(
        None,
        {"data_dir": str(data_dir), "fleet": {"dsn": dsn, "till_id": till, "store_id": store, **fleet}},
        config_from_env=False,
    )


class Till:
    """A till: the real teller on the Rapyd simulator, its journal in its own data dir."""

    def __init__(self, root: Path, name: str, store: str, dsn: str, url: str, simulator) -> None:
        self.name, self.store, self.dsn = name, store, dsn
        self.dir = root / name
        self.dir.mkdir(parents=True)
        self.simulator = simulator
        self.stack = build_stack(self.dir, url, simulator, drawer=SimulatedDrawer(auto_close_after=0.01),
                                 floats={"GBP": "900.00", "EUR": "300.00"})
        self.settings = fleet_settings(self.dir, dsn, name, store)
        self.journal_path = self.dir / "journal.sqlite3"

    def visit(self, kind: str = "withdraw", amount: str = "10.00", currency: str = "GBP", *,
              drawer_timeout: float = 5.0) -> dict[str, Any]:
        phone = f"+4477009{next(_phones):05d}"
        self.simulator.add_wallet(phone, {"GBP": Decimal("800.00"), "EUR": Decimal("300.00")})
        return serve_visit(self.stack.teller, kind=kind, phone=phone, otp=self.simulator.current_otp(phone, sim.DEMO_POS_ID),
                           currency=currency, amount=amount, drawer_close_timeout=drawer_timeout)

    def push(self, **fleet: Any) -> PushResult:
        settings = fleet_settings(self.dir, self.dsn, self.name, self.store, **fleet) if fleet else self.settings
        return push(settings)

    def close(self) -> None:
        self.stack.client.close()
        self.stack.journal.close()


@pytest.fixture(scope="module")
def composite(tmp_path_factory):
    """All four simulators on one server (their ledger exports, `kiosk txn` with demo.toml)."""
    from kiosk.sim.composite import CompositeSimulator
    from kiosk.sim.server import start_in_thread

    sims = CompositeSimulator(tmp_path_factory.mktemp("composite") / "ledger.sqlite3", otp_window=600)
    handle = start_in_thread(sims)
    yield sims, handle.url
    handle.stop()
    sims.close()


@pytest.fixture
def make_till(tmp_path, fleet_dsn, sim_server, simulator):
    made: list[Till] = []

    def make(name: str = "T1", store: str = "S1") -> Till:
        till = Till(tmp_path / "tills", name, store, fleet_dsn, sim_server.handle.url, simulator)
        made.append(till)
        return till

    yield make
    for till in made:
        till.close()
