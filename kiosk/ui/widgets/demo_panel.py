"""The demo side panel: demo wallets and the code each wallet's app shows right now.

Only shown when the runtime is a demo (runtime.demo is set): it lets someone trying the
kiosk serve a customer unaided. The data comes from the runtime, never from the simulator
package (the UI does not import it)."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


class DemoPanel(Static):
    def __init__(self, demo, **kwargs) -> None:
        super().__init__(**kwargs)
        self.demo = demo
        self.border_title = "Demo wallets"

    def on_mount(self) -> None:
        self.refresh_codes()
        self.set_interval(1.0, self.refresh_codes)

    def refresh_codes(self) -> None:
        text = Text()
        for phone, description in self.demo.wallets:
            try:
                code = self.demo.current_otp(phone)
            except Exception:  # a demo aid must never take the kiosk down
                code = "------"
            text.append(f"{phone:<15} ", style="bold")
            text.append(f" {code} \n", style="reverse")
            text.append(f" {description}\n")
        # No countdown here: the form's one countdown says how long these codes last.
        text.append("F2 types the next wallet in", style="italic")
        self.update(text)
