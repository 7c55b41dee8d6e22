"""Currencies the simulated wallets hold, and how the POS API reads an amount from a URL.

Self-contained on purpose (kiosk.money belongs to the client side): the simulator must judge
the kiosk's amounts by the specification, not by the kiosk's own parser.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

# ISO 4217 code -> (minor units, symbol shown in account_currency_symbol). A wallet can hold
# only these; anything else is "currency not supported", as a real wallet provider would say.
CURRENCIES: dict[str, tuple[int, str]] = {
    "GBP": (2, "£"),
    "EUR": (2, "€"),
    "USD": (2, "$"),
    "CAD": (2, "CA$"),
    "AUD": (2, "A$"),
    "CHF": (2, "CHF"),
    "SEK": (2, "kr"),
    "NOK": (2, "kr"),
    "DKK": (2, "kr."),
    "PLN": (2, "zł"),
    "ILS": (2, "₪"),
    "SGD": (2, "S$"),
    "HKD": (2, "HK$"),
    "MXN": (2, "MX$"),
    "INR": (2, "₹"),
    "PHP": (2, "₱"),
    "ZAR": (2, "R"),
    "JPY": (0, "¥"),
    "KRW": (0, "₩"),
    "ISK": (0, "kr"),
    "BHD": (3, "BD"),
    "KWD": (3, "KD"),
}

# Plain decimal notation only: no sign handled here, no exponent, no "NaN"/"Infinity", no
# thousands separators. A leading "-" is recognised separately so that "-5" is reported as
# "must be positive" rather than "not valid", which is what a caller would expect.
# ASCII digits only: `\d` and Decimal() also take Arabic-Indic, full-width or Devanagari digits
# ('١٠' would be 10), which no API's amount grammar allows.
_AMOUNT = re.compile(r"^(-?)([0-9]{1,15})(?:\.([0-9]{1,15}))?$")


class AmountError(ValueError):
    """An amount the API refuses; .code is the error_code to answer with."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def minor_units(currency: str) -> int:
    return CURRENCIES[currency][0]


def symbol(currency: str) -> str:
    return CURRENCIES[currency][1]


def parse_amount(text: str, currency: str | None) -> Decimal:
    """The amount in a path segment, checked for `currency` (None: only the format is checked).

    Trailing zeros beyond the currency's minor units are accepted ("10.500" GBP is 10.50),
    a real fraction of a minor unit is not ("10.005" GBP).
    """
    match = _AMOUNT.match(text)
    if not match:
        raise AmountError("ERROR_AMOUNT_NOT_VALID", f"The amount '{text}' is not a valid number")
    try:
        value = Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern already excludes it
        raise AmountError("ERROR_AMOUNT_NOT_VALID", f"The amount '{text}' is not a valid number") from None
    if value <= 0:
        raise AmountError("ERROR_AMOUNT_MUST_BE_POSITIVE", "The amount must be greater than zero")
    if currency is not None:
        exponent = minor_units(currency)
        quantum = Decimal(1).scaleb(-exponent)
        if value != value.quantize(quantum):
            raise AmountError(
                "ERROR_AMOUNT_NOT_VALID",
                f"The amount '{text}' has more decimal places than {currency} allows ({exponent})",
            )
        value = value.quantize(quantum)
    return value


def balance(text: str, currency: str) -> Decimal:
    """An opening balance (demo set-up, control endpoints): a plain ASCII decimal, zero or more,
    with no more decimals than the currency has; ValueError says what is wrong."""
    if not re.fullmatch(r"[0-9]{1,15}(?:\.[0-9]{1,15})?", text.strip()):
        raise ValueError(f"the balance {text!r} is not a plain decimal number with ASCII digits")
    value = Decimal(text.strip())
    if value != quantize(value, currency):
        raise ValueError(f"the balance {text!r} has more decimal places than {currency} allows")
    return quantize(value, currency)


def quantize(value: Decimal, currency: str) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-minor_units(currency)))
