"""The card number field: typed by hand (digits, spaces, dashes) or by a stripe reader or a
barcode scanner (kiosk.cardread): a burst that starts with a track's sentinel is taken whole,
and on its Enter the field holds the card number read from it. A key it cannot take is
refused with the reason under the field."""

from __future__ import annotations

from kiosk.cardread import CardReadError, card_number, is_stripe
from kiosk.digits import FOREIGN_DIGITS, foreign_digit
from kiosk.ui.widgets.digits_input import DigitsInput

HAND_TYPED = "0123456789 -"
TYPED_LENGTH = 23  # 19 digits with spaces between groups of four
SWIPE_LENGTH = 200  # tracks 1 and 2 together are at most 79 + 40 characters


class CardInput(DigitsInput):
    def __init__(self, value: str = "", **kwargs) -> None:
        kwargs.pop("restrict", None)
        kwargs.pop("max_length", None)
        super().__init__(value, **kwargs)

    def replace(self, text: str, start: int, end: int) -> None:
        value = self.value
        start, end = sorted((max(0, start), min(len(value), end)))
        new = f"{value[:start]}{text}{value[end:]}"
        if text and is_stripe(new):
            if len(new) > SWIPE_LENGTH or not new.isascii() or not new.isprintable():
                return self._refuse("That is not a card swipe. Clear the field and swipe again.")
        elif text and any(ch not in HAND_TYPED for ch in text):
            return self._refuse(self._why(text))
        elif len(new) > TYPED_LENGTH:
            return self._refuse("A gift card number is 12 to 19 digits: that is one too many.")
        super().replace(text, start, end)

    def _why(self, text: str) -> str:
        if foreign_digit(text):
            return f"That key typed a digit that is not 0-9: {FOREIGN_DIGITS} (check the keyboard layout)."
        return "A card number has the digits 0-9 only. Type it again, or swipe or scan the card."

    def _refuse(self, reason: str) -> None:
        self.app.bell()
        self.say_problem(reason)

    async def action_submit(self) -> None:
        """Enter (a reader's terminator): a swipe becomes the card number it carries."""
        if is_stripe(self.value):
            try:
                number = card_number(self.value)
            except CardReadError as exc:
                self.value = ""  # the raw track (name, expiry) does not stay on screen
                self.say_problem(str(exc))
                return
            self.value = number
            self.cursor_position = len(number)
        await super().action_submit()
