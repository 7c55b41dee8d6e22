"""Phone numbers as the cashier types them, made E.164 by phonenumbers (kiosk/phone.py), and
the teller.phone_region setting."""

from __future__ import annotations

import phonenumbers
import pytest

from kiosk.phone import PhoneError, to_e164
from kiosk.settings import SettingsError, load_settings
from kiosk.sim.rapyd import DEMO_WALLETS
from kiosk.teller import TellerError, check_phone

# Demo numbers in the seeds, the simulators and the tests: fictional ranges (Ofcom's 07700
# 900xxx and 01632 960xxx, NANP 555), which is_valid_number refuses for the UK ones.
DEMO_NUMBERS = sorted({*DEMO_WALLETS, "+441632960123", "+447700900777", "+447700900111", "+15005550006"})


@pytest.mark.parametrize("number", DEMO_NUMBERS)
def test_every_demo_number_is_accepted_as_typed(number):
    assert to_e164(number) == number
    assert to_e164(number, "GB") == number and to_e164(number, "US") == number
    spaced = f"{number[:3]} {number[3:7]} ({number[7:9]}) {number[9:]}-"[:-1]
    assert to_e164(spaced) == number


def test_why_possible_and_not_valid():
    """The rule in kiosk/phone.py: Ofcom's drama numbers are possible but never valid."""
    drama = phonenumbers.parse("+441632960123")
    assert phonenumbers.is_possible_number(drama) and not phonenumbers.is_valid_number(drama)


@pytest.mark.parametrize("typed, region, e164", [
    ("07700 900123", "GB", "+447700900123"),
    ("01632 960123", "GB", "+441632960123"),
    ("0044 7700 900123", "GB", "+447700900123"),
    ("(415) 555-9992", "US", "+14155559992"),
    ("415.555.9992", "US", "+14155559992"),
    ("+44 7700 900123", "US", "+447700900123"),
    ("0044 7700 900123", "", "+447700900123"),
    ("00 1 415 555 9992", "", "+14155559992"),
])
def test_national_and_international_forms_become_e164(typed, region, e164):
    assert to_e164(typed, region) == e164


@pytest.mark.parametrize("typed, region, words", [
    ("4155559992", "", "not a full international phone number"),  # no region: + needed
    ("07700 900123", "", "not a full international phone number"),
    ("+1415", "", r"too short for a \+1 number"),
    ("+44 123", "", r"too short for a \+44 number"),
    ("+1 415 555 99921", "", r"too long for a \+1 number"),
    ("+999 1234567", "", "not a full international phone number"),  # no such country code
    ("555 1234", "US", r"too short for a \+1 number"),  # no area code
    ("1-800-FLOWERS", "US", "not a phone number"),  # phonenumbers would read the letters
    ("+44 7700 900123 ext 12", "", "not a full international phone number"),
    ("+14155559992".translate(str.maketrans("0123456789+", "０１２３４５６７８９＋")), "", "0-9"),
    ("+١٤١٥٥٥٥٩٩٩٢", "", "0-9"),
    ("", "", "not a full international phone number"),
])
def test_numbers_that_cannot_exist_are_refused_with_what_to_do(typed, region, words):
    with pytest.raises(PhoneError, match=words) as caught:
        to_e164(typed, region)
    assert caught.value.next_step
    with pytest.raises(TellerError) as teller_caught:
        check_phone(typed, region)
    assert teller_caught.value.code == "INVALID_PHONE"


def test_phone_region_setting(tmp_path, monkeypatch):
    monkeypatch.setenv("KIOSK_TELLER__PHONE_REGION", "gb")
    assert load_settings(None, {"data_dir": str(tmp_path)}).teller.phone_region == "GB"
    monkeypatch.setenv("KIOSK_TELLER__PHONE_REGION", "")
    assert load_settings(None, {"data_dir": str(tmp_path)}).teller.phone_region == ""
    monkeypatch.setenv("KIOSK_TELLER__PHONE_REGION", "XX")
    with pytest.raises(SettingsError, match="teller.phone_region"):
        load_settings(None, {"data_dir": str(tmp_path)})
