"""Flexiti: the customer found by account number or driver's licence, the account chosen,
verified (PIN, security question or a supervisor's override), then a deposit or an in-store
payment paid out in cash."""

from __future__ import annotations

from functools import partial
from typing import Any, Callable

from rich.text import Text

from kiosk import auth
from kiosk.desks.base import AccountLookup
from kiosk.ui.flows.base import Flow
from kiosk.ui.journey_messages import (
    AccountChosen, ActionChosen, AmountTyped, BackToMenu, Confirmed, EndVisit, FindAccount, FlowMessage,
    LicenceScanned, PinAgain, PinTyped, ScanLicence, StartAgain, VerifyTyped, VerifyWith,
)
from kiosk.ui.screens.error import Way
from kiosk.ui.screens.journey import Field, FormScreen, Key, MenuScreen


# Flexiti's one-letter account status (with its reason code) in the cashier's words: what
# the account is and what this till can still do with it (only N may pay in store).
STANDING = {
    "N": "Account in good standing.",
    "A": "Purchases not allowed on this account: deposits only, no in-store payment.",
    "F": "Account frozen at Flexiti: deposits only, no in-store payment.",
    "Z": "Account charged off: deposits only, no in-store payment.",
    "C": "Account closed: no deposit or payment.",
}


def account_standing(status: str) -> str:
    return STANDING.get(str(status).strip().upper(), "Account standing not known: Flexiti decides at payment.")


