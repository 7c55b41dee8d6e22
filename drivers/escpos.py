"""ESC/POS as pure functions: a receipt document to bytes, status bytes to a PrinterStatus.

Nothing here touches a port or keeps state between calls, so every byte the printer will
receive can be checked by a golden test. Facts used (Epson ESC/POS, TM-T88 / TM-T20 family):

- ESC @ initialises; ESC t n selects the code page; ESC E n bold; GS ! n character size;
  ESC a n justification (also applies to QR codes and raster images); GS V m n cut.
- Native QR: GS ( k with cn = 49 (fn 65 model, 67 module size, 69 error correction,
  80 store, 81 print). Raster: GS v 0 m xL xH yL yH data, MSB = leftmost dot.
- DLE EOT n / DLE ENQ n / DLE DC4 are *real-time* commands: the printer acts on them the
  moment they arrive, even inside image data. Raster data is therefore checked and shifted
  so that it never contains one (a stray DLE DC4 1 would fire the drawer mid-receipt).
- A real-time status reply is one byte 0xx1xx10; an Automatic Status Back block is four
  bytes, the first 0xx1xx00 and the others 0xx0xxxx. Neither can be taken for XON / XOFF.
"""

from __future__ import annotations

import math
import textwrap
import unicodedata
from dataclasses import dataclass, fields
from typing import Iterable, Literal

from drivers.base import Align, Feed, PowerState, PrinterStatus, QRCode, ReceiptDocument, Rule, TextLine
from drivers.profiles import CodePage, PrinterProfile, get_profile  # noqa: F401 - get_profile re-exported

ESC, GS, DLE, LF = 0x1B, 0x1D, 0x10, 0x0A
EOT, ENQ, DC4 = 0x04, 0x05, 0x14
XON, XOFF = 0x11, 0x13

INITIALISE = b"\x1b@"
#: GS V 66 0: feed to the cutting position, then a partial cut (the receipt hangs by a tab).
CUT = b"\x1dVB\x00"
#: Without a cutter: feed the last line past the tear bar.
TEAR_OFF_FEED = b"\x1bd\x04"

QrMode = Literal["auto", "native", "raster"]


class EncodeError(ValueError):
    """The document cannot be printed on this profile (e.g. a QR code wider than the paper)."""


# --- commands ---------------------------------------------------------------------------------


def select_code_page(page: CodePage) -> bytes:
    return bytes([ESC, ord("t"), page.number])


def status_request(n: int) -> bytes:
    """DLE EOT n: 1 printer, 2 offline cause, 3 error cause, 4 paper sensors."""
    if n not in (1, 2, 3, 4):
        raise ValueError(f"DLE EOT n must be 1..4, not {n}")
    return bytes([DLE, EOT, n])


def drawer_kick(pin: int = 2, pulse_ms: int = 100, off_ms: int | None = None) -> bytes:
    """ESC p m t1 t2: a pulse on kick-connector pin 2 or 5, times in units of 2 ms.

    The off time keeps the solenoid from being driven again before it has released; Epson
    requires t2 >= t1, so it defaults to the on time (and is never less)."""
    m = _pin_selector(pin)
    t1 = min(255, max(1, round(pulse_ms / 2)))
    t2 = min(255, max(t1, round((off_ms if off_ms is not None else pulse_ms) / 2)))
    return bytes([ESC, ord("p"), m, t1, t2])


def realtime_drawer_kick(pin: int = 2, pulse_ms: int = 100) -> bytes:
    """DLE DC4 1 m t: the real-time kick, obeyed even while the printer is offline (where an
    ESC p would wait in the buffer and fire whenever the printer recovers). t is in 100 ms."""
    m = _pin_selector(pin)
    t = min(8, max(1, round(pulse_ms / 100)))
    return bytes([DLE, DC4, 1, m, t])


def _pin_selector(pin: int) -> int:
    if pin not in (2, 5):
        raise ValueError(f"drawer kick pin must be 2 or 5, not {pin}")
    return 0 if pin == 2 else 1


#: GS a n bits: 1 drawer connector, 2 online/offline, 4 errors, 8 paper sensors.
ASB_ALL = 0x0F


def automatic_status_back(mask: int = ASB_ALL) -> bytes:
    """GS a n: the printer pushes a 4-byte status block on every change of the chosen items
    (and one straight away); n = 0 switches it off."""
    if not 0 <= mask <= 255:
        raise ValueError("GS a mask is one byte")
    return bytes([GS, ord("a"), mask])


