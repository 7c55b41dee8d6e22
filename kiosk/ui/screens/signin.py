"""Sign-in: the gate in front of the till. Shown at start, after a sign-out, and as the idle
lock over whatever step was on screen (which it hides completely: a customer's details must
not be readable by whoever walks up to an unattended till).

The PIN check (argon2, ~0.1 s) runs in a worker of this screen: it moves no money, so it may
die with the screen. The rules (lockout, who may take over a visit) are the Guard's; this
screen only asks and shows the answer. Dismissed with the signed-in user's name."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Static

from kiosk.ui.screens.pin_check import PinCheckScreen
from kiosk.ui.widgets.keybar import KeyBar


class SignInScreen(PinCheckScreen):
    """mode: "start" (nobody signed in yet), "signed-out", or "locked" (idle lock)."""

    PREFIX = "signin"
    WHAT = "sign-in"

    DEFAULT_CSS = """
    SignInScreen { align: center middle; background: ansi_default; }
    #signin-box { width: 60; height: auto; border: double ansi_cyan; padding: 0 1; }
    #signin-box KeyBar { dock: none; }
    """
    BINDINGS = [Binding("escape", "clear", "Clear", show=False)]

    def __init__(self, guard, *, mode: str = "start", owner: str = "", visit_id: str | None = None, store: str = "") -> None:
        super().__init__()
        self.guard = guard
        self.mode = mode
        self.owner = owner  # the cashier whose visit is in flight (locked mode)
        self.visit_id = visit_id
        self.store = store

    def compose(self) -> ComposeResult:
        with Vertical(id="signin-box"):
            if self.mode == "locked":
                yield Static(f"Locked: {self.owner} was away", classes="big")
                if self.visit_id:
                    yield Static(
                        f"A visit is in progress. {self.owner} signs in to carry on, or a supervisor to take it over.",
                        id="signin-why",
                        classes="hint",
                    )
                else:
                    yield Static("Sign in to carry on.", id="signin-why", classes="hint")
            else:
                yield Static(f"{self.store or 'Cash point'} · sign in", classes="big")
                yield Static("Cashier or supervisor: your name and PIN.", id="signin-why", classes="hint")
            yield from self.name_and_pin(name_label="Name", pin_label="PIN")
            yield KeyBar([("Enter", "Sign in"), ("Tab", "Next field"), ("Esc", "Clear")])

    def on_mount(self) -> None:
        name = self.query_one("#signin-name", Input)
        if self.mode == "locked" and self.owner:
            name.value = self.owner
            self.query_one("#signin-pin", Input).focus()
        else:
            name.focus()

    def verify(self, name: str, pin: str) -> str:
        return self.guard.sign_in(name, pin, visit_id=self.visit_id).name

    def action_clear(self) -> None:
        for selector in ("#signin-pin",) if self.mode == "locked" else ("#signin-name", "#signin-pin"):
            self.query_one(selector, Input).value = ""
        self._message("", problem=False)
        (self.query_one("#signin-pin", Input) if self.mode == "locked" else self.query_one("#signin-name", Input)).focus()
