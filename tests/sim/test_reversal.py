"""Reverse Withdrawal: only this session's withdrawal, once, at most its amount, same account."""

from __future__ import annotations

from decimal import Decimal

from tests.sim.pos import error_code, ok_data

PHONE = "+447700900123"  # GBP 955, EUR 250


def _withdrawn(sim, pos, amount="100", currency="GBP"):
    s = pos.open_session(sim, PHONE)
    txn = ok_data(pos.withdraw(s, s.account_id(currency), amount))["transaction_id"]
    return s, txn


def test_a_full_reversal_credits_back_once(sim, pos):
    s, txn = _withdrawn(sim, pos)
    assert sim.balance(PHONE, "GBP") == 855
    data = ok_data(pos.reversal(s, s.account_id("GBP"), "100", txn))
    assert data["operation_id"] == s.operation_id and data["transaction_id"] != txn
    assert sim.balance(PHONE, "GBP") == 955
    again = pos.reversal(s, s.account_id("GBP"), "100", txn)
    assert (again.status_code, error_code(again)) == (400, "ERROR_TRANSACTION_ALREADY_REVERSED")
    assert sim.balance(PHONE, "GBP") == 955
    withdrawal, reversal = sim.transactions()
    assert withdrawal.reversed_by == reversal.transaction_id and reversal.reverses == txn
    assert (reversal.kind, reversal.amount) == ("reversal", Decimal("100.00"))
    ok_data(pos.logout(s))


def test_a_partial_reversal(sim, pos):
    s, txn = _withdrawn(sim, pos)
    ok_data(pos.reversal(s, s.account_id("GBP"), "40.50", txn))
    assert sim.balance(PHONE, "GBP") == Decimal("895.50")


def test_more_than_the_withdrawal_cannot_be_reversed(sim, pos):
    s, txn = _withdrawn(sim, pos)
    response = pos.reversal(s, s.account_id("GBP"), "100.01", txn)
    assert (response.status_code, error_code(response)) == (400, "ERROR_REVERSAL_AMOUNT_EXCEEDS_WITHDRAWAL")
    assert error_code(pos.reversal(s, s.account_id("GBP"), "0", txn)) == "ERROR_AMOUNT_MUST_BE_POSITIVE"
    assert error_code(pos.reversal(s, s.account_id("GBP"), "1.001", txn)) == "ERROR_AMOUNT_NOT_VALID"
    assert sim.balance(PHONE, "GBP") == 855


def test_the_account_must_be_the_withdrawals(sim, pos):
    s, txn = _withdrawn(sim, pos)
    response = pos.reversal(s, s.account_id("EUR"), "100", txn)
    assert (response.status_code, error_code(response)) == (400, "ERROR_ACCOUNT_MISMATCH")


def test_only_a_withdrawal_of_this_session_can_be_reversed(sim, pos, clock):
    s, txn = _withdrawn(sim, pos)
    assert error_code(pos.reversal(s, s.account_id("GBP"), "1", None)) == "ERROR_TRANSACTION_NOT_FOUND"
    assert error_code(pos.reversal(s, s.account_id("GBP"), "1", "no-such-txn")) == "ERROR_TRANSACTION_NOT_FOUND"
    # Another session of the same wallet cannot reverse it ...
    clock.advance(30)
    other = pos.open_session(sim, PHONE)
    response = pos.reversal(other, other.account_id("GBP"), "1", txn)
    assert (response.status_code, error_code(response)) == (400, "ERROR_TRANSACTION_NOT_FOUND")
    # ... nor can a deposit be "reversed".
    deposit = ok_data(pos.deposit(other, "5", "GBP"))["transaction_id"]
    assert error_code(pos.reversal(other, other.account_id("GBP"), "5", deposit)) == "ERROR_TRANSACTION_NOT_FOUND"


def test_no_reversal_after_close_session(sim, pos):
    s, txn = _withdrawn(sim, pos)
    ok_data(pos.logout(s))
    response = pos.reversal(s, s.account_id("GBP"), "100", txn)
    assert (response.status_code, error_code(response)) == (400, "ERROR_SESSION_CLOSED")
    assert sim.balance(PHONE, "GBP") == 855
