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
from kiosk.settings import BACKEND_NEEDS, Settings, enabled_backends, load_settings, require

log = logging.getLogger("kiosk.runtime")


@dataclass
class DemoInfo:
    """What `kiosk demo` shows a person trying it: demo wallets and their current codes."""

    wallets: list[tuple[str, str]]  # (phone, description)
    current_otp: Callable[[str], str]
    otp_window: int
    # The other back ends' demo customers (kiosk.sim.composite), each (what to type..., description):
    gift_cards: list[tuple[str, str, str]] = field(default_factory=list)  # (number, security code, what)
    sdk_logins: list[tuple[str, str, str]] = field(default_factory=list)  # (login, password, what)
    flexiti_accounts: list[tuple[str, str]] = field(default_factory=list)  # (account number, what)
    flexiti_licences: dict[str, str] = field(default_factory=dict)  # account number -> licence scan text
    flexiti_answers: dict[str, str] = field(default_factory=dict)  # account number -> security answer
    # What the customer's phone shows now: the PIN Flexiti sent, the code SDK.finance sent.
    flexiti_pin: Callable[[str], str | None] = lambda account: None
    sdk_otp: Callable[[str], str | None] = lambda login: None

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


def terminal_secret(settings: Settings) -> str:
    """The secret the recovery vault's key is derived from: the first enabled back end's API
    secret, in a fixed order, so the key does not change with the order of backends.enabled."""
    from kiosk.settings import SettingsError

    enabled = set(enabled_backends(settings))
    candidates = [
        ("rapyd", settings.rapyd.secret_key),
        ("pospointe", settings.pospointe.password),
        ("sdkfinance", settings.sdkfinance.cash_point_password),
        ("flexiti", settings.flexiti.client_secret),
    ]
    for name, secret in candidates:
        if name in enabled and secret is not None and secret.get_secret_value():
            return secret.get_secret_value()
    raise SettingsError("Missing setting:\n  backends.enabled (KIOSK_BACKENDS__ENABLED) names no back end with its secret set")


def vault_key(secret_key: str) -> bytes:
    """The recovery vault's key, derived from the terminal's API secret (which lives in the
    service's credentials, not in the data dir): a copy of the journal alone opens nothing."""
    return hmac.new(secret_key.encode(), b"kiosk recovery vault v1", hashlib.sha256).digest()


def journal_key(settings: Settings) -> bytes:
    """The journal's MAC key: the `journal.mac_key` credential, else derived from the
    terminal's API secret. Never from the data dir: a copy of the journal cannot re-sign itself."""
    from kiosk.settings import SettingsError

    if settings.journal.mac_key:
        return derive_journal_key(settings.journal.mac_key.get_secret_value())
    try:
        return derive_journal_key(terminal_secret(settings))
    except SettingsError:
        raise SettingsError(
            "Missing setting:\n  journal.mac_key (KIOSK_JOURNAL__MAC_KEY) is not set, and no enabled back end has its "
            "secret set to derive it from. The journal cannot be signed or checked without it."
        ) from None


def derive_journal_key(secret: str) -> bytes:
    return hmac.new(secret.encode(), b"kiosk journal mac v1", hashlib.sha256).digest()


def open_journal(settings: Settings, *, with_vault: bool = True) -> Any:
    """The till's journal, as its writer: the caller holds the data dir's lock. Without the
    vault (`kiosk users`), no back-end secret is needed."""
    from kiosk.journal.store import Journal

    vault = vault_key(terminal_secret(settings)) if with_vault else None
    return Journal(settings.data_dir / "journal.sqlite3", mac_key=journal_key(settings), vault_key=vault)


def check_required(settings: Settings) -> None:
    """What this till cannot work without (the enabled back ends' keys; the PIN pepper when
    cashiers sign in), checked before anything is opened or written: one paragraph naming all
    that is missing."""
    require(settings, *(key for name in enabled_backends(settings) for key in BACKEND_NEEDS[name]))
    if settings.auth.required:
        from kiosk.auth.pins import pin_hasher

        pin_hasher(settings)


