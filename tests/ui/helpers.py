"""Bounded waiting for Pilot tests: never a bare sleep, never an unbounded loop."""

from __future__ import annotations

import time
from typing import Callable

from textual.pilot import Pilot


async def wait_until(pilot: Pilot, condition: Callable[[], bool], *, timeout: float = 20.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            shown = type(pilot.app.screen).__name__
            raise AssertionError(
                f"timed out after {timeout} s waiting for {what or condition}; on {shown}:\n{screen_dump(pilot)}"
            )
        await pilot.pause(0.02)


async def wait_for_screen(pilot: Pilot, screen_type: type, *, timeout: float = 20.0) -> None:
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, screen_type), timeout=timeout, what=screen_type.__name__)
    await pilot.pause()  # let it mount and paint


async def type_text(pilot: Pilot, text: str) -> None:
    """Key by key, as a cashier types (about 0.1 s a key under Pilot)."""
    await pilot.press(*list(text))


async def fill(pilot: Pilot, text: str) -> None:
    """Put text into the focused field at once (same Changed events, without a key each):
    for tests where the typing itself is not what is tested."""
    from textual.widgets import Input

    field = pilot.app.focused
    assert isinstance(field, Input), f"focus is on {field!r}, not a field"
    field.insert_text_at_cursor(text)
    await pilot.pause()


def screen_dump(pilot: Pilot) -> str:
    """The screen as plain text lines, exactly as laid out (for debugging and asserts)."""
    strips = pilot.app.screen._compositor.render_strips()
    return "\n".join(strip.text for strip in strips)


def screen_words(pilot: Pilot) -> str:
    """The screen's text with line breaks and runs of spaces collapsed: for phrases that may
    wrap at 80 columns."""
    return " ".join(screen_dump(pilot).replace("│", " ").split())


def widget_words(pilot: Pilot, selector: str) -> str:
    """One widget's text, whitespace collapsed (independent of how the screen wraps it)."""
    return " ".join(str(pilot.app.screen.query_one(selector).render()).split())


async def count_drawer(pilot: Pilot, amounts: dict[str, str]) -> None:
    """Type a count into the shift's per-currency form, row by row (kiosk.ui.screens.shift)."""
    for currency, amount in amounts.items():
        pilot.app.screen.query_one(f"#count-{currency}").focus()
        await pilot.pause()
        await fill(pilot, amount)
