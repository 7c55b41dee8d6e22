"""The teller's every branch, on the real client against the simulator over loopback HTTP."""

from decimal import Decimal

import pytest

from drivers.base import DrawerOutcome, PrintOutcome
from kiosk.backends.rapyd import RapydClient
from kiosk.journal.store import ABANDONED, COMPLETED, DECLINED, PENDING, REVERSED, SUSPECT
from kiosk.teller import Stage, TellerError
from kiosk.teller.recovery import resolve_suspect
from kiosk.sim import rapyd as sim
from kiosk.desks.base import PhoneLogin
from kiosk.desks.rapyd import wallet_desk
from tests.stack import JANE, OLIVER, build_stack


def gbp_account(visit):
    return next(a for a in visit.accounts if a.currency == "GBP")


def test_withdrawal_start_to_finish(stack):
    teller = stack.teller
    visit = wallet_desk(teller).identify(PhoneLogin(JANE, stack.otp()))
    assert visit.phone_masked.endswith("9992") and JANE not in visit.phone_masked
    account = gbp_account(visit)
    assert account.balance.plain() == "189.00"

    wallet_desk(teller).withdraw(visit, account.account_id, "10")
    assert visit.stage is Stage.CASH_PENDING and visit.drawer_outcome is DrawerOutcome.OPENED
    assert stack.simulator.balance(JANE, "GBP") == Decimal("179.00")
    stack.drawer.close_drawer()
    assert teller.wait_for_drawer_close(visit, 2.0) is True
    teller.confirm_cash(visit)
    wallet_desk(teller).complete(visit)

    assert visit.stage is Stage.COMPLETED and visit.print_outcome is PrintOutcome.PRINTED
    assert teller.cash_in_drawer("GBP").plain() == "490.00"
    assert stack.steps(visit.visit_id) == [
        "SESSION_OPEN_SENT", "SESSION_OPENED", "INTENT", "HOST_SENT", "HOST_OK", "DRAWER_KICKED",
        "DRAWER_OPENED", "DRAWER_CLOSED", "CASH_CONFIRMED", "RECEIPT_SENT", "RECEIPT_PRINTED",
        "SESSION_CLOSED", "COMPLETED",
    ]
    summary = stack.journal.visit(visit.visit_id)
    assert (summary.state, summary.kind, summary.amount, summary.currency) == (COMPLETED, "withdraw", "10.00", "GBP")
    assert summary.transaction_id == visit.transaction_id
    receipt = stack.printer.texts[-1]
    assert "CASH WITHDRAWAL" in receipt and "10.00 GBP" in receipt and "9992" in receipt
    assert JANE not in receipt and visit.transaction_id in receipt


def test_deposit_in_a_new_currency_creates_the_account(stack):
    teller = stack.teller
    visit = wallet_desk(teller).identify(PhoneLogin(JANE, stack.otp()))
    assert [a.currency for a in visit.accounts] == ["GBP"]
    wallet_desk(teller).deposit(visit, "EUR", "25.50")
    assert stack.simulator.balance(JANE, "EUR") == Decimal("25.50")
    teller.confirm_cash(visit)
    wallet_desk(teller).complete(visit)
    assert visit.stage is Stage.COMPLETED
    assert teller.cash_in_drawer("EUR").plain() == "325.50"
    assert "CASH DEPOSIT" in stack.printer.texts[-1]



def test_a_currency_first_taken_in_mid_shift_is_one_the_drawer_holds(server, tmp_path):
    """The close's count form has a row per currency the drawer holds: a deposit in a currency
    the float had none of must get one, also after a restart."""
    simulator = server.fresh(tmp_path / "ledger.sqlite3")
    stack = build_stack(tmp_path, server.handle.url, simulator, floats={"GBP": "500.00"})
    desk = wallet_desk(stack.teller)
    visit = desk.identify(PhoneLogin(JANE, stack.otp()))
    desk.deposit(visit, "USD", "20.00")
    desk.finish(visit)
    assert stack.teller.drawer_currencies() == ["GBP", "USD"]
    stack.journal.close()
    again = build_stack(tmp_path, server.handle.url, simulator, reuse_shift=True)
    assert again.teller.drawer_currencies() == ["GBP", "USD"]
    assert again.teller.cash_in_drawer("USD").plain() == "20.00"
    for built in (stack, again):
        built.client.close()
    again.journal.close()
    simulator.close()


