"""Screens shared by the gift card, SDK.finance and Flexiti journeys: a form (fields typed by
the cashier, or by a card / barcode / licence reader that types), a menu of keys, and the
drawer and receipt screens of the wallet journey in each journey's words.

Like every screen they only post typed requests (kiosk.ui.journey_messages); the app hands them
to the visit's flow (kiosk.ui.flows), which runs the desk. Keys are the screen's bindings and
are listed in the bottom bar, as on the wallet's screens; the body says what the cashier needs
to know."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Input, Static

from kiosk.money import MoneyError, read_typed
from kiosk.teller import TellerError
from kiosk.ui.screens.drawer import DrawerScreen
from kiosk.ui.screens.receipt import ReceiptScreen
from kiosk.ui.widgets.amount_input import AmountInput
from kiosk.ui.widgets.card_input import CardInput
from kiosk.ui.widgets.digits_input import DigitsInput, settled
from kiosk.ui.widgets.keybar import KeyBar
from kiosk.ui.wording import what_to_do


@dataclass
class Field:
    id: str
    label: str
    placeholder: str = ""
    password: bool = False
    restrict: str | None = None
    max_length: int = 0
    value: str = ""
    # Checks the text on every change: returns words to show (ok) or raises TellerError.
    check: Callable[[str], str] | None = None
    # An amount in this currency: an AmountInput, and `check` and the request get its text
    # with a decimal point whatever the till's locale.
    currency: str = ""
    # A card number: a CardInput, which also takes a stripe reader's or a scanner's burst.
    card: bool = False


@dataclass
class Key:
    key: str  # a Textual key name: "s", "enter", "escape", "f3"
    label: str
    message: Callable[[], Message]  # what pressing it posts (a new message each time)


def _key_label(key: str) -> str:
    return {"enter": "Enter", "escape": "Esc"}.get(key, key.upper())


def _bind_keys(screen: Screen, keys: list[Key]) -> None:
    """Each key becomes one of the screen's bindings (its label the description)."""
    for index, k in enumerate(keys):
        screen._bindings.bind(k.key, f"press_key({index})", k.label, show=False)


def _bar(keys: list[Key]) -> list[tuple[str, str]]:
    """The bottom bar: number keys (a list of accounts or coins in the body) as one entry."""
    numbered = [k for k in keys if k.key.isdigit()]
    bar = [("1-" + numbered[-1].key if len(numbered) > 1 else "1", "Choose")] if numbered else []
    return bar + [(_key_label(k.key), k.label) for k in keys if not k.key.isdigit()]


def _rows(keys: list[tuple[str, str]], width: int = 78) -> list[list[tuple[str, str]]]:
    """The bar's keys in as many lines as 80 columns need (the KeyBar draws each line)."""
    rows: list[list[tuple[str, str]]] = [[]]
    used = 0
    for key, label in keys:
        size = len(key) + 3 + len(label) + 2
        if rows[-1] and used + size > width:
            rows.append([])
            used = 0
        rows[-1].append((key, label))
        used += size
    return rows


def key_bar(keys: list[tuple[str, str]], **kwargs) -> KeyBar:
    return KeyBar(keys, rows=_rows(keys), **kwargs)


_LAYOUT = """
#form-body, #menu-body { height: 1fr; }
#form-fields, #menu-main { width: 1fr; height: 100%; }
#form-fields .label { margin-top: 0; }
#form-side, #menu-side { width: 36; height: auto; max-height: 100%; margin: 0 1 0 0; }
"""