def build_runtime(
    settings: Settings,
    *,
    demo: DemoInfo | None = None,
    receipt_dir: Path | None = None,
    recover_on_start: bool = True,
    auto_shift: bool = True,
) -> Runtime:
    """Everything the kiosk needs to serve visits with the configured back end and devices."""

    check_required(settings)
    wallet = "rapyd" in enabled_backends(settings)
    from kiosk.backends.base import WalletNotEnabled
    from kiosk.backends.pinning import ClockGuard, secure_transport
    from kiosk.backends.rapyd import RapydClient
    from kiosk.devices import build_devices
    from kiosk.teller import Teller

    from kiosk.datadir import hold_writer, release_writer

    # One writer per till, before anything reads the journal to decide (recovery, cash).
    hold_writer(settings.data_dir)
    closers: list[Callable[[], None]] = [lambda: release_writer(settings.data_dir)]
    rapyd = settings.rapyd
    journal = open_journal(settings)
    closers.append(journal.close)
    if settings.fleet.dsn is not None:  # head office's journal shipping (kiosk.fleet), in the background
        from kiosk.fleet.shipper import start_shipper

        closers.append(start_shipper(settings).close)  # closes after the visit's last row: one last push
    printer, drawer = build_devices(settings, receipt_dir=receipt_dir)
    closers += [printer.close, drawer.close]
    clock_guard = ClockGuard()
    backend = (
        RapydClient(
            rapyd.base_url,
            rapyd.access_key.get_secret_value(),  # type: ignore[union-attr]
            rapyd.secret_key.get_secret_value(),  # type: ignore[union-attr]
            rapyd.pos_id,  # type: ignore[arg-type]
            timeout=rapyd.timeout,
            connect_timeout=rapyd.connect_timeout,
            # TLS verified always (pins on top when set); nothing is signed with a wrong clock.
            transport=secure_transport(rapyd.base_url, rapyd.pin_sha256, clock_guard=clock_guard),
            clock=clock_guard.now,
        )
        if wallet
        else WalletNotEnabled()
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
        phone_region=settings.teller.phone_region,
    )
    # The other back ends enabled in settings (gift cards, SDK.finance, Flexiti): before recovery,
    # which hands their unfinished visits to them.
    from kiosk.teller.desks import attach_desks

    closers += attach_desks(teller, settings)
    if settings.auth.required:
        # Cashiers sign in (kiosk.auth): visits and shifts are theirs; a configured float is
        # taken as counted by the first cashier who signs in, not by nobody at start-up.
        from kiosk.auth.guard import build_guard

        guard = build_guard(settings, journal)
        closers.append(guard.accounts.close)
        closers.append(lambda: guard.sign_out("kiosk closed"))  # runs before the journal closes
        guard.attach(teller)
        if auto_shift and settings.teller.opening_float:
            guard.after_sign_in = lambda user: teller.shifts.current is None and teller.open_shift(
                settings.teller.opening_float, source="settings"
            )
    if journal.broken:
        # Nothing that writes or moves money runs on a journal that failed its check; the
        # UI shows why and a supervisor reseals it (kiosk journal reseal).
        log.error("journal broken: cash movements locked until a supervisor reseals it")
    elif auto_shift and teller.guard is None and teller.shifts.current is None and settings.teller.opening_float:
        # Unattended set-ups (headless, demo) take the configured float as counted.
        teller.open_shift(settings.teller.opening_float, source="settings")
    if recover_on_start and not journal.broken:
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
    from kiosk.sim import demo as sim  # the demo's values, not the simulator (starlette)

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
        "teller": {"opening_float": {"GBP": "500.00", "EUR": "300.00", "USD": "300.00", "CAD": "300.00"}, "cashier": "demo"},
        "auth": {"required": False},
        "ui": {"demo_panel": True},
    }
    overrides.update(_demo_other_backends(base_url))
    for key, value in extra.items():
        if isinstance(value, dict):
            overrides.setdefault(key, {}).update(value)
        else:
            overrides[key] = value
    # The demo needs no configuration and must not pick up a store's config file.
    return load_settings(None, overrides, config_from_env=False)


def _demo_other_backends(base_url: str) -> dict[str, Any]:
    """Settings of the other simulators of kiosk.sim.composite, all on the same server."""
    from kiosk.sim import flexiti, pospointe, sdkfinance

    return {
        "backends": {"enabled": ["rapyd", "pospointe", "sdkfinance", "flexiti"]},
        "pospointe": {
            "base_url": base_url + pospointe.BASE_PATH,
            "user": pospointe.DEMO_USER,
            "password": pospointe.DEMO_PASSWORD,
            "store_id": pospointe.DEMO_STORE_ID,
            "franchisee_id": pospointe.DEMO_FRANCHISEE_ID,
            "timeout": 5.0,
            "settle_confirm_after": 0.5,
        },
        "sdkfinance": {
            "base_url": base_url + sdkfinance.BASE_PATH,
            "cash_point_login": sdkfinance.DEMO_CASHPOINT["login"],
            "cash_point_password": sdkfinance.DEMO_CASHPOINT["password"],
            "timeout": 5.0,
        },
        "flexiti": {
            "base_url": base_url + flexiti.BASE_PATH,
            "client_id": flexiti.DEMO_CLIENT_ID,
            "client_secret": flexiti.DEMO_CLIENT_SECRET,
            "location_id": flexiti.DEMO_LOCATION_ID,
            "timeout": 5.0,
            "verify_formats": ["sms", "email", "security_question", "regular_purchase_bypass", "merchant_override"],
        },
    }


