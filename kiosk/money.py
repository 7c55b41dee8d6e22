"""Amounts of money: a Decimal and an ISO 4217 currency, never a float.

Every amount the kiosk handles passes through `parse_amount` (cashier input, settings,
back-end responses) so that an amount with more decimals than its currency has, a negative
or zero amount, or an unknown currency is refused in one place with a clear message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from kiosk.digits import FOREIGN_DIGITS, foreign_digit

# ISO 4217 active codes and their minor units (exponent). Codes not listed are refused:
# a typo such as "GPB" must not become a currency with a guessed exponent.
_TWO_DECIMALS = (
    "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BRL BSD BTN BWP BYN "
    "BZD CAD CDF CHF CNY COP CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS "
    "GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR "
    "LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD "
    "PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN "
    "SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD UYU UZS VES WST XCD YER ZAR ZMW ZWG"
)
_ZERO_DECIMALS = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX VND VUV XAF XOF XPF"
_THREE_DECIMALS = "BHD IQD JOD KWD LYD OMR TND"

MINOR_UNITS: dict[str, int] = {
    **{code: 2 for code in _TWO_DECIMALS.split()},
    **{code: 0 for code in _ZERO_DECIMALS.split()},
    **{code: 3 for code in _THREE_DECIMALS.split()},
}

# Larger than any single cash visit could plausibly be; stops "1e30" and fat-finger input.
MAX_AMOUNT = Decimal("10000000")

# ASCII digits only (kiosk.digits says why): `\d` and `\s` would take any script's digits and
# spaces, and Decimal() reads '١٠' or '１０' as 10.
_AMOUNT_TEXT = re.compile(r"[ \t]*[0-9]{1,12}(\.[0-9]{1,4})?[ \t]*")


class MoneyError(ValueError):
    """An amount or currency that cannot be accepted; the message is fit for a cashier."""


def check_currency(code: str) -> str:
    code = (code or "").strip().upper()
    if code not in MINOR_UNITS:
        raise MoneyError(f"'{code or '(empty)'}' is not an ISO 4217 currency code")
    return code


@dataclass(frozen=True, slots=True)
class Money:
    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Decimal):
            raise TypeError("Money.amount must be a Decimal")
        check_currency(self.currency)
        exponent = MINOR_UNITS[self.currency]
        if self.amount != self.amount.quantize(Decimal(1).scaleb(-exponent)):
            raise MoneyError(f"{self.currency} amounts have at most {exponent} decimal places")

    @property
    def minor_units(self) -> int:
        return int(self.amount.scaleb(MINOR_UNITS[self.currency]))

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(Decimal(0).quantize(_quantum(currency)), check_currency(currency))

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount - other.amount, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same_currency(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same_currency(other)
        return self.amount <= other.amount

    def _same_currency(self, other: Money) -> None:
        if not isinstance(other, Money) or other.currency != self.currency:
            raise MoneyError(f"cannot combine {self.currency} with {getattr(other, 'currency', other)}")

    def plain(self) -> str:
        """The amount with its currency's decimals, e.g. '10.00' (for screens and receipts)."""
        return f"{self.amount.quantize(_quantum(self.currency)):f}"

    def wire(self) -> str:
        """The amount as a back end's path or JSON wants it: no trailing zeros ('10', '10.5')."""
        text = f"{self.amount.normalize():f}"
        return text

    def __str__(self) -> str:
        return f"{self.plain()} {self.currency}"


def _quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-MINOR_UNITS[currency])


