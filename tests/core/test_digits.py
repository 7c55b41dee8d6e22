"""Only ASCII digits are amounts, codes, PINs, card and account numbers and phone numbers
(issue 10, item 4). Python's `\\d`, isdigit(), int() and Decimal() read every script's digits;
these properties say every parser the cashier's input goes through refuses any text that
holds one, and that ASCII amounts still round-trip exactly."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.auth.pins import PinFormError, check_pin_form
from kiosk.backends.flexiti import _check_account
from kiosk.backends.pospointe import CardRejected, _check_card
from kiosk.digits import foreign_digit, is_digits
from kiosk.money import MAX_AMOUNT, MINOR_UNITS, MoneyError, parse_amount, parse_counts, parse_host_amount
from kiosk.teller import TellerError, check_otp, check_phone

# Decimal digits of any script but ASCII (Arabic-Indic, full-width, Devanagari, Bengali, Thai...).
foreign_digits = st.characters(categories=["Nd"]).filter(lambda c: not c.isascii())
ascii_digits = st.text("0123456789", min_size=0, max_size=14)


@st.composite
def digits_with_a_foreign_one(draw, least: int = 1, most: int = 14) -> str:
    """ASCII digits with one or more digits of other scripts put anywhere: what a keyboard set
    to another script, or a paste, gives."""
    chars = list(draw(st.text("0123456789", min_size=least, max_size=most)))
    for _ in range(draw(st.integers(1, 3))):
        chars.insert(draw(st.integers(0, len(chars))), draw(foreign_digits))
    return "".join(chars)


def test_python_reads_other_scripts_digits_as_numbers():
    """Why the check exists: each of these is 10 to Python."""
    for text in ("١٠", "１０", "१०"):
        assert Decimal(text) == 10 and int(text) == 10 and text.isdigit()
        assert foreign_digit(text) and not is_digits(text)


def test_is_digits_takes_ascii_digits_only():
    assert is_digits("0123456789") and is_digits("123", 3, 3)
    assert not is_digits("12", 3) and not is_digits("1234", 1, 3)
    for text in ("", "12a", " 12", "12\n", "-1", "1.5", "²", "①", None, 12):
        assert not is_digits(text)
    assert not foreign_digit("12a") and not foreign_digit(None) and foreign_digit("1²")


@settings(max_examples=300, deadline=None)
@given(text=digits_with_a_foreign_one(), decimals=st.sampled_from(["", ".5", ".50"]))
def test_an_amount_with_a_foreign_digit_is_refused_naming_0_to_9(text, decimals):
    with pytest.raises(MoneyError, match="0-9"):
        parse_amount(text + decimals, "GBP")
    with pytest.raises(MoneyError, match="0-9"):
        parse_counts(f"GBP {text}{decimals}")
    with pytest.raises(MoneyError):
        parse_host_amount(text + decimals, "GBP")


@settings(max_examples=300, deadline=None)
@given(text=digits_with_a_foreign_one(6, 6))
def test_a_code_with_a_foreign_digit_is_refused(text):
    with pytest.raises(TellerError, match="0-9") as caught:
        check_otp(text)
    assert caught.value.code == "INVALID_OTP"


@settings(max_examples=300, deadline=None)
@given(number=digits_with_a_foreign_one(7, 14), region=st.sampled_from(["", "GB", "US"]))
def test_a_phone_with_a_foreign_digit_is_refused(number, region):
    for typed in ("+" + number, "00" + number, number):
        with pytest.raises(TellerError, match="0-9") as caught:
            check_phone(typed, region)
        assert caught.value.code == "INVALID_PHONE"


@settings(max_examples=200, deadline=None)
@given(pin=digits_with_a_foreign_one(4, 8), card=digits_with_a_foreign_one(12, 19), account=digits_with_a_foreign_one(1, 13))
def test_pins_cards_and_accounts_with_a_foreign_digit_are_refused(pin, card, account):
    with pytest.raises(PinFormError):
        check_pin_form(pin)
    with pytest.raises(CardRejected):
        _check_card(card, "4821")
    with pytest.raises(CardRejected):
        _check_card("7012340000001001", pin)
    with pytest.raises(ValueError):
        _check_account(account)


@st.composite
def ascii_amounts(draw) -> tuple[str, Decimal]:
    currency = draw(st.sampled_from(sorted(MINOR_UNITS)))
    exponent = MINOR_UNITS[currency]
    minor = draw(st.integers(1, int(MAX_AMOUNT.scaleb(exponent))))
    return currency, Decimal(minor).scaleb(-exponent)


@settings(max_examples=500, deadline=None)
@given(ascii_amounts())
def test_ascii_amounts_round_trip_exactly(pair):
    currency, value = pair
    money = parse_amount(f"{value:f}", currency)
    assert money.amount == value and money.currency == currency
    assert parse_amount(money.plain(), currency) == money  # what screens and receipts show
    assert parse_amount(money.wire(), currency) == money  # what a back end is sent
    assert parse_host_amount(money.wire(), currency) == money
    assert money.plain().isascii() and money.wire().isascii()


def test_shift_floats_and_limits_refuse_other_digits(tmp_path, monkeypatch, capsys):
    """`kiosk shift open --float GBP=５００` and a limit setting in Arabic-Indic digits: the
    cashier's message (exit 1) and the one-paragraph settings error (exit 2), nothing opened."""
    from pathlib import Path

    from kiosk.cli import main as kiosk_main
    from kiosk.settings import SettingsError, load_settings

    demo = str(Path(__file__).resolve().parents[2] / "config" / "demo.toml")
    data = str(tmp_path / "data")
    assert kiosk_main(["--config", demo, "--data-dir", data, "shift", "open", "--float", "GBP=５００"]) == 1
    assert "'５００' is not an amount: use the digits 0-9 only" in capsys.readouterr().err
    assert kiosk_main(["--config", demo, "--data-dir", data, "shift", "report"]) == 1
    assert "No shift is open" in capsys.readouterr().err
    monkeypatch.setenv("KIOSK_LIMITS__PER_VISIT", '{"GBP": "١٠٠"}')
    with pytest.raises(SettingsError, match="limits.per_visit.*0-9"):
        load_settings(None, {"data_dir": data})
