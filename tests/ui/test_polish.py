"""Issue 12 item 6, pressed as a cashier presses it: messages read as sentences, a long amount
is refused with the reason, demo panels wrap instead of cutting, notices leave the keys
visible, Flexiti's status letters and SDK.finance's "coins" are said in the cashier's words,
the header names the till briefly, and a large terminal is used."""

from __future__ import annotations

from decimal import Decimal

import pytest
from textual.app import App

from kiosk.money import Money, MoneyError, parse_amount
from kiosk.teller import TellerError, VisitKind
from kiosk.ui.app import KioskApp
from kiosk.ui.screens.amount import AmountScreen
from kiosk.ui.screens.accounts import AccountsScreen
from kiosk.ui.screens.error import TITLES, ErrorScreen, Way, ways_forward
from kiosk.ui.screens.journey import FormScreen
from kiosk.ui.screens import ready
from kiosk.ui.screens.receipt import ReceiptScreen
from kiosk.ui.widgets.keybar import KeyBar
from kiosk.ui.wording import sentences
from kiosk.ui import messages as m
from tests.ui.helpers import fill, screen_dump, screen_words, wait_for_screen, wait_until, widget_words
from tests.ui.journey import at_ready, identify

SMALL, LARGE = (80, 24), (120, 40)


def teller_amount_error(text: str) -> TellerError:
    """The error the teller raises for an amount it cannot take (teller.py, the desks)."""
    try:
        parse_amount(text, "GBP")
    except MoneyError as exc:
        return TellerError("AMOUNT_INVALID", str(exc), "Type the amount again.")
    raise AssertionError(f"{text!r} was taken")


class Host(App):
    CSS_PATH = KioskApp.CSS_PATH

    def __init__(self, screen) -> None:
        super().__init__()
        self.first = screen

    def on_mount(self) -> None:
        self.push_screen(self.first)


# --- messages stitched without punctuation ---------------------------------------------------


def test_sentences_join_a_message_and_its_next_step() -> None:
    assert sentences("GBP amounts have at most 2 decimal places", "Type the amount again.") == (
        "GBP amounts have at most 2 decimal places. Type the amount again.")
    assert sentences("the amount must be more than zero", "") == "The amount must be more than zero."
    assert sentences("Code expired.", "ask for a new one") == "Code expired. Ask for a new one."
    assert sentences("", "") == ""


@pytest.mark.parametrize("code", sorted(TITLES))
async def test_error_screen_says_every_code_in_sentences(code: str) -> None:
    error = TellerError(code, "the back end said no", "try again later")
    app = Host(ErrorScreen(error, [Way("enter", "Back to ready", m.BackToReady)]))
    async with app.run_test(size=SMALL) as pilot:
        await pilot.pause()
        assert widget_words(pilot, "#notice-message") == "The back end said no."
        assert widget_words(pilot, "#notice-next") == "Try again later."


async def test_amount_hint_joins_the_teller_reason_and_next_step() -> None:
    error = teller_amount_error("12.345")

    def check(text: str) -> Money:
        raise error

    screen = AmountScreen(kind=VisitKind.WITHDRAW, currency="GBP", phone_masked="•••• 0123", balance=None,
                          drawer_cash=Money(Decimal("100"), "GBP"), check=check, amount="12")
    async with Host(screen).run_test(size=SMALL) as pilot:
        await pilot.pause()
        assert "decimal places. Type the amount again." in widget_words(pilot, "#amount-msg")


# --- an over-long amount ---------------------------------------------------------------------


async def test_sixteen_nines_are_refused_with_the_reason(fake_world) -> None:
    screen = AmountScreen(kind=VisitKind.DEPOSIT, currency="GBP", phone_masked="•••• 0123", balance=None,
                          drawer_cash=Money(Decimal("100"), "GBP"),
                          check=lambda text: parse_amount(text, "GBP"))
    async with Host(screen).run_test(size=SMALL) as pilot:
        await pilot.pause()
        await pilot.press(*"9" * 16)
        await pilot.pause()
        words = widget_words(pilot, "#amount-msg")
        assert "too long for an amount" in words and "10,000,000.00" in words
        await pilot.press("enter")
        await pilot.pause()
        words = widget_words(pilot, "#amount-msg")
        assert "is not an amount" not in words and "use digits" not in words
        assert words == "The largest amount is £10,000,000.00."
        assert screen.query_one("#amount").value == "9" * 8  # what it holds is what it shows


# --- the header's till name --------------------------------------------------------------------


async def test_header_names_the_till_briefly(fake_world) -> None:
    app = KioskApp(fake_world.runtime)
    app.pos_id = "5c1f0e7a-2b9d-4c3e-8a6f-0d2e4b7c9a11"
    async with app.run_test(size=SMALL) as pilot:
        await at_ready(pilot)
        title = screen_dump(pilot).splitlines()[0]
        assert "till TILL-1" in title and app.pos_id not in title


def test_till_name_without_a_terminal_name_is_short() -> None:
    class NoName:
        teller = None

    assert ready.till_name(NoName(), "5c1f0e7a-2b9d-4c3e-8a6f-0d2e4b7c9a11") == "…4b7c9a11"
    assert ready.till_name(NoName(), "POS-7") == "POS-7"


