"""What a magnetic-stripe reader or a barcode scanner types into the card field.

Both are keyboards to the till: they type a burst of characters and end it with Enter. The
card number is read from these bursts (documented in README, "Card readers and scanners"):

- ISO/IEC 7813 track 1: `%B` number `^` name `^` YYMM, service code, discretionary data `?`
- ISO/IEC 7813 track 2: `;` number `=` YYMM, service code, discretionary data `?`
- both tracks in one swipe (track 1 then track 2): the two numbers must agree
- a barcode: the number's digits (spaces or dashes between groups are allowed)

The security code is never on the stripe (it is printed under the scratch panel, so a copied
stripe alone is not enough); a scanner programmed to type number, Tab, code, Enter fills both
fields, as keys go to the field that has the focus when they arrive (kiosk.ui.keyorder).
Only the number is kept: the name, expiry and discretionary data are dropped here.
"""

from __future__ import annotations

import re

from kiosk.digits import is_digits

STRIPE_STARTS = "%;"  # the start sentinels of tracks 1 and 2

_TRACK1 = re.compile(r"%B([0-9]{12,19})\^[^^?]{0,26}\^[0-9]{4}[^?]*\?")
_TRACK2 = re.compile(r";([0-9]{12,19})=[0-9]{4}[^?]*\?")


class CardReadError(ValueError):
    """A burst that is not a card this kiosk can read; the message is fit for a cashier."""


def is_stripe(text: str) -> bool:
    return bool(text) and text[0] in STRIPE_STARTS


def card_number(text: str) -> str:
    """The card number in what was typed, swiped or scanned; CardReadError otherwise."""
    text = (text or "").strip()
    if not is_stripe(text):
        number = re.sub(r"[ \-]", "", text)
        if not is_digits(number, 12, 19):
            raise CardReadError("A gift card number is 12 to 19 digits. Type it again, or scan the card.")
        return number
    numbers = [m.group(1) for m in (*_TRACK1.finditer(text), *_TRACK2.finditer(text))]
    if not numbers:
        raise CardReadError("The swipe could not be read. Swipe the card again, slowly and in one go.")
    if len(set(numbers)) > 1:
        raise CardReadError("The card's two tracks do not agree. Swipe it again, or type the number.")
    return numbers[0]
