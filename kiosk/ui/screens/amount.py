"""Amount: the cashier types the amount in the till's locale (AmountInput refuses, with the
reason, a key that cannot be part of it); the teller checks it on every keystroke (balance,
cash in the drawer) and the reason, or the amount that will move, shows under the field."""

from __future__ import annotations

from typing import Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Input, Static

from kiosk.money import Money, MoneyError, read_typed
from kiosk.teller import TellerError, VisitKind
from kiosk.ui import messages as m
from kiosk.ui.widgets.amount_input import AmountInput, till_style, will_move
from kiosk.ui.widgets.digits_input import settled
from kiosk.ui.widgets.keybar import KeyBar
from kiosk.ui.wording import what_to_do


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
        yield AmountInput(till_style(self.app).typed(self.amount), currency=self.currency, id="amount")
        yield Static("", id="amount-msg", classes="hint")
        yield KeyBar([("Enter", "Continue"), ("Esc", "Back to accounts")])

    def on_mount(self) -> None:
        field = self.query_one("#amount", AmountInput)
        field.cursor_position = len(field.value)
        field.focus()
        if field.value:
            self._check(field.value)

    def _check(self, text: str) -> Money | None:
        msg = self.query_one("#amount-msg", Static)
        if not text.strip():
            msg.update("")
            return None
        try:
            amount = self.check(read_typed(text, self.currency, till_style(self.app)).plain())
        except MoneyError as exc:
            msg.update(str(exc))
            msg.set_classes("hint -problem")
            return None
        except TellerError as exc:
            msg.update(what_to_do(exc))
            msg.set_classes("hint -problem")
            return None
        msg.update(will_move(self.app, amount))
        msg.set_classes("hint -ok")
        return amount

    def on_input_changed(self, event: Input.Changed) -> None:
        if settled(event):
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
