"""Every status bit of DLE EOT 1-4 and of Automatic Status Back, decoded."""

from __future__ import annotations

from dataclasses import fields

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drivers import escpos
from drivers.base import EventName, PowerState, PrinterStatus, printer_events
from drivers.escpos import EscPosStatus, decode_asb, decode_realtime, to_printer_status

BASE = 0x12  # 0xx1xx10 with every flag off

REALTIME_BITS = [
    (1, 0x04, "drawer_pin_high"),
    (1, 0x08, "offline"),
    (1, 0x20, "waiting_online_recovery"),
    (1, 0x40, "feed_button"),
    (2, 0x04, "cover_open"),
    (2, 0x08, "feeding_by_button"),
    (2, 0x20, "paper_end_stop"),
    (2, 0x40, "error"),
    (3, 0x04, "mechanical_error"),
    (3, 0x08, "cutter_error"),
    (3, 0x20, "unrecoverable_error"),
    (3, 0x40, "auto_recoverable_error"),
    (4, 0x0C, "paper_near_end"),
    (4, 0x60, "paper_out"),
]


@pytest.mark.parametrize("n, bit, name", REALTIME_BITS)
def test_each_realtime_bit_sets_its_field_and_only_it(n, bit, name):
    on, off = decode_realtime(n, BASE | bit), decode_realtime(n, BASE)
    assert getattr(on, name) is True and getattr(off, name) is False
    for other in fields(EscPosStatus):
        if other.name != name:
            assert getattr(on, other.name) == getattr(off, other.name)


@pytest.mark.parametrize("bit", [0x04, 0x08, 0x20, 0x40])
def test_either_paper_sensor_bit_counts(bit):
    status = decode_realtime(4, BASE | bit)
    assert status.paper_near_end is (bit in (0x04, 0x08))
    assert status.paper_out is (bit in (0x20, 0x40))


def test_a_reading_says_nothing_about_what_it_did_not_cover():
    printer = decode_realtime(1, BASE)
    assert printer.offline is False and printer.cover_open is None and printer.paper_out is None


@pytest.mark.parametrize("byte", [0x00, 0x10, 0x11, 0x13, 0x17, 0x92, 0xFF])
def test_a_byte_that_is_not_a_reply_is_refused(byte):
    with pytest.raises(ValueError):
        decode_realtime(1, byte)


def test_reply_asb_and_flow_control_bytes_cannot_be_confused():
    replies = {b for b in range(256) if escpos.is_status_reply(b)}
    heads = {b for b in range(256) if escpos.is_asb_head(b)}
    assert len(replies) == len(heads) == 16 and not replies & heads
    for byte in (escpos.XON, escpos.XOFF):
        assert byte not in replies | heads
    assert not any(escpos.is_asb_body(b) for b in replies | heads | {escpos.XON, escpos.XOFF})


ASB_BITS = [
    (0, 0x04, "drawer_pin_high"),
    (0, 0x08, "offline"),
    (0, 0x20, "cover_open"),
    (0, 0x40, "feeding_by_button"),
    (1, 0x01, "waiting_online_recovery"),
    (1, 0x04, "mechanical_error"),
    (1, 0x08, "cutter_error"),
    (1, 0x20, "unrecoverable_error"),
    (1, 0x40, "auto_recoverable_error"),
    (2, 0x03, "paper_near_end"),
    (2, 0x0C, "paper_out"),
]


@pytest.mark.parametrize("index, bit, name", ASB_BITS)
def test_each_asb_bit_sets_its_field(index, bit, name):
    block = bytearray(b"\x10\x00\x00\x00")
    block[index] |= bit
    status = decode_asb(bytes(block))
    assert getattr(status, name) is True
    assert getattr(decode_asb(b"\x10\x00\x00\x00"), name) is False


def test_asb_errors_set_the_error_summary():
    assert decode_asb(b"\x10\x08\x00\x00").error is True
    assert decode_asb(b"\x10\x00\x00\x00").error is False


@pytest.mark.parametrize("block", [b"\x12\x00\x00\x00", b"\x10\x10\x00\x00", b"\x10\x00\x00", b"\x10\x00\x80\x00"])
def test_malformed_asb_blocks_are_refused(block):
    with pytest.raises(ValueError):
        decode_asb(block)


@given(st.lists(st.booleans(), min_size=14, max_size=14))
def test_encoding_then_decoding_a_status_gives_it_back(flags):
    names = [f.name for f in fields(EscPosStatus)]
    status = EscPosStatus(**dict(zip(names, flags)))
    decoded = EscPosStatus()
    for n in (1, 2, 3, 4):
        decoded |= decode_realtime(n, escpos.encode_status(status, n))
    assert decoded == status
    asb = decode_asb(escpos.encode_asb(status))
    for name in ("drawer_pin_high", "offline", "cover_open", "cutter_error", "paper_near_end", "paper_out"):
        assert getattr(asb, name) == getattr(status, name)


def full(**overrides) -> EscPosStatus:
    status = EscPosStatus()
    for n in (1, 2, 4):
        status |= decode_realtime(n, BASE)
    return status | EscPosStatus(**overrides)


def test_all_clear_is_ready():
    status = to_printer_status(full())
    assert status.ready and status.power is PowerState.ONLINE and status.problem() == ""


def test_paper_end_cover_and_offline_make_it_not_ready():
    assert to_printer_status(full(paper_out=True, offline=True)).problem() == "printer is out of paper"
    assert to_printer_status(full(cover_open=True, offline=True)).problem() == "printer cover is open"
    assert to_printer_status(full(offline=True)).power is PowerState.OFFLINE


def test_error_causes_are_reported_in_detail():
    status = to_printer_status(full(error=True) | decode_realtime(3, BASE | 0x08))
    assert status.error is True and "cutter error" in status.detail and not status.ready


def test_paper_end_stop_means_paper_out_when_the_paper_sensor_was_not_read():
    assert to_printer_status(decode_realtime(2, BASE | 0x20)).paper_out is True


@pytest.mark.parametrize(
    "level, pin_high, is_open", [("high", True, True), ("high", False, False), ("low", True, False), ("low", False, True)]
)
def test_drawer_sensor_polarity_is_configurable(level, pin_high, is_open):
    assert to_printer_status(EscPosStatus(drawer_pin_high=pin_high), level).drawer_open is is_open


def test_nothing_read_means_unknown_not_ok():
    status = to_printer_status(EscPosStatus())
    assert status.power is PowerState.UNKNOWN and status.paper_out is None and status.drawer_open is None
    assert not status.ready


def test_status_changes_become_unifiedpos_events():
    ok = to_printer_status(full())
    first = [e.name for e in printer_events("p", None, ok)]
    assert first == [EventName.POWER_ONLINE, EventName.COVER_OK, EventName.REC_PAPEROK, EventName.ERROR_CLEARED, EventName.DRAWER_CLOSED]
    empty = to_printer_status(full(paper_out=True, offline=True))
    assert [e.name for e in printer_events("p", ok, empty)] == [EventName.POWER_OFFLINE, EventName.REC_EMPTY]
    near = to_printer_status(full(paper_near_end=True))
    assert [e.name for e in printer_events("p", empty, near)] == [EventName.POWER_ONLINE, EventName.REC_NEAREMPTY]
    assert printer_events("p", near, near) == []
    assert printer_events("p", near, PrinterStatus()) == []  # unknown is not news
