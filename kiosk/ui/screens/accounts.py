"""Accounts: the customer's currency accounts and balances; the cashier picks one and
W (withdraw) or D (deposit). A deposit may also go in a currency the wallet has no account
for yet, among the currencies the drawer holds."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.css.query import NoMatches
from textual.widgets import Static

from kiosk.teller import Visit
from kiosk.ui import messages as m
from kiosk.ui.screens.step import StepScreen
from kiosk.ui.widgets.choice_list import ChoiceList
from kiosk.ui.widgets.hint import say
from kiosk.ui.widgets.keybar import KeyBar


class AccountsScreen(StepScreen):
    BINDINGS = [
        Binding("w", "choose('withdraw')", "Withdraw"),
        Binding("d", "choose('deposit')", "Deposit"),
        Binding("escape", "cancel", "End the visit"),
    ]

    def __init__(self, visit: Visit, drawer_currencies: list[str], selected: str = "") -> None:
        super().__init__()
        self.visit = visit
        self.selected = selected
        # One (account_id, currency) a row; account_id '' = no account yet (deposit only).
        self.rows: list[tuple[str, str]] = [(account.account_id, account.currency) for account in visit.accounts]
        held = {a.currency for a in visit.accounts}
        self.rows += [("", currency) for currency in drawer_currencies if currency not in held]

    def compose(self) -> ComposeResult:
        yield Static(f"Visit · customer {self.visit.phone_masked} · accounts", classes="title")
        yield Static("Choose the account with the arrow keys, then W to withdraw or D to deposit.", classes="label")
        lines = []
        accounts = {a.account_id: a for a in self.visit.accounts}
        for account_id, currency in self.rows:
            line = Text()
            if account_id:
                account = accounts[account_id]
                line.append(f"{currency}  ", style="bold")
                line.append(f"{account.alias[:28]:<28} ")
                line.append(f"{account.balance.plain():>14} {currency}")
            else:
                line.append(f"{currency}  ", style="bold")
                line.append("no account yet: deposit only")
            lines.append(line)
        yield ChoiceList(lines, id="accounts")
        # The line under the list for what a key could not do is mounted when first needed
        # (_say): each widget is a few ms of every arrival on this screen.
        yield KeyBar([("↑↓", "Account"), ("W", "Withdraw"), ("D", "Deposit"), ("Esc", "End the visit")])

    def on_mount(self) -> None:
        accounts = self.query_one(ChoiceList)
        accounts.focus()
        for index, (account_id, currency) in enumerate(self.rows):
            if self.selected and self.selected in (account_id, currency):
                accounts.highlighted = index
                break
        else:
            accounts.highlighted = 0 if self.rows else None

    def _current(self) -> tuple[str, str] | None:
        index = self.query_one(ChoiceList).highlighted
        return None if index is None else self.rows[index]

    def action_choose(self, kind: str) -> None:
        current = self._current()
        if current is None:
            return
        account_id, currency = current
        if kind == "withdraw" and not account_id:
            self._say(f"The customer has no {currency} account: only a deposit is possible.", "hint -problem")
            return
        self.post_message(m.ChooseAction(kind, account_id, currency))

    def on_choice_list_chosen(self, event: ChoiceList.Chosen) -> None:
        # Enter on an account: withdrawing is by far the commoner visit, but a wrong guess
        # here moves money, so Enter only says which keys to press.
        event.stop()
        self._say("Press W to withdraw or D to deposit.")

    def _say(self, text: str, classes: str = "hint") -> None:
        try:
            say(self.query_one("#accounts-msg", Static), text, classes)
        except NoMatches:
            self.mount(Static(text, id="accounts-msg", classes=classes), after=self.query_one(ChoiceList))

    def action_cancel(self) -> None:
        self.post_message(m.CancelVisit())
