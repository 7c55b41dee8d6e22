"""Fixtures for the device-layer tests: an emulated printer on a pty and drivers bound to it.

Everything runs at 115200 baud so that wire time stays small; timeouts are short so that a
failing test fails fast instead of hanging.
"""

from __future__ import annotations

import time
from typing import Callable, Iterator

import pytest

from drivers.base import StatusEvent
from drivers.emulator import PrinterEmulator
from drivers.printer import EscPosPrinter

FAST_BAUD = 115200


def wait_until(predicate: Callable[[], bool], timeout: float = 2.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.005)
    return predicate()


@pytest.fixture
def emulator() -> Iterator[PrinterEmulator]:
    emu = PrinterEmulator(FAST_BAUD).start()
    try:
        yield emu
    finally:
        emu.stop()


def make_printer(emu: PrinterEmulator, **overrides) -> EscPosPrinter:
    options = dict(status_timeout=0.3, write_timeout=2.0, reconnect_timeout=0.5)
    options.update(overrides)
    return EscPosPrinter(emu.port, emu.baudrate, **options)


@pytest.fixture
def printer(emulator: PrinterEmulator) -> Iterator[EscPosPrinter]:
    p = make_printer(emulator)
    p.open()
    try:
        yield p
    finally:
        p.close()


@pytest.fixture
def events() -> list[StatusEvent]:
    return []
