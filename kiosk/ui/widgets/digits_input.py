"""A field for numbers (phone, code, PIN, amount, card): its `restrict` keeps to the digits 0-9,
and when the cashier types or pastes a digit of another script (a keyboard set to Arabic or
Hindi, a full-width input method) it says so under the field instead of only ringing the
bell: otherwise the key seems dead and the cashier cannot tell why."""

from __future__ import annotations

from textual.css.query import NoMatches
from textual.widgets import Input, Static

from kiosk.digits import FOREIGN_DIGITS, foreign_digit


def settled(event: Input.Changed) -> bool:
    """Whether a Changed event still says what its field holds. Keys typed at scanner speed
    are applied before their Changed events are handled: the Changed of '48' can arrive after
    '480' was typed and a ',' refused, and its words must not replace the refusal's."""
    field = event.input
    return event.value == field.value and not getattr(field, "refusal", "")


class DigitsInput(Input):
    refusal = ""  # why the last key was refused: shown under the field until a key is taken

    def __init__(self, *args, message_id: str | None = None, **kwargs) -> None:
        """`message_id`: the Static under the field for the message (default '<id>-msg')."""
        super().__init__(*args, **kwargs)
        self._message_id = message_id
        self._offered = ""

    def replace(self, text: str, start: int, end: int) -> None:
        self._offered = text  # every key and paste comes through here; restricted() is told nothing
        before = self.value
        super().replace(text, start, end)
        if self.value != before:
            self.refusal = ""

    def restricted(self) -> None:
        super().restricted()
        if foreign_digit(self._offered):
            self.say_problem(f"That key typed a digit that is not 0-9: {FOREIGN_DIGITS} (check the keyboard layout).")

    def say_problem(self, text: str) -> None:
        """Show why a key was refused, under the field."""
        self.refusal = text
        try:
            msg = self.screen.query_one(f"#{self._message_id or f'{self.id}-msg'}", Static)
        except NoMatches:
            return
        msg.update(text)
        msg.set_classes("hint -problem")
