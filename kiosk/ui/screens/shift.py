"""The shift: open it with the counted float, see the X report, close it blind (Z).

Blind close: the close screen asks for the count and shows no expected figure; the Z report,
with the variance, comes only after the count is in."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Input, Static

from kiosk.ui import messages as m
from kiosk.ui.widgets.keybar import KeyBar

COUNT_HINT = "Currency and amount, e.g. GBP 500.00 EUR 300.00"


class OpenShiftScreen(Screen):
    """No shift is open: the cashier counts the float into the drawer and types it."""

    BINDINGS = [Binding("escape", "back", "Back")]

    def compose(self) -> ComposeResult:
        yield Static("Open a shift", classes="title")
        yield Static("Count the cash in the drawer and type the float per currency.", classes="label")
        yield Input(placeholder=COUNT_HINT, id="float")
        yield Static("", id="shift-message", classes="hint")
        yield KeyBar([("Enter", "Open the shift"), ("Esc", "Back to ready")])

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.value.strip():
            self.post_message(m.OpenShift(event.value))

    def show_problem(self, text: str) -> None:
        self.query_one("#shift-message", Static).update(text)

    def action_back(self) -> None:
        self.post_message(m.BackToReady())


class ShiftReportScreen(Screen):
    """An X report (mid-shift) or the Z report after the close."""

    BINDINGS = [
        Binding("p", "print", "Print"),
        Binding("c", "close_shift", "Close shift"),
        Binding("enter,escape", "back", "Back"),
    ]

    def __init__(self, lines: list[str], *, closed: bool) -> None:
        super().__init__()
        self.lines = lines
        self.closed = closed

    def compose(self) -> ComposeResult:
        yield Static("Shift closed: Z report" if self.closed else "Shift: X report", classes="title")
        yield Static("\n".join(self.lines), id="shift-report", classes="panel")
        if self.closed:
            yield KeyBar([("Enter", "Back to ready")])
        else:
            yield KeyBar([("P", "Print X report"), ("C", "Close the shift (blind count)"), ("Enter", "Back to ready")])

    def action_print(self) -> None:
        if not self.closed:
            self.post_message(m.PrintShiftReport())

    def action_close_shift(self) -> None:
        if not self.closed:
            self.app.push_screen(CloseShiftScreen())

    def action_back(self) -> None:
        self.post_message(m.BackToReady())


class CloseShiftScreen(Screen):
    """Blind count: nothing here says what the drawer should hold."""

    BINDINGS = [Binding("escape", "back", "Back")]

    def compose(self) -> ComposeResult:
        yield Static("Close the shift: count the drawer", classes="title")
        yield Static("Type what you counted, per currency. The expected figures come after.", classes="label")
        yield Input(placeholder=COUNT_HINT, id="counted")
        yield Static("Supervisor (only needed when the count differs)", classes="label")
        yield Input(placeholder="supervisor's name", id="supervisor")
        yield Static("", id="shift-message", classes="hint")
        yield KeyBar([("Enter", "Close the shift"), ("Tab", "Next field"), ("Esc", "Back")])

    def on_input_submitted(self, event: Input.Submitted) -> None:
        counted = self.query_one("#counted", Input).value
        if not counted.strip():
            self.query_one("#counted", Input).focus()
            return
        self.post_message(m.CloseShift(counted, self.query_one("#supervisor", Input).value.strip()))

    def show_problem(self, text: str) -> None:
        self.query_one("#shift-message", Static).update(text)

    def action_back(self) -> None:
        self.dismiss()
