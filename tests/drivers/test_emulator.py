"""The emulator itself: parsing, pacing, the real-time hazard, and running standalone."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from drivers.base import PrintOutcome, ReceiptDocument, TextLine
from drivers.emulator import PrinterEmulator
from drivers.printer import EscPosPrinter
from drivers.serial_link import SerialLink

from .conftest import wait_until

ROOT = Path(__file__).resolve().parents[2]


def send(emulator: PrinterEmulator, data: bytes) -> None:
    link = SerialLink(emulator.port, emulator.baudrate)
    link.open()
    try:
        link.write(data)
    finally:
        link.close()


def test_code_pages_bold_size_alignment_and_cut_are_parsed(emulator):
    send(emulator, b"\x1b@\x1bt\x13\x1ba\x02\xd5 5\n\x1ba\x00\x1d!\x11" + b"W" * 25 + b"\n\x1dVB\x00")
    assert emulator.wait_for_receipts(1, 2)
    assert emulator.receipts[0].splitlines() == ["€ 5".rjust(42), "W" * 21, "WWWW"]  # double width: 21 a line


def test_raster_is_shown_by_its_size(emulator):
    send(emulator, b"\x1b@\x1dv0\x00\x02\x00\x03\x00" + b"\xff" * 6 + b"\x1dV\x00")
    assert emulator.wait_for_receipts(1, 2)
    assert emulator.receipts[0] == "[raster image 16x3]"


def test_dle_dc4_inside_image_data_fires_the_drawer(emulator):
    # Why the encoder guards raster data: the printer acts on these bytes wherever they are.
    send(emulator, b"\x1dv0\x00\x05\x00\x01\x00" + b"\x10\x14\x01\x00\x01")
    assert wait_until(lambda: emulator.drawer_open, 2)
    assert emulator.kicks == [(2, "DLE DC4")]


def test_unknown_commands_are_skipped(emulator):
    send(emulator, b"\x1b@\x1b\x7fhi\n\x1dV\x00")
    assert emulator.wait_for_receipts(1, 2)
    assert emulator.receipts[0] == "hi" and emulator.unknown == 1


def test_input_is_paced_at_the_baud_rate():
    with PrinterEmulator(9600) as emulator:
        start = time.monotonic()
        send(emulator, b"x" * 960)  # one second of wire time at 9600 baud
        assert wait_until(lambda: len(emulator.received) == 960, 3)
        assert 0.95 <= time.monotonic() - start < 1.4


def test_held_while_offline_and_printed_on_recovery(emulator):
    emulator.inject("cover_open")
    send(emulator, b"\x1b@held\n\x1dV\x00")
    time.sleep(0.1)
    assert emulator.receipts == []
    emulator.clear("cover_open")
    assert emulator.receipts == ["held"]


def test_unknown_fault_is_refused(emulator):
    with pytest.raises(ValueError):
        emulator.inject("flooded")


def test_standalone_prints_its_port_and_each_receipt(tmp_path):
    link = tmp_path / "kiosk-printer"
    proc = subprocess.Popen(
        [sys.executable, "-m", "drivers.emulator", "--baud", "115200", "--link", str(link)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert proc.stdout is not None
        assert str(link) in proc.stdout.readline()
        printer = EscPosPrinter(str(link), 115200, status_timeout=1.0)
        printer.open()
        assert printer.print_receipt(ReceiptDocument([TextLine("standalone £1")])) is PrintOutcome.PRINTED
        printer.close()
        lines = [proc.stdout.readline().rstrip("\n") for _ in range(3)]
        assert lines == ["--- receipt ---", "standalone £1", "--- cut ---"]
    finally:
        proc.terminate()
        proc.wait(timeout=5)
    assert not link.exists()
