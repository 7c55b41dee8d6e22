"""The number fields refuse another script's digits (a keyboard set to Arabic or Hindi, a
full-width input method, a paste) and say why under the field, instead of a silent bell; and
a till with teller.phone_region takes the customer's national number."""

from __future__ import annotations

from textual import events
from textual.widgets import Input

from kiosk.ui.app import KioskApp
from kiosk.ui.screens.customer import CustomerScreen
from kiosk.ui.screens.signin import SignInScreen
from tests.auth.helpers import make_guard
from tests.ui.fakes import fake_runtime
from tests.ui.helpers import type_text, wait_for_screen, wait_until, widget_words
from tests.ui.journey import at_customer, at_ready, identify, to_amount

SIZE = (80, 24)


async def test_phone_and_code_fields_refuse_other_digits_with_the_message(fake_world) -> None:
    app = KioskApp(fake_world.runtime)
    async with app.run_test(size=SIZE) as pilot:
        await at_customer(pilot)
        phone = app.screen.query_one("#phone", Input)
        await type_text(pilot, "+44")
        await pilot.press("７")  # a full-width 7
        assert phone.value == "+44"
        assert "digit that is not 0-9" in widget_words(pilot, "#phone-msg")
        phone.post_message(events.Paste("٧٧٠٠٩٠٠١١١"))  # Arabic-Indic, pasted
        await pilot.pause()
        assert phone.value == "+44" and "0-9" in widget_words(pilot, "#phone-msg")
        await type_text(pilot, "7700900111")  # the right digits clear the message
        assert "Valid international number." in widget_words(pilot, "#phone-msg")

        await pilot.press("enter")
        otp = app.screen.query_one("#otp", Input)
        assert otp.has_focus
        await type_text(pilot, "12")
        await pilot.press("३")  # a Devanagari 3
        assert otp.value == "12" and "digit that is not 0-9" in widget_words(pilot, "#otp-msg")
        await pilot.press("enter")
        assert "The code has 6 digits." in widget_words(pilot, "#otp-msg")
        assert isinstance(app.screen, CustomerScreen)  # nothing was sent


async def test_amount_field_refuses_other_digits_with_the_message(fake_world) -> None:
    app = KioskApp(fake_world.runtime)
    async with app.run_test(size=SIZE) as pilot:
        await at_ready(pilot)
        await identify(pilot, fake_world.phone, fake_world.otp(fake_world.phone))
        await to_amount(pilot, "w")
        await pilot.press("١")  # an Arabic-Indic 1
        assert app.screen.query_one("#amount", Input).value == ""
        assert "0-9" in widget_words(pilot, "#amount-msg")


async def test_a_national_number_with_the_till_region(fake_world) -> None:
    fake_world.runtime.teller.phone_region = "GB"
    app = KioskApp(fake_world.runtime)
    async with app.run_test(size=SIZE) as pilot:
        await at_customer(pilot)
        assert "A GB number" in widget_words(pilot, "#phone-msg")
        await type_text(pilot, "07700")
        assert "not a phone number: it is too short for a +44 number" in widget_words(pilot, "#phone-msg")
        await type_text(pilot, "900111")
        assert "Valid number." in widget_words(pilot, "#phone-msg")
        await pilot.press("enter", *fake_world.otp("+447700900111"), "enter")
        await wait_until(pilot, lambda: not isinstance(app.screen, CustomerScreen), what="the session to open")


async def test_the_sign_in_pin_field_refuses_other_digits_with_the_message(tmp_path) -> None:
    runtime = fake_runtime(tmp_path)
    make_guard(tmp_path, runtime.teller.journal).attach(runtime.teller)
    try:
        app = KioskApp(runtime)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for_screen(pilot, SignInScreen)
            pin = app.screen.query_one("#signin-pin", Input)
            pin.focus()
            await pilot.pause()
            await pilot.press("1", "٢")  # an ASCII 1, then an Arabic-Indic 2
            assert pin.value == "1" and "digit that is not 0-9" in widget_words(pilot, "#signin-msg")
    finally:
        runtime.close()
