"""Canary: whole visits on screen (Pilot) and headless (`kiosk txn`) with recognisable OTP,
phone, PIN and secret values; afterwards none of them can be read off the journal (and its
-wal file), the log, the receipts or the screens that were shown."""

from __future__ import annotations

import re

import io
import logging
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from kiosk.backends.base import Account
from kiosk.money import Money
from kiosk.ui.app import KioskApp
from kiosk.ui.screens.ready import ReadyScreen
from kiosk.ui.screens.receipt import ReceiptScreen
from tests.auth.conftest import keep_logging  # noqa: F401  (fixture)
from tests.auth.helpers import PINS, make_guard
from tests.ui.fakes import Wallet, fake_runtime
from tests.ui.helpers import fill, wait_for_screen
from tests.ui.journey import to_amount, to_confirm
from tests.ui.test_auth_signin import sign_in

ROOT = Path(__file__).resolve().parents[2]
PHONE = "+447700987654"
OTP = "918273"
PEPPER = "CANARY-PEPPER-5f3c1d9e7a2b"
SECRETS = (PHONE, PHONE[1:], PHONE[3:], OTP, PEPPER, PINS["ann"], PINS["sue"])


def leaks(blob: bytes, canaries) -> list[str]:
    """Canaries found as whole tokens: a 4-digit PIN also turns up by chance inside the hex
    of a hash or a random key, which is not a leak."""
    return [c for c in canaries if re.search(rb"(?<![0-9A-Za-z])" + re.escape(c.encode()) + rb"(?![0-9A-Za-z])", blob)]


def files_under(folder: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in folder.rglob("*") if p.is_file() and p.name not in ("accounts.sqlite3", "ledger.sqlite3")}


async def test_canary_ui_visit(tmp_path) -> None:
    runtime = fake_runtime(tmp_path)
    runtime.backend.wallets[PHONE] = Wallet(OTP, {"acc-c": Account("acc-c", "Canary GBP", Money(Decimal("500.00"), "GBP"))})
    guard = make_guard(tmp_path, runtime.teller.journal)
    guard.attach(runtime.teller)
    log_file = tmp_path / "kiosk.log"
    handler = logging.FileHandler(log_file)
    root = logging.getLogger()
    root.addHandler(handler)
    old_level, root.level = root.level, logging.DEBUG
    screens: list[str] = []
    try:
        app = KioskApp(runtime)
        async with app.run_test(size=(80, 24)) as pilot:
            await sign_in(pilot, "ann", PINS["ann"])
            screens.append(app.export_screenshot())
            await wait_for_screen(pilot, ReadyScreen)
            await pilot.press("enter")
            await pilot.pause()
            await fill(pilot, PHONE)
            screens.append(app.export_screenshot())  # typing: the number is shown in full
            typed = screens.pop()
            assert PHONE[3:] in typed.replace(" ", "") or "7700" in typed
            await pilot.press("enter")
            await fill(pilot, OTP)
            screens.append(app.export_screenshot())
            await pilot.press("enter")
            await to_amount(pilot, "w")
            screens.append(app.export_screenshot())
            await to_confirm(pilot, "20")
            screens.append(app.export_screenshot())
            await pilot.press("enter")
            await wait_for_screen(pilot, ReceiptScreen)
            screens.append(app.export_screenshot())
            wal = tmp_path / "journal.db-wal"
            during = {p: p.read_bytes() for p in tmp_path.glob("journal.db*")}
            assert wal in during
            await pilot.press("p")  # reprint: the approval modal, a supervisor's PIN
            await sign_in(pilot, "sue", PINS["sue"], screen=__import__("kiosk.ui.screens.approve", fromlist=["ApproveScreen"]).ApproveScreen)
            await pilot.pause(0.3)
            screens.append(app.export_screenshot())
    finally:
        root.removeHandler(handler)
        root.level = old_level
        handler.close()
        runtime.close()
    # After the number was entered, screens show it masked, never in full; the code never.
    for svg in screens:
        assert not leaks(svg.encode(), (PHONE, PHONE[1:], OTP, PINS["ann"], PINS["sue"], PEPPER)), svg[:200]
    receipts = "\n".join(line for doc in runtime.printer.printed for line in doc.text_lines())
    assert "7654" in receipts and not leaks(receipts.encode(), SECRETS)
    for path, blob in {**during, **files_under(tmp_path)}.items():
        assert not leaks(blob, SECRETS), f"{path} holds {leaks(blob, SECRETS)}"


def test_canary_headless_visit(tmp_path, monkeypatch, capsys, keep_logging) -> None:
    from kiosk.cli import main
    from kiosk.sim import rapyd as sim
    from kiosk.sim.server import start_in_thread

    simulator = sim.RapydSimulator(tmp_path / "ledger.sqlite3", otp_window=600)
    server = start_in_thread(simulator.app)
    data = tmp_path / "data"
    monkeypatch.setenv("KIOSK_AUTH__PEPPER", PEPPER)
    monkeypatch.setenv("KIOSK_AUTH__REQUIRED", "true")
    monkeypatch.setenv("KIOSK_LOG__LEVEL", "DEBUG")
    monkeypatch.delenv("KIOSK_CONFIG", raising=False)
    base = ["--config", str(ROOT / "config" / "demo.toml"), "--data-dir", str(data), "--set", f"rapyd.base_url={server.url}"]
    visits = (("withdraw", "10", "+447700900123"), ("deposit", "12.50", "+14155559992"))  # demo wallets
    phones = tuple(p for _, _, phone in visits for p in (phone, phone[1:]))
    canaries = phones + (PEPPER, PINS["ann"], sim.DEMO_SECRET_KEY, sim.DEMO_ACCESS_KEY)
    codes = []
    try:
        monkeypatch.setattr(sys, "stdin", io.StringIO(PINS["ann"] + "\n"))
        assert main([*base, "users", "add", "ann", "--role", "cashier"]) == 0
        for kind, amount, phone in visits:
            code = simulator.current_otp(phone, sim.DEMO_POS_ID)
            codes.append(code)
            monkeypatch.setattr(sys, "stdin", io.StringIO(PINS["ann"] + "\n"))
            argv = ["txn", kind, "--cashier", "ann", "--phone", phone, "--otp", code, "--currency", "GBP", "--amount", amount, "--json"]
            assert main([*base, *argv]) == 0
    finally:
        server.stop()
    out = capsys.readouterr()
    assert out.out.count('"status":"completed"') == 2
    assert not leaks((out.out + out.err).encode(), phones + (PEPPER, PINS["ann"], sim.DEMO_SECRET_KEY))
    found = files_under(data)
    assert (data / "kiosk.log") in found and (data / "journal.sqlite3") in found
    for path, blob in found.items():
        assert not leaks(blob, canaries + tuple(codes)), f"{path} holds {leaks(blob, canaries + tuple(codes))}"
