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
from kiosk.ui.clock import till_now
from kiosk.ui.auth import guard_of
from kiosk.ui.widgets.keybar import KeyBar
from kiosk.ui.widgets.qr import QRCodeView


class ReadyScreen(Screen):
    BINDINGS = [
        Binding("enter,n", "new_visit", "New visit"),
        Binding("p", "reprint", "Reprint"),
        Binding("s", "refresh", "Check status"),
        Binding("o", "shift", "Shift"),
        Binding("v", "supervisor", "Supervisor"),
        Binding("l", "sign_out", "Sign out", show=False),  # with sign-in on (kiosk.ui.auth)
        # The other back ends enabled in settings (kiosk.ui.flows): a chooser, or straight in.
        Binding("b", "choose_backend", "Back ends", show=False),
        Binding("g", "backend('pospointe')", "Gift card", show=False),
        Binding("k", "backend('sdkfinance')", "SDK.finance wallet", show=False),
        Binding("f", "backend('flexiti')", "Flexiti", show=False),
    ]

    def __init__(self, pos_id: str, status: m.StatusRead | None = None) -> None:
        super().__init__()
        self.pos_id = pos_id
        self.status = status

    def compose(self) -> ComposeResult:
        yield Static(self.title_line(), id="ready-title", classes="title")
        with Horizontal(id="ready-body"):
            with Vertical(id="qr-box"):
                if self.pos_id:
                    yield QRCodeView(self.pos_id, id="qr")
                yield Static("The customer scans this\nin the wallet app", id="qr-caption")
            yield Static(id="status", classes="panel")
        others = [("B", "Other back ends")] if len(getattr(self.app, "enabled_backends", ["rapyd"])) > 1 else []
        signed_in = [("L", "Sign out")] if guard_of(self.app) is not None else []
        # Two rows: the cashier's keys, then the shift's and the supervisor's (one row of 80
        # columns cannot hold them all).
        yield KeyBar(
            [],
            rows=[
                [("Enter", "New visit"), *others, ("P", "Reprint last receipt"), *signed_in],
                [("O", "Shift"), ("V", "Supervisor"), ("S", "Check status"), ("F10", "Close the kiosk")],
            ],
        )

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
        if status.backend is not None:  # None: this till has no Rapyd wallet
            text.append(f"{'Wallet service':<19}")
            if status.backend:
                ok = False
                text.append(status.backend + "\n", style="bold red")
            else:
                text.append("answering\n", style="green")
        for title, problem in (status.others or {}).items():
            text.append(f"{title[:18]:<19}")
            if problem:
                ok = False
                text.append(problem + "\n", style="bold red")
            else:
                text.append("answering\n", style="green")
        problems = status.health.problems() if status.health else []
        if status.health and status.health.drawer_alert and "Cash drawer is open" not in problems:
            problems.append("Cash drawer was left open")
        text.append(f"{'Printer, drawer':<19}")
        if problems:
            ok = False
            text.append("; ".join(problems) + "\n", style="bold red")
        elif status.health:
            text.append("ready\n", style="green")
        else:
            text.append("unknown\n", style="yellow")
        attention = status.attention
        if attention is not None and attention.suspects:
            ok = False
            text.append(f"{len(attention.suspects)} visit(s) with unknown cash: V to resolve\n", style="bold red")
        if attention is not None and attention.escalated:
            text.append(f"{len(attention.escalated)} compensation(s) need a person: V\n", style="bold yellow")
        text.append("\nCash in the drawer\n", style="bold")
        for money in status.cash:
            text.append(f"  {money.currency} {money.plain():>12}\n")
        if not status.cash:
            text.append("  (no shift open: O to open one)\n")
        text.append("\n")
        if ok:
            text.append("Ready for the next customer.\n", style="bold green")
        else:
            text.append("Fix the problem above before serving.\n", style="bold yellow")
        checked = datetime.fromtimestamp(till_now(self)).strftime("%H:%M:%S")
        text.append(f"Checked at {checked}")
        panel.update(text)

    def action_new_visit(self) -> None:
        self.post_message(m.StartVisit())

    def action_reprint(self) -> None:
        self.post_message(m.Reprint())

    def action_shift(self) -> None:
        self.post_message(m.ShowShift())

    def action_supervisor(self) -> None:
        self.post_message(m.ShowSupervisor())

    def action_refresh(self) -> None:
        self.post_message(m.RefreshStatus())

    def action_choose_backend(self) -> None:
        from kiosk.ui.journey_messages import ChooseBackend

        self.post_message(ChooseBackend())

    def action_backend(self, name: str) -> None:
        from kiosk.ui.journey_messages import StartJourney

        self.post_message(StartJourney(name))

    def action_sign_out(self) -> None:
        from kiosk.ui.auth import sign_out

        sign_out(self.app)

    def show_title(self) -> None:
        """Who is signed in changed (kiosk.ui.auth)."""
        self.query_one("#ready-title", Static).update(self.title_line())

    def title_line(self) -> str:
        return _cashier(self.app) + f"{self.app.title} · ready · till {till_name(self.app, self.pos_id)}"


def till_name(app, pos_id: str) -> str:
    """The till's short name for the header: store.terminal_id (the name on receipts and
    reports, e.g. DEMO-01); without one, the point of sale id cut to its last 8 characters
    ('…9a11f0c2'), since a 36-character id crowds out the title at 80 columns. The QR
    still carries the full id."""
    name = str(getattr(getattr(app, "teller", None), "terminal_id", "") or "").strip()
    if name:
        return name
    return pos_id if len(pos_id) <= 12 else f"…{pos_id[-8:]}"


def _cashier(app) -> str:
    from kiosk.ui.auth import cashier_label

    return cashier_label(app)
