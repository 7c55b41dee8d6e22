"""Amount: the cashier types the amount; the teller checks it on every keystroke (balance,
cash in the drawer, the currency's decimals) and the reason shows under the field."""

from __future__ import annotations

from typing import Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Input, Static

from kiosk.money import Money
from kiosk.teller import TellerError, VisitKind
from kiosk.ui import messages as m
from kiosk.ui.widgets.digits_input import DigitsInput
from kiosk.ui.widgets.keybar import KeyBar


class AmountScreen(Screen):
    BINDINGS = [Binding("escape", "back", "Back")]

    def __init__(
        self,
        *,
        kind: VisitKind,
        currency: str,
        phone_masked: str,
        balance: Money | None,
        drawer_cash: Money,
        check: Callable[[str], Money],
        amount: str = "",
    ) -> None:
        super().__init__()
        self.kind = kind
        self.currency = currency
        self.phone_masked = phone_masked
        self.balance = balance
        self.drawer_cash = drawer_cash
        self.check = check
        self.amount = amount

    def compose(self) -> ComposeResult:
        verb = "Withdraw" if self.kind is VisitKind.WITHDRAW else "Deposit"
        yield Static(f"{verb} · customer {self.phone_masked} · {self.currency} account", classes="title")
        if self.balance is not None:
            facts = f"Account balance {self.balance}    Drawer holds {self.drawer_cash}"
        else:
            facts = f"The wallet has no {self.currency} account yet: this deposit opens one."
        yield Static(facts, id="amount-facts", classes="label")
        yield Static(f"Amount to {verb.lower()}, in {self.currency}", classes="label")
        yield DigitsInput(self.amount, placeholder="e.g. 20 or 12.50", id="amount", max_length=16, restrict=r"[0-9.]*")
        yield Static("", id="amount-msg", classes="hint")
        yield KeyBar([("Enter", "Continue"), ("Esc", "Back to accounts")])

    def on_mount(self) -> None:
        field = self.query_one("#amount", Input)
        field.cursor_position = len(field.value)
        field.focus()
        if self.amount:
            self._check(self.amount)

    def _check(self, text: str) -> Money | None:
        msg = self.query_one("#amount-msg", Static)
        if not text.strip():
            msg.update("")
            return None
        try:
            amount = self.check(text)
        except TellerError as exc:
            msg.update(f"{exc.message} {exc.next_step}".strip())
            msg.set_classes("hint -problem")
            return None
        msg.update(f"{amount}: press Enter to continue.")
        msg.set_classes("hint -ok")
        return amount

    def on_input_changed(self, event: Input.Changed) -> None:
        self._check(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        amount = self._check(event.value)
        if amount is None:
            if not event.value.strip():
                self.query_one("#amount-msg", Static).update("Type the amount first.")
            return
        self.post_message(m.AmountChosen(amount))

    def action_back(self) -> None:
        self.post_message(m.BackToAccounts())
