"""A screen's message line (a field's hint, a problem, an all-clear), changed only when its
words or tone change: every Static.update lays the screen out again, a few milliseconds of
the UI thread, and the customer screen re-checks its fields on each key and on Enter while
the session call is starting in its own thread (bench/bench_journey.py `screens`)."""

from __future__ import annotations

from textual.widgets import Static


def say(line: Static, text: str, classes: str = "hint") -> None:
    """Show `text` in `line` with `classes` ("hint", "hint -problem", "hint -ok")."""
    if line.content != text:
        line.update(text)
    if set(line.classes) != set(classes.split()):
        line.set_classes(classes)
