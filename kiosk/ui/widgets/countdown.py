"""Seconds left in the current OTP window.

The customer's code is valid for an absolute window (Rapyd: 30 s, aligned on the clock), so
the time left is `window - now % window`, the same for every customer; near the end the
cashier should ask for the next code rather than type a dying one."""

from __future__ import annotations

import math

from textual.widgets import Static

ENDING = 6  # seconds: from here on the countdown turns to the warning colour


def seconds_left(now: float, window: int) -> int:
    return max(1, math.ceil(window - now % window))


class OtpCountdown(Static):
    def __init__(self, window: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.window = window

    def on_mount(self) -> None:
        self.tick()
        # Twice a second so the shown second never lags by a whole second.
        self.set_interval(0.5, self.tick)

    def tick(self) -> None:
        left = seconds_left(self.app.clock(), self.window)
        self.set_class(left <= ENDING, "-ending")
        self.update(f"This code window ends in {left:>2} s")
