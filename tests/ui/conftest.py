"""Worlds the UI tests run the kiosk in.

"demo" is the real stack (kiosk.runtime.demo_runtime: embedded Rapyd simulator over loopback
HTTP, real client, simulated printer and drawer); "fake" is the real teller and journal over
in-memory stand-ins (tests/ui/fakes.py), which can also produce faults on demand. The
behaviour tests run in both."""

from __future__ import annotations

import socket
from decimal import Decimal
from pathlib import Path

import pytest

from tests.ui.fakes import ALICE, fake_runtime


class FakeWorld:
    kind = "fake"
    phone = ALICE  # a wallet with a GBP account
    phone_without_eur = ALICE
    over_balance = "300"  # balance 250.00 GBP
    over_cash = "150"  # drawer float 100.00 GBP

    def __init__(self, data_dir: Path) -> None:
        self.runtime = fake_runtime(data_dir)

    def otp(self, phone: str) -> str:
        return self.runtime.demo.current_otp(phone)

    def balance(self, phone: str, currency: str) -> Decimal | None:
        money = self.runtime.backend.balance(phone, currency)
        return money.amount if money else None

    def paper_out(self, out: bool) -> None:
        self.runtime.printer.paper_out = out

    def jam_drawer(self) -> None:
        self.runtime.drawer.fail_open = True

    def unreachable(self) -> None:
        self.runtime.backend.unreachable = True

    def sessions_closed(self) -> int:
        return self.runtime.backend.closed_sessions

    def close(self) -> None:
        self.runtime.close()


class DemoWorld:
    kind = "demo"
    phone = "+447700900123"  # GBP 955.00, EUR 250.00
    phone_without_eur = "+14155559992"  # GBP only
    over_balance = "1000"
    over_cash = "600"  # drawer float 500.00 GBP

    def __init__(self, data_dir: Path) -> None:
        from kiosk.runtime import demo_runtime

        # A long code window: a test typing a code near the end of a 30 s window must not flake.
        self.runtime = demo_runtime(data_dir, otp_window=300, drawer={"simulated_close_after": 1.0})  # see FakeDrawer

    def otp(self, phone: str) -> str:
        return self.runtime.demo.current_otp(phone)

    def balance(self, phone: str, currency: str) -> Decimal | None:
        return self.runtime.simulator.balance(phone, currency)

    def paper_out(self, out: bool) -> None:
        if out:
            self.runtime.printer.inject("paper_out")
        else:
            self.runtime.printer.clear("paper_out")

    def jam_drawer(self) -> None:
        self.runtime.drawer.inject("drawer_jammed")

    def unreachable(self) -> None:
        """Point the teller at a loopback port nobody listens on: connection refused."""
        from kiosk.backends.rapyd import RapydClient
        from kiosk.sim import rapyd as sim

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.runtime.teller.backend = RapydClient(
            f"http://127.0.0.1:{port}", sim.DEMO_ACCESS_KEY, sim.DEMO_SECRET_KEY, self.runtime.pos_id,
            timeout=1.0, connect_timeout=0.5,
        )

    def sessions_closed(self) -> int:
        return -1  # not counted by the simulator's public API

    def close(self) -> None:
        self.runtime.close()


@pytest.fixture(params=["fake", "demo"])
def world(request, tmp_path):
    if request.param == "fake":
        made = FakeWorld(tmp_path)
    else:
        made = DemoWorld(tmp_path)
    yield made
    made.close()


@pytest.fixture
def fake_world(tmp_path):
    made = FakeWorld(tmp_path)
    yield made
    made.close()
