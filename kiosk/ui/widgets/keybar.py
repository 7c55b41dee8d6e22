"""The keys the cashier can press on this screen, always on the bottom line.

Our own bar instead of Textual's Footer: it lists exactly the keys each step offers, in
plain words, and uses only reverse video (legible in 16 colours)."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


class KeyBar(Static):
    """One line of keys, or several (`rows`) where one line of 80 columns cannot hold them."""

    def __init__(self, keys: list[tuple[str, str]], *, rows: list[list[tuple[str, str]]] | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.set_keys(keys, rows=rows)

    def set_keys(self, keys: list[tuple[str, str]], *, rows: list[list[tuple[str, str]]] | None = None) -> None:
        lines = rows or [keys]
        text = Text()
        for number, row in enumerate(lines):
            if number:
                text.append("\n")
            for index, (key, label) in enumerate(row):
                if index:
                    text.append("  ")
                if key:
                    text.append(f" {key} ", style="reverse")
                    text.append(" ")
                text.append(label)
        self.styles.height = len(lines)
        self.update(text)