def parse_amount(text: str | int | Decimal, currency: str, *, allow_zero: bool = False) -> Money:
    """Parse a cashier's or a setting's amount strictly.

    Accepts ASCII digits with an optional decimal point ('10', '10.5', '10.50'); refuses signs,
    exponents, thousands separators, more decimals than the currency has, and zero unless
    `allow_zero` (an opening float may be zero; a withdrawal may not).
    """
    currency = check_currency(currency)
    if isinstance(text, bool):
        raise MoneyError("amount must be a number")
    if isinstance(text, int):
        text = str(text)
    if isinstance(text, Decimal):
        text = f"{text:f}" if text.is_finite() else "nan"
    if not isinstance(text, str) or not _AMOUNT_TEXT.fullmatch(text):
        hint = f"{FOREIGN_DIGITS}" if foreign_digit(text) else "use digits"
        raise MoneyError(f"'{str(text).strip()}' is not an amount: {hint}, e.g. 20 or 12.50")
    try:
        value = Decimal(text.strip(" \t"))
    except InvalidOperation as exc:  # pragma: no cover - the pattern already guards this
        raise MoneyError(f"'{text.strip()}' is not an amount") from exc
    exponent = MINOR_UNITS[currency]
    if value != value.quantize(_quantum(currency), rounding=ROUND_HALF_EVEN):
        unit = "no decimal places" if exponent == 0 else f"at most {exponent} decimal places"
        raise MoneyError(f"{currency} amounts have {unit}")
    if value == 0 and not allow_zero:
        raise MoneyError("the amount must be more than zero")
    if value > MAX_AMOUNT:
        raise MoneyError(f"the amount is larger than {MAX_AMOUNT} {currency}")
    return Money(value.quantize(_quantum(currency)), currency)


def parse_host_amount(value: object, currency: str) -> Money:
    """Parse an amount a back end sent: a JSON number or a numeric string (both occur).

    Floats from JSON are read through their repr so 955.1 stays 955.1, then held as Decimal.
    Balances may be zero or negative on some hosts, so only shape is checked here.
    """
    currency = check_currency(currency)
    if isinstance(value, bool) or value is None:
        raise MoneyError(f"back end sent no usable amount ({value!r})")
    if not str(value).isascii():  # '١٠' from a host is not 10 either
        raise MoneyError(f"back end sent an amount that is not a number ({value!r})")
    try:
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise MoneyError(f"back end sent an amount that is not a number ({value!r})") from exc
    if not number.is_finite():
        raise MoneyError(f"back end sent an amount that is not a number ({value!r})")
    return Money(number.quantize(_quantum(currency), rounding=ROUND_HALF_EVEN), currency)


def parse_counts(text: str, *, allow_zero: bool = True) -> dict[str, Money]:
    """Counted cash per currency as a cashier types it: 'GBP 500.00 EUR 300' (commas and
    '=' allowed between). Each currency at most once."""
    tokens = [t for t in re.split(r"[\s,;=]+", (text or "").strip()) if t]
    if not tokens or len(tokens) % 2:
        raise MoneyError("type each currency and its amount, e.g. GBP 500.00 EUR 300.00")
    counts: dict[str, Money] = {}
    for currency, amount in zip(tokens[::2], tokens[1::2]):
        money = parse_amount(amount, currency, allow_zero=allow_zero)
        if money.currency in counts:
            raise MoneyError(f"{money.currency} is given twice")
        counts[money.currency] = money
    return counts


# --- amounts as the cashier types them on this till ------------------------------------------
# The decimal separator and the currency's look come from CLDR (babel), for the till's locale
# (teller.locale): '12,50' is twelve and a half on a de_DE or fr_CA till and is refused on an
# en_GB one, never read as 1250. Scripts (`kiosk txn --amount`) keep the locale-free '12.50'.

DEFAULT_LOCALE = "en"  # a decimal point, as `kiosk txn --amount` and the settings files write it


@dataclass(frozen=True, slots=True)
class AmountStyle:
    """How amounts are typed and shown on this till: its locale's decimal and group symbols."""

    locale: str
    decimal: str
    group: str

    def show(self, money: Money) -> str:
        """The amount in the currency's format for this locale, e.g. '£12.50' or '12,50 €'."""
        from babel.numbers import format_currency

        digits = MINOR_UNITS[money.currency]
        pattern = None if digits else "¤#,##0"  # CLDR has ISK/VND with decimals; the money has none
        return format_currency(money.amount, money.currency, format=pattern, locale=self.locale,
                               currency_digits=True, decimal_quantization=True)

    def typed(self, plain: str) -> str:
        """'12.50' as the cashier types it on this till ('12,50' on de_DE)."""
        return plain.replace(".", self.decimal)

    def example(self, currency: str) -> str:
        """The placeholder of an amount field: 'e.g. 20 or 12,50'."""
        digits = MINOR_UNITS[check_currency(currency)]
        return f"e.g. 20 or 12{self.decimal}{'5' + '0' * (digits - 1)}" if digits else "e.g. 20 or 1500"


