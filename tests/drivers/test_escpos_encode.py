"""Golden tests for the receipt encoder: the exact bytes a printer receives."""

from __future__ import annotations

import pytest

from drivers import escpos
from drivers.base import Align, Feed, QRCode, ReceiptDocument, Rule, TextLine
from drivers.escpos import EncodeError, encode_receipt
from drivers.profiles import PROFILES, get_profile

INIT_PC437 = b"\x1b@\x1bt\x00"
CUT = b"\x1dVB\x00"


def test_smallest_receipt_is_initialise_code_page_text_cut():
    assert encode_receipt(ReceiptDocument([TextLine("Hi")]), "tm-t88v") == INIT_PC437 + b"Hi\n" + CUT


def test_styles_are_sent_only_when_they_change():
    doc = ReceiptDocument(
        [
            TextLine("SHOP", bold=True, double=True, align=Align.CENTER),
            TextLine("street", align=Align.CENTER),
            TextLine("total", bold=True, align=Align.RIGHT),
            TextLine("end"),
        ],
        cut=False,
    )
    assert encode_receipt(doc, "tm-t88v") == (
        INIT_PC437
        + b"\x1ba\x01\x1bE\x01\x1d!\x11SHOP\n"  # centre, bold on, double size
        + b"\x1bE\x00\x1d!\x00street\n"  # still centred: only bold and size change
        + b"\x1ba\x02\x1bE\x01total\n"
        + b"\x1ba\x00\x1bE\x00end\n"
    )


def test_pound_sign_prints_in_pc437_on_an_epson():
    data = encode_receipt(ReceiptDocument([TextLine("£20.00")], cut=False), "tm-t88v")
    assert data == INIT_PC437 + b"\x9c20.00\n"


def test_euro_sign_selects_pc858_where_the_profile_has_it():
    data = encode_receipt(ReceiptDocument([TextLine("€5 £2 $1")], cut=False), "tm-t20iii")
    assert data == b"\x1b@\x1bt\x13" + b"\xd55 \x9c2 $1\n"


def test_euro_sign_becomes_iso_code_when_the_code_page_lacks_it():
    doc = ReceiptDocument([TextLine("Amount €5.00"), TextLine("5.00€ fee"), TextLine("£1")], cut=False)
    assert encode_receipt(doc, "generic-58") == INIT_PC437 + b"Amount EUR 5.00\n5.00 EUR fee\n\x9c1\n"


def test_accents_fold_and_unknown_characters_become_question_marks():
    line = escpos.fit_to_code_page("Šárka ✓", get_profile("generic-58").code_pages[0])
    assert line == "Sárka ?"  # á is in PC437, Š is not: its bare letter is


def test_control_characters_in_text_cannot_inject_commands():
    # A name typed by a customer must never open the drawer or reset the printer.
    data = encode_receipt(ReceiptDocument([TextLine("Bob\x1b@\x10\x14\x01\x00\x05\tX")], cut=False), "tm-t88v")
    assert data == INIT_PC437 + b"Bob@ X\n"


def test_wrapping_is_word_safe_at_the_profile_columns():
    text = "Thank you for using the cash point today, we hope to see you again soon"
    data = encode_receipt(ReceiptDocument([TextLine(text)], cut=False), "generic-58")
    lines = data[len(INIT_PC437) :].decode("cp437").splitlines()
    assert lines == ["Thank you for using the cash", "point today, we hope to see you", "again soon"]
    assert all(len(line) <= 32 for line in lines)


def test_double_size_text_wraps_at_half_the_columns():
    data = encode_receipt(ReceiptDocument([TextLine("Corner Shop Cash Point", double=True)], cut=False), "generic-58")
    assert data.endswith(b"\x1d!\x11Corner Shop Cash\nPoint\n")


def test_a_line_that_fits_keeps_its_spacing_and_a_long_word_is_split():
    assert escpos.wrap("Fee     £0.00", 32) == ["Fee     £0.00"]
    assert escpos.wrap("x" * 70, 32) == ["x" * 32, "x" * 32, "x" * 6]


def test_rule_spans_the_paper_in_normal_size():
    data = encode_receipt(ReceiptDocument([TextLine("T", double=True), Rule("=")], cut=False), "tm-t88v")
    assert data.endswith(b"\x1d!\x00" + b"=" * 42 + b"\n")


def test_feed_is_line_feeds():
    assert encode_receipt(ReceiptDocument([Feed(3)], cut=False), "tm-t88v") == INIT_PC437 + b"\n\n\n"


def test_native_qr_golden_bytes():
    assert escpos.qr_native("ABC", 4) == (
        b"\x1d(k\x04\x001A2\x00"  # model 2
        b"\x1d(k\x03\x001C\x04"  # module size 4
        b"\x1d(k\x03\x001E1"  # error correction M
        b"\x1d(k\x06\x001P0ABC"  # store 3 bytes
        b"\x1d(k\x03\x001Q0"  # print
    )


def test_qr_is_centred_and_native_on_an_epson():
    data = encode_receipt(ReceiptDocument([QRCode("ABC")], cut=False), "tm-t88v")
    assert data == INIT_PC437 + b"\x1ba\x01" + escpos.qr_native("ABC", 4)


