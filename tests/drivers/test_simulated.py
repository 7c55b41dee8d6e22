"""The in-memory devices: the same protocols, every fault the kiosk must handle."""

from __future__ import annotations

import time

import pytest

from drivers.base import CashDrawer, DrawerOutcome, EventName, PowerState, PrintOutcome, QRCode, ReceiptDocument, ReceiptPrinter, Rule, TextLine
from drivers.simulated import SimulatedDrawer, SimulatedPrinter

DOC = ReceiptDocument([TextLine("Corner Shop"), TextLine("Amount £20.00"), Rule(), QRCode("abc"), TextLine("Thanks")])


@pytest.fixture
def printer():
    p = SimulatedPrinter(columns=32)
    p.open()
    return p


@pytest.fixture
def drawer():
    d = SimulatedDrawer()
    d.open()
    return d


def test_they_implement_the_protocols(printer, drawer):
    def takes(p: ReceiptPrinter, d: CashDrawer) -> tuple[str, str]:
        return p.name, d.name

    assert takes(printer, drawer) == ("printer", "drawer")


def test_printed_receipts_are_kept_with_their_text(printer):
    assert printer.print_receipt(DOC) is PrintOutcome.PRINTED
    assert printer.printed == [DOC]
    assert printer.texts[-1].splitlines() == ["Corner Shop", "Amount £20.00", "-" * 32, "[QR: abc]", "Thanks"]


@pytest.mark.parametrize("fault", ["paper_out", "cover_open", "offline", "unplugged"])
def test_faults_refuse_the_receipt(printer, fault):
    printer.inject(fault)
    assert not printer.check_health().ready
    assert printer.print_receipt(DOC) is PrintOutcome.NOT_PRINTED
    assert printer.texts == []
    printer.clear(fault)
    assert printer.print_receipt(DOC) is PrintOutcome.PRINTED


def test_paper_out_mid_receipt_is_unknown_then_paper_out(printer):
    events = []
    printer.add_listener(events.append)
    printer.inject("paper_out_mid_receipt")
    assert printer.print_receipt(DOC) is PrintOutcome.UNKNOWN
    assert printer.torn == ["Corner Shop\nAmount £20.00\n" + "-" * 32] and printer.texts == []
    assert printer.check_health().paper_out is True and "paper_out" in printer.faults
    assert EventName.REC_EMPTY in [e.name for e in events]


def test_paper_near_end_prints_and_warns(printer):
    events = []
    printer.add_listener(events.append)
    printer.inject("paper_near_end")
    assert printer.print_receipt(DOC) is PrintOutcome.PRINTED
    assert EventName.REC_NEAREMPTY in [e.name for e in events]


def test_unplug_and_replug(printer):
    events = []
    printer.add_listener(events.append)
    printer.inject("unplugged")
    assert printer.check_health().power is PowerState.OFF_OFFLINE
    printer.clear("unplugged")
    assert printer.check_health().ready
    assert EventName.RECONNECTED in [e.name for e in events]


def test_slow_device_takes_its_time():
    p = SimulatedPrinter(faults={"slow"}, slow_seconds=0.1)
    p.open()
    start = time.monotonic()
    assert p.print_receipt(DOC) is PrintOutcome.PRINTED
    assert time.monotonic() - start >= 0.1


def test_unknown_fault_names_are_refused(printer, drawer):
    with pytest.raises(ValueError):
        printer.inject("on_fire")
    with pytest.raises(ValueError):
        SimulatedDrawer(faults={"paper_out"})


def test_drawer_opens_and_closes(drawer):
    events = []
    drawer.add_listener(events.append)
    assert drawer.open_drawer() is DrawerOutcome.OPENED and drawer.check_health().open is True
    drawer.close_drawer()
    assert drawer.wait_for_drawer_close(0.1) is True
    assert [e.name for e in events] == [EventName.DRAWER_OPEN, EventName.DRAWER_CLOSED]


def test_drawer_auto_close_for_the_demo():
    d = SimulatedDrawer(auto_close_after=0.1)
    d.open()
    d.open_drawer()
    assert d.wait_for_drawer_close(1.0) is True


def test_drawer_left_open_alerts(drawer):
    d = SimulatedDrawer(auto_close_after=0.05, faults={"drawer_left_open"})
    d.open()
    events = []
    d.add_listener(events.append)
    d.open_drawer()
    start = time.monotonic()
    assert d.wait_for_drawer_close(0.2) is False
    assert 0.2 <= time.monotonic() - start < 0.5
    assert events[-1].name == EventName.DRAWER_LEFT_OPEN


def test_jammed_drawer_is_not_opened(drawer):
    drawer.inject("drawer_jammed")
    assert drawer.open_drawer() is DrawerOutcome.NOT_OPENED and not drawer.is_open


def test_drawer_without_sensor(drawer):
    drawer.inject("no_sensor")
    assert drawer.open_drawer() is DrawerOutcome.UNCONFIRMED
    assert drawer.is_open and drawer.wait_for_drawer_close(1.0) is None
    assert drawer.check_health().open is None and not drawer.capabilities.status


def test_unplugged_drawer(drawer):
    drawer.inject("unplugged")
    assert drawer.open_drawer() is DrawerOutcome.NOT_OPENED
    assert drawer.check_health().power is PowerState.OFF_OFFLINE
