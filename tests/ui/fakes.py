"""Stand-ins for the wallet host, printer and drawer, behind the real Teller and Journal.

Used by the snapshot app (deterministic screens: counted transaction ids, fixed codes) and,
beside kiosk.runtime.demo_runtime, by the behaviour tests (conftest.py's "fake" world)."""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

from drivers.base import DeviceState, DrawerOutcome, DrawerStatus, PowerState, PrinterStatus, PrintOutcome
from kiosk.backends.base import (
    Account,
    HostReceipt,
    HostUnreachable,
    InsufficientFunds,
    OutcomeUnknown,
    OtpRejected,
    WalletSession,
)
from kiosk.journal.store import Journal
from kiosk.money import Money
from kiosk.teller import Teller
from kiosk.teller.retry import RetryPolicy

ALICE = "+447700900111"
BOB = "+447700900222"


@dataclass
class Wallet:
    code: str
    accounts: dict[str, Account] = field(default_factory=dict)


class FakeBackend:
    name = "fake"

    def __init__(self) -> None:
        self.wallets = {
            ALICE: Wallet("123456", {"acc-a-gbp": Account("acc-a-gbp", "Alice GBP", Money(Decimal("250.00"), "GBP"))}),
            BOB: Wallet("654321", {"acc-b-gbp": Account("acc-b-gbp", "Bob everyday", Money(Decimal("40.00"), "GBP"))}),
        }
        self.unreachable = False
        self.no_answer = False  # money calls time out (the outcome is unknown)
        self.closed_sessions = 0
        self._txn = 0

    def _txn_id(self, prefix: str = "txn") -> str:
        # Counted, not random: receipts (and their snapshots) stay the same run to run.
        self._txn += 1
        return f"{prefix}_{self._txn:08d}"

    def _check(self) -> None:
        if self.unreachable:
            raise HostUnreachable("connection refused")

    def balance(self, phone: str, currency: str) -> Money | None:
        account = next((a for a in self.wallets[phone].accounts.values() if a.currency == currency), None)
        return account.balance if account else None

    def echo(self) -> None:
        self._check()

    def open_session(self, phone: str, otp: str, *, idempotency: str) -> WalletSession:
        self._check()
        wallet = self.wallets.get(phone)
        if wallet is None or otp != wallet.code:
            raise OtpRejected("invalid otp")
        return WalletSession(uuid.uuid4().hex, uuid.uuid4().hex, phone, list(wallet.accounts.values()))

    def withdraw(self, session, account_id, amount, *, idempotency):
        self._check()
        if self.no_answer:
            raise OutcomeUnknown("read timeout")
        wallet = self.wallets[session.phone]
        account = wallet.accounts[account_id]
        if account.balance < amount:
            raise InsufficientFunds("insufficient funds")
        wallet.accounts[account_id] = Account(account_id, account.alias, account.balance - amount)
        return HostReceipt(self._txn_id())

    def deposit(self, session, amount, *, idempotency):
        self._check()
        wallet = self.wallets[session.phone]
        account = next((a for a in wallet.accounts.values() if a.currency == amount.currency), None)
        if account is None:
            account = Account(f"acc-{amount.currency.lower()}", amount.currency, Money.zero(amount.currency))
        wallet.accounts[account.account_id] = Account(account.account_id, account.alias, account.balance + amount)
        return HostReceipt(self._txn_id())

    def reverse_withdrawal(self, session, account_id, amount, transaction_id, *, idempotency):
        self._check()
        wallet = self.wallets[session.phone]
        account = wallet.accounts[account_id]
        wallet.accounts[account_id] = Account(account_id, account.alias, account.balance + amount)
        return HostReceipt(self._txn_id("rev"))

    def close_session(self, session, *, idempotency):
        self.closed_sessions += 1

    def close(self) -> None:
        pass


class FakePrinter:
    name = "fake-printer"
    columns = 42
    state = DeviceState.IDLE

    def __init__(self) -> None:
        self.paper_out = False
        self.printed: list = []

    def open(self) -> None: ...
    def close(self) -> None: ...
    def add_listener(self, listener) -> None: ...

    def check_health(self) -> PrinterStatus:
        return PrinterStatus(PowerState.ONLINE, cover_open=False, paper_near_end=False, paper_out=self.paper_out, error=False)

    def print_receipt(self, document) -> PrintOutcome:
        if self.paper_out:
            return PrintOutcome.NOT_PRINTED
        self.printed.append(document)
        return PrintOutcome.PRINTED


class FakeDrawer:
    name = "fake-drawer"
    state = DeviceState.IDLE

    # Closes itself after a second: long enough for a test on a loaded machine to see the
    # drawer screen before the receipt replaces it.
    def __init__(self, *, close_after: float = 1.0, has_sensor: bool = True) -> None:
        self.close_after = close_after
        self.has_sensor = has_sensor
        self.fail_open = False
        self.is_open = False
        self._closed = threading.Event()
        self._closed.set()

    def open(self) -> None: ...
    def close(self) -> None: ...
    def add_listener(self, listener) -> None: ...

    def check_health(self) -> DrawerStatus:
        return DrawerStatus(PowerState.ONLINE, open=self.is_open if self.has_sensor else None, has_sensor=self.has_sensor)

    def open_drawer(self) -> DrawerOutcome:
        if self.fail_open:
            return DrawerOutcome.NOT_OPENED
        if not self.has_sensor:
            return DrawerOutcome.UNCONFIRMED
        self.is_open = True
        self._closed.clear()
        timer = threading.Timer(self.close_after, self._shut)
        timer.daemon = True
        timer.start()
        return DrawerOutcome.OPENED

    def _shut(self) -> None:
        self.is_open = False
        self._closed.set()

    def wait_for_drawer_close(self, timeout: float) -> bool | None:
        if not self.has_sensor:
            return None
        return self._closed.wait(timeout)


class FakeDemo:
    """What runtime.demo offers: wallets and the code each app shows now."""

    def __init__(self, backend: FakeBackend, clock=time.time, window: int = 30) -> None:
        self.backend = backend
        self.clock = clock
        self.window = window
        self.wallets = [(ALICE, "Alice: GBP 250.00"), (BOB, "Bob: GBP 40.00")]

    def current_otp(self, phone: str) -> str:
        return self.backend.wallets[phone].code

    def otp_seconds_left(self) -> float:
        return self.window - self.clock() % self.window


def fake_runtime(data_dir: Path, *, clock=time.time, drawer: FakeDrawer | None = None, reuse_shift: bool = False) -> SimpleNamespace:
    backend, printer, drawer = FakeBackend(), FakePrinter(), drawer or FakeDrawer()
    journal = Journal(Path(data_dir) / "journal.db", mac_key=b"m" * 32)
    teller = Teller(
        backend=backend,
        printer=printer,
        drawer=drawer,
        journal=journal,
        store_name="Corner Shop",
        store_address="1 High Street",
        terminal_id="TILL-1",
        retry=RetryPolicy(attempts=3, base=0.01, cap=0.02, deadline=1.0),
        clock=clock,
    )
    if not reuse_shift:
        teller.open_shift({"GBP": Money(Decimal("100.00"), "GBP"), "EUR": Money(Decimal("50.00"), "EUR")})
    return SimpleNamespace(
        teller=teller,
        settings=None,
        otp_window=30,
        pos_id="POS-TEST-0001",
        demo=FakeDemo(backend, clock),
        receipt_dir=Path(data_dir),
        backend=backend,
        printer=printer,
        drawer=drawer,
        close=journal.close,
    )