@pytest.mark.parametrize(
    "phone, otp, code",
    [("4155559992", "123456", "INVALID_PHONE"), ("+1415", "123456", "INVALID_PHONE"), (JANE, "12345", "INVALID_OTP"), (JANE, "12a456", "INVALID_OTP")],
)
def test_malformed_input_changes_nothing(stack, phone, otp, code):
    with pytest.raises(TellerError) as caught:
        wallet_desk(stack.teller).identify(PhoneLogin(phone, otp))
    assert caught.value.code == code and caught.value.next_step
    assert stack.journal.visits() == []


def test_wrong_code_is_refused_and_recorded_without_the_code(stack):
    good = stack.otp()
    wrong = f"{(int(good) + 1) % 1000000:06d}"
    with pytest.raises(TellerError) as caught:
        wallet_desk(stack.teller).identify(PhoneLogin(JANE, wrong))
    assert caught.value.code == "OTP_REJECTED" and "new code" in caught.value.next_step
    (summary,) = stack.journal.visits()
    assert summary.state == DECLINED
    text = " ".join(str(r.data) for r in stack.journal.rows())
    assert wrong not in text and JANE not in text


def test_a_used_code_is_refused(stack):
    code = stack.otp()
    visit = wallet_desk(stack.teller).identify(PhoneLogin(JANE, code))
    wallet_desk(stack.teller).cancel(visit)
    with pytest.raises(TellerError, match="already used") as caught:
        wallet_desk(stack.teller).identify(PhoneLogin(JANE, code))
    assert caught.value.code == "OTP_USED"  # the host said so (ERROR_OTP_ALREADY_USED): not "wrong"


def test_withdrawal_over_balance_or_drawer_cash_is_refused_before_sending(stack):
    teller = stack.teller
    visit = wallet_desk(teller).identify(PhoneLogin(JANE, stack.otp()))
    account = gbp_account(visit)
    with pytest.raises(TellerError) as caught:
        wallet_desk(teller).withdraw(visit, account.account_id, "189.01")
    assert caught.value.code == "INSUFFICIENT_FUNDS"
    with pytest.raises(TellerError) as caught:
        wallet_desk(teller).check_withdrawal(visit, account.account_id, "12.345")
    assert caught.value.code == "AMOUNT_INVALID"
    assert "INTENT" not in stack.steps(visit.visit_id)
    assert visit.stage is Stage.SESSION_OPEN  # the cashier can offer another amount
    wallet_desk(teller).cancel(visit)

    visit = wallet_desk(teller).identify(PhoneLogin(OLIVER, stack.otp(OLIVER)))
    with pytest.raises(TellerError) as caught:
        wallet_desk(teller).withdraw(visit, gbp_account(visit).account_id, "500.01")  # balance 955, drawer 500
    assert caught.value.code == "NOT_ENOUGH_CASH"
    assert stack.simulator.balance(OLIVER, "GBP") == Decimal("955.00")
    wallet_desk(teller).cancel(visit)
    assert stack.journal.visit(visit.visit_id).state == ABANDONED
    assert stack.steps(visit.visit_id)[-1] == "SESSION_CLOSED"


def test_host_decline_closes_the_session(stack):
    teller = stack.teller
    visit = wallet_desk(teller).identify(PhoneLogin(JANE, stack.otp()))
    account = gbp_account(visit)
    # Another till of the store empties the wallet between the balance shown and the withdrawal.
    other_till = RapydClient(stack.url, sim.DEMO_ACCESS_KEY, sim.DEMO_SECRET_KEY, sim.SECOND_POS_ID)
    other = other_till.open_session(JANE, stack.simulator.current_otp(JANE, sim.SECOND_POS_ID), idempotency="o1")
    other_till.withdraw(other, account.account_id, account.balance, idempotency="o2")
    other_till.close()
    with pytest.raises(TellerError) as caught:
        wallet_desk(teller).withdraw(visit, account.account_id, "10")
    assert caught.value.code == "INSUFFICIENT_FUNDS"
    assert visit.stage is Stage.FAILED
    steps = stack.steps(visit.visit_id)
    assert steps[-2:] == ["HOST_DECLINED", "SESSION_CLOSED"]
    assert "DRAWER_KICKED" not in steps
    assert stack.journal.visit(visit.visit_id).state == DECLINED


