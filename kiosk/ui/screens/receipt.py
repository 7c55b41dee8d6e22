"""Receipt: the visit is complete. Shows the receipt as printed, whether it printed, and
offers a reprint (marked COPY). Enter returns to ready."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from drivers.base import ReceiptDocument
from drivers.paper import render
from kiosk.teller import Visit, VisitKind
from kiosk.ui import messages as m
from kiosk.ui.widgets.keybar import KeyBar
from kiosk.ui.widgets.qr import qr_lines

def receipt_preview(document: ReceiptDocument | None, columns: int = 42) -> str:
    """The receipt as it looks on paper: lines wrapped and aligned as printed, rules full
    width, and its QR drawn (half blocks, as on the ready screen) so the customer can scan it."""
    if document is None:
        return "(no receipt)"
    lines = render(document, columns, qr=qr_lines).split("\n")
    while lines and not lines[-1]:
        lines.pop()  # the feed before the cut is paper, not content
    return "\n".join(lines)


_PRINT_WORDS = {
    "printed": ("Receipt printed.", "-ok"),
    "not_printed": ("The receipt did NOT print. Fix the printer, then press P.", "-problem"),
    "unknown": ("The receipt may not have printed. Check it; press P for a copy.", "-problem"),
}


class ReceiptScreen(Screen):
    BINDINGS = [Binding("enter", "done", "Done"), Binding("p", "reprint", "Reprint")]

    def __init__(self, visit: Visit, *, columns: int = 42) -> None:
        super().__init__()
        self.visit = visit
        self.columns = columns  # the printer's line width: the preview wraps as the paper does

    def compose(self) -> ComposeResult:
        done = "Withdrawal" if self.visit.kind is VisitKind.WITHDRAW else "Deposit"
        yield Static(f"{done} complete · customer {self.visit.phone_masked}", classes="title")
        with Horizontal(id="receipt-body"):
            with VerticalScroll(id="receipt-scroll", classes="panel"):
                yield Static(receipt_preview(self.visit.receipt, self.columns), id="receipt-text", markup=False)
            with Vertical(id="receipt-side"):
                yield Static(f"{done} of {self.visit.amount} complete.", classes="big -ok")
                yield Static("", id="print-outcome", classes="hint")
                yield Static(f"Transaction\n{self.visit.transaction_id}", classes="label")
        yield KeyBar([("Enter", "Done"), ("P", "Reprint"), ("↑↓", "Scroll receipt")])

    def on_mount(self) -> None:
        scroll = self.query_one("#receipt-scroll")
        scroll.border_title = "Receipt"
        # As wide as the paper: the printer's columns, the border and padding (4) and the
        # scroll bar (1), so a 48-column profile is not clipped and a wider terminal does not
        # squeeze it; the side takes the rest.
        scroll.styles.width = self.columns + 5
        self.query_one("#receipt-scroll").focus()
        outcome = self.visit.print_outcome.value if self.visit.print_outcome else "unknown"
        self.show_print(outcome)

    def show_print(self, outcome: str, *, copy: bool = False) -> None:
        words, tone = _PRINT_WORDS.get(outcome, _PRINT_WORDS["unknown"])
        if copy:
            words = "Copy printed." if outcome == "printed" else "The copy did not print. " + words.split(". ", 1)[-1]
        widget = self.query_one("#print-outcome", Static)
        widget.update(words)
        widget.set_classes(f"hint {tone}")

    def action_done(self) -> None:
        self.post_message(m.BackToReady())

    def action_reprint(self) -> None:
        self.post_message(m.Reprint())
