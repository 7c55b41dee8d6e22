"""A customer's phone number as the cashier typed it, made E.164 (+14155559992) by Google's
libphonenumber (the `phonenumbers` package), or refused with a message fit for the cashier.

Rules:
- ASCII digits only (kiosk.digits): phonenumbers itself reads full-width or Arabic-Indic digits
  and letters ("1-800-FLOWERS"), so those are refused here first: what the cashier sees
  typed must be what the wallet is sent.
- Without a region (`teller.phone_region` empty) the number must be international: "+" or
  "00" then the country code. With a region (e.g. GB), a national number ("07700 900123")
  is read as that country's, and "00" is read by that country's own dialling rules.
- A number must be *possible* (`is_possible_number`: a real country code and a length that
  country's numbers have), not *valid* (`is_valid_number`: also a range allocated to an
  operator). Why: the demo and test wallets use the ranges regulators reserve for fiction,
  which are possible but never allocated (Ofcom's 07700 900xxx and 01632 960xxx, NANP's
  555-01xx): is_valid_number refuses +447700900123 and +441632960123, and it would also
  refuse a real customer's number the day an operator opens a range the pinned metadata
  does not know yet. A number that cannot exist (unknown country code, too short, too long)
  is refused before any call; the wallet itself says whether a possible number has a wallet.
"""

from __future__ import annotations

import re

from kiosk.digits import FOREIGN_DIGITS, foreign_digit

# What a cashier may type between the digits (spaces and the usual punctuation); letters,
# extensions ("ext. 12", "#") and anything else make it not a phone number.
_SEPARATORS = re.compile(r"[ \t\-().]")
_TYPED = re.compile(r"\+?[0-9]{1,20}")


class PhoneError(ValueError):
    """A phone number that cannot be used: `message` says what is wrong, `next_step` what to do."""

    def __init__(self, message: str, next_step: str) -> None:
        super().__init__(message)
        self.message = message
        self.next_step = next_step


def check_region(region: str) -> str:
    """A setting's region: '' (international numbers only) or an ISO 3166 code phonenumbers
    knows ('GB', 'US', 'CA'...). Raises ValueError with the words for the settings message."""
    code = (region or "").strip().upper()
    if not code:
        return ""
    import phonenumbers  # here, not at the top: every command reads settings; few need phones

    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError(f"'{region}' is not an ISO 3166 region with phone numbers, e.g. GB, US or CA")
    return code


def to_e164(text: str, region: str = "") -> str:
    """The number the cashier typed, as E.164; raises PhoneError."""
    import phonenumbers

    region = (region or "").upper()
    example = "e.g. +44 7700 900123" if not region else f"or a {region} number as it is dialled there"
    headline = "That is not a full international phone number." if not region else "That is not a phone number."
    ask = f"Type it with the country code, {example}."
    typed = _SEPARATORS.sub("", text or "") if isinstance(text, str) else ""
    if foreign_digit(text):
        raise PhoneError("The phone number has digits that are not 0-9.", f"Type it again: {FOREIGN_DIGITS}.")
    if not _TYPED.fullmatch(typed):
        raise PhoneError(headline, ask)
    if typed.startswith("00") and not region:
        typed = "+" + typed[2:]  # the international prefix most of the world dials
    if not typed.startswith("+") and not region:
        raise PhoneError(headline, ask)
    try:
        number = phonenumbers.parse(typed, region or None)
    except phonenumbers.NumberParseException:
        raise PhoneError(headline, ask) from None
    reason = phonenumbers.is_possible_number_with_reason(number)
    if reason != phonenumbers.ValidationResult.IS_POSSIBLE:
        country = f"+{number.country_code}"
        why = {
            phonenumbers.ValidationResult.INVALID_COUNTRY_CODE: f"{country} is not a country calling code",
            phonenumbers.ValidationResult.TOO_SHORT: f"it is too short for a {country} number",
            phonenumbers.ValidationResult.TOO_LONG: f"it is too long for a {country} number",
            # a local number without its area code, or the start of a longer one
            phonenumbers.ValidationResult.IS_POSSIBLE_LOCAL_ONLY: f"it is too short for a {country} number",
        }.get(reason, f"no {country} number has that many digits")
        raise PhoneError(f"{headline[:-1]}: {why}.", ask)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
