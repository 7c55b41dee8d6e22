"""The till's time as screens and widgets read it: the app's own clock (a test freezes it),
never time.time() directly. Typed here so screens need not import the app that shows them."""

from __future__ import annotations

from typing import Callable, Protocol, cast

from textual.dom import DOMNode


class _Clocked(Protocol):
    clock: Callable[[], float]  # kiosk.ui.app.KioskApp.clock


def till_now(node: DOMNode) -> float:
    """Seconds since the epoch by the clock of the app `node` is mounted in."""
    return cast(_Clocked, node.app).clock()
