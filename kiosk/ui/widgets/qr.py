"""A QR code drawn with half-block characters: two matrix rows per text line.

Light modules are drawn as filled blocks in the foreground colour and dark modules as
blanks, so on a dark terminal the code reads as dark modules on a light square, which is
what phone scanners expect. Half blocks exist in the Linux console font.
"""

from __future__ import annotations

import sys
from types import ModuleType

from textual.widgets import Static

_HALF = {(True, True): "█", (True, False): "▀", (False, True): "▄", (False, False): " "}


def qr_lines(payload: str, *, quiet: int = 2) -> list[str]:
    """Text lines for `payload`: the smallest version at error level L (a screen is not
    scuffed like paper), with a `quiet`-module margin so scanners find its edge."""
    qrcode = _qrcode()
    code = qrcode.QRCode(version=None, error_correction=qrcode.constants.ERROR_CORRECT_L, border=quiet)
    code.add_data(payload)
    code.make(fit=True)
    light = [[not dark for dark in row] for row in code.get_matrix()]
    if len(light) % 2:
        light.append([True] * len(light[0]))  # pad with quiet zone to an even height
    return ["".join(_HALF[(top, bottom)] for top, bottom in zip(light[r], light[r + 1])) for r in range(0, len(light), 2)]


def _qrcode() -> ModuleType:
    """qrcode, imported without Pillow when nothing has loaded Pillow yet: the screen needs
    only the matrix, but qrcode's image-styles package imports Pillow's drawers for backward
    compatibility (in a try/except ImportError), which costs the first screen about 15 ms and
    4 MiB. Pillow stays importable for those who need it (receipt images, raster printing):
    None in sys.modules hides it only for the moment of this import."""
    if "qrcode.main" in sys.modules or "PIL" in sys.modules:
        import qrcode

        return qrcode
    sys.modules["PIL"] = None  # type: ignore[assignment]  # `import PIL` raises ImportError
    try:
        import qrcode
    finally:
        if sys.modules.get("PIL", 0) is None:
            del sys.modules["PIL"]
    return qrcode


class QRCodeView(Static):
    """Shows one payload as a QR code."""

    def __init__(self, payload: str, **kwargs) -> None:
        super().__init__("\n".join(qr_lines(payload)), markup=False, **kwargs)
