"""Gift cards (POSPointe): the card typed or swiped, its menu (sell, reload, redeem, block),
the amount, the confirm question, and the day's batch."""

from __future__ import annotations

from functools import partial
from typing import Any

from rich.text import Text

from kiosk import auth
from kiosk.teller import TellerError
from kiosk.ui import messages as m
from kiosk.desks.base import CardEntry
from kiosk.ui.flows.base import Flow
from kiosk.ui.journey_messages import (
    ActionChosen, AmountTyped, BackToMenu, CardStatusTyped, CardTyped, ChangeCardStatus, CloseBatch, Confirmed, EndVisit,
    FlowMessage, ShowBatch, StartAgain,
)
from kiosk.ui.screens.error import NoticeScreen, Way
from kiosk.ui.screens.journey import Field, FormScreen, Key, MenuScreen

LABELS = {"sell": ("s", "Sell (cash in)"), "reload": ("r", "Reload (cash in)"), "redeem": ("d", "Redeem for cash")}
VERBS = {"sell": "sale", "reload": "reload", "redeem": "redemption"}


class GiftCardFlow(Flow):
    backend = "pospointe"
    title = "Gift card"

    def __init__(self, app: Any, desk: Any) -> None:
        super().__init__(app, desk)
        self.action = ""
        self.amount: Any = None
        self.blocked = True

    def step(self, message: FlowMessage) -> None:
        if isinstance(message, CardTyped):
            self.look_up(message.card, message.code)
        elif isinstance(message, ActionChosen):
            self.amount_for(message.action)
        elif isinstance(message, AmountTyped):
            self.amount_typed(message.text)
        elif isinstance(message, Confirmed):
            self.move()
        elif isinstance(message, ChangeCardStatus):
            self.status_form(message.blocked)
        elif isinstance(message, CardStatusTyped):
            self.change_status(message.supervisor, message.reason)
        elif isinstance(message, ShowBatch):
            self.progress("Reading the day's gift card batch")
            self.run("gc_batch", self.desk.batch, self.show_batch)
        elif isinstance(message, CloseBatch):
            self.progress("Closing the gift card batch")
            self.run("gc_batch_closed", self.desk.close_batch, self.batch_closed)
        else:
            super().step(message)

    # --- the card ----------------------------------------------------------------------------------

    def start(self) -> None:
        demo = getattr(self.app.runtime, "demo", None)
        cards = list(getattr(demo, "gift_cards", []) or [])
        side = fill = None
        if cards:
            def side() -> Text:
                text = Text()
                for number, code, what in cards:
                    text.append(f"{number} ", style="bold")
                    text.append(f"{code}\n", style="reverse")
                    text.append(f" {what}\n")
                text.append("F2 types the next card in", style="italic")
                return text

            def fill() -> dict[str, str]:
                number, code, _ = cards[self.demo_next % len(cards)]
                self.demo_next += 1
                return {"card": number, "code": code}

        self.app.show(FormScreen(
            "Gift card · card number and security code",
            [Field("card", "Card number (type it, or swipe / scan the card)", "12 to 19 digits", card=True),
             Field("code", "Security code (on the back of the card)", "3 to 8 digits", password=True, restrict=r"[0-9]*",
                   max_length=8)],
            lambda v: CardTyped(v.get("card", ""), v.get("code", "")),
            keys=[Key("f3", "Day's batch", ShowBatch)], side=side, side_title="Demo gift cards",
            demo_fill=fill, back=EndVisit,
        ))

    def look_up(self, number: str, code: str) -> None:
        self.progress("Looking the card up")
        self.run("gc_found", lambda: self.desk.identify(CardEntry(number, code)), self.found)

    def found(self, visit: Any) -> None:
        self.visit = visit
        self.menu()

    def menu(self) -> None:
        visit = self.visit
        status = visit.details.status
        balance = visit.details.balance
        words = {"active": "active", "inactive": "not sold yet", "blocked": "BLOCKED"}.get(status, status)
        keys = []
        for action in self.desk.actions(visit):
            key, label = LABELS[action]
            keys.append(Key(key, label, partial(ActionChosen, action)))
        if status == "blocked":
            keys.append(Key("u", "Unblock (supervisor)", lambda: ChangeCardStatus(False)))
        elif status in ("active", "inactive"):
            keys.append(Key("b", "Block (supervisor)", lambda: ChangeCardStatus(True)))
        keys.append(Key("escape", "End the visit", EndVisit))
        body = Text()
        if status == "blocked":
            body.append("This card is blocked: it cannot be sold, reloaded or redeemed.\n", style="bold red")
        if status == "inactive":
            body.append("This card has not been sold: sell it to put money on it.\n")
        body.append("Cards hold up to 1000.00; a sale or reload is 1.00 to 500.00.")
        self.app.show(MenuScreen(f"Gift card {visit.phone_masked[5:]} · {words}", body, keys, big=f"Balance {balance}"))

    # --- the money ---------------------------------------------------------------------------------

    def amount_for(self, action: str) -> None:
        visit, desk = self.visit, self.desk
        self.action = action
        balance = visit.details.balance
        if action == "redeem":
            info = (f"Balance {balance}    Drawer holds {self.cash(desk.currency)}\n"
                    "If the card holds less, the server approves what it holds: hand over only that.")
        else:
            info = f"Balance {balance}. The customer pays this amount in cash."
        verb = {"sell": "Sell", "reload": "Reload", "redeem": "Redeem"}[action]
        self.amount_screen(f"{verb} · gift card {visit.phone_masked[5:]}", info, desk.currency,
                           lambda text: desk.check_amount(visit, action, text))

    def amount_typed(self, text: str) -> None:
        visit, action = self.visit, self.action
        amount = self.desk.check_amount(visit, action, text)
        self.amount = amount
        card = visit.phone_masked[5:]
        title = f"Confirm the {VERBS[action]}"
        if action == "redeem":
            self.confirm(title, f"Redeem {amount} from gift card {card} and hand it over in cash?",
                         note="If the card holds less, only what it holds is paid out. Nothing has moved yet.")
        else:
            verb = "Sell gift card" if action == "sell" else "Reload gift card"
            self.confirm(title, f"{verb} {card} with {amount}?", first=f"Take {amount} from the customer first.")

    def move(self) -> None:
        visit, action, amount = self.visit, self.action, self.amount
        if amount is None or not self.within_limits(amount, Confirmed):
            return  # over a limit: a supervisor approves first, then Confirmed comes again
        words = {"sell": "Selling the card", "reload": "Reloading the card", "redeem": "Redeeming"}[action]
        self.progress(f"{words}: {amount}", money=True)
        self.run("moved", lambda: self.desk.move(visit, action, amount.plain()), self.moved)

    # --- block / unblock ---------------------------------------------------------------------------

    def status_form(self, blocked: bool) -> None:
        self.blocked = blocked
        verb = "Block" if blocked else "Unblock"
        self.app.show(FormScreen(
            f"{verb} gift card {self.visit.phone_masked[5:]} · supervisor",
            [Field("supervisor", "Supervisor's name (they approve this)", "name", max_length=40),
             Field("reason", "Reason (recorded by the gift card server)", "e.g. reported stolen", max_length=200)],
            lambda v: CardStatusTyped(v.get("supervisor", ""), v.get("reason", "")), back=BackToMenu,
            info=self.pin_next(),
        ))

    def change_status(self, supervisor: str, reason: str) -> None:
        from kiosk.ui.screens.approve import guard_of

        visit, blocked = self.visit, self.blocked
        if guard_of(self.app) is not None and not reason.strip():
            # Said before the supervisor is asked for their PIN (the desk checks it too).
            raise TellerError("REASON_REQUIRED", "Say why the card is blocked or unblocked.", "Type a reason.")

        def change(name: str) -> None:
            self.progress("Changing the card's status")
            self.run("gc_status", lambda: self.desk.set_blocked(visit, blocked, supervisor=name, reason=reason),
                     self.status_changed)

        verb = "Block" if blocked else "Unblock"
        self.supervisor(auth.CARD_STATUS, supervisor, change,
                        why=f"{verb} gift card {visit.phone_masked[5:]}: {reason.strip()}")

    def status_changed(self, visit: Any) -> None:
        self.visit = None
        status = visit.details.status
        self.app.show(NoticeScreen("Card status changed", f"Gift card {visit.phone_masked[5:]} is now {status}.",
                                   "Recorded with the supervisor's name.", [Way("enter", "Back to ready", m.BackToReady)],
                                   tone="ok"))

    # --- the day's batch ---------------------------------------------------------------------------

    def show_batch(self, batch: Any) -> None:
        t = batch.totals
        body = Text()
        body.append(f"Batch {batch.batch_id} · {batch.status} · opened {batch.opened_at[:19]}\n\n", style="bold")
        body.append(f"Sales     {t.sell_count:>4}  {t.sell_amount}\n")
        body.append(f"Reloads   {t.reload_count:>4}  {t.reload_amount}\n")
        body.append(f"Redeemed  {t.redeem_count:>4}  {t.redeem_amount}\n")
        body.append(f"Net cash in         {t.net}\n\n", style="bold")
        for line in batch.lines[-6:]:
            body.append(f"{line.kind:<8} ****{line.last4}  {line.amount}  {line.at[11:19]}\n")
        keys = [Key("c", "Close the batch", CloseBatch), Key("escape", "Back", StartAgain)]
        self.app.show(MenuScreen("Gift cards · the day's batch", body, keys))

    def batch_closed(self, batch: Any) -> None:
        self.app.show(NoticeScreen("Batch closed", f"Batch {batch.batch_id} is closed: net {batch.totals.net}.",
                                   f"A new batch is open{(' (' + batch.next_batch_id + ')') if batch.next_batch_id else ''}.",
                                   [Way("enter", "Back to ready", m.BackToReady)], tone="ok"))
