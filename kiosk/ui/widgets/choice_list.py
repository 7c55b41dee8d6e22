"""A short list of one-line choices (the customer's accounts), one of them highlighted: the
arrow keys, Home and End move the highlight, Enter says which one is chosen.

Drawn as a single text, in place of Textual's OptionList: that widget measures its lines only
while it is first drawn and then asks for a second layout, and its per-option rendering and
styling made the accounts screen the slowest step after Enter on the code (bench/bench_journey.py
`screens`). A list taller than the widget shows a window around the highlight, with a mark on
the edge where more rows are hidden."""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget


class ChoiceList(Widget, can_focus=True):
    BINDINGS = [
        Binding("down", "move(1)", "Down", show=False),
        Binding("up", "move(-1)", "Up", show=False),
        Binding("home", "move_to(0)", "First", show=False),
        Binding("end", "move_to(-1)", "Last", show=False),
        Binding("enter", "choose", "Choose", show=False),
    ]
    COMPONENT_CLASSES = {"choice-list--highlighted"}
    DEFAULT_CSS = """
    ChoiceList {
        height: auto;
        padding: 0 1;
        & > .choice-list--highlighted { text-style: reverse; }
    }
    """

    highlighted: reactive[int | None] = reactive(None, layout=False)

    class Chosen(Message):
        """Enter on a row."""

        def __init__(self, choice_list: ChoiceList, index: int) -> None:
            super().__init__()
            self.choice_list = choice_list
            self.index = index

    def __init__(self, rows: list[Text], *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.rows = rows
        self._top = 0  # the first row shown when the list is taller than the widget

    def validate_highlighted(self, index: int | None) -> int | None:
        if index is None or not self.rows:
            return None
        return min(max(index, 0), len(self.rows) - 1)

    def action_move(self, step: int) -> None:
        self.highlighted = 0 if self.highlighted is None else self.highlighted + step

    def action_move_to(self, index: int) -> None:
        self.highlighted = index % len(self.rows) if self.rows else None

    def action_choose(self) -> None:
        if self.highlighted is not None:
            self.post_message(self.Chosen(self, self.highlighted))

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is not None and self._top + offset.y < len(self.rows):
            self.highlighted = self._top + offset.y

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self.rows)

    def render(self) -> Text:
        width, shown = self.size.width, self.size.height or len(self.rows)
        index = self.highlighted
        if index is not None:  # keep the highlight in view
            self._top = min(max(self._top, index - shown + 1), index)
        self._top = max(0, min(self._top, len(self.rows) - shown))
        lit = self.get_component_rich_style("choice-list--highlighted")
        text = Text(no_wrap=True, overflow="crop", end="")
        window = range(self._top, min(self._top + shown, len(self.rows)))
        for line_no, row in enumerate(window):
            line = self.rows[row].copy()
            line.truncate(width, pad=True)
            if (line_no == 0 and self._top > 0) or (line_no == len(window) - 1 and window.stop < len(self.rows)):
                line.right_crop(1)
                line.append("↑" if line_no == 0 and self._top > 0 else "↓")
            if row == index:
                line.stylize(lit)
            if line_no:
                text.append("\n")
            text.append_text(line)
        return text
