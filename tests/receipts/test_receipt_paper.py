"""Receipts a customer can scan: laid out to the printer's columns, with the commission and a
partial approval printed, one sign convention for withdrawals on paper and on screen, and
receipt files written as text and as a PNG whose QR decodes to the transaction id."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

import pytest

from drivers.escpos import qr_matrix
from drivers.paper import render
from drivers.profiles import PROFILES
from drivers.simulated import SimulatedPrinter
from kiosk.backends.sdkfinance import Quote
from kiosk.devices import ReceiptArchive
from kiosk.money import Money
from kiosk.receipts import ReceiptFacts, build_receipt, facts_from_visit
from kiosk.desks.giftcards import GiftCardVisit
from kiosk.desks.sdkwallet import SdkVisit
from kiosk.teller.visit import VisitKind

TXN = "6f1c2b7e-3d4a-4e8f-9b0c-1a2b3c4d5e6f"


def gbp(text: str) -> Money:
    return Money(Decimal(text), "GBP")


def facts(**extra) -> ReceiptFacts:
    fields = dict(
        store_name="Corner Shop", store_address="1 High Street, London", terminal_id="TILL-1", cashier="alice",
        kind="withdraw", amount=gbp("30.00"), account_alias="Alice GBP", phone_masked="•••• 0111",
        transaction_id=TXN, visit_id="5c1f0e7a-2b9d", at=datetime(2026, 3, 2, 10, 15, tzinfo=timezone.utc),
    )
    return ReceiptFacts(**{**fields, **extra})


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_the_receipt_fills_the_profiles_columns(profile):
    columns = PROFILES[profile].columns
    document = build_receipt(facts(), columns=columns)
    lines = render(document, columns, qr=lambda payload: ["#" * 29]).splitlines()  # a QR 29 modules wide
    assert max(len(line) for line in lines) == columns  # nothing wider than the paper
    rules = [line for line in lines if set(line) == {"-"}]
    assert rules and all(line == "-" * columns for line in rules)  # 42 dashes on 42 columns, not 32
    date = next(line for line in lines if line.startswith("Date"))
    assert len(date) == columns and date.endswith("2026-03-02 10:15:00")  # label left, value at the edge
    assert document.text_lines(columns).count("-" * columns) == len(rules)


def test_commission_and_partial_approval_are_printed():
    document = build_receipt(facts(commission=gbp("0.60"), wallet_amount=gbp("30.60"), wallet_label="From the wallet",
                                   requested=gbp("150.00"), amount=gbp("100.00")), columns=42)
    text = render(document, 42)
    assert "Only 100.00 of 150.00 approved" in text
    assert "Commission" + " " * 24 + "0.60 GBP" in text
    assert "From the wallet" in text and "30.60 GBP" in text
    assert "Commission" not in render(build_receipt(facts(), columns=42), 42)  # only where there is one


def test_a_visit_gives_the_commission_it_was_quoted_and_the_amount_it_asked():
    quote = Quote("coin-1", gbp("20.00"), gbp("0.60"), gbp("20.60"))
    withdrawal = SdkVisit(visit_id="v1", phone_masked="x", kind=VisitKind.WITHDRAW, amount=gbp("20.00"))
    withdrawal.details.quote = quote
    assert facts_from_visit(withdrawal) == {"commission": gbp("0.60"), "wallet_amount": gbp("20.60"),
                                            "wallet_label": "From the wallet"}
    topup = SdkVisit(visit_id="v2", phone_masked="x", kind=VisitKind.DEPOSIT, amount=gbp("20.60"))
    topup.details.quote = quote
    assert facts_from_visit(topup)["wallet_amount"] == gbp("20.00")
    assert facts_from_visit(topup)["wallet_label"] == "To the wallet"
    redeem = GiftCardVisit(visit_id="v3", phone_masked="x", kind=VisitKind.WITHDRAW, amount=gbp("100.00"))
    redeem.details.requested = gbp("150.00")
    assert facts_from_visit(redeem) == {"requested": gbp("150.00")}
    redeem.details.requested = gbp("100.00")  # all approved: nothing to mark
    assert facts_from_visit(redeem) == {}


def test_receipt_files_are_text_and_a_png_whose_qr_decodes(tmp_path):
    from PIL import Image

    printer = SimulatedPrinter(columns=48)
    printer.open()
    archive = ReceiptArchive(printer, tmp_path)
    archive.print_receipt(build_receipt(facts(), columns=48))
    (text,) = tmp_path.glob("receipt-*.txt")
    (png,) = tmp_path.glob("receipt-*.png")
    assert text.stem == png.stem
    assert "-" * 48 + "\n" in text.read_text(encoding="utf-8")  # the file is as wide as the paper
    with Image.open(png) as image:
        assert image.format == "PNG" and image.mode == "L"
        assert image.width == 48 * 12 + 2 * 24  # one 12-dot cell per column, and the margins
        decoded = _decode(image)
    assert decoded == [TXN] or decoded is None
    if decoded is None:  # no decoder here: the modules drawn must be qrcode's own matrix
        _assert_matrix_drawn(png, TXN)


def _decode(image) -> list[str] | None:
    try:
        import zxingcpp
    except ImportError:
        return None
    return [found.text for found in zxingcpp.read_barcodes(image)]


def _assert_matrix_drawn(png, payload: str) -> None:
    from PIL import Image

    from drivers.receipt_image import QR_DOT

    matrix = qr_matrix(payload)
    with Image.open(png) as image:
        pixels = image.load()
        side = len(matrix) * QR_DOT
        left = (image.width - side) // 2
        finder = range(left + 4 * QR_DOT, left + 11 * QR_DOT)  # the top edge of the top-left finder
        top = next(y for y in range(image.height) if all(pixels[x, y] == 0 for x in finder)) - 4 * QR_DOT
        for r, row in enumerate(matrix):
            for c, dark in enumerate(row):
                assert (pixels[left + c * QR_DOT + 1, top + r * QR_DOT + 1] == 0) == dark


def test_the_png_carries_qrcodes_own_matrix(tmp_path):
    """Without a decoder the check is against the library's matrix; here it runs either way."""
    printer = SimulatedPrinter(columns=42)
    printer.open()
    ReceiptArchive(printer, tmp_path).print_receipt(build_receipt(facts(), columns=42))
    (png,) = tmp_path.glob("receipt-*.png")
    _assert_matrix_drawn(png, TXN)


