"""Every back end's desk is driven with the same verbs (kiosk.desks.base.Desk): identify, actions,
check_amount, move, finish / undo / cancel. One generic driver serves a cash-out on each of the
four, the way a property test drives any desk."""

from __future__ import annotations

from typing import Any, Callable

import pytest

from kiosk.desks import base as journeys
from kiosk.desks.base import AccountLookup, CardEntry, PhoneLogin, WalletLogin
from kiosk.desks.rapyd import RapydDesk
from kiosk.journal.store import ABANDONED, COMPLETED, REVERSED, SUSPECT
from kiosk.teller.visit import Stage, TellerError

# back end -> (who the customer is, what the desk needs between identify and actions, cash-out action)
CASES: dict[str, tuple[Callable[[Any], Any], Callable[[Any, Any, Any], None], str]] = {
    "rapyd": (lambda sims: PhoneLogin("+14155559992", sims.rapyd.current_otp("+14155559992")),
              lambda desk, visit, sims: None, "withdraw"),
    "pospointe": (lambda sims: CardEntry("7012340000001019", "7310"), lambda desk, visit, sims: None, "redeem"),
    "sdkfinance": (lambda sims: WalletLogin("anna.kowalska@example.com", "Wallet#2024a"),
                   lambda desk, visit, sims: None, "withdrawal"),
    "flexiti": (lambda sims: AccountLookup(account_number="116574819"),
                lambda desk, visit, sims: desk.verify(visit, "regular_purchase_bypass"), "instore_payment"),
}


def desk_of(teller, backend: str) -> journeys.Desk:
    return RapydDesk(teller) if backend == "rapyd" else journeys.desk(teller, backend)


def begin(teller, sims, backend: str):
    who, prepare, action = CASES[backend]
    desk = desk_of(teller, backend)
    visit = desk.identify(who(sims))
    prepare(desk, visit, sims)
    assert action in desk.actions(visit)
    return desk, visit, action


@pytest.mark.parametrize("backend", list(CASES))
def test_one_driver_serves_a_cash_out_at_every_desk(demo, sims, teller, backend):
    desk, visit, action = begin(teller, sims, backend)
    amount = desk.check_amount(visit, action, "20")
    assert amount.amount == 20
    desk.move(visit, action, "20")
    assert visit.stage is Stage.CASH_PENDING
    teller.wait_for_drawer_close(visit, 3.0)
    desk.finish(visit)
    assert visit.stage is Stage.COMPLETED
    assert teller.journal.visit(visit.visit_id).state == COMPLETED


@pytest.mark.parametrize("backend", ["rapyd", "pospointe", "sdkfinance"])
def test_one_driver_undoes_a_cash_out_at_every_desk_that_can(demo, sims, teller, backend):
    desk, visit, action = begin(teller, sims, backend)
    assert desk.undo_needs_approval
    desk.move(visit, action, "20")
    desk.undo(visit, by_rule=True)
    assert teller.journal.visit(visit.visit_id).state in (REVERSED, "declined")


def test_a_flexiti_payment_not_handed_over_is_an_escalation_a_supervisor_sees(demo, sims, teller):
    """Flexiti has no undo call: the payment is handed to a person as the named compensation
    flexiti_cancel, escalated at once, so the ready screen's attention panel and `kiosk recover`
    list it (and the visit does not lock cash movements waiting for a count)."""
    desk, visit, action = begin(teller, sims, "flexiti")
    desk.move(visit, action, "20")
    with pytest.raises(TellerError) as refused:
        desk.undo(visit, by_rule=True)
    assert refused.value.code == "NEEDS_A_PERSON"
    attention = teller.attention()
    assert [(c.visit_id, c.action) for c in attention.escalated] == [(visit.visit_id, "flexiti_cancel")]
    assert visit.transaction_id in attention.escalated[0].last_error
    assert attention.suspects == [] and teller.journal.visit(visit.visit_id).state == SUSPECT
    assert teller.journal.unseal(visit.visit_id) is None  # the PIN is forgotten


@pytest.mark.parametrize("backend", list(CASES))
def test_one_driver_cancels_before_money_moves_at_every_desk(demo, sims, teller, backend):
    desk, visit, _ = begin(teller, sims, backend)
    desk.cancel(visit)
    assert visit.stage is Stage.CANCELLED
    assert teller.journal.visit(visit.visit_id).state == ABANDONED
