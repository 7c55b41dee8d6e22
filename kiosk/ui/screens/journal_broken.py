"""The journal failed its check: what was found, that cash movements are locked, and the one
way forward (a supervisor counts the drawer and reseals the journal, which records what was
found in the chain itself). Shown at start, and instead of the ready screen, until then."""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from kiosk.ui import messages as m
from kiosk.ui.widgets.keybar import KeyBar


class JournalBrokenScreen(Screen):
    def __init__(self, found: str) -> None:
        super().__init__()
        self.found = found

    def compose(self) -> ComposeResult:
        yield Static("JOURNAL CHECK FAILED: NO CASH MOVES", classes="title -error")
        with VerticalScroll(id="broken-body"):
            yield Static(f"What was found: {self.found}.", id="broken-found", classes="big")
            yield Static(
                "The record of visits on this till may have been edited, cut short or replaced, so "
                "no visit is served and no reversal is sent. Do not restart or copy anything.",
                classes="label",
            )
            yield Static(
                "A supervisor counts the drawer, then presses F2 to reseal the journal: what was "
                "found stays on record for the audit, and the till serves again.",
                id="broken-next",
                classes="label",
            )
        yield KeyBar([("F2", "Supervisor: reseal the journal"), ("F10", "Close the kiosk")])

    def on_key(self, event: events.Key) -> None:
        if event.key == "f2":
            event.stop()
            self.post_message(m.ResealJournal())