# --- text ---------------------------------------------------------------------------------------

#: Currency signs and the ISO 4217 code printed in their place when the code page lacks them.
CURRENCY_CODES = {
    "£": "GBP",
    "€": "EUR",
    "¥": "JPY",
    "₹": "INR",
    "₺": "TRY",
    "₽": "RUB",
    "₩": "KRW",
    "₪": "ILS",
    "₦": "NGN",
    "₱": "PHP",
    "₫": "VND",
    "₴": "UAH",
    "₣": "CHF",
    "¢": "USD",
}


def clean_text(text: str) -> str:
    """Text as it may reach the printer: no control characters (a customer-supplied string
    must never smuggle in an ESC or DLE command), tabs as spaces, one line."""
    if text.isprintable():
        return text  # the usual case, and a quick one
    out = []
    for ch in text:
        if ch == "\t":
            out.append(" ")
        elif unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp"):
            continue
        else:
            out.append(ch)
    return "".join(out)


def _can_encode(ch: str, page: CodePage) -> bool:
    try:
        ch.encode(page.codec)
    except UnicodeEncodeError:
        return False
    return True


def choose_code_page(texts: Iterable[str], profile: PrinterProfile) -> CodePage:
    """The profile's first code page holding every character; else the one missing fewest."""
    chars = {ch for text in texts for ch in text}
    best, best_missing = profile.code_pages[0], None
    for page in profile.code_pages:
        missing = sum(1 for ch in chars if not _can_encode(ch, page))
        if missing == 0:
            return page
        if best_missing is None or missing < best_missing:
            best, best_missing = page, missing
    return best


def fit_to_code_page(text: str, page: CodePage) -> str:
    """Replace what the code page cannot print: currency signs by their ISO code ("£5" ->
    "GBP 5"), accented letters by the bare letter, anything else by '?'."""
    try:
        text.encode(page.codec)
        return text
    except UnicodeEncodeError:
        pass
    out: list[str] = []
    for i, ch in enumerate(text):
        if _can_encode(ch, page):
            out.append(ch)
            continue
        code = CURRENCY_CODES.get(ch)
        if code is not None:
            before = text[i - 1] if i else ""
            after = text[i + 1] if i + 1 < len(text) else ""
            out.append((" " if before.isalnum() else "") + code + (" " if after.isalnum() else ""))
            continue
        folded = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
        out.append(folded if folded and all(_can_encode(c, page) for c in folded) else "?")
    return "".join(out)


def wrap(text: str, width: int) -> list[str]:
    """Word-safe wrapping to `width` characters; a word longer than a line is split.
    A line that fits is kept exactly (spacing laid out by the caller survives)."""
    if len(text) <= width:
        return [text]
    return textwrap.wrap(text, width, break_long_words=True, break_on_hyphens=False) or [""]


# --- the document ------------------------------------------------------------------------------


def encode_receipt(document: ReceiptDocument, profile: PrinterProfile | str, qr: QrMode = "auto") -> bytes:
    """The whole receipt as one block of bytes: initialise, code page, the items, cut.

    `qr="auto"` uses the printer's own QR command where the profile has one, else a raster
    image; "native" / "raster" force one (for measurements). Raises EncodeError when the
    document cannot fit the paper.
    """
    if isinstance(profile, str):
        profile = get_profile(profile)
    if qr == "native" and not profile.native_qr:
        raise EncodeError(f"profile {profile.name} has no native QR")
    native_qr = profile.native_qr if qr == "auto" else qr == "native"

    texts = [clean_text(part) for item in document.items if isinstance(item, TextLine) for part in item.text.split("\n")]
    texts += [clean_text(item.char) for item in document.items if isinstance(item, Rule)]
    page = choose_code_page(texts, profile)

    out = bytearray(INITIALISE)
    out += select_code_page(page)
    style = _Style()
    for item in document.items:
        if isinstance(item, TextLine):
            width = profile.columns // 2 if item.double else profile.columns
            out += style.set(align=item.align, bold=item.bold, double=item.double)
            for part in item.text.split("\n"):
                for line in wrap(fit_to_code_page(clean_text(part), page), width):
                    out += line.encode(page.codec) + b"\n"
        elif isinstance(item, Rule):
            char = fit_to_code_page(clean_text(item.char), page)[:1] or "-"
            out += style.set(align=Align.LEFT, bold=False, double=False)
            out += (char * profile.columns).encode(page.codec) + b"\n"
        elif isinstance(item, Feed):
            out += b"\n" * max(0, item.lines)
        elif isinstance(item, QRCode):
            out += style.set(align=Align.CENTER, bold=style.bold, double=style.double)
            out += qr_native(item.payload, item.module_size) if native_qr else qr_raster(item.payload, item.module_size, profile)
        else:  # pragma: no cover - the document model is closed
            raise EncodeError(f"unknown receipt item {item!r}")
    if document.cut:
        out += CUT if profile.cutter else TEAR_OFF_FEED
    return bytes(out)


