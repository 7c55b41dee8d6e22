"""Close the kiosk? Asked every time: a till must not close by accident."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from kiosk.ui.widgets.keybar import KeyBar


class QuitScreen(ModalScreen[bool]):
    BINDINGS = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]

    def __init__(self, *, visit_open: bool = False) -> None:
        super().__init__()
        self.visit_open = visit_open

    def compose(self) -> ComposeResult:
        with Vertical(id="quit-box", classes="panel"):
            yield Static("Close the kiosk?", classes="big")
            if self.visit_open:
                yield Static("The customer's session will be closed first; nothing was charged.", classes="hint")
            yield KeyBar([("Y", "Yes, close"), ("N", "No, keep serving")])

    def action_answer(self, close: bool) -> None:
        self.dismiss(close)
