"""Drawer: the money moved at the host; now the cash changes hands.

Withdrawal: hand over the cash, close the drawer. Deposit: put the cash in, close it.
With a drawer sensor the app waits (bounded) for the close and carries on by itself;
without one the cashier presses Enter. If the drawer did not open, a withdrawal offers
"handed over by hand" or "cancel and reverse"; a deposit only "put it in later"."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Static

from drivers.base import DrawerOutcome
from kiosk.teller import Visit, VisitKind
from kiosk.ui import messages as m
from kiosk.ui.clock import till_now
from kiosk.ui.widgets.keybar import KeyBar


class DrawerScreen(Screen):
    BINDINGS = [
        Binding("enter", "done", "Done"),
        Binding("h", "by_hand", "Handed over by hand"),
        Binding("r", "reverse", "Cancel and reverse"),
    ]

    def __init__(self, visit: Visit, *, waiting: bool, bound: float) -> None:
        super().__init__()
        self.visit = visit
        self.waiting = waiting  # the app is waiting for the sensor to see the drawer close
        self.bound = bound
        self.withdraw = visit.kind is VisitKind.WITHDRAW
        self.not_opened = visit.drawer_outcome is DrawerOutcome.NOT_OPENED

    def compose(self) -> ComposeResult:
        amount = self.visit.amount
        verb = "Withdrawal" if self.withdraw else "Deposit"
        yield Static(f"{verb} accepted · customer {self.visit.phone_masked} · cash", classes="title")
        if self.not_opened:
            yield Static("The cash drawer did not open.", classes="big -warning")
            if self.withdraw:
                text = (
                    f"The wallet was already debited {amount}.\n"
                    f"If you handed over {amount} some other way, press H.\n"
                    "If the customer got no cash, press R: the withdrawal is reversed."
                )
            else:
                text = f"The wallet was credited {amount}. Keep the cash safe and put it in the drawer later."
            yield Static(text, id="drawer-instruction", classes="label")
        else:
            action = f"Hand over {amount}, then close the drawer." if self.withdraw else f"Put {amount} in the drawer, then close it."
            yield Static(action, id="drawer-instruction", classes="big")
        yield Static("", id="drawer-wait", classes="hint")
        yield KeyBar(self._keys(), id="drawer-keys")

    def _keys(self) -> list[tuple[str, str]]:
        if self.not_opened and self.withdraw:
            return [("H", "Handed over by hand"), ("R", "Cancel and reverse")]
        if self.not_opened:
            return [("Enter", "Done: I will put it in later")]
        if self.waiting:
            return [("", "Close the drawer to carry on")]
        return [("Enter", "Done: cash handed over" if self.withdraw else "Done: cash is in the drawer")]

    def on_mount(self) -> None:
        if self.waiting:
            self.started = till_now(self)
            self.tick()
            self.timer = self.set_interval(1.0, self.tick)
        elif not self.not_opened:
            self.query_one("#drawer-wait", Static).update("This drawer cannot report when it is closed: press Enter when done.")

    def tick(self) -> None:
        if self.waiting:
            elapsed = int(till_now(self) - self.started)
            self.query_one("#drawer-wait", Static).update(
                f"Waiting for the drawer to close: {elapsed} s (at most {self.bound:.0f} s)"
            )

    def wait_ended(self, closed: bool | None) -> None:
        """The bounded wait ended without seeing the drawer close."""
        self.waiting = False
        self.timer.stop()
        wait = self.query_one("#drawer-wait", Static)
        if closed is False:
            wait.update("The drawer is still open. Close it; press Enter once the cash has changed hands.")
        else:
            wait.update("The drawer cannot tell whether it closed: press Enter when done.")
        wait.set_classes("hint -problem")
        self.query_one("#drawer-keys", KeyBar).set_keys(self._keys())

    def action_done(self) -> None:
        if self.waiting or (self.not_opened and self.withdraw):
            return
        self.post_message(m.CashDone(by_hand=self.not_opened))

    def action_by_hand(self) -> None:
        if self.not_opened and self.withdraw:
            self.post_message(m.CashDone(by_hand=True))

    def action_reverse(self) -> None:
        if self.not_opened and self.withdraw:
            self.post_message(m.ReverseWithdrawal())
