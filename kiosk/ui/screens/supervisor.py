"""What needs a supervisor: visits whose cash outcome is unknown (they lock cash movements
until the drawer is counted) and compensations the kiosk could not deliver."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from kiosk.ui import messages as m
from kiosk.ui.widgets.keybar import KeyBar


def describe(visit) -> str:
    amount = f"{visit.amount} {visit.currency}" if visit.amount else "-"
    return f"{visit.started_at[:16].replace('T', ' ')}  {visit.visit_id[:8]}  {visit.kind or '-':8} {amount:>14}"


class SupervisorScreen(Screen):
    BINDINGS = [
        Binding("f2", "resolve(True)", "Cash moved"),
        Binding("f3", "resolve(False)", "Cash not moved"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self, attention) -> None:
        super().__init__()
        self.attention = attention

    def compose(self) -> ComposeResult:
        yield Static("Supervisor: visits to resolve", classes="title")
        suspects = self.attention.suspects
        if suspects:
            yield Static(
                "The cash of these visits may or may not have moved. Count the drawer, then say for each.",
                classes="label",
            )
            yield OptionList(*[Option(describe(v), id=v.visit_id) for v in suspects], id="suspects")
            yield Static("Supervisor", classes="label")
            yield Input(placeholder="supervisor's name", id="supervisor")
        else:
            yield Static("No visit is waiting for a count.", classes="label")
        for item in self.attention.escalated:
            yield Static(
                f"Needs the wallet provider: visit {item.visit_id[:8]}, {item.action}: {item.last_error}",
                classes="label -warning",
            )
        yield Static("", id="supervisor-message", classes="hint")
        keys = [("F2", "Cash moved (paid out / put in)"), ("F3", "Cash not moved")] if suspects else []
        yield KeyBar(keys + [("Esc", "Back to ready")])

    def action_resolve(self, cash_moved: bool) -> None:
        if not self.attention.suspects:
            return
        chosen = self.query_one("#suspects", OptionList).highlighted
        supervisor = self.query_one("#supervisor", Input).value.strip()
        if not supervisor:
            self.show_problem("Type the supervisor's name first.")
            self.query_one("#supervisor", Input).focus()
            return
        visit = self.attention.suspects[chosen or 0]
        self.post_message(m.ResolveSuspect(visit.visit_id, cash_moved, supervisor))

    def show_problem(self, text: str) -> None:
        self.query_one("#supervisor-message", Static).update(text)

    def action_back(self) -> None:
        self.post_message(m.BackToReady())
