"""The benchmark receipt as python-escpos 3.1 would encode it (its Dummy printer), to compare
sizes. python-escpos is not a dependency of the kiosk: run this with a Python that has it,
e.g. `bench/bench_printer.py --escpos-python /tmp/escvenv/bin/python` after
`python3 -m venv /tmp/escvenv && /tmp/escvenv/bin/pip install python-escpos==3.1`.
Prints one number: the bytes, with native QR."""

import json
import sys

from escpos.printer import Dummy

ALIGN = {"left": "left", "center": "center", "right": "right"}


def main() -> None:
    items = json.load(sys.stdin)
    printer = Dummy(profile="TM-T88V")
    for item in items:
        if item["type"] == "text":
            printer.set(
                bold=item["bold"], double_width=item["double"], double_height=item["double"], align=ALIGN[item["align"]]
            )
            printer.text(item["text"] + "\n")
        elif item["type"] == "rule":
            printer.set(bold=False, double_width=False, double_height=False, align="left")
            printer.text(item["char"] * 42 + "\n")
        elif item["type"] == "qr":
            printer.qr(item["payload"], native=True, size=item["module_size"])
        elif item["type"] == "feed":
            printer.ln(item["lines"])
    printer.cut()
    print(len(printer.output))


if __name__ == "__main__":
    main()
