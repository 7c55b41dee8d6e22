"""Progress: the wallet service (or the printer) is working. Nothing here can be pressed:
the call belongs to the app and its outcome decides the next screen, so no key may lose
track of the visit. Elapsed seconds and the bound say how long it can still take."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Static

from kiosk.ui import messages as m
from kiosk.ui.clock import till_now
from kiosk.ui.widgets.keybar import KeyBar

# ASCII: the Linux console font has no braille spinner glyphs.
SPINNER = "|/-\\"


class ProgressScreen(Screen):
    BINDINGS = [Binding("escape", "stop_waiting", "Stop waiting")]

    def __init__(self, what: str, *, bound: float | None, money: bool = False) -> None:
        super().__init__()
        self.what = what
        self.bound = bound
        self.money = money
        self.retrying = False  # the host missed an answer: the cashier may stop waiting

    def compose(self) -> ComposeResult:
        yield Static("Working", classes="title")
        yield Static("", id="progress-what", classes="big")
        yield Static("", id="progress-time", classes="label")
        yield Static("", id="progress-retry", classes="hint")
        if self.money:
            yield Static("Do not hand over or take any cash yet.", classes="hint -problem")
        yield KeyBar([("", "Please wait: no key is needed")], id="progress-keys")

    def on_mount(self) -> None:
        self.started = till_now(self)
        self.tick()
        self.set_interval(0.25, self.tick)

    def tick(self) -> None:
        # The frame follows the clock (not a counter) so a frozen clock freezes the picture.
        spin = SPINNER[int(till_now(self) * 4) % len(SPINNER)]
        self.query_one("#progress-what", Static).update(f"{spin} {self.what}...")
        elapsed = int(till_now(self) - self.started)
        bound = f" (at most about {self.bound:.0f} s)" if self.bound else ""
        self.query_one("#progress-time", Static).update(f"{elapsed} s{bound}")

    def host_retrying(self, attempt: int, attempts: int) -> None:
        of = f" of {attempts}" if attempts else ""
        self.query_one("#progress-retry", Static).update(
            f"No answer yet: asking the wallet service again (try {attempt}{of}, same request, it cannot apply twice)."
        )
        if self.money and not self.retrying:
            self.retrying = True
            self.query_one("#progress-keys", KeyBar).set_keys(
                [("Esc", "Stop waiting: the kiosk settles this visit later")]
            )

    def action_stop_waiting(self) -> None:
        if self.retrying:
            self.post_message(m.StopWaiting())
