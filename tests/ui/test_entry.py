"""What the cashier types is what moves (issue 12, items 1-3), pressed as a cashier, a card
reader or a barcode scanner presses it (Pilot).

- amount fields take what the till's locale allows and refuse the rest, with the reason;
- a burst of keys (a scanner, a paste, a busy till) lands in order, each key in the field
  that had the focus when it arrived, across Tab and Enter;
- the shift's count is one field per currency, and a currency not counted is named before a
  supervisor is asked."""

from __future__ import annotations

import contextlib
from decimal import Decimal

from textual import events
from textual.pilot import Pilot

from kiosk.money import Money, amount_style
from kiosk.ui.app import KioskApp
from kiosk.ui.screens.amount import AmountScreen
from kiosk.ui.screens.confirm import ConfirmScreen
from kiosk.ui.screens.journey import FormScreen, MenuScreen
from kiosk.ui.screens.ready import ReadyScreen
from kiosk.ui.screens.shift import CloseShiftScreen, OpenShiftScreen, ShiftReportScreen
from tests.ui.fakes import ALICE, fake_runtime
from tests.ui.helpers import fill, screen_words, type_text, wait_for_screen, wait_until, widget_words
from tests.ui.journey import at_ready, identify, to_amount

SIZE = (80, 24)


def burst(pilot: Pilot, keys: list[str]) -> None:
    """Keys as a terminal delivers a scanner's burst: all read at once and queued on the app
    before any is handled (Pilot's press() waits for the app to go idle after each key, which
    hides the reordering on an idle machine but not on a busy till)."""
    app = pilot.app
    for key in keys:
        event = events.Key(key, key if len(key) == 1 else None)
        event.set_sender(app)
        app._driver.send_message(event)


def chars(text: str) -> list[str]:
    names = {"\n": "enter", "\t": "tab"}
    return [names.get(ch, ch) for ch in text]


@contextlib.asynccontextmanager
async def till(tmp_path, *, locale: str = "", demo: bool = False, **teller):
    """The kiosk at the ready screen: on the embedded simulators (demo) or the fakes, with
    the till's locale as teller.locale sets it."""
    if demo:
        from kiosk.runtime import demo_runtime

        runtime = demo_runtime(tmp_path, otp_window=300, teller=teller)
    else:
        runtime = fake_runtime(tmp_path)
    app = KioskApp(runtime)
    if locale:
        app.amount_style = amount_style(locale)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await at_ready(pilot)
            yield pilot
    finally:
        runtime.close()


async def at_amount(pilot: Pilot) -> None:
    await identify(pilot, ALICE, pilot.app.runtime.demo.current_otp(ALICE))
    await to_amount(pilot, "w")


async def gift_card_form(pilot: Pilot) -> None:
    await pilot.press("g")
    await wait_for_screen(pilot, FormScreen)


# --- 1. amount fields that cannot lie ----------------------------------------------------------

async def test_decimal_comma_on_a_de_de_till_confirms_12_50(tmp_path) -> None:
    async with till(tmp_path, locale="de_DE") as pilot:
        await at_amount(pilot)
        assert pilot.app.screen.query_one("#amount").placeholder == "e.g. 20 or 12,50"
        await type_text(pilot, "12,50")
        assert pilot.app.screen.query_one("#amount").value == "12,50"
        assert widget_words(pilot, "#amount-msg") == "12,50 £ will move: press Enter to continue."
        await pilot.press("enter")
        await wait_for_screen(pilot, ConfirmScreen)
        assert pilot.app.flow.amount == Money(Decimal("12.50"), "GBP")
        assert "12.50 GBP" in screen_words(pilot)


async def test_decimal_comma_on_an_en_gb_till_is_refused_with_the_reason(tmp_path) -> None:
    async with till(tmp_path, locale="en_GB") as pilot:
        await at_amount(pilot)
        await type_text(pilot, "12,")
        field = pilot.app.screen.query_one("#amount")
        assert field.value == "12"  # the comma is refused, not dropped silently
        assert widget_words(pilot, "#amount-msg") == (
            "Type the amount without thousands separators. On this till '.' separates the decimals.")
        await type_text(pilot, ".505")
        assert field.value == "12.50"
        assert widget_words(pilot, "#amount-msg") == "At most 2 decimal places. Type the amount again."
        await pilot.press("enter")
        await wait_for_screen(pilot, ConfirmScreen)
        assert pilot.app.flow.amount == Money(Decimal("12.50"), "GBP")


