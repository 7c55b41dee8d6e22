"""Only ASCII digits are amounts, codes and phone numbers: '١٠' in a path is not 10.

Python's `\\d`, str.isdigit(), int() and Decimal() all read Arabic-Indic, full-width and
Devanagari digits as numbers; the API's grammar does not. Every case leaves the ledger as it was.
"""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import quote

import pytest

from tests.sim.pos import error_code, ok_data

JANE = "+14155559992"  # GBP 189
MARIA = "+12025550143"  # EUR 1500, USD 2750.50

# 10 (and 10.50, 666.01) in other scripts' digits, percent-encoded as a client sends them.
UNICODE_AMOUNTS = [
    "١٠",  # Arabic-Indic: %D9%A1%D9%A0, the case
    "۱۰",  # Extended Arabic-Indic (Persian)
    "１０",  # full-width
    "१०",  # Devanagari
    "1٠",  # mixed with an ASCII digit
    "١٠.٥٠",
    "10.٥",
]
AMOUNT_IDS = ["arabic-indic", "persian", "full-width", "devanagari", "mixed", "arabic-decimal", "mixed-decimal"]


def refused_amount(response) -> bool:
    return response.status_code == 400 and error_code(response) == "ERROR_AMOUNT_NOT_VALID"


@pytest.mark.parametrize("amount", UNICODE_AMOUNTS, ids=AMOUNT_IDS)
def test_a_deposit_amount_in_other_digits_is_refused(sim, pos, amount):
    s = pos.open_session(sim, JANE)
    assert refused_amount(pos.deposit(s, quote(amount), "GBP"))
    assert sim.balance(JANE, "GBP") == Decimal("189") and sim.transactions() == []
    ok_data(pos.deposit(s, "10", "GBP"))  # the session's one action was not used up


@pytest.mark.parametrize("amount", UNICODE_AMOUNTS, ids=AMOUNT_IDS)
def test_a_withdrawal_amount_in_other_digits_is_refused(sim, pos, amount):
    s = pos.open_session(sim, JANE)
    assert refused_amount(pos.withdraw(s, s.account_id("GBP"), quote(amount)))
    assert sim.balance(JANE, "GBP") == Decimal("189") and sim.transactions() == []


@pytest.mark.parametrize("amount", UNICODE_AMOUNTS, ids=AMOUNT_IDS)
def test_a_reversal_amount_in_other_digits_is_refused(sim, pos, amount):
    s = pos.open_session(sim, MARIA)
    withdrawal = ok_data(pos.withdraw(s, s.account_id("EUR"), "100"))
    assert refused_amount(pos.reversal(s, s.account_id("EUR"), quote(amount), withdrawal["transaction_id"]))
    assert sim.balance(MARIA, "EUR") == Decimal("1400") and len(sim.transactions()) == 1


def test_a_magic_amount_in_other_digits_arms_no_fault(sim, pos):
    # 666.01 is the trainer's "HTTP 503"; in Arabic-Indic digits it is no amount at all.
    s = pos.open_session(sim, MARIA)
    assert refused_amount(pos.withdraw(s, s.account_id("EUR"), quote("٦٦٦.٠١")))
    assert sim.balance(MARIA, "EUR") == Decimal("1500")


def test_a_code_in_other_digits_opens_no_session_and_is_not_used_up(sim, pos):
    code = sim.current_otp(JANE)
    arabic = "".join(chr(0x0660 + int(d)) for d in code)
    response = pos.login(JANE, quote(arabic))
    assert (response.status_code, error_code(response)) == (400, "ERROR_INVALID_OTP")
    assert sim.ledger.sessions() == []
    ok_data(pos.login(JANE, code))


def test_a_phone_number_in_full_width_digits_is_refused(sim, pos):
    phone = "+１４１５５５５９９９２".encode()  # as UTF-8 bytes on the wire
    response = pos.login(phone, sim.current_otp(JANE))  # type: ignore[arg-type]
    assert (response.status_code, error_code(response)) == (400, "ERROR_INVALID_PHONE_NUMBER")
    assert sim.ledger.sessions() == []


@pytest.mark.parametrize("document", [
    {"phone": "+15005550009", "accounts": {"GBP": "١٠"}},
    {"phone": "+15005550009", "accounts": {"GBP": "１０.００"}},
    {"phone": "+١٥٠٠٥٥٥٠٠٠٩", "accounts": {"GBP": "10"}},
])
def test_the_wallet_control_endpoint_takes_only_ascii_digits(sim, pos, document):
    response = pos.http.post("/_sim/wallets", json=document)
    assert response.status_code == 400 and "ASCII" in response.json()["error"]
    assert "+15005550009" not in [phone for phone, _ in sim.ledger.wallets()]
    assert len(sim.ledger.wallets()) == 5
