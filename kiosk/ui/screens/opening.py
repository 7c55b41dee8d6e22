"""Opening: the kiosk's first screen while its journal is opened and checked and unfinished
visits are recovered (kiosk.runtime.build_runtime, run by the app in a thread). Nothing can
start a visit here: the only key is F10 (the app's). It shows how long the opening has taken,
and says plainly when it takes long (a large journal is checked row by row)."""

from __future__ import annotations

import time

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Static

from kiosk.ui.widgets.keybar import KeyBar

# After this long the screen says why it is still opening (a journal of years is checked
# row by row); the opening itself is not cut short: cash must not move on an unchecked journal.
SLOW_AFTER = 5.0


class OpeningScreen(Screen):
    def __init__(self, title: str) -> None:
        super().__init__()
        self.till_title = title
        self.started = time.monotonic()

    def compose(self) -> ComposeResult:
        yield Static(self.till_title, id="ready-title", classes="title")
        yield Static(self.progress(), id="opening", classes="big")
        yield KeyBar([("F10", "Close the kiosk")])

    def on_mount(self) -> None:
        self.set_interval(0.5, self.tick)

    def tick(self) -> None:
        self.query_one("#opening", Static).update(self.progress())

    def progress(self) -> str:
        elapsed = time.monotonic() - self.started
        words = f"Opening the journal… {elapsed:.0f} s"
        if elapsed >= SLOW_AFTER:
            words += ("\n\nThe journal is being checked and unfinished visits recovered. "
                      "Visits start once it is done; do not switch the till off.")
        return words
