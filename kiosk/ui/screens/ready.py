"""Ready: waiting for the next customer. Shows this till's QR (the customer's app reads the
point of sale from it), whether the wallet service, printer and drawer can serve a visit,
and the cash in the drawer per currency."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Static

from kiosk.ui import messages as m
from kiosk.ui.widgets.keybar import KeyBar
from kiosk.ui.widgets.qr import QRCodeView


class ReadyScreen(Screen):
    BINDINGS = [
        Binding("enter,n", "new_visit", "New visit"),
        Binding("p", "reprint", "Reprint"),
        Binding("s", "refresh", "Check status"),
    ]

    def __init__(self, pos_id: str, status: m.StatusRead | None = None) -> None:
        super().__init__()
        self.pos_id = pos_id
        self.status = status

    def compose(self) -> ComposeResult:
        yield Static(f"Cash point · ready · till {self.pos_id}", classes="title")
        with Horizontal(id="ready-body"):
            with Vertical(id="qr-box"):
                if self.pos_id:
                    yield QRCodeView(self.pos_id, id="qr")
                yield Static("The customer scans this\nin the wallet app", id="qr-caption")
            yield Static(id="status", classes="panel")
        yield KeyBar([("Enter", "New visit"), ("P", "Reprint last receipt"), ("S", "Check status"), ("F10", "Close")])

    def on_mount(self) -> None:
        self.query_one("#status", Static).border_title = "Status"
        self.show_status(self.status)

    def show_status(self, status: m.StatusRead | None) -> None:
        self.status = status
        panel = self.query_one("#status", Static)
        text = Text()
        if status is None:
            text.append("Checking the wallet service and the devices...")
            panel.update(text)
            return
        if status.problem:
            text.append(status.problem + "\n", style="bold red")
        ok = not status.problem
        text.append("Wallet service  ")
        if status.backend:
            ok = False
            text.append(status.backend + "\n", style="bold red")
        else:
            text.append("answering\n", style="green")
        problems = status.health.problems() if status.health else []
        if status.health and status.health.drawer_alert and "Cash drawer is open" not in problems:
            problems.append("Cash drawer was left open")
        text.append("Printer, drawer ")
        if problems:
            ok = False
            text.append("; ".join(problems) + "\n", style="bold red")
        elif status.health:
            text.append("ready\n", style="green")
        else:
            text.append("unknown\n", style="yellow")
        text.append("\nCash in the drawer\n", style="bold")
        for money in status.cash:
            text.append(f"  {money.currency} {money.plain():>12}\n")
        if not status.cash:
            text.append("  (no float set)\n")
        text.append("\n")
        if ok:
            text.append("Ready for the next customer.\n", style="bold green")
        else:
            text.append("Fix the problem above before serving.\n", style="bold yellow")
        checked = datetime.fromtimestamp(self.app.clock()).strftime("%H:%M:%S")
        text.append(f"Checked at {checked}")
        panel.update(text)

    def action_new_visit(self) -> None:
        self.post_message(m.StartVisit())

    def action_reprint(self) -> None:
        self.post_message(m.Reprint())

    def action_refresh(self) -> None:
        self.post_message(m.RefreshStatus())
