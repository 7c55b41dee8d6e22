"""Rows that share a commit (kiosk.journal.store.Journal.one_commit) never weaken the house rule:
at the moment the till does anything outside the journal (a host call, the drawer's kick, the
printer), the row announcing it is already durable, and no block of rows is half-written.

Every side effect of a visit is watched: when it starts, what the disk holds of the journal
(the rows up to the last commit that waited for it: what a power cut leaves) is read."""

from __future__ import annotations

import sqlite3

from kiosk.desks.base import PhoneLogin
from kiosk.desks.rapyd import wallet_desk
from kiosk.teller.steps import Step, WalletStep
from tests.stack import JANE

# Each side effect, and the row that must be durable when it starts.
ANNOUNCED_BY = {
    "open_session": WalletStep.SESSION_OPEN_SENT,
    "withdraw": Step.HOST_SENT,
    "reverse_withdrawal": WalletStep.REVERSAL_SENT,
    "open_drawer": Step.DRAWER_KICKED,
    "print_receipt": Step.RECEIPT_SENT,
}


def watch(stack) -> list[tuple[str, list[str]]]:
    """Wrap the host's, the drawer's and the printer's calls: each records its name and the
    steps durable when it started (committed, read by another connection, and covered by a
    commit that waited for the disk)."""
    seen: list[tuple[str, list[str]]] = []

    def committed() -> list[str]:
        db = sqlite3.connect(f"file:{stack.journal.path}?mode=ro", uri=True)
        try:
            return [r[0] for r in db.execute("SELECT step FROM rows WHERE seq <= ? ORDER BY seq", (stack.journal.durable_seq,))]
        finally:
            db.close()

    for target, name in [(stack.client, n) for n in ("open_session", "withdraw", "reverse_withdrawal", "close_session")] + [
        (stack.drawer, "open_drawer"), (stack.printer, "print_receipt")
    ]:
        call = getattr(target, name)

        def watched(*args, _call=call, _name=name, **kwargs):
            assert stack.journal._group is None, f"{_name} called inside a one_commit block"
            seen.append((_name, committed()))
            return _call(*args, **kwargs)

        setattr(target, name, watched)
    return seen


def test_every_side_effect_starts_after_the_row_announcing_it_is_durable(stack):
    seen = watch(stack)
    desk = wallet_desk(stack.teller)
    commits, synced = stack.journal.commits, stack.journal.durable_commits
    visit = desk.identify(PhoneLogin(JANE, stack.otp()))
    desk.withdraw(visit, visit.session.account_for("GBP").account_id, "10")
    stack.drawer.close_drawer()
    stack.teller.wait_for_drawer_close(visit, 2.0)
    desk.finish(visit)
    steps = stack.steps(visit.visit_id)

    assert [name for name, _ in seen] == ["open_session", "withdraw", "open_drawer", "print_receipt", "close_session"]
    for name, durable in seen:
        if name in ANNOUNCED_BY:
            assert durable[-1] == ANNOUNCED_BY[name], (name, durable)  # announced, and nothing after it yet
    # The logout comes after the receipt's outcome is durable (a crash in it reprints nothing).
    assert dict(seen)["close_session"][-1] == Step.RECEIPT_PRINTED
    # 13 rows; INTENT + HOST_SENT, CASH_CONFIRMED + RECEIPT_SENT and SESSION_CLOSED + COMPLETED
    # (with the sealed session details erased) each share a commit. SESSION_OPENED, HOST_OK,
    # DRAWER_OPENED and DRAWER_CLOSED do not wait for the disk: the next durable commit, before
    # anything else happens, takes them with it (the checks above).
    assert len(steps) == 13 and stack.journal.commits - commits == 10
    assert stack.journal.durable_commits - synced == 6
    assert stack.journal.unseal(visit.visit_id) is None and stack.journal.verify()[0]


def test_a_reversal_is_announced_with_the_cash_not_handed_in_one_commit(stack):
    seen = watch(stack)
    stack.drawer.inject("drawer_jammed")
    desk = wallet_desk(stack.teller)
    visit = desk.identify(PhoneLogin(JANE, stack.otp()))
    desk.withdraw(visit, visit.session.account_for("GBP").account_id, "10")
    commits = stack.journal.commits
    desk.undo(visit, by_rule=True)

    reversal = dict(seen)["reverse_withdrawal"]
    assert reversal[-2:] == [Step.CASH_NOT_HANDED, WalletStep.REVERSAL_SENT]
    # CASH_NOT_HANDED + REVERSAL_SENT, REVERSED, SESSION_CLOSED (+ the details erased)
    assert stack.journal.commits - commits == 3
    assert stack.steps(visit.visit_id)[-4:] == [Step.CASH_NOT_HANDED, WalletStep.REVERSAL_SENT, Step.REVERSED,
                                               WalletStep.SESSION_CLOSED]