def demo_runtime(data_dir: Path, *, otp_window: int = 30, simulators_later: bool = False, **extra: Any) -> Runtime:
    """The kiosk on the embedded simulators (real HTTP on loopback: Rapyd, POSPointe,
    SDK.finance, Flexiti; kiosk.sim.composite) and simulated devices.

    simulators_later: only their address is taken now; building and serving them waits for
    `runtime.start_simulators()` (the app calls it once its first screen is drawn), so they
    do not delay it. Calls made before then wait, bounded by the clients' timeouts, and the
    ready screen says it is checking the back ends meanwhile."""
    # The demo's values only (kiosk.sim.demo and each package's demo.py): the simulators
    # themselves (starlette) are imported when they start, after the first screen.
    from kiosk.sim import demo as sim
    from kiosk.sim import flexiti as flexiti_sim
    from kiosk.sim import pospointe as pospointe_sim
    from kiosk.sim import sdkfinance as sdk_sim
    from kiosk.sim.server import listen

    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    late = _SimulatorsLater(data_dir / "simulator-ledger.sqlite3", otp_window, listen())
    try:
        if not simulators_later:
            late.start(in_thread=False)
        settings = demo_settings(data_dir, late.url, rapyd={"otp_window": otp_window}, **extra)
        demo = DemoInfo(
            wallets=[
                (phone, f"{sim.DEMO_NAMES.get(phone, '')}: {', '.join(sorted(balances))}")
                for phone, balances in sim.DEMO_WALLETS.items()
            ],
            current_otp=lambda phone: late.now().rapyd.current_otp(phone, sim.DEMO_POS_ID),
            otp_window=otp_window,
            gift_cards=[(c["number"], c["security_code"], c["label"]) for c in pospointe_sim.DEMO_CARDS],
            sdk_logins=[(u["login"], u["password"], u["name"]) for u in sdk_sim.DEMO_USERS],
            flexiti_accounts=[(c.account_number, f"{c.first_name} {c.last_name}: {c.note}") for c in flexiti_sim.DEMO_CUSTOMERS],
            flexiti_licences={c.account_number: c.licence_scan for c in flexiti_sim.DEMO_CUSTOMERS},
            flexiti_answers={c.account_number: c.security_answer for c in flexiti_sim.DEMO_CUSTOMERS},
            flexiti_pin=lambda account: late.now().flexiti.last_pin(account) if late.started() else None,
            sdk_otp=lambda login: late.now().sdkfinance.pending_otp(login) if late.started() else None,
        )
        runtime = build_runtime(settings, demo=demo, receipt_dir=data_dir / "receipts")
    except BaseException:
        late.close()
        raise
    if not simulators_later:
        runtime.simulator = late.now().rapyd  # type: ignore[attr-defined]  # for tests
        runtime.simulators = late.now()  # type: ignore[attr-defined]  # all four (kiosk.sim.composite)
    runtime.start_simulators = late.start  # type: ignore[attr-defined]  # a no-op once started
    runtime._closers.insert(0, late.close)
    return runtime


class _SimulatorsLater:
    """The demo's simulators behind a socket that listens from the start: built and served
    at once, or in a thread once `start()` is called (see demo_runtime)."""

    def __init__(self, ledger: Path, otp_window: int, listening: Any) -> None:
        import threading

        self.ledger, self.otp_window, self.listening = ledger, otp_window, listening
        host, port = listening.getsockname()[:2]
        self.url = f"http://{host}:{port}"
        self._simulators: Any = None
        self._server: Any = None
        self._thread: Any = None
        self._lock = threading.Lock()

    def start(self, *, in_thread: bool = True) -> None:
        import threading

        with self._lock:
            if self._thread is not None or self._simulators is not None:
                return
            if not in_thread:
                self._serve()
                return
            self._thread = threading.Thread(target=self._serve_logged, name="demo-simulators", daemon=True)
            self._thread.start()

    def _serve_logged(self) -> None:
        try:
            self._serve()
        except Exception:  # the ready screen then shows the back ends not answering
            log.exception("the demo simulators did not start")

    def _serve(self) -> None:
        from kiosk.sim.composite import CompositeSimulator
        from kiosk.sim.server import start_in_thread

        simulators = CompositeSimulator(self.ledger, otp_window=self.otp_window)
        try:
            self._server = start_in_thread(simulators, listening=self.listening)
        except BaseException:
            simulators.close()
            raise
        self._simulators = simulators

    def started(self) -> bool:
        return self._simulators is not None

    def now(self) -> Any:
        """The simulators; raises while they are still starting (demo aids show nothing then)."""
        if self._simulators is None:
            raise RuntimeError("the demo simulators are still starting")
        return self._simulators

    def close(self) -> None:
        if self._thread is not None:
            self._thread.join(15)  # bounded: a start in progress finishes or fails first
        if self._server is not None:
            self._server.stop()  # the books stay open: tests read them after the kiosk closed
        else:
            self.listening.close()