async def test_minus_is_refused_and_nothing_else_changes(tmp_path) -> None:
    async with till(tmp_path) as pilot:
        await at_amount(pilot)
        await type_text(pilot, "-")
        assert pilot.app.screen.query_one("#amount").value == ""
        assert "cannot be negative" in widget_words(pilot, "#amount-msg")
        await pilot.press("enter")
        assert isinstance(pilot.app.screen, AmountScreen) and pilot.app.flow.amount is None
        await type_text(pilot, "5")
        assert widget_words(pilot, "#amount-msg") == "£5.00 will move: press Enter to continue."


async def test_gift_card_amount_field_takes_the_tills_locale(tmp_path) -> None:
    async with till(tmp_path, demo=True, locale="fr_CA") as pilot:
        app = pilot.app
        await gift_card_form(pilot)
        burst(pilot, chars("7012340000001035\t5057\n"))
        await wait_until(pilot, lambda: "not sold yet" in screen_words(pilot), what="the card")
        await pilot.press("s")
        await wait_until(pilot, lambda: isinstance(app.screen, FormScreen) and app.screen.query("#amount"), what="amount")
        await pilot.pause()
        await type_text(pilot, "25.")  # a point is not this till's decimal separator: refused
        assert app.screen.query_one("#amount").value == "25"
        assert "On this till ',' separates the decimals." in widget_words(pilot, "#amount-msg")
        await type_text(pilot, ",5")
        assert "25,50 $ US will move" in widget_words(pilot, "#amount-msg")
        await pilot.press("enter")
        await wait_until(pilot, lambda: "Take 25.50 USD from the customer first." in screen_words(pilot), what="confirm")


def test_teller_locale_reaches_the_fields(tmp_path) -> None:
    from kiosk.runtime import demo_runtime

    runtime = demo_runtime(tmp_path, teller={"locale": "fr_CA"})
    try:
        assert KioskApp(runtime).amount_style.decimal == ","
    finally:
        runtime.close()


# --- 2. input at scanner speed -----------------------------------------------------------------

async def test_phone_tab_code_in_one_burst(tmp_path) -> None:
    async with till(tmp_path) as pilot:
        app = pilot.app
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.screen.query("#phone") and app.focused is not None, what="customer")
        code = app.runtime.demo.current_otp(ALICE)
        burst(pilot, chars(f"{ALICE}\t{code}"))
        await wait_until(pilot, lambda: app.screen.query_one("#otp").value == code, what="the code")
        assert app.screen.query_one("#phone").value == ALICE


SWIPE = "%B7012340000001035^GIFT/CARD^2812101000000000?;7012340000001035=28121010000000000?"


async def test_a_swipe_then_the_code_in_one_burst_of_88_keys(tmp_path) -> None:
    """Track 1 and 2 of a stripe, the reader's Enter, the code and Enter, all at once."""
    async with till(tmp_path, demo=True) as pilot:
        await gift_card_form(pilot)
        keys = chars(SWIPE + "\n5057\n")
        assert len(keys) == 88
        burst(pilot, keys)
        await wait_until(pilot, lambda: "not sold yet" in screen_words(pilot), what="the card looked up")
        seen = screen_words(pilot)
        assert "****1035" in seen and "7012340000001035" not in seen and "GIFT/CARD" not in seen


async def test_gift_card_number_tab_code_in_one_burst(tmp_path) -> None:
    async with till(tmp_path, demo=True) as pilot:
        app = pilot.app
        await gift_card_form(pilot)
        burst(pilot, chars("7012 3400 0000 1027\t2694"))
        await wait_until(pilot, lambda: app.screen.query_one("#code").value == "2694", what="the code")
        assert app.screen.query_one("#card").value == "7012 3400 0000 1027"
        burst(pilot, ["enter"])
        await wait_until(pilot, lambda: "Balance 7.35 USD" in screen_words(pilot), what="the card")


async def test_magnetic_stripe_swipe_with_its_enter_fills_the_card_number(tmp_path) -> None:
    async with till(tmp_path, demo=True) as pilot:
        app = pilot.app
        await gift_card_form(pilot)
        burst(pilot, chars(SWIPE.replace("1035", "1027") + "\n" + "2694"))
        await wait_until(pilot, lambda: app.screen.query_one("#code").value == "2694", what="the code")
        assert app.screen.query_one("#card").value == "7012340000001027"  # the name and expiry are gone
        burst(pilot, ["enter"])
        await wait_until(pilot, lambda: isinstance(app.screen, MenuScreen) and "Balance 7.35 USD" in screen_words(pilot),
                         what="the card")
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, ReadyScreen), what="ready")
        await gift_card_form(pilot)
        burst(pilot, chars("%B70123400^?\n"))  # a bad swipe: said, and the field is cleared
        await wait_until(pilot, lambda: "could not be read" in widget_words(pilot, "#card-msg"), what="bad swipe")
        assert app.screen.query_one("#card").value == "" and app.focused.id == "card"
        await type_text(pilot, "7012x")
        assert app.screen.query_one("#card").value == "7012"
        assert "digits 0-9 only" in widget_words(pilot, "#card-msg")


