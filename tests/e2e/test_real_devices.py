"""The kiosk on the real ESC/POS driver and printer-kicked drawer, against the byte-level
emulator on a pseudo-terminal, and the Rapyd simulator over loopback HTTP."""

import os
import subprocess
import sys
from decimal import Decimal

import pytest

from drivers.base import DrawerOutcome, PrintOutcome
from drivers.drawer import PrinterKickDrawer
from drivers.emulator import PrinterEmulator
from drivers.printer import EscPosPrinter
from kiosk.teller import Stage, TellerError
from kiosk.desks.base import PhoneLogin
from kiosk.desks.rapyd import wallet_desk
from tests.stack import JANE, SimulatorServer, build_stack


@pytest.fixture(scope="module")
def server():
    running = SimulatorServer()
    yield running
    running.stop()


@pytest.fixture
def emulator(tmp_path):
    with PrinterEmulator(115200, link=str(tmp_path / "printer"), auto_close_after=0.3) as running:
        yield running


@pytest.fixture
def stack(server, tmp_path, emulator):
    printer = EscPosPrinter(emulator.port, baudrate=115200, status_timeout=0.5, reconnect_timeout=1.0)
    drawer = PrinterKickDrawer(printer, pin=2, pulse_ms=100)
    built = build_stack(tmp_path, server.handle.url, server.fresh(tmp_path / "ledger.sqlite3"), printer=printer, drawer=drawer)
    yield built
    printer.close()
    built.client.close()
    built.journal.close()


def serve_withdrawal(stack, amount="10"):
    visit = wallet_desk(stack.teller).identify(PhoneLogin(JANE, stack.otp()))
    account = next(a for a in visit.accounts if a.currency == "GBP")
    wallet_desk(stack.teller).withdraw(visit, account.account_id, amount)
    return visit


def test_withdrawal_opens_the_drawer_waits_and_prints(stack, emulator):
    visit = serve_withdrawal(stack)
    assert visit.drawer_outcome is DrawerOutcome.OPENED and len(emulator.kicks) == 1
    assert stack.teller.wait_for_drawer_close(visit, 3.0) is True
    stack.teller.confirm_cash(visit)
    wallet_desk(stack.teller).complete(visit)
    assert visit.print_outcome is PrintOutcome.PRINTED
    assert emulator.wait_for_receipts(1, timeout=5)
    receipt = emulator.receipts[-1]
    assert "CASH WITHDRAWAL" in receipt and "10.00 GBP" in receipt
    assert f"[QR: {visit.transaction_id}]" in receipt
    assert "9992" in receipt and JANE not in receipt
    assert all(len(line) <= 42 for line in receipt.splitlines())


@pytest.mark.parametrize("fault", ["paper_out", "cover_open", "unplugged"])
def test_printer_faults_stop_the_visit_before_money_moves(stack, emulator, fault):
    emulator.inject(fault)
    with pytest.raises(TellerError) as caught:
        wallet_desk(stack.teller).identify(PhoneLogin(JANE, stack.otp()))
    assert caught.value.code == "PRINTER_NOT_READY"
    assert stack.simulator.balance(JANE, "GBP") == Decimal("189.00")


def test_jammed_drawer_is_reported_and_the_withdrawal_reversed(stack, emulator):
    emulator.inject("drawer_jammed")
    visit = serve_withdrawal(stack)
    assert visit.drawer_outcome is DrawerOutcome.NOT_OPENED
    wallet_desk(stack.teller).undo(visit)
    assert visit.stage is Stage.REVERSED
    assert stack.simulator.balance(JANE, "GBP") == Decimal("189.00")


def test_drawer_left_open_raises_the_alert(stack, emulator):
    emulator.inject("drawer_left_open")
    visit = serve_withdrawal(stack)
    assert stack.teller.wait_for_drawer_close(visit, 0.5) is False
    assert "DRAWER_LEFT_OPEN" in stack.steps(visit.visit_id)
    assert stack.teller.device_health().drawer_alert


def test_paper_running_out_mid_receipt_is_unknown_then_reprinted_as_copy(stack, emulator):
    visit = serve_withdrawal(stack)
    stack.teller.wait_for_drawer_close(visit, 3.0)
    stack.teller.confirm_cash(visit)
    emulator.inject("paper_out_mid_receipt", after_lines=4)
    wallet_desk(stack.teller).complete(visit)
    assert visit.print_outcome in (PrintOutcome.UNKNOWN, PrintOutcome.NOT_PRINTED)
    assert visit.stage is Stage.COMPLETED  # the cash moved; only the paper is missing
    emulator.clear()
    assert stack.teller.reprint() is PrintOutcome.PRINTED
    assert emulator.wait_for_receipts(1, timeout=5)
    assert "COPY" in emulator.receipts[-1]


def run_kiosk(args, tmp_path, emulator):
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "KIOSK_DATA_DIR": str(tmp_path / "data"),
        "KIOSK_PRINTER__PORT": emulator.port,
        "KIOSK_PRINTER__BAUDRATE": "115200",
        "KIOSK_PRINTER__FLOW_CONTROL": "none",
        "KIOSK_DRAWER__CLOSE_TIMEOUT": "5",
    }
    return subprocess.run([sys.executable, "-m", "kiosk.cli", *args], env=env, capture_output=True, text=True, timeout=60)


def test_devices_commands_for_the_it_person(tmp_path, emulator):
    done = run_kiosk(["devices", "status"], tmp_path, emulator)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ready        yes" in done.stdout and "drawer       closed" in done.stdout

    done = run_kiosk(["devices", "test-print"], tmp_path, emulator)
    assert done.returncode == 0 and "printed" in done.stdout
    assert emulator.wait_for_receipts(1, timeout=5) and "TEST PRINT" in emulator.receipts[-1]
    assert "£ € $" in emulator.receipts[-1]

    done = run_kiosk(["devices", "kick"], tmp_path, emulator)
    assert done.returncode == 0 and "drawer: opened" in done.stdout and "drawer closed" in done.stdout

    emulator.inject("paper_out")
    done = run_kiosk(["devices", "status"], tmp_path, emulator)
    assert done.returncode == 1 and "out of paper" in done.stdout