def _decode_raster(data: bytes) -> tuple[int, list[list[bool]]]:
    assert data[:4] == b"\x1dv0\x00"
    width_bytes = data[4] | data[5] << 8
    height = data[6] | data[7] << 8
    pixels = data[8:]
    assert len(pixels) == width_bytes * height
    rows = []
    for y in range(height):
        row = pixels[y * width_bytes : (y + 1) * width_bytes]
        rows.append([bool(row[x // 8] >> (7 - x % 8) & 1) for x in range(width_bytes * 8)])
    return width_bytes, rows


def test_raster_qr_is_the_qr_matrix_scaled_msb_leftmost():
    payload = "6f1c2b7e-3d4a-4e8f-9b0c-1a2b3c4d5e6f"
    data = escpos.qr_raster(payload, 3, get_profile("generic-58"))
    matrix = escpos.qr_matrix(payload)
    width_bytes, rows = _decode_raster(data)
    assert len(rows) == len(matrix) * 3
    for y, modules in enumerate(matrix):
        expected = [dark for dark in modules for _ in range(3)]
        assert rows[y * 3][: len(expected)] == expected
        assert not any(rows[y * 3][len(expected) :])  # padding is white


def test_profile_without_native_qr_gets_a_raster_image_of_kilobytes():
    doc = ReceiptDocument([QRCode("6f1c2b7e-3d4a-4e8f-9b0c-1a2b3c4d5e6f")], cut=False)
    raster = encode_receipt(doc, "generic-58")
    native = encode_receipt(doc, "tm-t88v")
    assert b"\x1dv0" in raster and b"\x1d(k" not in raster
    assert len(native) < 100 < 2000 < len(raster)


def test_raster_can_be_forced_and_native_cannot_be_forced_without_firmware():
    doc = ReceiptDocument([QRCode("x")], cut=False)
    assert b"\x1dv0" in encode_receipt(doc, "tm-t88v", qr="raster")
    with pytest.raises(EncodeError):
        encode_receipt(doc, "generic-58", qr="native")


def test_raster_qr_never_wider_than_the_paper():
    data = escpos.qr_raster("x" * 300, 16, get_profile("generic-58"))
    width_bytes, rows = _decode_raster(data[: 8 + (data[4] | data[5] << 8) * (data[6] | data[7] << 8)])
    assert width_bytes * 8 <= 384


def test_realtime_sequences_are_detected():
    assert escpos.has_realtime_sequence(b"\x00\x10\x04\x01")
    assert escpos.has_realtime_sequence(b"\x10\x14\x01\x00\x05")
    assert escpos.has_realtime_sequence(b"\x10\x05\x02")
    assert not escpos.has_realtime_sequence(b"\x10\x10\x00\x04\x14")
    assert not escpos.has_realtime_sequence(b"\x10")


def test_raster_data_holding_dle_eot_is_shifted_until_clean(monkeypatch):
    # Row 1 packs to 0x10 0x04 at scale 1 (DLE EOT); row 2 to 0x10 0x14 (DLE DC4).
    row1 = [False] * 3 + [True] + [False] * 9 + [True] + [False] * 2
    row2 = [False] * 3 + [True] + [False] * 7 + [True] + [False] * 4
    monkeypatch.setattr(escpos, "qr_matrix", lambda payload: [row1, row2])
    naive = escpos.raster_image(*escpos.raster_rows([row1, row2], 1, 0), 255)
    assert escpos.has_realtime_sequence(naive)  # the hazard is real without the guard
    data = escpos.qr_raster("any", 1, get_profile("generic-58"))
    assert not escpos.has_realtime_sequence(data)
    _, rows = _decode_raster(data)
    shift = rows[0].index(True) - 3
    assert shift > 0 and rows[0][3 + shift] and rows[1][11 + shift]  # same image, moved right


def test_tall_raster_images_are_sent_in_bands():
    data = escpos.raster_image(1, [b"\x80"] * 300, 255)
    assert data.count(b"\x1dv0\x00") == 2
    assert data[:8] == b"\x1dv0\x00\x01\x00\xff\x00"


def test_no_cutter_means_feed_to_tear_off():
    assert encode_receipt(ReceiptDocument([TextLine("x")]), "generic-58").endswith(b"x\n\x1bd\x04")


def test_drawer_kick_commands():
    assert escpos.drawer_kick(2, 100) == b"\x1bp\x00\x32\x32"
    assert escpos.drawer_kick(5, 50, off_ms=500) == b"\x1bp\x01\x19\xfa"
    assert escpos.realtime_drawer_kick(2, 100) == b"\x10\x14\x01\x00\x01"
    assert escpos.realtime_drawer_kick(5, 800) == b"\x10\x14\x01\x01\x08"
    with pytest.raises(ValueError):
        escpos.drawer_kick(3)


def test_status_and_asb_commands():
    assert [escpos.status_request(n) for n in (1, 2, 3, 4)] == [b"\x10\x04\x01", b"\x10\x04\x02", b"\x10\x04\x03", b"\x10\x04\x04"]
    assert escpos.automatic_status_back() == b"\x1da\x0f"
    with pytest.raises(ValueError):
        escpos.status_request(5)


def test_profiles_carry_the_hardware_facts():
    t88, t20, g58 = get_profile("tm-t88v"), get_profile("TM-T20III"), get_profile("generic-58")
    assert (t88.dots_per_line, t88.columns, t88.native_qr, t88.cutter) == (512, 42, True, True)
    assert (t20.dots_per_line, t20.columns, t20.native_qr, t20.cutter) == (576, 48, True, True)
    assert (g58.dots_per_line, g58.columns, g58.native_qr, g58.cutter) == (384, 32, False, False)
    for profile in PROFILES.values():
        assert profile.columns * 12 <= profile.dots_per_line  # font A is 12 dots wide


def test_unknown_profile_names_the_known_ones():
    with pytest.raises(ValueError) as err:
        get_profile("tm-x9000")
    assert "tm-x9000" in str(err.value)
    for name in ("generic-58", "tm-t20iii", "tm-t88v"):
        assert name in str(err.value)
