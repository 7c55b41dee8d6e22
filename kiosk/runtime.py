"""Builds a working kiosk from settings: back-end client, devices, journal, teller.

The UI and the headless commands both start here, so a visit served by `kiosk txn` goes
through exactly the same teller, journal and devices as one served on screen.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from drivers.base import CashDrawer, ReceiptPrinter
from kiosk.settings import Settings, load_settings, require

log = logging.getLogger("kiosk.runtime")


@dataclass
class DemoInfo:
    """What `kiosk demo` shows a person trying it: demo wallets and their current codes."""

    wallets: list[tuple[str, str]]  # (phone, description)
    current_otp: Callable[[str], str]
    otp_window: int

    def otp_seconds_left(self) -> float:
        return self.otp_window - (time.time() % self.otp_window)


@dataclass
class Runtime:
    settings: Settings
    teller: Any  # kiosk.teller.Teller (imported lazily: start-up time)
    printer: ReceiptPrinter
    drawer: CashDrawer
    pos_id: str
    otp_window: int = 30
    demo: DemoInfo | None = None
    receipt_dir: Path | None = None
    _closers: list[Callable[[], None]] = field(default_factory=list)

    def close(self) -> None:
        for closer in reversed(self._closers):
            try:
                closer()
            except Exception:  # shutting down: report, keep closing the rest
                log.exception("error while shutting down")
        self._closers.clear()


def vault_key(secret_key: str) -> bytes:
    """The recovery vault's key, derived from the terminal's API secret (which lives in the
    service's credentials, not in the data dir): a copy of the journal alone opens nothing."""
    return hmac.new(secret_key.encode(), b"kiosk recovery vault v1", hashlib.sha256).digest()


def build_runtime(
    settings: Settings,
    *,
    demo: DemoInfo | None = None,
    receipt_dir: Path | None = None,
    recover_on_start: bool = True,
    auto_shift: bool = True,
) -> Runtime:
    """Everything the kiosk needs to serve visits with the configured back end and devices."""
    require(settings, "rapyd.base_url", "rapyd.access_key", "rapyd.secret_key", "rapyd.pos_id")
    from kiosk.backends.rapyd import RapydClient
    from kiosk.devices import build_devices
    from kiosk.journal.store import Journal
    from kiosk.teller import Teller

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    closers: list[Callable[[], None]] = []
    rapyd = settings.rapyd
    journal = Journal(settings.data_dir / "journal.sqlite3", vault_key=vault_key(rapyd.secret_key.get_secret_value()))
    closers.append(journal.close)
    printer, drawer = build_devices(settings, receipt_dir=receipt_dir)
    closers += [printer.close, drawer.close]
    backend = RapydClient(
        rapyd.base_url,
        rapyd.access_key.get_secret_value(),  # type: ignore[union-attr]
        rapyd.secret_key.get_secret_value(),  # type: ignore[union-attr]
        rapyd.pos_id,  # type: ignore[arg-type]
        timeout=rapyd.timeout,
        connect_timeout=rapyd.connect_timeout,
    )
    closers.append(backend.close)
    teller = Teller(
        backend=backend,
        printer=printer,
        drawer=drawer,
        journal=journal,
        store_name=settings.store.name,
        store_address=settings.store.address,
        terminal_id=settings.store.terminal_id,
        cashier=settings.teller.cashier,
    )
    if auto_shift and teller.shifts.current is None and settings.teller.opening_float:
        # Unattended set-ups (headless, demo) take the configured float as counted.
        teller.open_shift(settings.teller.opening_float, source="settings")
    if recover_on_start:
        from kiosk.teller.recovery import recover

        for resolution in recover(teller):
            log.warning("recovered visit %s: %s (%s)", resolution.visit_id[:8], resolution.action, resolution.state)
    return Runtime(
        settings=settings,
        teller=teller,
        printer=printer,
        drawer=drawer,
        pos_id=rapyd.pos_id or "",
        otp_window=rapyd.otp_window,
        demo=demo,
        receipt_dir=receipt_dir,
        _closers=closers,
    )


def demo_settings(data_dir: Path, base_url: str, **extra: Any) -> Settings:
    """The demo profile (config/demo.toml's values) pointed at an embedded simulator."""
    from kiosk.sim import rapyd as sim

    overrides: dict[str, Any] = {
        "data_dir": str(data_dir),
        "store": {"name": "Demo Corner Shop", "address": "1 High Street, London", "terminal_id": "DEMO-01"},
        "rapyd": {
            "base_url": base_url,
            "access_key": sim.DEMO_ACCESS_KEY,
            "secret_key": sim.DEMO_SECRET_KEY,
            "pos_id": sim.DEMO_POS_ID,
            "timeout": 5.0,
        },
        "printer": {"driver": "simulated"},
        "drawer": {"driver": "simulated", "simulated_close_after": 1.5},
        "teller": {"opening_float": {"GBP": "500.00", "EUR": "300.00", "USD": "300.00"}, "cashier": "demo"},
        "auth": {"required": False},
        "ui": {"demo_panel": True},
    }
    for key, value in extra.items():
        if isinstance(value, dict):
            overrides.setdefault(key, {}).update(value)
        else:
            overrides[key] = value
    # The demo needs no configuration and must not pick up a store's config file.
    return load_settings(None, overrides, config_from_env=False)


def demo_runtime(data_dir: Path, *, otp_window: int = 30, **extra: Any) -> Runtime:
    """The kiosk on an embedded Rapyd simulator (real HTTP on loopback) and simulated devices."""
    from kiosk.sim import rapyd as sim
    from kiosk.sim.server import start_in_thread

    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    simulator = sim.RapydSimulator(data_dir / "simulator-ledger.sqlite3", otp_window=otp_window)
    server = start_in_thread(simulator.app)
    try:
        settings = demo_settings(data_dir, server.url, rapyd={"otp_window": otp_window}, **extra)
        demo = DemoInfo(
            wallets=[
                (phone, f"{sim.DEMO_NAMES.get(phone, '')}: {', '.join(sorted(balances))}")
                for phone, balances in sim.DEMO_WALLETS.items()
            ],
            current_otp=lambda phone: simulator.current_otp(phone, sim.DEMO_POS_ID),
            otp_window=otp_window,
        )
        runtime = build_runtime(settings, demo=demo, receipt_dir=data_dir / "receipts")
    except BaseException:
        server.stop()
        raise
    runtime.simulator = simulator  # type: ignore[attr-defined]  # for tests and the demo panel
    runtime._closers.insert(0, server.stop)
    return runtime
