"""SDK.finance wallets: the customer signs in (and types a one-time code when their wallet
asks for one), picks a coin, tops it up or withdraws cash; the commission is quoted first."""

from __future__ import annotations

from functools import partial
from typing import Any, Callable

from rich.text import Text

from kiosk.desks.base import WalletLogin
from kiosk.ui.flows.base import Flow
from kiosk.ui.journey_messages import (
    ActionChosen, AmountTyped, BackToMenu, CoinChosen, Confirmed, EndVisit, FlowMessage, WalletCode, WalletSignIn,
)
from kiosk.ui.screens.journey import Field, FormScreen, Key, MenuScreen


class SdkWalletFlow(Flow):
    backend = "sdkfinance"
    title = "SDK.finance wallet"

    def __init__(self, app: Any, desk: Any) -> None:
        super().__init__(app, desk)
        self.serial = ""
        self.flow = ""  # "topup" or "withdrawal"
        self.quote: Any = None

    def step(self, message: FlowMessage) -> None:
        if isinstance(message, WalletSignIn):
            self.progress("Signing the customer in")
            login, password = message.login, message.password
            self.run("sdk_signed", lambda: self.desk.identify(WalletLogin(login, password)), self.signed_in)
        elif isinstance(message, WalletCode):
            visit, code = self.visit, message.otp
            self.progress("Checking the code")
            self.run("sdk_signed", lambda: self.desk.confirm_otp(visit, code), self.signed_in)
        elif isinstance(message, CoinChosen):
            self.coin_menu(message.serial)
        elif isinstance(message, ActionChosen):
            self.amount_for(message.action)
        elif isinstance(message, AmountTyped):
            visit, flow, serial, text = self.visit, self.flow, self.serial, message.text
            self.progress("Calculating the commission")
            self.run("sdk_quote", lambda: self.desk.quote(visit, flow, text, coin=serial), self.quoted)
        elif isinstance(message, Confirmed):
            self.move()
        else:
            super().step(message)

    def side(self) -> Callable[[], Text] | None:
        demo = getattr(self.app.runtime, "demo", None)
        logins = list(getattr(demo, "sdk_logins", []) or [])
        if demo is None or not logins:
            return None

        def side() -> Text:
            text = Text()
            for login, password, what in logins:
                text.append(f"{login}\n", style="bold")
                text.append(f" {password}  ")
                try:
                    code = demo.sdk_otp(login)
                except Exception:
                    code = None
                if code:
                    text.append(f"code {code}", style="reverse")
                text.append(f"\n {what}\n")
            text.append("F2 types the next login in", style="italic")
            return text

        return side

    # --- signing in --------------------------------------------------------------------------------

    def start(self) -> None:
        demo = getattr(self.app.runtime, "demo", None)
        logins = list(getattr(demo, "sdk_logins", []) or [])

        def fill() -> dict[str, str]:
            login, password, _ = logins[self.demo_next % len(logins)]
            self.demo_next += 1
            return {"login": login, "password": password}

        self.app.show(FormScreen(
            "SDK.finance wallet · the customer signs in",
            [Field("login", "Customer's login (e-mail or phone)", "name@example.com", max_length=120),
             Field("password", "Customer's password (they type it)", "password", password=True, max_length=128)],
            lambda v: WalletSignIn(v.get("login", ""), v.get("password", "")),
            side=self.side(), side_title="Demo wallets", demo_fill=fill if logins else None, back=EndVisit,
        ))

    def signed_in(self, visit: Any) -> None:
        self.visit = visit
        self.menu()

    def menu(self) -> None:
        visit = self.visit
        if visit.details.otp_pending:
            self.app.show(FormScreen(
                "SDK.finance wallet · one-time code",
                [Field("otp", f"Code the wallet sent to {visit.phone_masked}", "digits", password=True,
                       restrict=r"[0-9]*", max_length=10)],
                lambda v: WalletCode(v.get("otp", "")),
                info="This customer signs in with a second factor: ask for the code they received.",
                side=self.side(), side_title="Demo wallets", back=EndVisit,
            ))
            return
        coins = visit.details.coins
        body = Text()
        keys = []
        for i, coin in enumerate(coins[:9]):
            state = "" if coin.active else "  (blocked)"
            body.append(f"{i + 1}  {coin.name or coin.currency:<16} {coin.amount}  available {coin.available}{state}\n")
            if coin.active:
                keys.append(Key(str(i + 1), f"{coin.currency}", partial(CoinChosen, coin.serial)))
        if not coins:
            body.append("The wallet has no currency accounts.")
        keys.append(Key("escape", "End the visit", EndVisit))
        self.app.show(MenuScreen(f"SDK.finance wallet · {visit.phone_masked}", body, keys, big="Choose the currency account"))

    # --- a coin ------------------------------------------------------------------------------------

    def coin_menu(self, serial: str) -> None:
        coin = self.desk.coin(self.visit, serial)  # read from the visit: no call to the wallet
        self.serial = coin.serial
        self.app.show(MenuScreen(f"SDK.finance wallet · {coin.name or coin.currency}",
                                 f"Balance {coin.amount}, available {coin.available}.",
                                 [Key("t", "Top up (cash in)", lambda: ActionChosen("topup")),
                                  Key("w", "Withdraw (cash out)", lambda: ActionChosen("withdrawal")),
                                  Key("escape", "Back to the currency accounts", BackToMenu)]))

    def amount_for(self, flow: str) -> None:
        visit, desk, serial = self.visit, self.desk, self.serial
        self.flow = flow
        coin = desk.coin(visit, serial)
        if flow == "topup":
            info = "The wallet gets this amount; the commission is added to the cash you take."
        else:
            info = f"Handed over in cash; the commission is taken from the wallet. Drawer holds {self.cash(coin.currency)}."
        verb = "Top up" if flow == "topup" else "Withdraw"
        self.amount_screen(f"{verb} · {coin.name or coin.currency} ({coin.currency})", info, coin.currency,
                           lambda text: desk.check_amount(visit, flow, text, coin=serial))

    def quoted(self, quote: Any) -> None:
        self.quote = quote
        who = self.visit.phone_masked
        if self.flow == "topup":
            self.confirm("Confirm the top-up", f"Top up {who}'s wallet with {quote.amount}?",
                         first=f"Take {quote.total} from the customer first ({quote.amount} + commission {quote.commission}).")
        else:
            self.confirm("Confirm the withdrawal", f"Withdraw {quote.amount} in cash from {who}'s wallet? "
                         f"The wallet pays {quote.total} (commission {quote.commission}).")

    def move(self) -> None:
        visit, flow, serial, quote = self.visit, self.flow, self.serial, self.quote
        if quote is None or not self.within_limits(self.desk.cash_of(flow, quote), Confirmed):
            return  # over a limit: a supervisor approves first, then Confirmed comes again
        self.progress("Creating the request at the wallet", money=True)
        self.run("move", lambda: self.desk.move(visit, flow, quote.amount.plain(), coin=serial), self.moved)
