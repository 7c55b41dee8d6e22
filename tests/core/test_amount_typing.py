"""Amounts as the cashier types them on a till of a given locale (kiosk.money: AmountStyle,
typed_refusal, read_typed): key by key, each key is taken or refused with a reason, and what
is confirmed is exactly what is shown."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.money import MINOR_UNITS, Money, MoneyError, amount_style, read_typed, typed_refusal

GB, DE, CA = amount_style("en_GB"), amount_style("de_DE"), amount_style("fr_CA")

KEYS = st.text(alphabet=st.sampled_from(list("0123456789.,-+ '\u00a0١１e")) | st.characters(), max_size=14)


def type_keys(text: str, currency: str, style) -> tuple[str, list[str]]:
    """What the field holds after each key of `text`, and the reasons for the keys refused
    (the field's own rule: kiosk.ui.widgets.amount_input applies typed_refusal per key)."""
    held, reasons = "", []
    for key in text:
        reason = typed_refusal(held + key, currency, style)
        if reason:
            reasons.append(reason)
        else:
            held += key
    return held, reasons


@settings(max_examples=400, deadline=None)
@given(text=KEYS, currency=st.sampled_from(["GBP", "EUR", "JPY", "KWD", "CAD"]),
       style=st.sampled_from([GB, DE, CA]))
def test_what_is_confirmed_is_what_is_shown_or_the_key_is_refused(text, currency, style) -> None:
    held, reasons = type_keys(text, currency, style)
    assert all(r and r[0].isupper() and r.endswith(".") for r in reasons)  # full sentences
    assert len(reasons) + len(held) == len(text)  # every key is either in the field or refused
    try:
        money = read_typed(held, currency, style)
    except MoneyError as exc:
        assert str(exc).endswith(".")
        return
    # What the field shows, read as a number in the till's locale, is the amount confirmed.
    shown = held.replace(style.decimal, ".").rstrip(".")
    assert money.amount == Decimal(shown)
    assert money.currency == currency
    assert Money(money.amount, currency).plain() in style.show(money).replace(style.group, "").replace(style.decimal, ".") \
        or MINOR_UNITS[currency] == 0


def test_decimal_comma_on_a_de_de_till() -> None:
    assert read_typed("12,50", "EUR", DE) == Money(Decimal("12.50"), "EUR")
    assert DE.show(read_typed("12,50", "EUR", DE)) == "12,50\xa0€"
    assert read_typed("12,5", "EUR", CA).plain() == "12.50"


def test_decimal_comma_on_an_en_gb_till_is_refused_with_a_reason() -> None:
    held, reasons = type_keys("12,50", "GBP", GB)
    assert held == "1250"[:2] + "50"  # the comma was refused, the cashier sees '1250' and the reason
    assert reasons == ["Type the amount without thousands separators. On this till '.' separates the decimals."]
    assert typed_refusal("12,50", "GBP", GB)


@pytest.mark.parametrize(("text", "words"), [
    ("-5", "cannot be negative"),
    ("1,000", "without thousands separators"),
    ("12.505", "At most 2 decimal places. Type the amount again."),
    ("123456789", "too long for an amount"),
    ("1.2.3", "one decimal separator"),
    ("１０", "use the digits 0-9 only"),
    ("1e3", "The key 'e' cannot be part of an amount"),
])
def test_plain_messages_on_an_en_gb_till(text, words) -> None:
    assert words in typed_refusal(text, "GBP", GB)


def test_no_decimals_for_a_currency_without_minor_units() -> None:
    assert "no decimal places" in typed_refusal("1500.5", "JPY", GB)
    assert read_typed("1500", "JPY", GB).plain() == "1500"


def test_zero_and_empty_and_over_the_largest_amount() -> None:
    with pytest.raises(MoneyError, match="more than zero"):
        read_typed("0,00", "EUR", DE)
    assert read_typed("0", "EUR", DE, allow_zero=True).plain() == "0.00"
    with pytest.raises(MoneyError, match="Type the amount first"):
        read_typed("", "EUR", DE)
    with pytest.raises(MoneyError, match="largest amount"):
        read_typed("10000001", "EUR", DE)


def test_default_locale_and_region_and_unknown_locale() -> None:
    assert amount_style().decimal == "."  # no locale, no region: the point scripts use
    assert amount_style("", "DE").locale == "de_DE"
    assert amount_style("fr-CA") == CA
    with pytest.raises(MoneyError, match="not a locale"):
        amount_style("xx_YY")


def test_headless_amount_keeps_the_decimal_point() -> None:
    """`kiosk txn --amount` takes '12.50' on every till (a script is written once for all of
    them) and refuses '12,50' rather than reading it as 1250."""
    from kiosk.money import parse_amount

    assert parse_amount("12.50", "EUR").plain() == "12.50"
    with pytest.raises(MoneyError):
        parse_amount("12,50", "EUR")
