"""The real EscPosPrinter and PrinterKickDrawer against the emulated printer on a pty."""

from __future__ import annotations

import threading
import time

import pytest

from drivers.base import Align, DeviceState, DrawerOutcome, EventName, PowerState, PrintOutcome, QRCode, ReceiptDocument, Rule, TextLine
from drivers.drawer import PrinterKickDrawer
from drivers.emulator import PrinterEmulator
from drivers.escpos import encode_receipt
from drivers.printer import EscPosPrinter
from drivers.serial_link import LinkError

from .conftest import make_printer, wait_until

UUID = "6f1c2b7e-3d4a-4e8f-9b0c-1a2b3c4d5e6f"


def receipt(title: str = "Corner Shop") -> ReceiptDocument:
    return ReceiptDocument(
        [
            TextLine(title, bold=True, double=True, align=Align.CENTER),
            TextLine("Withdrawal", bold=True),
            TextLine("Amount                          £120.00"),
            Rule(),
            QRCode(UUID),
            TextLine("Keep this receipt as proof of payment, thank you.", align=Align.CENTER),
        ]
    )


def test_a_whole_receipt_is_printed_and_rendered(emulator, printer):
    assert printer.print_receipt(receipt()) is PrintOutcome.PRINTED
    assert emulator.wait_for_receipts(1, 2)
    assert emulator.receipts[0].splitlines() == [
        "     Corner Shop",
        "Withdrawal",
        "Amount                          £120.00",
        "-" * 42,
        f"[QR: {UUID}]".center(42).rstrip(),
        "Keep this receipt as proof of payment,".center(42).rstrip(),
        "thank you.".center(42).rstrip(),
    ]
    assert printer.state is DeviceState.IDLE


def test_health_of_a_ready_printer(printer):
    status = printer.check_health()
    assert status.ready and status.power is PowerState.ONLINE and status.drawer_open is False


def test_raster_qr_reaches_the_printer_as_an_image(emulator):
    p = make_printer(emulator, qr="raster")
    p.open()
    try:
        assert p.print_receipt(ReceiptDocument([QRCode(UUID)])) is PrintOutcome.PRINTED
    finally:
        p.close()
    assert emulator.receipts[0].strip() == "[raster image 152x148]"
    assert emulator.kicks == []  # no real-time command hid in the image data


def test_paper_out_before_printing_is_refused_and_nothing_is_sent(emulator, printer, events):
    printer.add_listener(events.append)
    emulator.inject("paper_out")
    assert printer.print_receipt(receipt()) is PrintOutcome.NOT_PRINTED
    emulator.clear("paper_out")  # paper loaded: nothing held may come out now
    time.sleep(0.05)
    assert emulator.receipts == [] and emulator.page == ""
    assert EventName.REC_EMPTY in [e.name for e in events]


def test_paper_out_mid_receipt_is_unknown_and_a_reprint_works_after_reloading(emulator, printer):
    emulator.inject("paper_out_mid_receipt", after_lines=2)
    assert printer.print_receipt(receipt()) is PrintOutcome.UNKNOWN
    assert emulator.page.splitlines()[:2] == ["     Corner Shop", "Withdrawal"]
    assert printer.check_health().paper_out is True
    emulator.clear("paper_out")  # fresh roll: the held tail prints and is cut
    assert emulator.wait_for_receipts(1, 2)
    assert printer.print_receipt(receipt("COPY")) is PrintOutcome.PRINTED
    assert emulator.wait_for_receipts(2, 2) and "COPY" in emulator.receipts[1]


@pytest.mark.parametrize(
    "fault, problem",
    [("cover_open", "printer cover is open"), ("offline", "printer is offline"), ("cutter_error", "printer reports an error")],
)
def test_printer_faults_refuse_the_receipt(emulator, printer, fault, problem):
    emulator.inject(fault)
    status = printer.check_health()
    assert status.problem() == problem and status.power is PowerState.OFFLINE
    assert printer.print_receipt(receipt()) is PrintOutcome.NOT_PRINTED
    emulator.clear(fault)
    assert printer.print_receipt(receipt()) is PrintOutcome.PRINTED
    assert emulator.wait_for_receipts(1, 2)


def test_cover_open_reports_the_cause_and_raises_an_event(emulator, printer, events):
    printer.check_health()
    printer.add_listener(events.append)
    emulator.inject("cover_open")
    assert printer.check_health().cover_open is True
    emulator.clear("cover_open")
    printer.check_health()
    names = [e.name for e in events]
    assert names.index(EventName.COVER_OPEN) < names.index(EventName.COVER_OK)


