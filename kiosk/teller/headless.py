"""One wallet visit without a screen (`kiosk txn`): the same desk and till calls the UI makes,
in order, with the cashier's decisions taken by rule."""

from __future__ import annotations

from typing import Any

from drivers.base import DrawerOutcome
from kiosk.desks.base import PhoneLogin
from kiosk.desks.rapyd import wallet_desk
from kiosk.journal.store import JournalError
from kiosk.money import MoneyError, parse_amount
from kiosk.teller.teller import Teller
from kiosk.teller.visit import Stage, TellerError, Visit, VisitKind, journal_failure


def serve_visit(
    teller: Teller, *, kind: str, phone: str, otp: str, currency: str, amount: str, drawer_close_timeout: float
) -> dict[str, Any]:
    """Serve one withdrawal or deposit; returns the contract's result object."""
    result: dict[str, Any] = {
        "status": "failed",
        "kind": kind,
        "amount": amount,
        "currency": currency.upper(),
        "transaction_id": "",
    }
    visit: Visit | None = None
    desk = wallet_desk(teller)
    try:
        # The amount is the cashier's too: refused before the visit begins, so a typo leaves
        # nothing in the journal and opens no wallet session (the phone and code are checked
        # first thing in identify).
        try:
            parse_amount(amount, currency)
        except MoneyError as exc:
            raise TellerError("AMOUNT_INVALID", str(exc), "Type the amount again.") from None
        visit = desk.identify(PhoneLogin(phone, otp))
        if kind == "withdraw":
            account = visit.session.account_for(currency.upper()) if visit.session else None
            if account is None:
                desk.cancel(visit)
                raise TellerError("NO_SUCH_ACCOUNT", f"The wallet has no {currency.upper()} account.")
            desk.withdraw(visit, account.account_id, amount)
        else:
            desk.deposit(visit, currency, amount)
        result["amount"] = visit.amount.plain() if visit.amount else amount
        result["transaction_id"] = visit.transaction_id
        desk.finish(visit, by_hand=settle_cash(teller, desk, visit, drawer_close_timeout))
        result["status"] = "completed"
        result["visit_id"] = visit.visit_id
        if visit.print_outcome is not None:
            result["receipt"] = visit.print_outcome.value
    except TellerError as exc:
        if visit is not None:
            result["visit_id"] = visit.visit_id
            if visit.stage is Stage.SESSION_OPEN:  # refused before any money moved
                desk.cancel(visit)
        result["error"] = {"code": exc.code, "message": exc.message}
    except JournalError as exc:
        failure = journal_failure(exc)
        result["error"] = {"code": failure.code, "message": failure.message}
        if visit is not None:
            result["visit_id"] = visit.visit_id
    return result


def settle_cash(teller: Teller, desk: Any, visit: Visit, timeout: float) -> bool:
    """Headless, at any desk, nobody can say "handed over by hand": a drawer that did not open
    means a cash-out's money stayed in the drawer (undone at the host, by rule); cash taken in
    is in hand (put away by hand: returns True). A drawer left open leaves the cash outcome
    unknown: the visit is suspect."""
    if visit.drawer_outcome is DrawerOutcome.NOT_OPENED:
        if visit.kind is VisitKind.WITHDRAW:
            desk.undo(visit, by_rule=True)  # no cashier chose it: nobody there to approve
            raise TellerError("DRAWER_NOT_OPENED", "The drawer did not open; no cash was handed over and it was undone.")
        return True
    closed = teller.wait_for_drawer_close(visit, timeout)
    if closed is False:
        teller.mark_suspect(visit, "drawer left open")
        raise TellerError(
            "DRAWER_LEFT_OPEN",
            f"The drawer was not closed within {timeout:g} s; whether the cash moved is unknown.",
            "A supervisor must count the drawer and resolve the visit.",
        )
    return False
