"""The accounts screen's list (ChoiceList) and the message lines' say(), on their own."""

from __future__ import annotations

from rich.text import Text
from textual.app import App, ComposeResult
from textual.widgets import Static

from kiosk.ui.widgets.choice_list import ChoiceList
from kiosk.ui.widgets.hint import say


class ListApp(App[None]):
    CSS = "ChoiceList { max-height: 5; border: solid white; }"  # 3 rows inside the border

    def __init__(self, rows: int) -> None:
        super().__init__()
        self.rows = [Text(f"row {n}") for n in range(rows)]
        self.chosen: list[int] = []

    def compose(self) -> ComposeResult:
        yield ChoiceList(self.rows, id="list")

    def on_mount(self) -> None:
        self.query_one(ChoiceList).focus()

    def on_choice_list_chosen(self, event: ChoiceList.Chosen) -> None:
        self.chosen.append(event.index)


def shown(app: ListApp) -> list[str]:
    """The list's lines as drawn (inside the border)."""
    widget = app.query_one(ChoiceList)
    return [line.rstrip() for line in widget.render().plain.split("\n")]


async def test_keys_move_the_highlight_within_the_rows_and_enter_says_which() -> None:
    app = ListApp(rows=2)
    async with app.run_test(size=(40, 10)) as pilot:
        widget = app.query_one(ChoiceList)
        assert widget.highlighted is None
        await pilot.press("enter")
        assert app.chosen == []  # nothing highlighted: nothing chosen
        await pilot.press("down")
        assert widget.highlighted == 0
        await pilot.press("down", "down", "down")
        assert widget.highlighted == 1  # stays on the last row
        await pilot.press("up", "up")
        assert widget.highlighted == 0
        await pilot.press("end")
        assert widget.highlighted == 1
        await pilot.press("home", "enter")
        await pilot.pause()
        assert app.chosen == [0]
        assert widget.size.height == 2  # as tall as its rows


async def test_a_list_taller_than_its_box_keeps_the_highlight_in_view_and_marks_the_hidden_rows() -> None:
    app = ListApp(rows=6)
    async with app.run_test(size=(40, 10)) as pilot:
        widget = app.query_one(ChoiceList)
        widget.highlighted = 0
        await pilot.pause()
        assert widget.size.height == 3
        lines = shown(app)
        assert [line[:5] for line in lines] == ["row 0", "row 1", "row 2"] and lines[2].endswith("↓")
        await pilot.press("end")
        lines = shown(app)
        assert [line[:5] for line in lines] == ["row 3", "row 4", "row 5"] and lines[0].endswith("↑")
        assert not lines[2].endswith("↓")
        await pilot.press("up", "up", "up")
        lines = shown(app)
        assert lines[0].startswith("row 2") and lines[0].endswith("↑") and lines[2].endswith("↓")


async def test_a_click_highlights_the_row_under_it() -> None:
    app = ListApp(rows=3)
    async with app.run_test(size=(40, 10)) as pilot:
        await pilot.click(ChoiceList, offset=(3, 3))  # border, then rows 0, 1, 2: the third
        assert app.query_one(ChoiceList).highlighted == 2


class LineApp(App[None]):
    def compose(self) -> ComposeResult:
        yield Static("Valid number.", id="line", classes="hint -ok")


async def test_say_changes_a_line_only_when_its_words_or_tone_change(monkeypatch) -> None:
    app = LineApp()
    async with app.run_test() as pilot:
        line = app.query_one("#line", Static)
        updates: list[object] = []
        monkeypatch.setattr(line, "update", lambda text="": updates.append(text) or Static.update(line, text))
        say(line, "Valid number.", "hint -ok")
        assert updates == [] and line.classes == {"hint", "-ok"}
        say(line, "Valid number.", "hint -problem")  # the tone alone changes
        assert updates == [] and line.classes == {"hint", "-problem"}
        say(line, "Not a number.", "hint -problem")
        await pilot.pause()
        assert updates == ["Not a number."] and str(line.render()) == "Not a number."