# --- notices above the key bar -----------------------------------------------------------------


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "120x40"])
async def test_a_notice_leaves_the_keys_visible(fake_world, size) -> None:
    app = KioskApp(fake_world.runtime)
    async with app.run_test(size=size, notifications=True) as pilot:
        await at_ready(pilot)
        app.notify("The copy could not be printed because the printer has no paper left in it.",
                   severity="warning", timeout=30)
        await wait_until(pilot, lambda: len(app.screen.query("Toast")) > 0, what="the notice")
        await pilot.pause()
        toast = app.screen.query_one("Toast").region
        bar = app.screen.query_one(KeyBar).region
        assert toast.height > 0 and bar.height > 0
        assert toast.bottom <= bar.y  # wholly above the keys


# --- demo panels, Flexiti and SDK.finance words (the four embedded simulators) ----------------


@pytest.fixture
def demo(tmp_path):
    from kiosk.runtime import demo_runtime

    runtime = demo_runtime(tmp_path, otp_window=300, drawer={"simulated_close_after": 1.0})
    yield runtime
    runtime.close()


async def until_words(pilot, words: str) -> None:
    await wait_until(pilot, lambda: words in screen_words(pilot), what=repr(words))


async def desk_form(pilot, key: str) -> None:
    """From Ready to the first form of the back end on `key` (f: Flexiti, k: SDK.finance)."""
    await at_ready(pilot)
    await pilot.press(key)
    await wait_for_screen(pilot, FormScreen)


async def test_flexiti_demo_panel_wraps_and_status_is_in_words(demo) -> None:
    app = KioskApp(demo)
    async with app.run_test(size=SMALL) as pilot:
        await desk_form(pilot, "f")
        side = widget_words(pilot, "#form-side")
        assert "only 50.00 of credit left" in side  # whole, wrapped, not "only 50.00 of c"
        await fill(pilot, "345678901")  # Liam Chen: status A at Flexiti
        await pilot.press("enter")
        await until_words(pilot, "Verify the customer first.")
        words = widget_words(pilot, "#menu-text")  # (the demo panel's notes are the simulator's)
        assert "status A" not in words and "status" not in words
        assert "Purchases not allowed on this account: deposits only" in words
        assert "only 50.00 of credit left" in widget_words(pilot, "#menu-side")


async def test_customer_demo_panel_shows_whole_descriptions(demo) -> None:
    app = KioskApp(demo)
    async with app.run_test(size=SMALL) as pilot:
        await at_ready(pilot)
        await pilot.press("enter")
        await until_words(pilot, "Demo wallets")
        panel = widget_words(pilot, "#demo")
        for _phone, description in demo.demo.wallets:
            assert " ".join(description.split()) in panel


async def test_sdkfinance_says_currency_account_not_coin(demo) -> None:
    app = KioskApp(demo)
    async with app.run_test(size=SMALL) as pilot:
        await desk_form(pilot, "k")
        await pilot.press("f2")  # the demo fills a login in
        await pilot.press("enter")
        await until_words(pilot, "Choose the currency account")  # the first demo login has no second factor
        words = screen_words(pilot)
        assert "Choose the currency account" in words and "coin" not in words.lower()


# --- a larger terminal ---------------------------------------------------------------------------


@pytest.mark.parametrize("columns", [32, 42, 48])
async def test_receipt_preview_is_as_wide_as_the_paper(fake_world, columns) -> None:
    from tests.ui.snapshot_app import SnapshotKiosk

    app = SnapshotKiosk(fake_world.runtime, "receipt")
    async with app.run_test(size=LARGE) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, ReceiptScreen), what="receipt")
        visit = app.screen.visit
        app.switch_screen(ReceiptScreen(visit, columns=columns))
        await pilot.pause()
        await pilot.pause()
        text = app.screen.query_one("#receipt-text")
        assert text.content_size.width >= columns  # no receipt line is clipped
        assert app.screen.query_one("#receipt-scroll").outer_size.width == columns + 5


# --- one wording across the back ends --------------------------------------------------------


async def test_ending_a_visit_has_one_name_on_the_wallet_screens(fake_world) -> None:
    """The Rapyd wallet's accounts and error screens say it as the other desks' menus do."""
    from kiosk.teller import Stage

    assert [w.label for w in ways_forward("move", "PRINTER_NOT_READY", Stage.SESSION_OPEN)][-1] == "End the visit"
    app = KioskApp(fake_world.runtime)
    async with app.run_test(size=SMALL) as pilot:
        await at_ready(pilot)
        await identify(pilot, fake_world.phone, fake_world.otp(fake_world.phone))
        await wait_for_screen(pilot, AccountsScreen)
        assert "Esc End the visit" in widget_words(pilot, "KeyBar")


async def test_sdkfinance_actions_are_named_as_flexiti_names_them(demo) -> None:
    app = KioskApp(demo)
    async with app.run_test(size=SMALL) as pilot:
        await desk_form(pilot, "k")
        await pilot.press("f2", "enter")
        await until_words(pilot, "Choose the currency account")
        assert "Esc End the visit" in screen_words(pilot)
        await pilot.press("1")
        await until_words(pilot, "Top up (cash in)")
        assert "Withdraw (cash out)" in screen_words(pilot)  # as Flexiti's "Deposit (cash in)"