def amount_style(locale: str = "", region: str = "") -> AmountStyle:
    """The style of `locale` ('de_DE', 'fr-CA'); empty: the likeliest locale of `region`
    (teller.phone_region, e.g. 'DE' -> de_DE), else DEFAULT_LOCALE. Raises MoneyError for a
    locale CLDR does not know."""
    from babel import Locale, UnknownLocaleError
    from babel.numbers import get_decimal_symbol, get_group_symbol

    name = (locale or "").strip().replace("-", "_")
    if not name:
        name = f"und_{region.strip().upper()}" if region.strip() else DEFAULT_LOCALE
    try:
        parsed = Locale.parse(name)
    except (UnknownLocaleError, ValueError, TypeError):
        raise MoneyError(f"'{locale}' is not a locale this kiosk knows, e.g. en_GB, de_DE or fr_CA.") from None
    return AmountStyle(str(parsed), get_decimal_symbol(parsed), get_group_symbol(parsed))


def _max_whole_digits() -> int:
    return len(str(int(MAX_AMOUNT)))


def typed_refusal(text: str, currency: str, style: AmountStyle) -> str:
    """Why the field cannot hold `text` (what the cashier's key would make of it), in a full
    sentence; '' when it can. Checked on every key and paste, so a key is refused, never dropped."""
    currency = check_currency(currency)
    places = MINOR_UNITS[currency]
    if foreign_digit(text):
        return f"That key typed a digit that is not 0-9: {FOREIGN_DIGITS} (check the keyboard layout)."
    for ch in text:
        if ch in "0123456789" or (ch == style.decimal and places):
            continue
        if ch in "-−–":
            return "An amount cannot be negative: type it without a minus sign."
        if ch == "+":
            return "Type the amount without a plus sign."
        if ch == style.decimal or (ch in ".," and not places):
            return f"{currency} amounts have no decimal places. Type whole units only."
        if ch == style.group or ch in ".,'’ \u00a0\u202f":
            return (f"Type the amount without thousands separators. On this till '{style.decimal}' "
                    "separates the decimals.")
        shown = f"'{ch}'" if ch.isprintable() else f"U+{ord(ch):04X}"
        return f"The key {shown} cannot be part of an amount: type the digits 0-9" + (
            f" and '{style.decimal}' before the decimals." if places else ".")
    whole, _, decimals = text.partition(style.decimal) if places else (text, "", "")
    if style.decimal in decimals:
        return f"An amount has one decimal separator ('{style.decimal}') at most. Type the amount again."
    if len(decimals) > places:
        return f"At most {places} decimal places. Type the amount again."
    if len(whole.lstrip("0")) > _max_whole_digits() or len(whole) > _max_whole_digits() + 2:
        return f"That is too long for an amount: at most {style.show(Money(MAX_AMOUNT, currency))}."
    return ""


def read_typed(text: str, currency: str, style: AmountStyle, *, allow_zero: bool = False) -> Money:
    """The amount the field's text means on this till; MoneyError (a full sentence) otherwise."""
    refusal = typed_refusal(text, currency, style)
    if refusal:
        raise MoneyError(refusal)
    plain = typed_plain(text, style)
    if not plain.strip(". "):
        raise MoneyError("Type the amount first.")
    if Decimal(plain) > MAX_AMOUNT:  # the text is digits and one point here
        raise MoneyError(f"The largest amount is {style.show(Money(MAX_AMOUNT, currency))}.")
    money = parse_amount(plain, currency, allow_zero=True)
    if money.amount == 0 and not allow_zero:
        raise MoneyError("The amount must be more than zero.")
    return money


def typed_plain(text: str, style: AmountStyle) -> str:
    """The field's text with a decimal point ('12,50' -> '12.50'), as the teller's checks and
    `kiosk txn --amount` take it; '12,' -> '12', ',5' -> '0.5'."""
    plain = text.replace(style.decimal, ".") if style.decimal != "." else text
    plain = f"0{plain}" if plain.startswith(".") else plain  # ',50' is 0.50
    return plain[:-1] if plain.endswith(".") else plain
