"""Printer profiles: the facts about a printer model that change the bytes we send.

A profile is chosen by name in the settings (`printer.profile = "tm-t88v"`). Widths are the
printable area in dots and the characters per line of font A (12 x 24 dots).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CodePage:
    number: int  # the n of ESC t n
    name: str  # the manual's name for it
    codec: str  # the Python codec with the same character table


PC437 = CodePage(0, "PC437", "cp437")  # USA, standard Europe: has £ ¥, no €
PC850 = CodePage(2, "PC850", "cp850")  # Multilingual: has £, no €
WPC1252 = CodePage(16, "WPC1252", "cp1252")  # Windows Latin-1: has € £ ¥
PC858 = CodePage(19, "PC858", "cp858")  # PC850 with the euro sign: has € £ ¥


@dataclass(frozen=True)
class PrinterProfile:
    name: str
    description: str
    dots_per_line: int  # printable width
    columns: int  # characters per line, font A
    #: code pages the firmware has, in order of preference: a document is printed in the
    #: first one that holds all its characters.
    code_pages: tuple[CodePage, ...]
    native_qr: bool  # GS ( k QR in firmware
    cutter: bool  # GS V cuts; without a cutter the paper is fed out to be torn off
    #: largest raster image height in one GS v 0 command (bigger images are sent in bands)
    raster_max_rows: int = 2047


PROFILES: dict[str, PrinterProfile] = {
    p.name: p
    for p in (
        PrinterProfile(
            name="tm-t88v",
            description="Epson TM-T88V class, 80 mm paper, 180 dpi",
            dots_per_line=512,
            columns=42,
            code_pages=(PC437, PC858, WPC1252, PC850),
            native_qr=True,
            cutter=True,
        ),
        PrinterProfile(
            name="tm-t20iii",
            description="Epson TM-T20III class, 80 mm paper, 203 dpi",
            dots_per_line=576,
            columns=48,
            code_pages=(PC437, PC858, WPC1252, PC850),
            native_qr=True,
            cutter=True,
        ),
        PrinterProfile(
            name="generic-58",
            description="Generic 58 mm ESC/POS printer, 203 dpi, no native QR, no cutter",
            dots_per_line=384,
            columns=32,
            # Clones disagree on the numbering of everything but page 0.
            code_pages=(PC437,),
            native_qr=False,
            cutter=False,
            raster_max_rows=255,
        ),
    )
}


def get_profile(name: str) -> PrinterProfile:
    """The profile called `name`; a ValueError naming the known ones if there is none."""
    try:
        return PROFILES[name.strip().lower()]
    except KeyError:
        known = ", ".join(sorted(PROFILES))
        raise ValueError(f"unknown printer profile {name!r}; known profiles: {known}") from None