class _Style:
    """Tracks the printer's character style so that only changes are sent (ESC @ resets it)."""

    def __init__(self) -> None:
        self.align, self.bold, self.double = Align.LEFT, False, False

    def set(self, *, align: Align, bold: bool, double: bool) -> bytes:
        out = bytearray()
        if align is not self.align:
            out += bytes([ESC, ord("a"), {Align.LEFT: 0, Align.CENTER: 1, Align.RIGHT: 2}[align]])
        if bold != self.bold:
            out += bytes([ESC, ord("E"), int(bold)])
        if double != self.double:
            out += bytes([GS, ord("!"), 0x11 if double else 0x00])
        self.align, self.bold, self.double = align, bold, double
        return bytes(out)


# --- QR codes ---------------------------------------------------------------------------------------

_QR_ERROR_M = 49  # error correction level M (15%): survives a smudge, stays small


def _gs_k(fn: int, params: bytes) -> bytes:
    size = len(params) + 2  # cn and fn count too
    return bytes([GS, ord("("), ord("k"), size & 0xFF, size >> 8, 49, fn]) + params


def qr_native(payload: str, module_size: int = 4) -> bytes:
    """GS ( k: model 2, module size, error correction M, store the data, print it."""
    data = payload.encode("utf-8")
    if len(data) > 7089:
        raise EncodeError("QR payload too long for one symbol")
    return (
        _gs_k(65, bytes([50, 0]))
        + _gs_k(67, bytes([min(16, max(1, module_size))]))
        + _gs_k(69, bytes([_QR_ERROR_M]))
        + _gs_k(80, b"\x30" + data)
        + _gs_k(81, b"\x30")
    )


def qr_matrix(payload: str) -> list[list[bool]]:
    """The QR symbol as rows of dark (True) modules, quiet zone of 4 modules included."""
    import qrcode  # imported here: only raster printing needs it

    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=1, border=4)
    code.add_data(payload.encode("utf-8"))
    code.make(fit=True)
    return [list(row) for row in code.get_matrix()]


#: Second bytes that make DLE (0x10) a real-time command: DLE EOT, DLE ENQ, DLE DC4.
_REALTIME_AFTER_DLE = frozenset({EOT, ENQ, DC4})


def has_realtime_sequence(data: bytes) -> bool:
    """True if the bytes hold a DLE EOT / DLE ENQ / DLE DC4 the printer would act on."""
    start = 0
    while (i := data.find(DLE, start)) != -1 and i + 1 < len(data):
        if data[i + 1] in _REALTIME_AFTER_DLE:
            return True
        start = i + 1
    return False


def raster_rows(matrix: list[list[bool]], scale: int, shift: int) -> tuple[int, list[bytes]]:
    """Scale a module matrix to dots, `shift` blank dots on the left; (width in bytes, rows)."""
    width_dots = len(matrix[0]) * scale + shift
    width_bytes = math.ceil(width_dots / 8)
    rows: list[bytes] = []
    for modules in matrix:
        bits = 0
        for dark in modules:
            bits = (bits << scale) | (((1 << scale) - 1) if dark else 0)
        bits <<= width_bytes * 8 - width_dots  # pad on the right to whole bytes; the shift is
        # the leading zero bits of the big-endian row
        row = bits.to_bytes(width_bytes, "big")
        rows.extend([row] * scale)
    return width_bytes, rows


def raster_image(width_bytes: int, rows: list[bytes], max_rows: int) -> bytes:
    """GS v 0 commands for the rows, in bands of at most `max_rows`."""
    out = bytearray()
    for start in range(0, len(rows), max_rows):
        band = rows[start : start + max_rows]
        out += bytes([GS, ord("v"), ord("0"), 0, width_bytes & 0xFF, width_bytes >> 8, len(band) & 0xFF, len(band) >> 8])
        out += b"".join(band)
    return bytes(out)