# --- 3. a count form per currency ----------------------------------------------------------------

async def to_close(pilot: Pilot) -> None:
    await pilot.press("o")
    await wait_for_screen(pilot, ShiftReportScreen)
    await pilot.press("c")
    await wait_for_screen(pilot, CloseShiftScreen)


async def test_close_names_the_missing_currencies_before_a_supervisor_is_asked(tmp_path) -> None:
    async with till(tmp_path, demo=True) as pilot:
        app, teller = pilot.app, pilot.app.teller
        await to_close(pilot)
        assert [w.id for w in app.screen.query("AmountInput")] == ["count-CAD", "count-EUR", "count-GBP", "count-USD"]
        assert app.focused.id == "count-CAD"
        burst(pilot, chars("\t\t480,"))  # to GBP; the comma is refused on this till
        await wait_until(pilot, lambda: "separates the decimals" in widget_words(pilot, "#count-GBP-msg"), what="refusal")
        assert app.screen.query_one("#count-GBP").value == "480"
        await type_text(pilot, ".50")
        assert widget_words(pilot, "#count-totals") == "Counted: £480.50. Not counted yet: CAD, EUR, USD."
        await pilot.press("enter")  # on to the next empty row, nothing sent
        assert app.focused.id == "count-USD" and teller.shifts.current is not None
        app.screen.query_one("#supervisor").value = "sam"
        app.screen.query_one("#supervisor").focus()
        await pilot.pause()
        await pilot.press("enter")
        await wait_until(pilot, lambda: "Not counted yet: CAD, EUR, USD." in widget_words(pilot, "#shift-message"),
                         what="missing named")
        assert teller.shifts.current is not None and app.focused.id == "count-CAD"
        for ccy, amount in (("CAD", "300"), ("EUR", "300"), ("USD", "300")):
            app.screen.query_one(f"#count-{ccy}").focus()
            await pilot.pause()
            await fill(pilot, amount)
        assert widget_words(pilot, "#count-totals") == "Counted: CA$300.00 · €300.00 · £480.50 · $300.00."
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ShiftReportScreen) and "Z report" in screen_words(pilot),
                         what="Z report")
        assert "variance -19.50" in screen_words(pilot)
        assert teller.shifts.current is None


async def test_open_form_has_a_row_per_currency_of_the_float(tmp_path) -> None:
    async with till(tmp_path, demo=True, opening_float={"GBP": "500.00", "EUR": "300.00"}) as pilot:
        app, teller = pilot.app, pilot.app.teller
        teller.close_shift({"GBP": Money(Decimal("500.00"), "GBP"), "EUR": Money(Decimal("300.00"), "EUR")})
        await pilot.press("o")
        await wait_for_screen(pilot, OpenShiftScreen)
        assert [w.id for w in app.screen.query("AmountInput")] == ["count-EUR", "count-GBP"]
        burst(pilot, chars("250\n"))
        await wait_until(pilot, lambda: app.focused is not None and app.focused.id == "count-GBP", what="next row")
        assert teller.shifts.current is None  # Enter on a row moves on while a row is empty
        burst(pilot, chars("-1.999\n"))  # the minus and the third decimal refused
        await wait_for_screen(pilot, ReadyScreen)
        assert teller.cash_in_drawer("EUR").plain() == "250.00"
        assert teller.cash_in_drawer("GBP").plain() == "1.99"


async def test_a_count_typed_fast_is_kept_per_row(tmp_path) -> None:
    """The per-currency rows under a burst: each amount lands in its own row."""
    async with till(tmp_path) as pilot:
        await to_close(pilot)
        burst(pilot, chars("50.00\n100.00\n"))
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, ShiftReportScreen) and "Z report" in screen_words(pilot),
                         what="Z report")
        z = screen_words(pilot)  # EUR float 50.00, GBP 100.00: each amount in its own row
        assert "counted 50.00 variance +0.00" in z and "counted 100.00 variance +0.00" in z
        assert pilot.app.teller.shifts.current is None
