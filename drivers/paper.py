"""A receipt laid out as the paper shows it: the simulated printer's roll, the receipt files
(text and image) and the on-screen preview all lay it out here, so they match the printout."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterator

from drivers.base import Feed, QRCode, ReceiptDocument, Rule, TextLine
from drivers.escpos import wrap


@dataclass(frozen=True)
class PaperLine:
    """One printed line: text already wrapped to its width (half the columns when double),
    or a QR symbol (`qr` set, `text` empty)."""

    text: str = ""
    bold: bool = False
    double: bool = False
    qr: str | None = None
    align: str = "left"

    def aligned(self, width: int) -> str:
        """The text placed in `width` cells as the printer places it."""
        if self.align == "center":
            return self.text.center(width).rstrip()
        return self.text.rjust(width) if self.align == "right" else self.text


def lay_out(document: ReceiptDocument, columns: int) -> Iterator[PaperLine]:
    for item in document.items:
        if isinstance(item, TextLine):
            width = columns // 2 if item.double else columns
            for part in item.text.split("\n"):
                for line in wrap(part, width):
                    yield PaperLine(line, item.bold, item.double, align=item.align.value)
        elif isinstance(item, QRCode):
            yield PaperLine(qr=item.payload)
        elif isinstance(item, Rule):
            yield PaperLine((item.char[:1] or "-") * columns)
        elif isinstance(item, Feed):
            yield from [PaperLine()] * item.lines


def render(document: ReceiptDocument, columns: int, *, qr: Callable[[str], list[str]] | None = None) -> str:
    """The receipt as plain text: QR by payload, or drawn by `qr` (payload -> text lines,
    e.g. half blocks on a screen) centred on the paper. A double-width line is placed on the
    whole line, as it looks on paper (its characters are single here)."""
    lines: list[str] = []
    for line in lay_out(document, columns):
        if line.qr is None:
            lines.append(line.aligned(columns))
        elif qr is None:
            lines.append(f"[QR: {line.qr}]")
        else:
            lines.extend(row.center(columns).rstrip() for row in qr(line.qr))
    return "\n".join(lines)