def qr_raster(payload: str, module_size: int, profile: PrinterProfile) -> bytes:
    """The QR code as a raster image, scaled to fit the paper and free of real-time commands.

    Dark runs are at least `scale` dots long, so with scale >= 2 a lone-dot byte such as
    0x10 cannot occur; the check below still runs for every image and, should it find a
    DLE EOT / ENQ / DC4, shifts the image a dot to the right and tries again.
    """
    matrix = qr_matrix(payload)
    modules = len(matrix)
    scale = min(max(1, module_size), profile.dots_per_line // modules)
    if scale < 1:
        raise EncodeError(f"QR code of {modules} modules is wider than {profile.dots_per_line} dots")
    for shift in range(8):
        if modules * scale + shift > profile.dots_per_line:
            break
        width_bytes, rows = raster_rows(matrix, scale, shift)
        image = raster_image(width_bytes, rows, profile.raster_max_rows)
        if not has_realtime_sequence(image):
            return image
    raise EncodeError("QR image cannot be drawn without a real-time command in its data")


# --- status ------------------------------------------------------------------------------------------


def is_status_reply(byte: int) -> bool:
    """A DLE EOT reply: 0xx1xx10."""
    return byte & 0x93 == 0x12


def is_asb_head(byte: int) -> bool:
    """First byte of an Automatic Status Back block: 0xx1xx00."""
    return byte & 0x93 == 0x10


def is_asb_body(byte: int) -> bool:
    """Second to fourth bytes of an ASB block: 0xx0xxxx."""
    return byte & 0x90 == 0x00


@dataclass(frozen=True)
class EscPosStatus:
    """Every status bit ESC/POS reports, as read (None: not read). Combine readings with `|`."""

    drawer_pin_high: bool | None = None  # kick connector pin 3 (the drawer's sensor)
    offline: bool | None = None
    waiting_online_recovery: bool | None = None
    feed_button: bool | None = None  # FEED button held
    cover_open: bool | None = None
    feeding_by_button: bool | None = None
    paper_end_stop: bool | None = None  # printing stopped at paper end
    error: bool | None = None  # summary bit of DLE EOT 2
    mechanical_error: bool | None = None  # recoverable (e.g. a paper jam)
    cutter_error: bool | None = None
    unrecoverable_error: bool | None = None
    auto_recoverable_error: bool | None = None  # e.g. head overheated: waits, then resumes
    paper_near_end: bool | None = None
    paper_out: bool | None = None

    def __or__(self, other: EscPosStatus) -> EscPosStatus:
        """Combine two readings; where both said something, the later one (right) wins."""
        values = {}
        for f in fields(self):
            mine, theirs = getattr(self, f.name), getattr(other, f.name)
            values[f.name] = theirs if theirs is not None else mine
        return EscPosStatus(**values)


def _bit(byte: int, n: int) -> bool:
    return bool(byte >> n & 1)


def decode_realtime(n: int, byte: int) -> EscPosStatus:
    """Decode the reply to DLE EOT n. Raises ValueError for a byte that is not a reply."""
    if not is_status_reply(byte):
        raise ValueError(f"0x{byte:02x} is not a DLE EOT reply (0xx1xx10)")
    if n == 1:
        return EscPosStatus(
            drawer_pin_high=_bit(byte, 2),
            offline=_bit(byte, 3),
            waiting_online_recovery=_bit(byte, 5),
            feed_button=_bit(byte, 6),
        )
    if n == 2:
        return EscPosStatus(
            cover_open=_bit(byte, 2),
            feeding_by_button=_bit(byte, 3),
            paper_end_stop=_bit(byte, 5),
            error=_bit(byte, 6),
        )
    if n == 3:
        return EscPosStatus(
            mechanical_error=_bit(byte, 2),
            cutter_error=_bit(byte, 3),
            unrecoverable_error=_bit(byte, 5),
            auto_recoverable_error=_bit(byte, 6),
        )
    if n == 4:
        # Each sensor is reported on two bits; either set means the condition.
        return EscPosStatus(paper_near_end=bool(byte & 0x0C), paper_out=bool(byte & 0x60))
    raise ValueError(f"DLE EOT n must be 1..4, not {n}")


def decode_asb(block: bytes) -> EscPosStatus:
    """Decode a 4-byte Automatic Status Back block. Raises ValueError if it is not one."""
    if len(block) != 4 or not is_asb_head(block[0]) or not all(is_asb_body(b) for b in block[1:]):
        raise ValueError(f"not an ASB block: {block.hex(' ')}")
    b1, b2, b3, _ = block
    errors = {
        "mechanical_error": _bit(b2, 2),
        "cutter_error": _bit(b2, 3),
        "unrecoverable_error": _bit(b2, 5),
        "auto_recoverable_error": _bit(b2, 6),
    }
    return EscPosStatus(
        drawer_pin_high=_bit(b1, 2),
        offline=_bit(b1, 3),
        cover_open=_bit(b1, 5),
        feeding_by_button=_bit(b1, 6),
        waiting_online_recovery=_bit(b2, 0),
        error=any(errors.values()),
        paper_near_end=bool(b3 & 0x03),
        paper_out=bool(b3 & 0x0C),
        **errors,
    )


_DETAIL = (
    ("cover_open", "cover open"),
    ("paper_out", "paper out"),
    ("paper_end_stop", "stopped at paper end"),
    ("paper_near_end", "paper near end"),
    ("cutter_error", "cutter error"),
    ("mechanical_error", "mechanical error (e.g. paper jam)"),
    ("unrecoverable_error", "unrecoverable error: switch the printer off"),
    ("auto_recoverable_error", "auto-recoverable error (e.g. head too hot)"),
    ("feed_button", "FEED button held"),
    ("feeding_by_button", "feeding paper by the FEED button"),
    ("waiting_online_recovery", "waiting for online recovery"),
)


def to_printer_status(status: EscPosStatus, drawer_open_level: Literal["high", "low"] = "high") -> PrinterStatus:
    """The device-independent reading. `drawer_open_level` is the level of pin 3 that means
    "drawer open": drawers wire their switch either way round."""
    if drawer_open_level not in ("high", "low"):
        raise ValueError("drawer_open_level must be 'high' or 'low'")
    if status.offline is None:
        power = PowerState.UNKNOWN
    else:
        power = PowerState.OFFLINE if status.offline else PowerState.ONLINE

    paper_out = status.paper_out
    if paper_out is None and status.paper_end_stop:
        paper_out = True

    specific = (status.mechanical_error, status.cutter_error, status.unrecoverable_error, status.auto_recoverable_error)
    if status.error or any(specific):
        error: bool | None = True
    elif status.error is False:
        error = False  # DLE EOT 2 bit 6 is the printer's own summary: no error of any kind
    else:
        error = None

    drawer_open = None
    if status.drawer_pin_high is not None:
        drawer_open = status.drawer_pin_high == (drawer_open_level == "high")

    detail = ", ".join(text for name, text in _DETAIL if getattr(status, name))
    return PrinterStatus(
        power=power,
        cover_open=status.cover_open,
        paper_near_end=status.paper_near_end,
        paper_out=paper_out,
        error=error,
        drawer_open=drawer_open,
        detail=detail,
    )


def encode_status(status: EscPosStatus, n: int) -> int:
    """The reply byte a printer in `status` gives to DLE EOT n (unknown counts as off).
    The inverse of decode_realtime; used by the emulator and by tests."""
    b = 0x12
    flags: tuple[bool | None, ...] = ()  # bits 2, 3, 5 and 6, in that order
    if n == 1:
        flags = (status.drawer_pin_high, status.offline, status.waiting_online_recovery, status.feed_button)
    elif n == 2:
        flags = (status.cover_open, status.feeding_by_button, status.paper_end_stop, status.error)
    elif n == 3:
        flags = (status.mechanical_error, status.cutter_error, status.unrecoverable_error, status.auto_recoverable_error)
    elif n == 4:
        b |= 0x0C if status.paper_near_end else 0
        b |= 0x60 if status.paper_out else 0
    else:
        raise ValueError(f"DLE EOT n must be 1..4, not {n}")
    for bit, value in zip((2, 3, 5, 6), flags):
        if value:
            b |= 1 << bit
    return b


def encode_asb(status: EscPosStatus) -> bytes:
    """The ASB block a printer in `status` pushes; the inverse of decode_asb."""
    b1 = 0x10 | (0x04 if status.drawer_pin_high else 0) | (0x08 if status.offline else 0)
    b1 |= (0x20 if status.cover_open else 0) | (0x40 if status.feeding_by_button else 0)
    b2 = (0x01 if status.waiting_online_recovery else 0) | (0x04 if status.mechanical_error else 0)
    b2 |= (0x08 if status.cutter_error else 0) | (0x20 if status.unrecoverable_error else 0)
    b2 |= 0x40 if status.auto_recoverable_error else 0
    b3 = (0x03 if status.paper_near_end else 0) | (0x0C if status.paper_out else 0)
    return bytes([b1, b2, b3, 0x00])
