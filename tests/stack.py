"""A whole kiosk core for tests: the Rapyd simulator over loopback HTTP, the real client,
simulated devices and a journal in a temporary folder."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from drivers.simulated import SimulatedDrawer, SimulatedPrinter
from kiosk.backends.rapyd import RapydClient
from kiosk.journal.store import Journal
from kiosk.money import parse_amount
from kiosk.sim import rapyd as sim
from kiosk.sim.server import start_in_thread
from kiosk.runtime import derive_journal_key, vault_key
from kiosk.teller import Teller
from kiosk.teller.retry import RetryPolicy

JANE = "+14155559992"  # seed 001's customer: GBP 189.00
OLIVER = "+447700900123"  # GBP 955.00, EUR 250.00


@dataclass
class Stack:
    simulator: sim.RapydSimulator
    url: str
    client: RapydClient
    printer: SimulatedPrinter
    drawer: SimulatedDrawer
    journal: Journal
    teller: Teller

    def otp(self, phone: str = JANE) -> str:
        # A code about to expire could run out between here and the login: take the next.
        left = self.simulator.otp_expires_at() - self.simulator.now()
        if left < 1.0:
            time.sleep(left + 0.02)
        return self.simulator.current_otp(phone, sim.DEMO_POS_ID)

    def steps(self, visit_id: str) -> list[str]:
        return [row.step for row in self.journal.rows(visit_id)]


def build_stack(
    tmp: Path,
    server_url: str,
    simulator: sim.RapydSimulator,
    *,
    timeout: float = 3.0,
    floats=None,
    printer=None,
    drawer=None,
    reuse_shift: bool = False,
) -> Stack:
    client = RapydClient(server_url, sim.DEMO_ACCESS_KEY, sim.DEMO_SECRET_KEY, sim.DEMO_POS_ID, timeout=timeout)
    printer = printer or SimulatedPrinter()
    drawer = drawer or SimulatedDrawer()
    printer.open()
    drawer.open()
    journal = Journal(tmp / "journal.sqlite3", mac_key=derive_journal_key(sim.DEMO_SECRET_KEY), vault_key=vault_key(sim.DEMO_SECRET_KEY))
    floats = floats or {"GBP": "500.00", "EUR": "300.00"}
    teller = Teller(
        backend=client,
        printer=printer,
        drawer=drawer,
        journal=journal,
        store_name="Test Shop",
        terminal_id="T-1",
        cashier="alice",
        retry=RetryPolicy(attempts=3, base=0.02, cap=0.1, deadline=5.0),
    )
    if not reuse_shift:
        teller.open_shift({c: parse_amount(a, c, allow_zero=True) for c, a in floats.items()})
    return Stack(simulator, server_url, client, printer, drawer, journal, teller)


class SimulatorServer:
    """One server per test module; each test swaps in a fresh simulator behind it."""

    def __init__(self) -> None:
        self.simulator: sim.RapydSimulator | None = None
        self.handle = start_in_thread(self)

    async def __call__(self, scope, receive, send):  # an ASGI app (uvicorn needs __call__)
        if scope["type"] == "lifespan":  # the simulators keep no per-process resources
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        await self.simulator.app(scope, receive, send)

    def fresh(self, ledger: Path | None = None, **options) -> sim.RapydSimulator:
        self.simulator = sim.RapydSimulator(ledger, **options)
        return self.simulator

    def stop(self) -> None:
        self.handle.stop()
