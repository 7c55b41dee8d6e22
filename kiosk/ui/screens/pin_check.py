"""What the sign-in and supervisor-approval screens share: a name, a PIN, and a check of
both by the Guard in a worker thread (argon2 takes ~0.1 s), with the answer in plain words
under the fields. The PIN is cleared from its field as soon as it is sent for checking.

A subclass sets PREFIX (its widgets' ids: #PREFIX-name, #PREFIX-pin, #PREFIX-msg), WHAT
(the word for the check in an error), and `verify(name, pin)`, which asks the Guard and
returns what the screen is dismissed with."""

from __future__ import annotations

import logging

from textual import work
from textual.app import ComposeResult
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from kiosk.ui.widgets.digits_input import DigitsInput
from kiosk.ui.wording import what_to_do


class PinCheckScreen(ModalScreen):
    PREFIX = ""
    WHAT = "check"

    def name_and_pin(self, *, name_label: str, pin_label: str, name: str = "", fixed: bool = False) -> ComposeResult:
        yield Static(name_label, classes="label")
        yield Input(
            name, placeholder="name", id=f"{self.PREFIX}-name", max_length=32, restrict=r"[A-Za-z0-9._\-]*", disabled=fixed
        )
        yield Static(pin_label, classes="label")
        yield DigitsInput(
            placeholder="4-8 digits", id=f"{self.PREFIX}-pin", password=True, max_length=8, restrict=r"[0-9]*",
            message_id=f"{self.PREFIX}-msg",
        )
        yield Static("", id=f"{self.PREFIX}-msg", classes="hint")

    def verify(self, name: str, pin: str) -> object:
        raise NotImplementedError

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        name = self.query_one(f"#{self.PREFIX}-name", Input)
        pin = self.query_one(f"#{self.PREFIX}-pin", Input)
        if event.input is name or not name.value.strip():
            pin.focus() if name.value.strip() else name.focus()
            return
        if not pin.value:
            return
        self._message("Checking...", problem=False)
        self.check(name.value.strip(), pin.value)
        pin.value = ""  # never left in the field

    @work(thread=True, exclusive=True)
    def check(self, name: str, pin: str) -> None:
        from kiosk.auth.guard import AuthError

        try:
            result = self.verify(name, pin)
        except AuthError as exc:
            self.app.call_from_thread(self._message, what_to_do(exc), problem=True)
            return
        except Exception:
            logging.getLogger("kiosk.ui").exception("%s failed unexpectedly", self.WHAT)
            self.app.call_from_thread(self._message, f"The {self.WHAT} could not be checked. Try again.", problem=True)
            return
        self.app.call_from_thread(self.dismiss, result)

    def _message(self, text: str, *, problem: bool) -> None:
        msg = self.query_one(f"#{self.PREFIX}-msg", Static)
        msg.update(text)
        msg.set_classes("hint -problem" if problem else "hint")
        if problem:
            self.query_one(f"#{self.PREFIX}-pin", Input).focus()
