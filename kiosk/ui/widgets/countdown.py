"""The one code countdown: how long the code the customer's app shows now stays valid.

The customer's code is valid for an absolute window (Rapyd: 30 s, aligned on the clock), so
the time left is `window - now % window`, the same for every customer. It says what to do:
"Code valid 12 s more", then in the last seconds "Ask for the next code" (a code typed then
may be dead by the time it arrives); when the window turns, the app shows a new code and the
count starts again from the window's length."""

from __future__ import annotations

import math

from textual.widgets import Static

from kiosk.ui.clock import till_now

ENDING = 5  # seconds: from here on the cashier should ask for the next code


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
        left = seconds_left(till_now(self), self.window)
        self.set_class(left <= ENDING, "-ending")
        self.update(countdown_words(left))


def countdown_words(left: int) -> str:
    if left <= ENDING:
        return f"Ask for the next code ({left} s left)"
    return f"Code valid {left} s more"
