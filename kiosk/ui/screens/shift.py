"""The shift: open it with the counted float, see the X report, close it blind (Z).

The count is a form with one row per currency the drawer knows, each its own amount field
(AmountInput: the till's decimal separator, a key it cannot take refused with the reason);
the totals show as typed, and a currency not counted yet is named before anything is sent,
so the supervisor is never asked about a variance that is only a forgotten row.

Blind close: the close screen asks for the count and shows no expected figure; the Z report,
with the variance, comes only after the count is in."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Input, Static

from kiosk.money import Money, MoneyError, read_typed
from kiosk.ui import messages as m
from kiosk.ui.widgets.amount_input import AmountInput, till_style
from kiosk.ui.widgets.digits_input import settled
from kiosk.ui.widgets.keybar import KeyBar

COUNT_HINT = "Currency and amount, e.g. GBP 500.00 EUR 300.00"

_LAYOUT = """
#count-rows { height: auto; max-height: 1fr; }
.count-row { height: 3; }
.count-row .count-ccy { width: 6; padding: 1 1 0 1; text-style: bold; }
.count-row .hint { width: 1fr; }
#count-totals { padding: 0 1; height: auto; }
"""


class CountForm(Static):
    """One amount field per currency; `counted()` is the text the teller's counted() takes."""

    DEFAULT_CSS = _LAYOUT

    def __init__(self, currencies: list[str]) -> None:
        super().__init__(id="count-form")
        self.currencies = currencies

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="count-rows"):
            for ccy in self.currencies:
                with Horizontal(classes="count-row"):
                    yield Static(ccy, classes="count-ccy")
                    yield AmountInput(currency=ccy, id=f"count-{ccy}")
                    yield Static("", id=f"count-{ccy}-msg", classes="hint")
        yield Static("", id="count-totals")

    def field(self, ccy: str) -> AmountInput:
        return self.query_one(f"#count-{ccy}", AmountInput)

    def read(self) -> tuple[dict[str, Money], list[str], list[str]]:
        """What is counted so far, the currencies not counted yet, and the rows with a problem."""
        style = till_style(self.app)
        amounts: dict[str, Money] = {}
        missing, wrong = [], []
        for ccy in self.currencies:
            text = self.field(ccy).value
            if not text.strip():
                missing.append(ccy)
                continue
            try:
                amounts[ccy] = read_typed(text, ccy, style, allow_zero=True)
            except MoneyError:
                wrong.append(ccy)
        return amounts, missing, wrong

    def show_totals(self) -> None:
        style = till_style(self.app)
        amounts, missing, wrong = self.read()
        parts = [style.show(money) for money in amounts.values()]
        text = "Counted: " + ("  ·  ".join(parts) if parts else "nothing yet") + "."
        if missing:
            text += f" Not counted yet: {', '.join(missing)}."
        self.query_one("#count-totals", Static).update(text)

    def on_input_changed(self, event: Input.Changed) -> None:
        ccy = (event.input.id or "").removeprefix("count-")
        if ccy in self.currencies and settled(event):
            msg = self.query_one(f"#count-{ccy}-msg", Static)
            try:
                money = read_typed(event.value, ccy, till_style(self.app), allow_zero=True) if event.value else None
                msg.update(till_style(self.app).show(money) if money else "")
                msg.set_classes("hint -ok")
            except MoneyError as exc:
                msg.update(str(exc))
                msg.set_classes("hint -problem")
        self.show_totals()

    def on_mount(self) -> None:
        # Inline: the app's stylesheet (Input, .hint) outranks a widget's DEFAULT_CSS.
        for field in self.query(AmountInput):
            field.styles.width = 24
        for msg in self.query(".count-row .hint"):
            msg.styles.padding = (1, 1, 0, 1)
        self.show_totals()
        if self.currencies:
            self.field(self.currencies[0]).focus()

    def check(self) -> str | None:
        """The count as 'GBP 500.00 EUR 0.00' once every row holds an amount; else None, with
        the currencies still missing (or wrong) named and the first of them focused."""
        amounts, missing, wrong = self.read()
        problem = missing or wrong
        if problem:
            words = []
            if missing:
                words.append(f"Not counted yet: {', '.join(missing)}. Type 0 for a currency the drawer does not hold.")
            if wrong:
                words.append(f"Check the amount for {', '.join(wrong)}.")
            screen = self.screen
            if isinstance(screen, _CountScreen):  # the only screens with a count form
                screen.show_problem(" ".join(words))
            self.field(problem[0]).focus()
            return None
        return " ".join(f"{ccy} {money.plain()}" for ccy, money in amounts.items())

    def next_empty(self, after: str | None) -> AmountInput | None:
        """The field Enter moves to: the next row not yet typed."""
        ids = [f"count-{ccy}" for ccy in self.currencies]
        start = ids.index(after) + 1 if after in ids else 0
        for ccy in self.currencies[start:] + self.currencies[:start]:
            if not self.field(ccy).value.strip():
                return self.field(ccy)
        return None


