"""Confirm: the one question before money moves, in the words the cashier says aloud."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
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


class ConfirmScreen(Screen):
    BINDINGS = [Binding("enter", "confirm", "Confirm"), Binding("escape", "back", "Back")]

    def __init__(self, kind: VisitKind, amount: Money, phone_masked: str) -> None:
        super().__init__()
        self.kind = kind
        self.amount = amount
        self.phone_masked = phone_masked

    def compose(self) -> ComposeResult:
        verb = "withdrawal" if self.kind is VisitKind.WITHDRAW else "deposit"
        first, question = confirm_text(self.kind, self.amount, self.phone_masked)
        yield Static(f"Confirm the {verb}", classes="title")
        if first:
            yield Static(first, id="confirm-first", classes="big -warning")
        yield Static(question, id="confirm-question", classes="big")
        yield Static("Nothing has moved yet. Enter sends it to the wallet service.", classes="hint")
        yield KeyBar([("Enter", "Confirm"), ("Esc", "Back to the amount")])

    def action_confirm(self) -> None:
        self.post_message(m.MoveMoney())

    def action_back(self) -> None:
        self.post_message(m.BackToAmount())
