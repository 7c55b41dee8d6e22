"""The digits a cashier may type: 0-9 and nothing else.

Python's `\\d`, `str.isdigit()`, `int()` and `Decimal()` all take any script's digits:
`Decimal("١٠")` (Arabic-Indic), `int("１０")` (full-width) and `int("१०")` (Devanagari) are all
10. A till whose keyboard is set to another script would then move real money from text the
cashier never meant as a number, and a back end would see bytes it never documented. So
amounts, codes, PINs, card and account numbers and phone numbers are ASCII digits only,
checked here, in one place, before anything is journalled or sent.
"""

from __future__ import annotations

import unicodedata

# The cashier's words when a digit of another script was typed (keyboard layout, paste).
FOREIGN_DIGITS = "use the digits 0-9 only"


def is_digits(text: object, least: int = 1, most: int | None = None) -> bool:
    """True when `text` is a str of ASCII digits 0-9 only, `least` to `most` of them."""
    if not isinstance(text, str) or not text.isascii() or not text.isdigit():
        return False
    return least <= len(text) <= (len(text) if most is None else most)


def foreign_digit(text: object) -> bool:
    """True when `text` holds a digit that is not 0-9 ('١', '１', '१', '²', '①'...): such text is
    refused with FOREIGN_DIGITS rather than a vaguer message."""
    if not isinstance(text, str) or text.isascii():
        return False
    # Category Nd covers every script's decimal digits; isdigit() adds superscripts and
    # circled digits, which int() refuses but a cashier may still have meant as digits.
    return any(not ch.isascii() and (ch.isdigit() or unicodedata.category(ch) == "Nd") for ch in text)