class FlexitiFlow(Flow):
    backend = "flexiti"
    title = "Flexiti"

    def __init__(self, app: Any, desk: Any) -> None:
        super().__init__(app, desk)
        self.demo_scan = 0
        self.format = ""
        self.kind = ""  # "deposit" or "instore_payment"
        self.amount: Any = None

    def step(self, message: FlowMessage) -> None:
        if isinstance(message, FindAccount):
            number = message.account
            self.progress("Looking the customer up at Flexiti")
            self.run("fx_found", lambda: self.desk.identify(AccountLookup(account_number=number)), self.found)
        elif isinstance(message, ScanLicence):
            self.licence_form()
        elif isinstance(message, LicenceScanned):
            scan = message.scan.replace("\\n", "\n")
            self.progress("Reading the licence at Flexiti")
            self.run("fx_found", lambda: self.desk.identify(AccountLookup(licence_scan=scan)), self.found)
        elif isinstance(message, AccountChosen):
            # May read the account at Flexiti (a search answers less than a look-up): a worker.
            visit, number = self.visit, message.account
            self.progress("Reading the account at Flexiti")
            self.run("fx_chosen", lambda: self.desk.choose_account(visit, number), lambda _: self.menu())
        elif isinstance(message, VerifyWith):
            self.verify_with(message.format)
        elif isinstance(message, VerifyTyped):
            self.verify(message.answer, message.supervisor)
        elif isinstance(message, PinTyped):
            self.desk.enter_pin(self.visit, message.pin)  # checks the digits only: no call to Flexiti
            self.menu()
        elif isinstance(message, PinAgain):
            self.pin_form()
        elif isinstance(message, ActionChosen):
            self.amount_for(message.action)
        elif isinstance(message, AmountTyped):
            self.amount_typed(message.text)
        elif isinstance(message, Confirmed):
            self.move()
        else:
            super().step(message)

    def failed_ways(self, error: Any) -> list[Way]:
        if error.code == "WRONG_VERIFICATION_CODE":
            return [Way("enter", "Type the PIN again", PinAgain), Way("escape", "End the visit", EndVisit)]
        return super().failed_ways(error)

    def side(self) -> Callable[[], Text] | None:
        demo = getattr(self.app.runtime, "demo", None)
        accounts = list(getattr(demo, "flexiti_accounts", []) or [])
        if demo is None or not accounts:
            return None

        def side() -> Text:
            text = Text()
            for number, what in accounts:
                text.append(f"{number} ", style="bold")
                try:
                    pin = demo.flexiti_pin(number)
                except Exception:
                    pin = None
                if pin:
                    text.append(f"PIN {pin}", style="reverse")
                answer = demo.flexiti_answers.get(number, "")
                text.append(f"\n answer: {answer}\n {what}\n")
            text.append("F2 types the next account in", style="italic")
            return text

        return side

    # --- finding the customer ----------------------------------------------------------------------

    def start(self) -> None:
        demo = getattr(self.app.runtime, "demo", None)
        accounts = list(getattr(demo, "flexiti_accounts", []) or [])

        def fill() -> dict[str, str]:
            number = accounts[self.demo_next % len(accounts)][0]
            self.demo_next += 1
            return {"account": number}

        self.app.show(FormScreen(
            "Flexiti · find the customer",
            [Field("account", "Flexiti account number", "e.g. 116574819", restrict=r"[0-9 ]*", max_length=16)],
            lambda v: FindAccount(v.get("account", "")), keys=[Key("f3", "Scan a driver's licence", ScanLicence)],
            side=self.side(), side_title="Demo Flexiti customers", demo_fill=fill if accounts else None, back=EndVisit,
        ))

    def licence_form(self) -> None:
        demo = getattr(self.app.runtime, "demo", None)
        scans = list((getattr(demo, "flexiti_licences", {}) or {}).values())

        def fill() -> dict[str, str]:
            scan = scans[self.demo_scan % len(scans)]
            self.demo_scan += 1
            return {"scan": scan.replace("\n", "\\n")}

        self.app.show(FormScreen(
            "Flexiti · scan the customer's driver's licence",
            [Field("scan", "Licence scan (the reader types it here)", "scan the barcode on the back", max_length=4000)],
            lambda v: LicenceScanned(v.get("scan", "")), demo_fill=fill if scans else None, back=StartAgain,
        ))

    def found(self, visit: Any) -> None:
        self.visit = visit
        self.menu()

    # --- the account and its verification ----------------------------------------------------------

    def menu(self) -> None:
        visit, desk = self.visit, self.desk
        if visit.details.account is None:
            accounts = visit.details.accounts[:9]
            body = Text("The licence holder has several accounts.\n\n")
            for i, a in enumerate(accounts):
                body.append(f"{i + 1}  {a.name} ····{a.account_number[-4:]}\n")
            keys = [Key(str(i + 1), f"{a.name} ····{a.account_number[-4:]}",
                        partial(AccountChosen, a.account_number)) for i, a in enumerate(accounts)]
            keys.append(Key("escape", "End the visit", EndVisit))
            self.app.show(MenuScreen("Flexiti · which account?", body, keys))
            return
        account = desk.account(visit)  # what the visit holds: no call to Flexiti
        body = Text()
        body.append(f"{account.name} · account ····{account.account_number[-4:]}\n")
        body.append(f"{account_standing(account.account_status)}\n")
        if account.available_credit is not None:
            body.append(f"Available credit {account.available_credit}\n")
        if visit.details.locked:
            body.append("Verification is LOCKED at Flexiti (3 wrong answers or PINs in 48 hours).\n", style="bold red")
        if visit.details.pin:
            body.append("Verified.\n", style="bold green")
            keys = [Key("d", "Deposit (cash in)", lambda: ActionChosen("deposit")),
                    Key("p", "In-store payment (cash out)", lambda: ActionChosen("instore_payment")),
                    Key("escape", "End the visit", EndVisit)]
            self.app.show(MenuScreen(f"Flexiti · {account.name}", body, keys))
            return
        from kiosk.desks.flexiti import FORMAT_WORDS

        formats = desk.allowed_formats(visit)
        body.append("\nVerify the customer first. How?\n")
        for i, f in enumerate(formats):
            body.append(f"{i + 1}  {FORMAT_WORDS[f]}\n")
        keys = [Key(str(i + 1), FORMAT_WORDS[f], partial(VerifyWith, f)) for i, f in enumerate(formats)]
        keys.append(Key("escape", "End the visit", EndVisit))
        self.app.show(MenuScreen(f"Flexiti · verify {account.name}", body, keys, side=self.side(), side_title="Demo"))

    def verify_with(self, fmt: str) -> None:
        self.format = fmt
        if fmt == "security_question":
            question = self.desk.account(self.visit).security_question
            self.app.show(FormScreen("Flexiti · security question",
                                     [Field("answer", question.text if question else "The customer's answer", "the answer",
                                            max_length=100)],
                                     lambda v: VerifyTyped(answer=v.get("answer", "")),
                                     info="Three wrong answers or PINs in 48 hours lock verification.", back=BackToMenu))
            return
        if fmt == "merchant_override":
            self.app.show(FormScreen("Flexiti · merchant override",
                                     [Field("supervisor", "Supervisor's name (they approve the override)", "name",
                                            max_length=40)],
                                     lambda v: VerifyTyped(supervisor=v.get("supervisor", "")), back=BackToMenu,
                                     info=self.pin_next()))
            return
        self.verify("", "")

    def verify(self, answer: str, supervisor: str) -> None:
        visit, fmt = self.visit, self.format

        def verify(name: str) -> None:
            self.progress("Verifying the customer with Flexiti")
            self.run("fx_verified", lambda: self.desk.verify(visit, fmt, answer=answer, supervisor=name), self.verified)

        if fmt != "merchant_override":
            verify("")
            return
        self.supervisor(auth.OVERRIDE, supervisor, verify, why=f"Verify {self.desk.account(visit).name} without a PIN.")

    def verified(self, visit: Any) -> None:
        if visit.details.pin is None:
            self.pin_form()
        else:
            self.menu()

    def pin_form(self) -> None:
        visit = self.visit
        where = {"sms": "by text message", "email": "by e-mail"}.get(visit.details.sent_to or "", "")
        self.app.show(FormScreen("Flexiti · the customer's PIN",
                                 [Field("pin", f"PIN the customer received {where}".strip(), "4 to 10 digits", password=True,
                                        restrict=r"[0-9]*", max_length=10)],
                                 lambda v: PinTyped(v.get("pin", "")),
                                 info="Ask the customer to read the PIN out. Three wrong PINs in 48 hours lock "
                                 "verification.", side=self.side(), side_title="Demo", back=BackToMenu))

    # --- the money ---------------------------------------------------------------------------------

    def amount_for(self, kind: str) -> None:
        visit, desk = self.visit, self.desk
        self.kind = kind
        account = desk.account(visit)
        if kind == "deposit":
            info = "The customer pays this in cash; it pays down what they owe."
        else:
            info = f"Drawn on the customer's credit ({account.available_credit} available) and paid out in cash. " \
                   f"Drawer holds {self.cash(desk.currency)}."
        title = "Deposit" if kind == "deposit" else "In-store payment"
        self.amount_screen(f"Flexiti · {title} · {account.name}", info, desk.currency,
                           lambda text: desk.check_amount(visit, kind, text))

    def amount_typed(self, text: str) -> None:
        visit, kind = self.visit, self.kind
        amount = self.desk.check_amount(visit, kind, text)
        self.amount = amount
        name = self.desk.account(visit).name
        if kind == "deposit":
            self.confirm("Confirm the deposit", f"Deposit {amount} into {name}'s Flexiti account?",
                         first=f"Take {amount} from the customer first.")
        else:
            self.confirm("Confirm the payment", f"Pay {amount} from {name}'s Flexiti credit and hand it over in cash?")

    def move(self) -> None:
        visit, kind, amount = self.visit, self.kind, self.amount
        if amount is None or not self.within_limits(amount, Confirmed):
            return  # over a limit: a supervisor approves first, then Confirmed comes again
        self.progress(f"Sending the {'deposit' if kind == 'deposit' else 'payment'} of {amount} to Flexiti", money=True)
        self.run("move", lambda: self.desk.move(visit, kind, amount.plain()), self.moved)