def test_paper_near_end_still_prints_and_warns(emulator, printer, events):
    printer.add_listener(events.append)
    emulator.inject("paper_near_end")
    assert printer.print_receipt(receipt()) is PrintOutcome.PRINTED
    assert EventName.REC_NEAREMPTY in [e.name for e in events]


def test_unplug_is_reported_and_replug_reconnects_and_prints(emulator, printer, events):
    printer.add_listener(events.append)
    emulator.unplug()
    start = time.monotonic()
    status = printer.check_health()
    assert status.power is PowerState.OFF_OFFLINE and "unplugged" in status.detail
    assert time.monotonic() - start < 1.5  # bounded by reconnect_timeout
    assert printer.print_receipt(receipt()) is PrintOutcome.NOT_PRINTED
    assert printer.state is DeviceState.ERROR
    emulator.replug()
    assert printer.print_receipt(receipt()) is PrintOutcome.PRINTED
    assert emulator.wait_for_receipts(1, 2)
    assert EventName.RECONNECTED in [e.name for e in events]
    assert printer.state is DeviceState.IDLE


def test_unplug_during_a_receipt_makes_the_outcome_unknown():
    with PrinterEmulator(9600) as emulator:  # a raster receipt at 9600 baud takes ~3 s
        p = make_printer(emulator, qr="raster")
        p.open()
        outcome: list[PrintOutcome] = []
        worker = threading.Thread(target=lambda: outcome.append(p.print_receipt(receipt())))
        worker.start()
        assert wait_until(lambda: len(emulator.received) > 500, 2)
        emulator.unplug()
        worker.join(timeout=5)
        assert not worker.is_alive()
        assert outcome == [PrintOutcome.UNKNOWN]
        p.close()


def test_a_slow_printer_within_the_timeout_prints(emulator, printer):
    emulator.inject("slow", seconds=0.05)  # per answer: three answers in 0.15 s of the 0.3 s allowed
    assert printer.print_receipt(receipt()) is PrintOutcome.PRINTED


def test_a_printer_too_slow_to_answer_is_reported_within_the_bound(emulator, printer):
    emulator.inject("slow", seconds=1.0)
    start = time.monotonic()
    status = printer.check_health()
    assert time.monotonic() - start < 0.6  # status_timeout is 0.3 s
    assert status.power is PowerState.OFF_OFFLINE and not status.ready
    emulator.clear("slow")
    time.sleep(1.2)  # let the late answers arrive: they must not be taken for new ones
    assert printer.check_health().ready


def test_garbage_and_flow_control_bytes_on_the_line_are_ignored(emulator, printer):
    emulator.send_raw(b"\x00\xff\x11\x13\x80\x01")
    assert printer.check_health().ready
    emulator.send_raw(b"\x12\x12\x12")  # stale "replies" nobody asked for
    assert printer.print_receipt(receipt()) is PrintOutcome.PRINTED


def test_xoff_holds_the_receipt_until_xon(emulator):
    p = make_printer(emulator, flow_control="xonxoff", status_timeout=0.5)
    p.open()
    try:
        emulator.send_raw(b"\x13")  # XOFF: the printer's buffer is full
        time.sleep(0.05)
        outcome: list[PrintOutcome] = []
        worker = threading.Thread(target=lambda: outcome.append(p.print_receipt(receipt())))
        worker.start()
        time.sleep(0.15)
        assert emulator.received == b"\x1b@"  # only open()'s initialise: even the status query waits
        emulator.send_raw(b"\x11")  # XON, within the status timeout
        worker.join(timeout=3)
        assert outcome == [PrintOutcome.PRINTED]
    finally:
        p.close()


def test_xoff_that_never_lifts_refuses_within_the_bound(emulator):
    p = make_printer(emulator, flow_control="xonxoff")
    p.open()
    try:
        emulator.send_raw(b"\x13")
        time.sleep(0.05)
        start = time.monotonic()
        assert p.print_receipt(receipt()) is PrintOutcome.NOT_PRINTED
        assert time.monotonic() - start < 1.0
        assert emulator.receipts == []
    finally:
        emulator.send_raw(b"\x11")
        p.close()


