from decimal import Decimal

import pytest

from kiosk.money import Money, MoneyError, parse_amount, parse_host_amount


@pytest.mark.parametrize(
    "text, currency, expected",
    [("10", "GBP", "10.00"), ("10.5", "GBP", "10.50"), (" 12.34 ", "EUR", "12.34"), ("1000", "JPY", "1000"), ("1.234", "KWD", "1.234")],
)
def test_cashier_amounts_are_read_exactly(text, currency, expected):
    money = parse_amount(text, currency)
    assert money.plain() == expected
    assert isinstance(money.amount, Decimal)


@pytest.mark.parametrize(
    "text, currency, words",
    [
        ("10.001", "GBP", "at most 2 decimal places"),
        ("10.5", "JPY", "no decimal places"),
        ("-5", "GBP", "not an amount"),
        ("1e3", "GBP", "not an amount"),
        ("1,000", "GBP", "not an amount"),
        ("", "GBP", "not an amount"),
        ("abc", "GBP", "not an amount"),
        ("0", "GBP", "more than zero"),
        ("0.00", "GBP", "more than zero"),
        ("99999999", "GBP", "larger than"),
        ("10", "GPB", "not an ISO 4217 currency"),
        ("NaN", "GBP", "not an amount"),
    ],
)
def test_bad_amounts_are_refused_with_a_clear_message(text, currency, words):
    with pytest.raises(MoneyError, match=words):
        parse_amount(text, currency)


def test_zero_allowed_only_when_asked():
    assert parse_amount("0", "GBP", allow_zero=True).plain() == "0.00"


def test_host_amounts_tolerate_numbers_and_strings_but_not_garbage():
    assert parse_host_amount(955, "GBP").plain() == "955.00"
    assert parse_host_amount("189.5", "GBP").plain() == "189.50"
    assert parse_host_amount(0.1, "GBP").amount == Decimal("0.10")  # no binary float residue
    for bad in ("x", None, True, float("nan"), "Infinity"):
        with pytest.raises(MoneyError):
            parse_host_amount(bad, "GBP")


def test_arithmetic_keeps_currencies_apart():
    gbp = parse_amount("10", "GBP")
    assert (gbp + parse_amount("2.5", "GBP")).plain() == "12.50"
    assert str(gbp) == "10.00 GBP"
    with pytest.raises(MoneyError):
        gbp + parse_amount("1", "EUR")
    with pytest.raises(MoneyError):
        Money(Decimal("1.001"), "GBP")
    with pytest.raises(TypeError):
        Money(1.5, "GBP")  # type: ignore[arg-type]


def test_wire_form_has_no_trailing_zeros():
    assert parse_amount("10.00", "GBP").wire() == "10"
    assert parse_amount("10.50", "GBP").wire() == "10.5"
    assert parse_amount("100", "GBP").wire() == "100"
