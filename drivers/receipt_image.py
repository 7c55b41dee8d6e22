"""A receipt as a PNG image, QR included: the demo's and a till's receipt files, so a customer
(or an auditor) can scan the transaction's QR from a file as from the paper.

Characters are drawn one per fixed cell, as a receipt printer does, so the columns line up
whatever the font; the QR is drawn from the same module matrix the raster printout uses.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from drivers.base import ReceiptDocument
from drivers.escpos import qr_matrix
from drivers.paper import lay_out

CELL_W, CELL_H = 12, 24  # dots of one character in font A at 180 dpi, as on a TM-T88
MARGIN = 2 * CELL_W
QR_DOT = 6  # dots per QR module: at 180 dpi about 0.85 mm, readable by a phone


@lru_cache(maxsize=2)
def _font(size: int):
    from PIL import ImageFont  # lazy: only receipt files need Pillow

    return ImageFont.load_default(size=size)  # loaded once: it is most of an image's cost


def receipt_image(document: ReceiptDocument, columns: int):
    """The receipt as a PIL image (mode "L": black on white paper)."""
    from PIL import Image, ImageDraw

    font, big = _font(CELL_H - 4), _font(2 * (CELL_H - 4))
    rows: list = []  # (height, draw callback)
    for line in lay_out(document, columns):
        if line.qr is not None:
            matrix = qr_matrix(line.qr)
            rows.append((len(matrix) * QR_DOT, ("qr", matrix)))
        else:
            rows.append((CELL_H * (2 if line.double else 1), ("text", line)))
    width = columns * CELL_W + 2 * MARGIN
    image = Image.new("L", (width, sum(h for h, _ in rows) + 2 * MARGIN), 255)
    draw = ImageDraw.Draw(image)
    y = MARGIN
    for height, (kind, what) in rows:
        if kind == "qr":
            side = len(what) * QR_DOT
            left = (width - side) // 2
            for r, row in enumerate(what):
                for c, dark in enumerate(row):
                    if dark:
                        x0, y0 = left + c * QR_DOT, y + r * QR_DOT
                        draw.rectangle((x0, y0, x0 + QR_DOT - 1, y0 + QR_DOT - 1), fill=0)
        else:
            scale = 2 if what.double else 1
            for col, char in enumerate(what.aligned(columns // scale)):
                if char != " ":
                    x = MARGIN + col * CELL_W * scale + CELL_W * scale // 2
                    draw.text((x, y + height // 2), char, fill=0, font=big if what.double else font, anchor="mm",
                              stroke_width=1 if what.bold else 0, stroke_fill=0)
        y += height
    return image


def write_receipt_png(document: ReceiptDocument, columns: int, path: Path) -> Path:
    receipt_image(document, columns).save(path, format="PNG")
    return path
