"""The kiosk app frozen for SVG snapshots: fake host and devices behind the real teller,
a fixed clock and time zone, counted transaction ids, and one scene per screen.

`build(scene, data_dir)` returns an app that opens straight on that scene's screen, with
the teller state a cashier would have reached by then (reached through the real teller,
synchronously, before the app starts)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from drivers.base import DrawerOutcome
from kiosk.money import Money
from kiosk.teller import Stage, TellerError, VisitKind
from kiosk.ui import messages as m
from kiosk.ui.app import KioskApp
from kiosk.ui.flows.wallet import Choice, WalletFlow
from kiosk.ui.screens.drawer import DrawerScreen
from kiosk.ui.screens.error import ErrorScreen, ways_forward
from kiosk.ui.screens.progress import ProgressScreen
from kiosk.ui.screens.quit import QuitScreen
from kiosk.ui.screens.receipt import ReceiptScreen
from kiosk.desks.base import PhoneLogin
from kiosk.desks.rapyd import wallet_desk
from tests.ui.fakes import ALICE, fake_runtime

# 2026-03-02 10:15:26 UTC: 4 s before the end of a 30 s code window (the warning colour).
# Times on screen are local: test_snapshots.py runs these scenes with TZ=UTC.
FROZEN = 1772446526.0

SCENES = (
    "ready",
    "ready_problems",
    "customer",
    "accounts",
    "amount_too_much",
    "confirm_withdraw",
    "confirm_deposit",
    "progress",
    "drawer_withdraw",
    "drawer_not_opened",
    "receipt",
    "error_otp",
    "error_outcome_unknown",
    "quit",
)


def frozen() -> float:
    return FROZEN


class SnapshotKiosk(KioskApp):
    def __init__(self, runtime, scene: str) -> None:
        super().__init__(runtime, clock=frozen, status_interval=3600)
        self.scene = scene
        teller = runtime.teller
        self.wallet = WalletFlow(self, wallet_desk(teller))  # a wallet visit's flow, as StartVisit makes it
        # The status is read here, synchronously, so the first frame already shows it.
        self.status = m.StatusRead(
            wallet_desk(teller).health(),
            teller.device_health(),
            [teller.cash_in_drawer(ccy) for ccy in teller.drawer_currencies()],
        )

    def first_screen(self):
        # (Not on_mount: Textual calls every class's on_mount in the MRO by itself.)
        if self.scene == "quit":
            self.call_after_refresh(self.push_screen, QuitScreen())
        return self.scene_screen() or super().first_screen()

    def _open(self):
        visit = wallet_desk(self.teller).identify(PhoneLogin(ALICE, "123456"))
        visit.visit_id = "5c1f0e7a-2b9d-4c3e-8a6f-0d2e4b7c9a11"
        self.flow, self.visit, self.wallet.phone = self.wallet, visit, ALICE
        return visit

    def _choose(self, kind: VisitKind, amount: str | None) -> None:
        account = self.visit.accounts[0]
        self.wallet.choice = Choice(kind, account.account_id if kind is VisitKind.WITHDRAW else "", "GBP")
        self.wallet.amount = Money(Decimal(amount), "GBP") if amount else None

    def scene_screen(self):
        scene, teller = self.scene, self.teller
        if scene == "ready_problems":
            self.runtime.printer.paper_out = True
            self.runtime.backend.unreachable = True
            self.status = m.StatusRead(wallet_desk(teller).health(), teller.device_health(), self.status.cash)
            return None
        if scene in ("ready", "quit"):
            return None
        if scene == "customer":
            self.flow, self.wallet.phone = self.wallet, ALICE
            return self.wallet.customer_screen()
        if scene == "error_otp":
            error = TellerError("OTP_REJECTED", "The wallet did not accept the code: it is wrong, expired or already used.",
                                "Ask the customer for a new code from the app and enter it again.")
            return ErrorScreen(error, ways_forward("open", error.code, None))
        visit = self._open()
        if scene == "accounts":
            return self.wallet.accounts_screen()
        if scene == "amount_too_much":
            self._choose(VisitKind.WITHDRAW, None)
            screen = self.wallet.amount_screen_for()
            screen.amount = "300"
            return screen
        if scene == "confirm_withdraw":
            self._choose(VisitKind.WITHDRAW, "20.00")
            return self.wallet.confirm_screen()
        if scene == "confirm_deposit":
            self._choose(VisitKind.DEPOSIT, "35.50")
            return self.wallet.confirm_screen()
        if scene == "progress":
            return ProgressScreen("Withdrawing 20.00 GBP from the customer's wallet", bound=31, money=True)
        if scene == "error_outcome_unknown":
            error = TellerError("OUTCOME_UNKNOWN", "The wallet service did not answer in time.",
                                "Do not hand over or take cash. The kiosk will settle it with the wallet service.")
            visit.stage = Stage.UNRESOLVED
            return ErrorScreen(error, ways_forward("move", error.code, Stage.UNRESOLVED))
        account = visit.accounts[0]
        if scene == "drawer_not_opened":
            self.runtime.drawer.fail_open = True
        wallet_desk(teller).withdraw(visit, account.account_id, "20.00")
        if scene in ("drawer_withdraw", "drawer_not_opened"):
            return DrawerScreen(visit, waiting=visit.drawer_outcome is DrawerOutcome.OPENED, bound=120)
        teller.confirm_cash(visit)
        wallet_desk(teller).complete(visit)
        return ReceiptScreen(visit, columns=42)


def build(scene: str, data_dir: Path) -> SnapshotKiosk:
    runtime = fake_runtime(data_dir, clock=frozen)
    return SnapshotKiosk(runtime, scene)
