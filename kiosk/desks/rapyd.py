"""The Rapyd wallet at the till on the desks' protocol (kiosk.desks.base.Desk), so that a caller
or a test drives it with the same verbs as the gift card, SDK.finance and Flexiti desks.

The wallet journey itself (phone + OTP session, withdraw / deposit, reversal, session close)
still lives in the till's services (kiosk.teller.Teller: begin_visit, withdraw, deposit,
reverse_withdrawal, complete, cancel) and its recovery table in kiosk.teller.recovery; this
desk is their one front door. Moving that code here is the next step of the split."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kiosk.desks.base import PhoneLogin, Resolution
from kiosk.money import Money
from kiosk.teller.visit import TellerError, Visit

if TYPE_CHECKING:
    from kiosk.desks.table import RecoveryTable
    from kiosk.journal.store import Compensation
    from kiosk.teller.teller import Teller

ACTIONS = ("withdraw", "deposit")


class RapydDesk:
    prefix = "rapyd"  # its visits' kinds are "withdraw" / "deposit" (no prefix in the journal)
    backend_name = "rapyd"
    title = "Wallet"
    undo_needs_approval = True

    def __init__(self, teller: Teller) -> None:
        self.teller = teller

    def identify(self, who: PhoneLogin) -> Visit:
        """Open the customer's wallet session with their phone and the code from the app."""
        return self.teller.begin_visit(who.phone, who.otp)

    def actions(self, visit: Visit) -> list[str]:
        return list(ACTIONS) if visit.accounts else []

    def _currency(self, visit: Visit, currency: str) -> str:
        if currency:
            return currency.upper()
        if not visit.accounts:
            raise TellerError("NO_SUCH_ACCOUNT", "The customer's wallet has no account.")
        return visit.accounts[0].currency

    def _account_id(self, visit: Visit, currency: str) -> str:
        account = visit.session.account_for(currency) if visit.session else None
        if account is None:
            raise TellerError("NO_SUCH_ACCOUNT", f"The wallet has no {currency} account.")
        return account.account_id

    def check_amount(self, visit: Visit, action: str, text: str, *, currency: str = "") -> Money:
        """Validate `text` in `currency` ('' = the wallet's first account's)."""
        currency = self._currency(visit, currency)
        if action == "withdraw":
            return self.teller.check_withdrawal(visit, self._account_id(visit, currency), text)
        if action == "deposit":
            return self.teller.check_deposit(visit, currency, text)
        raise TellerError("WRONG_STEP", f"{action!r} is not a wallet action.")

    def move(self, visit: Visit, action: str, amount_text: str, *, currency: str = "") -> Visit:
        currency = self._currency(visit, currency)
        if action == "withdraw":
            return self.teller.withdraw(visit, self._account_id(visit, currency), amount_text)
        if action == "deposit":
            return self.teller.deposit(visit, currency, amount_text)
        raise TellerError("WRONG_STEP", f"{action!r} is not a wallet action.")

    def finish(self, visit: Visit, *, by_hand: bool = False) -> Visit:
        with self.teller.lock:
            self.teller.confirm_cash(visit, by_hand=by_hand)
            return self.teller.complete(visit)

    def undo(self, visit: Visit, *, by_rule: bool = False) -> Visit:
        return self.teller.reverse_withdrawal(visit, by_rule=by_rule)

    def cancel(self, visit: Visit) -> Visit:
        return self.teller.cancel(visit)

    @property
    def recovery(self) -> RecoveryTable:
        from kiosk.teller.recovery import wallet_table

        return wallet_table(self.teller)

    def recover_visit(self, visit_id: str) -> Resolution:
        from kiosk.teller.recovery import recover_wallet_visit

        return recover_wallet_visit(self.teller, visit_id)

    def send(self, item: Compensation) -> None:
        from kiosk.teller.recovery import send_wallet_item

        send_wallet_item(self.teller, item)

    def resolve_suspect(self, visit_id: str, *, cash_moved: bool, supervisor: str) -> str:
        from kiosk.teller.recovery import resolve_wallet_suspect

        return resolve_wallet_suspect(self.teller, visit_id, cash_moved=cash_moved, supervisor=supervisor)

    def health(self) -> str:
        return self.teller.backend_health()

    def close(self) -> None:
        """The wallet client belongs to the till (runtime closes it)."""
