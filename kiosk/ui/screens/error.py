"""Error (and other notices): what happened in plain words, what to do now, and the keys
for the way forward. Which ways are offered depends on the step that failed and on where
the visit stands: before money moved the cashier can usually try again; after, never."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from textual import events
from textual.app import ComposeResult
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Static

from kiosk.teller import Stage, TellerError
from kiosk.ui import messages as m
from kiosk.ui.widgets.keybar import KeyBar
from kiosk.ui.wording import sentence

TITLES = {
    "OTP_REJECTED": "Code not accepted",
    "INVALID_OTP": "Code not accepted",
    "OTP_EXPIRED": "Code expired",
    "OTP_USED": "Code already used",
    "PHONE_UNKNOWN": "Phone number not known",
    "NO_SHIFT": "No shift is open",
    "INVALID_PHONE": "Phone number not valid",
    "HOST_NO_ANSWER": "No answer from the wallet service",
    "HOST_UNREACHABLE": "Wallet service unreachable",
    "AUTHENTICATION_FAILED": "This terminal was refused",
    "OUTCOME_UNKNOWN": "DO NOT HAND OVER OR TAKE CASH",
    "INSUFFICIENT_FUNDS": "Not enough money in the account",
    "NOT_ENOUGH_CASH": "Not enough cash in the drawer",
    "AMOUNT_INVALID": "Amount not accepted",
    "PRINTER_NOT_READY": "Printer not ready",
    "DRAWER_OPEN": "Cash drawer is open",
    "DECLINED": "Declined by the wallet service",
    "REVERSAL_FAILED": "Reversal not confirmed yet",
    "JOURNAL_BROKEN": "Journal check failed: no cash moves",
    "JOURNAL_FULL": "Disk full: nothing can be recorded",
    "INTERNAL": "Something went wrong",
}

AMOUNT_CODES = {"INSUFFICIENT_FUNDS", "NOT_ENOUGH_CASH", "AMOUNT_INVALID", "NO_SUCH_ACCOUNT"}


@dataclass(frozen=True)
class Way:
    key: str  # a Textual key name: "enter", "escape"
    label: str
    request: Callable[[], Message]


def _key_label(key: str) -> str:
    return {"enter": "Enter", "escape": "Esc"}.get(key, key.upper())


def ways_forward(step: str, code: str, stage: Stage | None) -> list[Way]:
    """The keys an error screen offers, by the step that failed and the visit's stage."""
    ready = Way("enter", "Back to ready", m.BackToReady)
    if step == "open":
        if code in ("HOST_UNREACHABLE", "AUTHENTICATION_FAILED"):
            return [ready]
        # The session was not opened: a new code (or a fixed printer) and try again.
        again = "Try again: check the phone number" if code == "PHONE_UNKNOWN" else "Try again: new code, phone kept"
        return [Way("enter", again, m.BackToCustomer), Way("escape", "Back to ready", m.BackToReady)]
    if step == "move" and stage is Stage.SESSION_OPEN:
        # Refused before anything was sent: the session is still open.
        cancel = Way("escape", "End the visit", m.CancelVisit)
        if code in AMOUNT_CODES:
            return [Way("enter", "Change the amount", m.BackToAmount), cancel]
        return [Way("enter", "Try again", m.BackToConfirm), cancel]
    if step == "move" and stage is Stage.FAILED and code in ("INSUFFICIENT_FUNDS", "DECLINED"):
        # The host said no and the session is closed (one action per session): a new code.
        return [Way("enter", "New code for another amount, phone kept", m.BackToCustomer), Way("escape", "Back to ready", m.BackToReady)]
    return [ready]


class NoticeScreen(Screen):
    """A title, what happened, what to do now, and the keys for the way forward."""

    def __init__(self, title: str, message: str, next_step: str, ways: list[Way], *, tone: str = "error") -> None:
        super().__init__()
        self.title_text = title
        self.message = sentence(message)  # each its own sentence, whoever wrote it
        self.next_step = sentence(next_step)
        self.ways = ways or [Way("enter", "Back to ready", m.BackToReady)]
        self.tone = tone

    def compose(self) -> ComposeResult:
        yield Static(self.title_text, classes=f"title -{self.tone}")
        yield Static(self.message, id="notice-message", classes="big")
        if self.next_step:
            yield Static(self.next_step, id="notice-next", classes="label")
        yield KeyBar([(_key_label(way.key), way.label) for way in self.ways])

    def on_key(self, event: events.Key) -> None:
        for way in self.ways:
            if event.key == way.key:
                event.stop()
                self.post_message(way.request())
                return


class ErrorScreen(NoticeScreen):
    def __init__(self, error: TellerError, ways: list[Way]) -> None:
        super().__init__(TITLES.get(error.code, "Cannot carry on"), error.message, error.next_step, ways)
        self.error = error
