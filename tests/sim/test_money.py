"""Balances and amounts: overdraft, validation per currency, new accounts, exact decimals."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.sim.pos import error_code, ok_data

JANE = "+14155559992"  # GBP 189
MARIA = "+12025550143"  # EUR 1500, USD 2750.50
KENJI = "+12025550188"  # JPY 50000, USD 42.10
AMELIA = "+447700900456"  # EUR 0


def test_a_withdrawal_over_the_balance_is_refused_and_changes_nothing(sim, pos):
    s = pos.open_session(sim, JANE)
    response = pos.withdraw(s, s.account_id("GBP"), "189.01")
    assert (response.status_code, error_code(response)) == (400, "NOT_ENOUGH_FUNDS")
    assert sim.balance(JANE, "GBP") == Decimal("189")
    assert sim.transactions() == []


def test_the_whole_balance_can_be_withdrawn(sim, pos):
    s = pos.open_session(sim, JANE)
    data = ok_data(pos.withdraw(s, s.account_id("GBP"), "189"))
    assert set(data) == {"transaction_id"}
    assert sim.balance(JANE, "GBP") == 0
    (t,) = sim.transactions()
    assert (t.kind, t.phone, t.currency, t.amount, t.transaction_id) == ("withdraw", JANE, "GBP", Decimal("189.00"), data["transaction_id"])


def test_an_empty_wallet_cannot_withdraw(sim, pos):
    s = pos.open_session(sim, AMELIA)
    assert s.accounts["EUR"]["account_balance"] == 0
    assert error_code(pos.withdraw(s, s.account_id("EUR"), "0.01")) == "NOT_ENOUGH_FUNDS"


@pytest.mark.parametrize(
    "amount,code",
    [
        ("0", "ERROR_AMOUNT_MUST_BE_POSITIVE"),
        ("0.00", "ERROR_AMOUNT_MUST_BE_POSITIVE"),
        ("-5", "ERROR_AMOUNT_MUST_BE_POSITIVE"),
        ("abc", "ERROR_AMOUNT_NOT_VALID"),
        ("1e3", "ERROR_AMOUNT_NOT_VALID"),
        ("NaN", "ERROR_AMOUNT_NOT_VALID"),
        ("Infinity", "ERROR_AMOUNT_NOT_VALID"),
        ("1,000", "ERROR_AMOUNT_NOT_VALID"),
        ("10.", "ERROR_AMOUNT_NOT_VALID"),
        (".5", "ERROR_AMOUNT_NOT_VALID"),
        ("+5", "ERROR_AMOUNT_NOT_VALID"),
        ("10.005", "ERROR_AMOUNT_NOT_VALID"),
    ],
)
def test_amount_validation(sim, pos, amount, code):
    s = pos.open_session(sim, MARIA)
    for response in (pos.withdraw(s, s.account_id("EUR"), amount), pos.deposit(s, amount, "EUR")):
        assert (response.status_code, error_code(response)) == (400, code)
    assert sim.transactions() == []


def test_decimals_are_judged_by_the_currency(sim, pos):
    s = pos.open_session(sim, KENJI)
    assert error_code(pos.withdraw(s, s.account_id("JPY"), "10.5")) == "ERROR_AMOUNT_NOT_VALID"
    ok_data(pos.withdraw(s, s.account_id("JPY"), "1000.000"))  # trailing zeros are the same amount
    assert sim.balance(KENJI, "JPY") == 49000


def test_exact_decimal_arithmetic(sim, pos, clock):
    s = pos.open_session(sim, KENJI)
    ok_data(pos.withdraw(s, s.account_id("USD"), "0.10"))
    assert sim.balance(KENJI, "USD") == Decimal("42.00")
    clock.advance(30)  # one code per window: the next session needs the next code
    response = pos.login(KENJI, sim.current_otp(KENJI))
    assert '"account_currency": "USD", "account_alias": "USD", "account_balance": 42,' in response.text


def test_an_unknown_currency_is_refused(sim, pos):
    s = pos.open_session(sim, MARIA)
    for currency in ("XXX", "gbp", "EURO"):
        response = pos.deposit(s, "10", currency)
        assert (response.status_code, error_code(response)) == (400, "ERROR_CURRENCY_NOT_SUPPORTED")


def test_a_deposit_in_a_new_currency_opens_the_account(sim, pos, clock):
    s = pos.open_session(sim, MARIA)
    assert "GBP" not in s.accounts
    data = ok_data(pos.deposit(s, "20.50", "GBP"))
    assert data == {"transaction_id": data["transaction_id"], "metadata": {}}
    assert sim.balance(MARIA, "GBP") == Decimal("20.50")
    clock.advance(30)
    s = pos.open_session(sim, MARIA)
    assert s.accounts["GBP"]["account_balance"] == 20.5
    assert s.accounts["GBP"]["account_currency_symbol"] == "£"


def test_deposit_metadata_is_echoed_and_kept(sim, pos):
    s = pos.open_session(sim, JANE)
    body = b'{"metadata":{"receipt":"R-1","till":3}}'
    data = ok_data(pos.deposit(s, "11", "GBP", body=body))
    assert data["metadata"] == {"receipt": "R-1", "till": 3}
    assert sim.transactions()[0].metadata == {"receipt": "R-1", "till": 3}
    assert sim.balance(JANE, "GBP") == 200


@pytest.mark.parametrize("body", [b"not json", b"[1]", b'{"metadata": 5}'])
def test_a_bad_deposit_body_is_refused(sim, pos, body):
    s = pos.open_session(sim, JANE)
    response = pos.deposit(s, "11", "GBP", body=body)
    assert (response.status_code, error_code(response)) == (400, "ERROR_INVALID_REQUEST_BODY")
    assert sim.balance(JANE, "GBP") == 189


def test_another_wallets_account_is_not_found(sim, pos):
    jane = pos.open_session(sim, JANE)
    maria = pos.open_session(sim, MARIA)
    response = pos.withdraw(jane, maria.account_id("EUR"), "1")
    assert (response.status_code, error_code(response)) == (400, "ERROR_ACCOUNT_NOT_FOUND")
    assert error_code(pos.withdraw(jane, "nope", "1")) == "ERROR_ACCOUNT_NOT_FOUND"