def _count_widgets(currencies: list[str], placeholder: str, field_id: str) -> ComposeResult:
    if currencies:
        yield CountForm(currencies)
    else:  # no currency known (no float configured and none open): the currency is typed too
        yield Input(placeholder=placeholder, id=field_id)


class _CountScreen(Screen):
    def __init__(self, currencies: list[str] | None = None) -> None:
        super().__init__()
        self.currencies = list(currencies or [])

    def counted_text(self, event: Input.Submitted) -> str | None:
        """The count to send, or None when Enter only moves to the next row."""
        if not self.currencies:
            return event.value if event.value.strip() else None
        form = self.query_one(CountForm)
        if event.input.id and event.input.id.startswith("count-"):
            following = form.next_empty(event.input.id)
            if following is not None and following is not event.input:
                following.focus()
                return None
        return form.check()

    def show_problem(self, text: str) -> None:
        msg = self.query_one("#shift-message", Static)
        msg.update(text)
        msg.set_classes("hint -problem")


class OpenShiftScreen(_CountScreen):
    """No shift is open: the cashier counts the float into the drawer and types it."""

    BINDINGS = [Binding("escape", "back", "Back")]

    def compose(self) -> ComposeResult:
        yield Static("Open a shift", classes="title")
        yield Static("Count the cash in the drawer and type the float per currency.", classes="label")
        yield from _count_widgets(self.currencies, COUNT_HINT, "float")
        yield Static("", id="shift-message", classes="hint")
        yield KeyBar([("Enter", "Next / Open the shift"), ("Tab", "Next field"), ("Esc", "Back to ready")])

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text = self.counted_text(event)
        if text:
            self.post_message(m.OpenShift(text))

    def action_back(self) -> None:
        self.post_message(m.BackToReady())


class ShiftReportScreen(Screen):
    """An X report (mid-shift) or the Z report after the close."""

    BINDINGS = [
        Binding("p", "print", "Print"),
        Binding("c", "close_shift", "Close shift"),
        Binding("enter,escape", "back", "Back"),
    ]

    def __init__(self, lines: list[str], *, closed: bool, currencies: list[str] | None = None) -> None:
        super().__init__()
        self.lines = lines
        self.closed = closed
        self.currencies = currencies or []  # the drawer's, for the close's count form

    def compose(self) -> ComposeResult:
        yield Static("Shift closed: Z report" if self.closed else "Shift: X report", classes="title")
        yield Static("\n".join(self.lines), id="shift-report", classes="panel")
        if self.closed:
            yield KeyBar([("Enter", "Back to ready")])
        else:
            yield KeyBar([("P", "Print X report"), ("C", "Close the shift (blind count)"), ("Enter", "Back to ready")])

    def action_print(self) -> None:
        if not self.closed:
            self.post_message(m.PrintShiftReport())

    def action_close_shift(self) -> None:
        if not self.closed:
            self.app.push_screen(CloseShiftScreen(self.currencies))

    def action_back(self) -> None:
        self.post_message(m.BackToReady())


class CloseShiftScreen(_CountScreen):
    """Blind count: nothing here says what the drawer should hold."""

    BINDINGS = [Binding("escape", "back", "Back")]

    def compose(self) -> ComposeResult:
        yield Static("Close the shift: count the drawer", classes="title")
        yield Static("Type what you counted, per currency. The expected figures come after.", classes="label")
        yield from _count_widgets(self.currencies, COUNT_HINT, "counted")
        yield Static("Supervisor (only needed when the count differs)", classes="label")
        yield Input(placeholder="supervisor's name", id="supervisor")
        yield Static("", id="shift-message", classes="hint")
        yield KeyBar([("Enter", "Next / Close the shift"), ("Tab", "Next field"), ("Esc", "Back")])

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        counted: str | None
        if not self.currencies:
            counted = self.query_one("#counted", Input).value
            if not counted.strip():
                self.query_one("#counted", Input).focus()
                return
        else:
            if event.input.id == "supervisor":
                counted = self.query_one(CountForm).check()
            else:
                counted = self.counted_text(event)
            if counted is None:
                return
        self.post_message(m.CloseShift(counted, self.query_one("#supervisor", Input).value.strip()))

    def action_back(self) -> None:
        self.dismiss()
