"""Confirm: the one question before money moves, in the words the cashier says aloud."""

from __future__ import annotations

from typing import Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Static

from kiosk.money import Money
from kiosk.teller import VisitKind
from kiosk.ui import messages as m
from kiosk.ui.widgets.keybar import KeyBar


def confirm_text(kind: VisitKind, amount: Money, phone_masked: str) -> tuple[str, str]:
    """(what to do first, the question)."""
    if kind is VisitKind.WITHDRAW:
        return ("", f"Withdraw {amount} from {phone_masked}'s {amount.currency} account?")
    return (
        f"Take {amount} from the customer first.",
        f"Then deposit {amount} into {phone_masked}'s {amount.currency} account?",
    )


class ConfirmQuestion(Screen):
    """The one question before money moves, for every back end: what to do first (if
    anything), the question, what Enter does; Enter confirms, Esc goes back."""

    BINDINGS = [Binding("enter", "confirm", "Confirm"), Binding("escape", "back", "Back")]

    def __init__(self, title: str, question: str, *, first: str = "", hint: str, back_label: str,
                 confirm: Callable[[], Message], back: Callable[[], Message]) -> None:
        super().__init__()
        self.title_text, self.question, self.first, self.hint = title, question, first, hint
        self.back_label, self.confirm, self.back = back_label, confirm, back

    def compose(self) -> ComposeResult:
        yield Static(self.title_text, classes="title")
        if self.first:
            yield Static(self.first, id="confirm-first", classes="big -warning")
        yield Static(self.question, id="confirm-question", classes="big")
        yield Static(self.hint, classes="hint")
        yield KeyBar([("Enter", "Confirm"), ("Esc", self.back_label)])

    def action_confirm(self) -> None:
        self.post_message(self.confirm())

    def action_back(self) -> None:
        self.post_message(self.back())


class ConfirmScreen(ConfirmQuestion):
    """The wallet's withdrawal or deposit."""

    def __init__(self, kind: VisitKind, amount: Money, phone_masked: str) -> None:
        verb = "withdrawal" if kind is VisitKind.WITHDRAW else "deposit"
        first, question = confirm_text(kind, amount, phone_masked)
        super().__init__(f"Confirm the {verb}", question, first=first,
                         hint="Nothing has moved yet. Enter sends it to the wallet service.",
                         back_label="Back to the amount", confirm=m.MoveMoney, back=m.BackToAmount)
        self.kind = kind
        self.amount = amount
        self.phone_masked = phone_masked
