"""Customer: the cashier types the customer's phone number and the code from their app.

The phone is checked while it is typed (kiosk.phone: international, or national with
teller.phone_region; digits 0-9 only, another script's digit is refused with a message); the
code field is masked. One countdown shows how long the current code stays valid: a code typed in
its last seconds may be dead by the time it arrives, so it then says to ask for the next.
After a refused code the screen says why under the field that was wrong, and puts the cursor
there: the phone for a number the wallet does not know, the code otherwise."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Input, Static

from kiosk.teller import TellerError, check_otp, check_phone
from kiosk.teller.code_errors import PHONE_CODES
from kiosk.ui import messages as m
from kiosk.ui.widgets.countdown import OtpCountdown
from kiosk.ui.widgets.demo_panel import DemoPanel
from kiosk.ui.widgets.digits_input import DigitsInput
from kiosk.ui.widgets.hint import say
from kiosk.ui.widgets.keybar import KeyBar
from kiosk.ui.wording import what_to_do

PHONE_HINT = "With the country code, e.g. +44 7700 900123"


class CustomerScreen(Screen):
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("f2", "demo_fill", "Demo wallet", show=False),
    ]

    def __init__(
        self, *, phone: str = "", window: int = 30, demo=None, region: str = "", problem: TellerError | None = None
    ) -> None:
        super().__init__()
        self.problem = problem  # why the last code did not open a session, if it did not
        self.phone = phone
        self.phone_region = region  # teller.phone_region: national numbers typed here are this region's
        self.hint = PHONE_HINT if not region else f"A {region} number, or another country's with + and its code"
        self.window = window
        self.demo = demo
        self._demo_next = 0

    def compose(self) -> ComposeResult:
        yield Static("New visit · customer", classes="title")
        with Horizontal(id="customer-body"):
            with Vertical(id="customer-form"):
                yield Static("Customer's phone number", classes="label")
                yield DigitsInput(
                    self.phone, placeholder="+44 7700 900123", id="phone", max_length=22, restrict=r"[0-9+ ()\-]*"
                )
                yield Static(self.hint, id="phone-msg", classes="hint")
                yield Static("Code shown in the customer's app", classes="label")
                yield DigitsInput(placeholder="6 digits", id="otp", password=True, max_length=6, restrict=r"[0-9]*")
                yield Static("", id="otp-msg", classes="hint")
                yield OtpCountdown(self.window, id="countdown")
            if self.demo is not None:
                yield DemoPanel(self.demo, id="demo", classes="panel")
        keys = [("Enter", "Next / Open session"), ("Tab", "Next field"), ("Esc", "Back")]
        if self.demo is not None:
            keys.append(("F2", "Demo"))
        yield KeyBar(keys)

    def on_mount(self) -> None:
        phone = self.query_one("#phone", Input)
        phone.cursor_position = len(phone.value)
        if self.phone:
            self._check_phone(self.phone)
            self.query_one("#otp", Input).focus()  # phone kept: only the new code is needed
        else:
            self.query_one("#phone", Input).focus()
        if self.problem is not None:
            self._show_problem(self.problem)

    def _show_problem(self, error: TellerError) -> None:
        """Say why under the field that was wrong, and put the cursor there."""
        field = "phone" if error.code in PHONE_CODES else "otp"
        if field == "otp":  # (the phone's hint keeps a phone problem by itself: _phone_problem)
            say(self.query_one("#otp-msg", Static), what_to_do(error), "hint -problem")
        self.query_one(f"#{field}", Input).focus()

    def _phone_problem(self, text: str) -> bool:
        """The host's word on this very number stands until the number is changed."""
        if self.problem is None or self.problem.code not in PHONE_CODES:
            return False
        if text != self.phone:
            self.problem = None  # the cashier is correcting it: the live check speaks again
            return False
        say(self.query_one("#phone-msg", Static), what_to_do(self.problem), "hint -problem")
        return True

    def _check_phone(self, text: str, *, quiet: bool = False) -> str | None:
        """The number in the teller's form, or None (its problem said under the field). `quiet`:
        a valid number leaves the words as they are (on Enter: the masked number's hint stays)."""
        msg = self.query_one("#phone-msg", Static)
        if self._phone_problem(text):
            return check_phone(text, self.phone_region)
        if not text.strip():
            say(msg, self.hint)
            return None
        try:
            phone = check_phone(text, self.phone_region)
        except TellerError as exc:
            say(msg, what_to_do(exc), "hint -problem")
            return None
        if not quiet:
            say(msg, "Valid number." if self.phone_region else "Valid international number.", "hint -ok")
        return phone

    # Privacy: the full number is on screen only while it is typed; once the cashier moves on
    # it is masked (a valid number's last four are in the hint, for checking).
    def on_descendant_blur(self, event) -> None:
        if getattr(event.widget, "id", None) == "phone":
            self._mask_phone(True)

    def on_descendant_focus(self, event) -> None:
        if getattr(event.widget, "id", None) == "phone":
            self._mask_phone(False)

    def _mask_phone(self, mask: bool) -> None:
        field = self.query_one("#phone", Input)
        phone = self._check_phone(field.value) if field.value.strip() else None
        field.password = bool(mask and phone)
        if mask and phone and not self._phone_problem(field.value):
            valid = "Valid number" if self.phone_region else "Valid international number"
            say(self.query_one("#phone-msg", Static), f"{valid} ending {phone[-4:]}.", "hint -ok")

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "phone":
            self._check_phone(event.value)
        else:
            say(self.query_one("#otp-msg", Static), "")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        phone = self._check_phone(self.query_one("#phone", Input).value, quiet=True)
        if phone is None:
            self.query_one("#phone", Input).focus()
            return
        otp_input = self.query_one("#otp", Input)
        if event.input.id == "phone":
            otp_input.focus()
            return
        try:
            otp = check_otp(otp_input.value)
        except TellerError as exc:
            say(self.query_one("#otp-msg", Static), exc.message, "hint -problem")
            return
        otp_input.value = ""  # a code is single-use: do not leave it in the field
        self.post_message(m.OpenSession(phone, otp))

    def action_back(self) -> None:
        self.post_message(m.BackToReady())

    def action_demo_fill(self) -> None:
        """Demo only: type in the next demo wallet and the code its app shows now."""
        if self.demo is None or not self.demo.wallets:
            return
        phone, _ = self.demo.wallets[self._demo_next % len(self.demo.wallets)]
        self._demo_next += 1
        for selector, value in (("#phone", phone), ("#otp", self._demo_code(phone))):
            field = self.query_one(selector, Input)
            field.value = value
            field.cursor_position = len(value)
        self.query_one("#otp", Input).focus()

    def _demo_code(self, phone: str) -> str:
        try:
            return self.demo.current_otp(phone)
        except Exception:  # a demo aid must never take the kiosk down
            return ""