def test_lost_answer_is_settled_by_resending_the_same_key(stack):
    teller = stack.teller
    visit = wallet_desk(teller).identify(PhoneLogin(JANE, stack.otp()))
    stack.simulator.inject_fault("drop_after_apply", operation="withdraw", count=1)
    wallet_desk(teller).withdraw(visit, gbp_account(visit).account_id, "20")
    assert visit.stage is Stage.CASH_PENDING
    assert stack.simulator.balance(JANE, "GBP") == Decimal("169.00")  # applied exactly once
    withdrawals = [t for t in stack.simulator.transactions() if t.kind == "withdraw"]
    assert len(withdrawals) == 1 and withdrawals[0].transaction_id == visit.transaction_id
    assert "HOST_RESENT" in stack.steps(visit.visit_id)


def test_host_that_never_answers_leaves_the_visit_unresolved(stack):
    teller = stack.teller
    visit = wallet_desk(teller).identify(PhoneLogin(JANE, stack.otp()))
    stack.simulator.inject_fault("error_before_apply", operation="withdraw", count=5, status=503)
    with pytest.raises(TellerError) as caught:
        wallet_desk(teller).withdraw(visit, gbp_account(visit).account_id, "20")
    assert caught.value.code == "OUTCOME_UNKNOWN" and "Do not hand over" in caught.value.next_step
    assert visit.stage is Stage.UNRESOLVED
    assert stack.journal.visit(visit.visit_id).state == PENDING
    steps = stack.steps(visit.visit_id)
    assert "HOST_UNKNOWN" in steps and "DRAWER_KICKED" not in steps
    assert stack.simulator.balance(JANE, "GBP") == Decimal("189.00")


def test_drawer_that_does_not_open_lets_the_cashier_reverse(stack):
    teller = stack.teller
    stack.drawer.inject("drawer_jammed")
    visit = wallet_desk(teller).identify(PhoneLogin(JANE, stack.otp()))
    wallet_desk(teller).withdraw(visit, gbp_account(visit).account_id, "50")
    assert visit.drawer_outcome is DrawerOutcome.NOT_OPENED
    assert stack.simulator.balance(JANE, "GBP") == Decimal("139.00")
    wallet_desk(teller).undo(visit)
    assert visit.stage is Stage.REVERSED
    assert stack.simulator.balance(JANE, "GBP") == Decimal("189.00")
    assert stack.journal.visit(visit.visit_id).state == REVERSED
    assert teller.cash_in_drawer("GBP").plain() == "500.00"
    assert stack.steps(visit.visit_id)[-4:] == ["CASH_NOT_HANDED", "REVERSAL_SENT", "REVERSED", "SESSION_CLOSED"]


def test_drawer_that_does_not_open_but_cash_handed_by_hand(stack):
    teller = stack.teller
    stack.drawer.inject("drawer_jammed")
    visit = wallet_desk(teller).identify(PhoneLogin(JANE, stack.otp()))
    wallet_desk(teller).withdraw(visit, gbp_account(visit).account_id, "5")
    teller.confirm_cash(visit, by_hand=True)
    wallet_desk(teller).complete(visit)
    assert teller.cash_in_drawer("GBP").plain() == "495.00"


@pytest.mark.parametrize("fault, words", [("paper_out", "out of paper"), ("cover_open", "cover is open"), ("offline", "offline")])
def test_printer_that_cannot_print_stops_the_visit_before_money_moves(stack, fault, words):
    stack.printer.inject(fault)
    with pytest.raises(TellerError) as caught:
        wallet_desk(stack.teller).identify(PhoneLogin(JANE, stack.otp()))
    assert caught.value.code == "PRINTER_NOT_READY" and words in caught.value.message
    assert stack.journal.visits() == []
    assert stack.simulator.balance(JANE, "GBP") == Decimal("189.00")


