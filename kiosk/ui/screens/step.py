"""What a step's screen shares: no second layout for the size it was just laid out at."""

from __future__ import annotations

from textual import events
from textual.screen import Screen


class StepScreen(Screen):
    def on_resize(self, event: events.Resize) -> None:
        """A new screen's first layout sends the screen a Resize for the size it has just been
        laid out at, and Textual's handler lays it all out and draws it again: about 1 ms of each
        arrival (bench/bench_journey.py `screens`). That one changes nothing and is dropped; a
        terminal really resized (a size the screen has not got yet) is handled as before."""
        if event.size == self.outer_size:
            event.prevent_default()  # skips Screen._on_resize
