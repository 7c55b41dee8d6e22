"""A QR code drawn with half-block characters: two matrix rows per text line.

Light modules are drawn as filled blocks in the foreground colour and dark modules as
blanks, so on a dark terminal the code reads as dark modules on a light square, which is
what phone scanners expect. Half blocks exist in the Linux console font.
"""

from __future__ import annotations

from textual.widgets import Static

_HALF = {(True, True): "█", (True, False): "▀", (False, True): "▄", (False, False): " "}


def qr_lines(payload: str, *, quiet: int = 2) -> list[str]:
    """Text lines for `payload`: the smallest version at error level L (a screen is not
    scuffed like paper), with a `quiet`-module margin so scanners find its edge."""
    import qrcode  # lazy: only the ready screen needs it

    code = qrcode.QRCode(version=None, error_correction=qrcode.constants.ERROR_CORRECT_L, border=quiet)
    code.add_data(payload)
    code.make(fit=True)
    light = [[not dark for dark in row] for row in code.get_matrix()]
    if len(light) % 2:
        light.append([True] * len(light[0]))  # pad with quiet zone to an even height
    return ["".join(_HALF[(top, bottom)] for top, bottom in zip(light[r], light[r + 1])) for r in range(0, len(light), 2)]


class QRCodeView(Static):
    """Shows one payload as a QR code."""

    def __init__(self, payload: str, **kwargs) -> None:
        super().__init__("\n".join(qr_lines(payload)), markup=False, **kwargs)