def test_drawer_left_open_alerts_and_blocks_the_next_visit(stack):
    teller = stack.teller
    stack.drawer.inject("drawer_left_open")
    visit = wallet_desk(teller).identify(PhoneLogin(JANE, stack.otp()))
    wallet_desk(teller).withdraw(visit, gbp_account(visit).account_id, "10")
    assert teller.wait_for_drawer_close(visit, 0.3) is False
    assert "DRAWER_LEFT_OPEN" in stack.steps(visit.visit_id)
    with pytest.raises(TellerError) as caught:
        wallet_desk(teller).identify(PhoneLogin(OLIVER, stack.otp(OLIVER)))
    assert caught.value.code == "DRAWER_OPEN"

    # Nobody confirmed the hand-over: the cash outcome is unknown until a supervisor counts.
    teller.mark_suspect(visit, "drawer left open")
    assert stack.journal.visit(visit.visit_id).state == SUSPECT
    stack.drawer.clear("drawer_left_open")
    stack.drawer.close_drawer()
    assert teller.device_health().drawer_alert is False
    with pytest.raises(TellerError) as caught:
        wallet_desk(teller).identify(PhoneLogin(OLIVER, stack.otp(OLIVER)))
    assert caught.value.code == "CASH_LOCKED"

    assert resolve_suspect(teller, visit.visit_id, cash_moved=True, supervisor="sam") == COMPLETED
    assert teller.cash_in_drawer("GBP").plain() == "490.00"
    assert stack.steps(visit.visit_id)[-1] == "SESSION_CLOSED"
    wallet_desk(teller).cancel(wallet_desk(teller).identify(PhoneLogin(OLIVER, stack.otp(OLIVER))))


def test_paper_out_mid_receipt_keeps_the_visit_and_offers_a_copy(stack):
    teller = stack.teller
    visit = wallet_desk(teller).identify(PhoneLogin(JANE, stack.otp()))
    wallet_desk(teller).deposit(visit, "GBP", "10")
    teller.confirm_cash(visit)
    stack.printer.inject("paper_out_mid_receipt")
    wallet_desk(teller).complete(visit)
    assert visit.stage is Stage.COMPLETED and visit.print_outcome is PrintOutcome.UNKNOWN
    assert "RECEIPT_UNKNOWN" in stack.steps(visit.visit_id)
    stack.printer.clear()
    assert teller.reprint() is PrintOutcome.PRINTED
    assert "COPY" in stack.printer.texts[-1]


def test_steps_out_of_order_are_refused(stack):
    teller = stack.teller
    visit = wallet_desk(teller).identify(PhoneLogin(JANE, stack.otp()))
    with pytest.raises(TellerError, match="not possible now"):
        teller.confirm_cash(visit)
    wallet_desk(teller).cancel(visit)
    with pytest.raises(TellerError):
        wallet_desk(teller).withdraw(visit, gbp_account(visit).account_id, "1")


def test_unreachable_host_moves_nothing(stack, tmp_path):
    from tests.stack import build_stack

    dead = build_stack(tmp_path / "dead", "http://127.0.0.1:9", stack.simulator)
    with pytest.raises(TellerError) as caught:
        wallet_desk(dead.teller).identify(PhoneLogin(JANE, stack.otp()))
    assert caught.value.code == "HOST_UNREACHABLE"
    assert wallet_desk(dead.teller).health()
    dead.journal.close()


def test_the_wallet_journey_is_the_rapyd_desks_and_the_till_keeps_its_services(stack):
    """One Rapyd desk per till, and no wallet verb left on (or forwarded through) the till."""
    teller = stack.teller
    assert wallet_desk(teller) is wallet_desk(teller) and wallet_desk(teller).teller is teller
    wallet_verbs = ("begin_visit", "check_withdrawal", "check_deposit", "withdraw", "deposit",
                    "reverse_withdrawal", "cancel", "backend_health")
    assert [verb for verb in wallet_verbs if hasattr(teller, verb)] == []
    visit = wallet_desk(teller).identify(PhoneLogin(JANE, stack.otp()))
    assert wallet_desk(teller).actions(visit) == ["withdraw", "deposit"]
    wallet_desk(teller).move(visit, "withdraw", "10", currency="gbp")
    stack.drawer.close_drawer()
    wallet_desk(teller).finish(visit)
    assert visit.stage is Stage.COMPLETED and stack.steps(visit.visit_id)[-3:] == ["RECEIPT_PRINTED", "SESSION_CLOSED", "COMPLETED"]
