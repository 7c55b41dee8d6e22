"""How long a demo-like receipt takes through EscPosPrinter to the emulator, beside the floor.

The floor is the wire time of the receipt's bytes (10 bits a byte at 8N1): no driver can
print faster. The driver's own cost is the status reads before and after (DLE EOT 1, 2, 4
each way, sent at once) and the turnarounds. Goal: within 10% of the floor.

    .venv/bin/python bench/bench_printer.py [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from drivers.base import Align, Feed, PrintOutcome, QRCode, ReceiptDocument, Rule, TextLine  # noqa: E402
from drivers.emulator import PrinterEmulator  # noqa: E402
from drivers.escpos import encode_receipt  # noqa: E402
from drivers.printer import EscPosPrinter  # noqa: E402


def demo_receipt() -> ReceiptDocument:
    return ReceiptDocument(
        [
            TextLine("Corner Shop Cash Point", bold=True, double=True, align=Align.CENTER),
            TextLine("12 High Street, Leeds LS1 4AB", align=Align.CENTER),
            TextLine("Terminal TERM-01   Cashier: Sam", align=Align.CENTER),
            Rule(),
            TextLine("CASH WITHDRAWAL", bold=True),
            TextLine("Date                     2025-11-21 14:03"),
            TextLine("Wallet                         ****4821"),
            TextLine("Transaction   7d1c0e52-94b1-4c56-8f0a"),
            TextLine("Amount                          £120.00", bold=True),
            TextLine("Fee                               £0.00"),
            Rule(),
            QRCode(str(uuid.UUID("6f1c2b7e-3d4a-4e8f-9b0c-1a2b3c4d5e6f"))),
            TextLine("Keep this receipt as proof of payment.", align=Align.CENTER),
            Feed(1),
        ]
    )


def time_print(baud: int, qr: str, runs: int) -> tuple[float, int]:
    document = demo_receipt()
    size = len(encode_receipt(document, "tm-t88v", qr=qr))  # type: ignore[arg-type]
    times = []
    with PrinterEmulator(baud) as emulator:
        printer = EscPosPrinter(emulator.port, baud, qr=qr, write_timeout=30.0)  # type: ignore[arg-type]
        printer.open()
        try:
            printer.check_health()  # warm the line: the first reading is not part of a print
            for _ in range(runs):
                start = time.perf_counter()
                outcome = printer.print_receipt(document)
                times.append(time.perf_counter() - start)
                if outcome is not PrintOutcome.PRINTED:
                    raise SystemExit(f"benchmark receipt not printed: {outcome}")
        finally:
            printer.close()
    return statistics.median(times), size


def escpos_size(python: str) -> int:
    """The same receipt's bytes as python-escpos encodes them (in another environment)."""
    import json
    import subprocess

    items = []
    for item in demo_receipt().items:
        if isinstance(item, TextLine):
            items.append({"type": "text", "text": item.text, "bold": item.bold, "double": item.double, "align": item.align.value})
        elif isinstance(item, Rule):
            items.append({"type": "rule", "char": item.char})
        elif isinstance(item, QRCode):
            items.append({"type": "qr", "payload": item.payload, "module_size": item.module_size})
        elif isinstance(item, Feed):
            items.append({"type": "feed", "lines": item.lines})
    script = Path(__file__).with_name("escpos_reference.py")
    done = subprocess.run([python, str(script)], input=json.dumps(items), capture_output=True, text=True, check=True)
    return int(done.stdout.strip())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--escpos-python", metavar="PYTHON", help="a Python with python-escpos installed: compare the receipt's size"
    )
    args = parser.parse_args()
    # "+status" adds the status exchange every transaction print makes: DLE EOT 1, 2, 4
    # before and after (18 bytes out, 6 back).
    print(f"{'baud':>7} {'QR':>7} {'bytes':>6} {'floor s':>8} {'+status s':>9} {'print s':>8} {'over floor':>10}")
    for qr in ("native", "raster"):
        for baud in (9600, 115200):
            elapsed, size = time_print(baud, qr, args.runs)
            floor = size * 10 / baud
            with_status = (size + 24) * 10 / baud
            print(
                f"{baud:>7} {qr:>7} {size:>6} {floor:>8.3f} {with_status:>9.3f} {elapsed:>8.3f}"
                f" {100 * (elapsed / floor - 1):>9.1f}%"
            )
    if args.escpos_python:
        ours = len(encode_receipt(demo_receipt(), "tm-t88v", qr="native"))
        theirs = escpos_size(args.escpos_python)
        print(f"same receipt, native QR: kiosk {ours} bytes, python-escpos 3.1 {theirs} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