class FormScreen(Screen):
    """Fields, then Enter posts `submit({field id: text})`."""

    DEFAULT_CSS = _LAYOUT

    def __init__(
        self,
        title: str,
        fields: list[Field],
        submit: Callable[[dict[str, str]], Message],
        *,
        info: str | Text = "",
        keys: list[Key] | None = None,
        side: Callable[[], Text] | None = None,
        side_title: str = "",
        demo_fill: Callable[[], dict[str, str]] | None = None,
        back: Callable[[], Message],
    ) -> None:
        super().__init__()
        self.title_text = title
        self.fields = fields
        self.submit = submit
        self.info = info
        self.keys = keys or []
        self.side = side
        self.side_title = side_title
        self.demo_fill = demo_fill
        self.back = back
        _bind_keys(self, self.keys)

    def compose(self) -> ComposeResult:
        yield Static(self.title_text, classes="title")
        with Horizontal(id="form-body"):
            with Vertical(id="form-fields"):
                if self.info:
                    yield Static(self.info, id="form-info", classes="label")
                for f in self.fields:
                    yield Static(f.label, classes="label")
                    if f.currency:
                        yield AmountInput(f.value, currency=f.currency, id=f.id)
                    elif f.card:
                        yield CardInput(f.value, placeholder=f.placeholder, id=f.id)
                    else:
                        kind = DigitsInput if f.restrict else Input  # restricted fields hold numbers
                        yield kind(f.value, placeholder=f.placeholder, id=f.id, password=f.password,
                                   restrict=f.restrict, max_length=f.max_length)
                    yield Static("", id=f"{f.id}-msg", classes="hint")
            if self.side is not None:
                yield Static(id="form-side", classes="panel")
        keys = [("Enter", "Next / Go")] if self.fields else []
        keys += _bar(self.keys)
        if self.demo_fill is not None:
            keys.append(("F2", "Demo"))
        keys.append(("Esc", "Back"))
        yield key_bar(keys, id="form-keys")

    def on_mount(self) -> None:
        if self.side is not None:
            panel = self.query_one("#form-side", Static)
            panel.border_title = self.side_title
            self._refresh_side()
            self.set_interval(1.0, self._refresh_side)
        if self.fields:
            first = next((f for f in self.fields if not f.value), self.fields[0])
            self.query_one(f"#{first.id}", Input).focus()
            for f in self.fields:
                if f.value:
                    self._check(f, f.value)

    def _refresh_side(self) -> None:
        show_side(self, "#form-side")

    def _check(self, f: Field, text: str) -> bool:
        if f.check is None:
            return True
        msg = self.query_one(f"#{f.id}-msg", Static)
        if not text.strip():
            msg.update("")
            return False
        widget = self.query_one(f"#{f.id}", Input)
        try:
            if isinstance(widget, AmountInput):  # what the till's locale makes of it, in the field's words
                text = read_typed(widget.value, widget.currency, widget.style).plain()
            words = f.check(text)
        except MoneyError as exc:
            msg.update(str(exc))
            msg.set_classes("hint -problem")
            return False
        except TellerError as exc:
            msg.update(what_to_do(exc))
            msg.set_classes("hint -problem")
            return False
        msg.update(words)
        msg.set_classes("hint -ok")
        return True

    def _text(self, f: Field) -> str:
        """What the field holds; an amount with a decimal point, as the teller takes it."""
        widget = self.query_one(f"#{f.id}", Input)
        return widget.amount_text if isinstance(widget, AmountInput) else widget.value

    def on_input_changed(self, event: Input.Changed) -> None:
        f = next((f for f in self.fields if f.id == event.input.id), None)
        if f is not None and settled(event):
            self._check(f, event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        ids = [f.id for f in self.fields]
        values = {f.id: self._text(f) for f in self.fields}
        current = event.input.id if event.input.id in ids else ids[-1]
        field_ = self.fields[ids.index(current)]
        if not values[current].strip():
            self.query_one(f"#{current}-msg", Static).update("Type it first.")
            return
        if not self._check(field_, values[current]):
            return
        for f in self.fields:  # the next field still empty or refused takes the focus
            if not values[f.id].strip() or not self._check(f, values[f.id]):
                self.query_one(f"#{f.id}", Input).focus()
                return
        for f in self.fields:
            if f.password:
                self.query_one(f"#{f.id}", Input).value = ""  # secrets do not stay in a field
        self.post_message(self.submit(values))

    def action_press_key(self, index: int) -> None:
        self.post_message(self.keys[index].message())

    def on_key(self, event: events.Key) -> None:
        # Escape and F2 here rather than as bindings: a focused field must not keep them.
        if event.key == "escape":
            event.stop()
            self.post_message(self.back())
            return
        if event.key == "f2" and self.demo_fill is not None:
            event.stop()
            try:
                values = self.demo_fill()
            except Exception:
                return
            for fid, value in values.items():
                field_ = self.query_one(f"#{fid}", Input)
                field_.value = value
                field_.cursor_position = len(value)


class MenuScreen(Screen):
    """What the cashier needs to know, and one key per way forward (in the bottom bar)."""

    DEFAULT_CSS = _LAYOUT

    def __init__(self, title: str, body: str | Text, keys: list[Key], *, big: str = "", tone: str = "",
                 side: Callable[[], Text] | None = None, side_title: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.body = body
        self.big = big
        self.keys = keys
        self.tone = tone
        self.side = side
        self.side_title = side_title
        _bind_keys(self, keys)

    def compose(self) -> ComposeResult:
        yield Static(self.title_text, classes=f"title {'-' + self.tone if self.tone else ''}".strip())
        with Horizontal(id="menu-body"):
            with Vertical(id="menu-main"):
                if self.big:
                    yield Static(self.big, id="menu-big", classes="big")
                yield Static(self.body, id="menu-text", classes="label")
            if self.side is not None:
                yield Static(id="menu-side", classes="panel")
        yield key_bar(_bar(self.keys), id="menu-keys")

    def on_mount(self) -> None:
        if self.side is not None:
            panel = self.query_one("#menu-side", Static)
            panel.border_title = self.side_title
            self._refresh_side()
            self.set_interval(1.0, self._refresh_side)  # codes and PINs change while it is shown

    def on_screen_resume(self) -> None:
        if self.side is not None:
            self._refresh_side()  # back from a visit: the demo balances have moved

    def _refresh_side(self) -> None:
        show_side(self, "#menu-side")

    def action_press_key(self, index: int) -> None:
        self.post_message(self.keys[index].message())


def show_side(screen, selector: str) -> None:
    """Redraw a screen's demo side panel from its `side` (wrapped, never cut)."""
    try:
        screen.query_one(selector, Static).update(screen.side())
    except Exception:  # a demo aid must never take the kiosk down
        return


class JourneyDrawerScreen(DrawerScreen):
    """The wallet journey's drawer step, in the journey's words."""

    def __init__(self, visit, *, waiting: bool, bound: float, title: str, not_opened_text: str = "") -> None:
        super().__init__(visit, waiting=waiting, bound=bound)
        self.journey_title = title
        self.not_opened_text = not_opened_text

    def on_mount(self) -> None:
        super().on_mount()
        self.query(".title").first(Static).update(self.journey_title)
        if self.not_opened and self.not_opened_text:
            self.query_one("#drawer-instruction", Static).update(self.not_opened_text)


class JourneyReceiptScreen(ReceiptScreen):
    def __init__(self, visit, *, columns: int = 42, title: str = "", done: str = "") -> None:
        super().__init__(visit, columns=columns)
        self.journey_title = title
        self.done_text = done

    def on_mount(self) -> None:
        super().on_mount()
        if self.journey_title:
            self.query(".title").first(Static).update(self.journey_title)
        if self.done_text:
            self.query(".big").first(Static).update(self.done_text)
