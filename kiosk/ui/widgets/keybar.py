"""The keys the cashier can press on this screen, always on the bottom line.

Our own bar instead of Textual's Footer: it lists exactly the keys each step offers, in
plain words, and uses only reverse video (legible in 16 colours)."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


class KeyBar(Static):
    def __init__(self, keys: list[tuple[str, str]], **kwargs) -> None:
        super().__init__(**kwargs)
        self.set_keys(keys)

    def set_keys(self, keys: list[tuple[str, str]]) -> None:
        text = Text()
        for key, label in keys:
            if text:
                text.append("  ")
            if key:
                text.append(f" {key} ", style="reverse")
                text.append(" ")
            text.append(label)
        self.update(text)