def test_automatic_status_back_blocks_are_decoded(emulator):
    p = make_printer(emulator, automatic_status_back=True)
    p.open()
    try:
        assert p.check_health().ready
        assert p.last_asb is not None and p.last_asb.cover_open is False
        emulator.inject("cover_open")
        p.check_health()
        assert p.last_asb.cover_open is True and p.last_asb.offline is True
    finally:
        p.close()


def test_the_port_is_claimed_exclusively(emulator, printer):
    second = make_printer(emulator)
    with pytest.raises(LinkError):
        second.open()


def test_printing_on_a_closed_printer_is_refused(emulator):
    assert make_printer(emulator).print_receipt(receipt()) is PrintOutcome.NOT_PRINTED


def test_wire_time_is_real_at_9600_baud():
    doc = receipt()
    floor = len(encode_receipt(doc, "tm-t88v")) * 10 / 9600
    with PrinterEmulator(9600) as emulator:
        p = EscPosPrinter(emulator.port, 9600, status_timeout=0.5)
        p.open()
        start = time.monotonic()
        assert p.print_receipt(doc) is PrintOutcome.PRINTED
        elapsed = time.monotonic() - start
        p.close()
    assert floor <= elapsed < floor * 1.5 + 0.1


# --- the drawer on the printer's kick connector -----------------------------------------------


def drawer_for(printer: EscPosPrinter, **kw) -> PrinterKickDrawer:
    options = dict(open_confirm_timeout=0.3, poll_interval=0.02)
    options.update(kw)
    drawer = PrinterKickDrawer(printer, **options)
    drawer.open()
    return drawer


def test_kick_opens_the_drawer_and_closing_is_seen(emulator, printer, events):
    drawer = drawer_for(printer)
    drawer.add_listener(events.append)
    assert drawer.open_drawer() is DrawerOutcome.OPENED
    assert emulator.drawer_open and emulator.kicks == [(2, "ESC p")]
    assert drawer.check_health().open is True
    threading.Timer(0.1, emulator.close_drawer).start()
    assert drawer.wait_for_drawer_close(2.0) is True
    assert [e.name for e in events] == [EventName.DRAWER_OPEN, EventName.DRAWER_CLOSED]


def test_drawer_left_open_raises_an_alert_within_the_bound(emulator, printer, events):
    drawer = drawer_for(printer)
    drawer.add_listener(events.append)
    assert drawer.open_drawer() is DrawerOutcome.OPENED
    start = time.monotonic()
    assert drawer.wait_for_drawer_close(0.3) is False
    assert 0.3 <= time.monotonic() - start < 0.8
    assert events[-1].name == EventName.DRAWER_LEFT_OPEN


def test_jammed_drawer_is_not_opened(emulator, printer):
    emulator.inject("drawer_jammed")
    drawer = drawer_for(printer)
    start = time.monotonic()
    assert drawer.open_drawer() is DrawerOutcome.NOT_OPENED
    assert time.monotonic() - start < 0.8
    assert emulator.kicks  # the kick was sent; the drawer did not move


def test_drawer_without_sensor_is_unconfirmed(emulator, printer):
    emulator.inject("no_sensor")
    drawer = drawer_for(printer, has_sensor=False)
    assert drawer.open_drawer() is DrawerOutcome.UNCONFIRMED
    assert wait_until(lambda: emulator.drawer_open, 1.0)  # it did open; nobody could tell
    assert drawer.wait_for_drawer_close(1.0) is None
    assert drawer.check_health().open is None and not drawer.capabilities.status


def test_sensor_polarity_low_is_honoured():
    with PrinterEmulator(115200, drawer_sensor_open_level="low") as emulator:
        p = make_printer(emulator, drawer_sensor_open_level="low")
        p.open()
        drawer = drawer_for(p)
        assert drawer.check_health().open is False
        assert drawer.open_drawer() is DrawerOutcome.OPENED
        p.close()


def test_kick_while_the_printer_is_offline_uses_the_realtime_command(emulator, printer):
    emulator.inject("cover_open")
    drawer = drawer_for(printer, pin=5)
    assert drawer.open_drawer() is DrawerOutcome.OPENED
    assert emulator.kicks == [(5, "DLE DC4")]


def test_kick_with_the_printer_unplugged_is_not_opened(emulator, printer):
    drawer = drawer_for(printer)
    emulator.unplug()
    assert drawer.open_drawer() is DrawerOutcome.NOT_OPENED
    assert drawer.check_health().power is PowerState.OFF_OFFLINE
