"""The amount field: it holds only what the till's currency and locale allow (kiosk.money's
typed_refusal), so what it shows is what will move.

A key it cannot take (a minus, a thousands separator, a third decimal, the other decimal
separator, a digit of another script, one digit too many) is refused, never dropped, and the
reason shows under the field; the text on screen is never rewritten behind the cashier's back
('12,50' is not turned into 1250). Screens read `amount_text` (a decimal point, as the teller's
checks take it), never the raw value."""

from __future__ import annotations

from functools import cache

from kiosk.money import AmountStyle, Money, amount_style, typed_plain, typed_refusal
from kiosk.ui.widgets.digits_input import DigitsInput


@cache
def _default_style() -> AmountStyle:
    return amount_style()  # read from CLDR (babel) when first needed, not at import


def till_style(app: object) -> AmountStyle:
    """The till's amount style (KioskApp.amount_style, from teller.locale)."""
    style = getattr(app, "amount_style", None)
    return style if isinstance(style, AmountStyle) else _default_style()


def will_move(app: object, money: Money) -> str:
    """The words under an amount field when the amount is good."""
    return f"{till_style(app).show(money)} will move: press Enter to continue."


class AmountInput(DigitsInput):
    def __init__(self, value: str = "", *, currency: str, **kwargs) -> None:
        kwargs.pop("restrict", None)
        kwargs.pop("max_length", None)  # the length is the amount's rule, with a reason
        super().__init__(value, **kwargs)
        self.currency = currency

    @property
    def style(self) -> AmountStyle:
        return till_style(self.app)

    def on_mount(self) -> None:
        if not self.placeholder:
            self.placeholder = self.style.example(self.currency)

    @property
    def amount_text(self) -> str:
        """The amount with a decimal point ('12,50' on a de_DE till -> '12.50')."""
        return typed_plain(self.value, self.style)

    def replace(self, text: str, start: int, end: int) -> None:
        if text:  # deleting never needs refusing: what is left is checked when Enter is pressed
            value = self.value
            start, end = sorted((max(0, start), min(len(value), end)))
            refusal = typed_refusal(f"{value[:start]}{text}{value[end:]}", self.currency, self.style)
            if refusal:
                self.app.bell()
                self.say_problem(refusal)
                return
        super().replace(text, start, end)
