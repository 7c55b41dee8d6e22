"""Supervisor approval: a supervisor, other than the cashier, approves one action on this
till with their own PIN (over a limit, a reversal, a reprint, resolving a suspect visit,
closing a shift with a variance). The Guard checks and journals it (APPROVED, with both
names); the teller then accepts that one action once.

Use from anywhere in the app:

    from kiosk import auth
    from kiosk.ui.screens.approve import ask_approval, request_approval

    ask_approval(app, auth.VARIANCE, then=lambda supervisor: ...)      # callback: name or None
    supervisor = await request_approval(app, "Close with a variance of -5.00 GBP",
                                        action=auth.VARIANCE)           # from a screen handler
                                                                          # or a worker, not an
                                                                          # App message handler
Then pass the name on, e.g. teller.close_shift(counted, supervisor=supervisor) or
teller.resolve_suspect(visit_id, cash_moved=..., supervisor=supervisor): the teller takes the
approval granted to that supervisor for that action. Without sign-in (auth.required false:
the demo) nobody can approve: both return None at once."""

from __future__ import annotations

import asyncio
from typing import Any, Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Static

from kiosk.ui.auth import guard_of
from kiosk.ui.screens.pin_check import PinCheckScreen

from kiosk.ui.widgets.keybar import KeyBar


class ApproveScreen(PinCheckScreen):
    """Dismissed with the approving supervisor's name, or None when cancelled (Esc)."""

    PREFIX = "approve"
    WHAT = "approval"

    DEFAULT_CSS = """
    ApproveScreen { align: center middle; background: ansi_default; }
    #approve-box { width: 64; height: auto; border: double ansi_yellow; padding: 0 1; }
    #approve-box KeyBar { dock: none; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self, guard, action: str, *, why: str = "", visit_id: str | None = None, detail: str = "", supervisor: str = ""
    ) -> None:
        super().__init__()
        self.supervisor = supervisor.strip().lower()  # named already (e.g. on the close-shift form): fixed
        self.guard = guard
        self.action = action
        self.why = why
        self.visit_id = visit_id
        self.detail = detail or why

    def compose(self) -> ComposeResult:
        with Vertical(id="approve-box"):
            yield Static("Supervisor approval", classes="big -warning")
            yield Static(f"To {self.action}." + (f" {self.why}" if self.why else ""), id="approve-why", classes="hint")
            yield from self.name_and_pin(
                name_label="Supervisor's name", pin_label="Supervisor's PIN", name=self.supervisor, fixed=bool(self.supervisor)
            )
            yield KeyBar([("Enter", "Approve"), ("Tab", "Next field"), ("Esc", "Cancel")])

    def on_mount(self) -> None:
        self.query_one("#approve-pin" if self.supervisor else "#approve-name", Input).focus()

    def verify(self, name: str, pin: str) -> str:
        return self.guard.approve(self.action, name, pin, visit_id=self.visit_id, detail=self.detail).supervisor

    def action_cancel(self) -> None:
        self.dismiss(None)


def ask_approval(
    app: Any,
    action: str,
    *,
    then: Callable[[str | None], Any],
    why: str = "",
    visit_id: str | None = None,
    detail: str = "",
    supervisor: str = "",
) -> None:
    """Show the approval modal; `then(supervisor name or None)` once it is answered."""
    guard = guard_of(app)
    if guard is None:
        then(None)
        return
    app.push_screen(ApproveScreen(guard, action, why=why, visit_id=visit_id, detail=detail, supervisor=supervisor), then)


async def request_approval(
    app: Any, action_text: str, *, action: str | None = None, visit_id: str | None = None, supervisor: str = ""
) -> str | None:
    """Await a supervisor's approval: their name, or None (cancelled, or no sign-in here).

    `action` is one of kiosk.auth.ACTIONS (what the teller will check); `action_text` is the
    sentence shown. Await it from a screen's handler or a worker, never from an App
    message handler (the app must stay free to pass keys to the modal)."""
    from kiosk import auth

    loop = asyncio.get_running_loop()
    answer: asyncio.Future[str | None] = loop.create_future()

    def done(result: str | None) -> None:
        if not answer.done():
            answer.set_result(result)

    chosen = action or next((a for a in auth.ACTIONS if a in action_text), "")
    if chosen not in auth.ACTIONS:
        raise ValueError(f"say which action is approved: action= one of {auth.ACTIONS}")
    ask_approval(app, chosen, why=action_text if action_text != chosen else "", visit_id=visit_id, supervisor=supervisor, then=done)
    return await answer


def approved_or_ask(
    app: Any,
    action: str,
    *,
    retry: Callable[[], Any],
    why: str = "",
    visit_id: str | None = None,
    needed: bool = True,
    supervisor: str = "",
) -> bool:
    """For an app handler about to run a guarded teller step: True to go ahead now (no
    sign-in, not needed, or already approved); else asks a supervisor and, once approved,
    posts `retry()` (the same request again) to the app."""
    guard = guard_of(app)
    if guard is None or not needed or guard.has_approval(action, visit_id=visit_id, supervisor=supervisor or None):
        return True

    def done(supervisor: str | None) -> None:
        if supervisor:
            app.post_message(retry())

    ask_approval(app, action, why=why, visit_id=visit_id, supervisor=supervisor, then=done)
    return False