def test_withdrawals_have_one_sign_convention_on_paper_and_screen(tmp_path):
    """'Withdrawals 30.00': no minus on the printed X report (ESC/POS bytes through the emulator's
    renderer) nor on the screen's lines."""
    from drivers.emulator import PrinterEmulator
    from tests.drivers.conftest import FAST_BAUD, make_printer
    from kiosk.teller.shifts import CurrencyTotals, Shift, ShiftReport

    report = ShiftReport("X", Shift(1, "2026-03-02T09:00:00", {"GBP": gbp("500.00")}, "alice"),
                         {"GBP": CurrencyTotals(float=Decimal("500.00"), deposits=Decimal("20.00"),
                                                withdrawals=Decimal("30.00"))})
    screen = " ".join(report.lines())
    assert "withdrawals 30.00" in screen and "-withdrawals" not in screen and "-30.00" not in screen
    with PrinterEmulator(FAST_BAUD) as emulator:
        printer = make_printer(emulator)
        printer.open()
        try:
            assert printer.print_receipt(report.document("Corner Shop", "TILL-1", printer.columns)).value == "printed"
        finally:
            printer.close()
        assert emulator.wait_for_receipts(1, 2)
        paper = emulator.receipts[0]
    withdrawals = next(line for line in paper.splitlines() if line.startswith("Withdrawals"))
    assert withdrawals == "Withdrawals" + " " * 26 + "30.00" and "-30.00" not in paper
    assert "Expected" + " " * 28 + "490.00" in paper  # 500 + 20 - 30: the sum is unchanged
