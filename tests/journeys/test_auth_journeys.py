"""Sign-in, limits and supervisor approvals on the other back ends' journeys (gift cards,
SDK.finance, Flexiti): the same rules as the wallet journey, checked by the teller's desks,
asked for by the UI (the approval modal) and read from stdin headless."""

from __future__ import annotations

import io
import json
from decimal import Decimal

import pytest
from textual.widgets import Input

from kiosk import auth
from kiosk.auth.guard import AuthError
from kiosk.auth.limits import Limits
from kiosk.money import Money
from kiosk.teller import Stage, TellerError
from kiosk.ui import auth as auth_ui
from kiosk.ui.app import KioskApp
from kiosk.ui.screens.approve import ApproveScreen
from kiosk.ui.screens.signin import SignInScreen
from kiosk.ui.screens.confirm import ConfirmQuestion
from kiosk.ui.screens.journey import FormScreen, JourneyDrawerScreen, JourneyReceiptScreen, MenuScreen
from kiosk.desks.base import AccountLookup, CardEntry, WalletLogin
from tests.auth.helpers import PINS, make_guard
from tests.journeys.test_errors import finish
from tests.journeys.test_headless import running  # noqa: F401  (fixture)
from tests.journeys.test_headless import txn as run
from tests.journeys.test_ui_giftcard import card
from tests.ui.helpers import fill, screen_words, wait_for_screen, wait_until
from tests.ui.journey import at_ready
from tests.ui.test_auth_signin import sign_in

SIZE = (80, 24)
RICH = ("7012340000001001", "4821")  # an active demo gift card holding 100.00 USD
LIMITS = Limits(per_visit={"USD": Money(Decimal("50.00"), "USD"), "CAD": Money(Decimal("50.00"), "CAD"),
                           "EUR": Money(Decimal("50.00"), "EUR")})


@pytest.fixture
def guarded(demo, tmp_path):
    """The demo kiosk with sign-in on: ann (cashier), sue and max (supervisors); 50.00 a visit."""
    (tmp_path / "auth").mkdir()
    guard = make_guard(tmp_path / "auth", demo.teller.journal, limits=LIMITS)
    guard.attach(demo.teller)
    demo.guard = guard
    yield guard
    guard.accounts.close()


def rows_of(teller, visit_id: str) -> list[str]:
    return [r.step for r in teller.journal.rows(visit_id)]


def refused(call, *args, **kwargs) -> TellerError:
    with pytest.raises(TellerError) as caught:
        call(*args, **kwargs)
    return caught.value


# --- the teller's desks ------------------------------------------------------------------------------


def test_not_signed_in_is_refused_before_any_visit(guarded, desks, sims):
    assert refused(desks["pospointe"].identify, CardEntry(*RICH)).code == "NOT_SIGNED_IN"
    assert refused(desks["flexiti"].identify, AccountLookup(account_number="116574819")).code == "NOT_SIGNED_IN"
    assert refused(desks["sdkfinance"].identify, WalletLogin("anna.kowalska@example.com", "Wallet#2024a")).code == "NOT_SIGNED_IN"
    assert refused(desks["pospointe"].close_batch).code == "NOT_SIGNED_IN"
    guarded.sign_in("ann", PINS["ann"])
    visit = desks["pospointe"].identify(CardEntry(*RICH))
    assert guarded.teller.journal.visit(visit.visit_id).cashier == "ann"
    guarded.sign_out()
    assert refused(desks["pospointe"].move, visit, "redeem", "10").code == "NOT_SIGNED_IN"
    assert "INTENT" not in rows_of(guarded.teller, visit.visit_id)
    assert sims.pospointe.card_balance(RICH[0]) == Decimal("100.00")


def test_giftcard_redeem_over_the_limit_needs_a_supervisor(guarded, desks, sims, teller):
    desk = desks["pospointe"]
    guarded.sign_in("ann", PINS["ann"])
    visit = desk.identify(CardEntry(*RICH))
    assert teller.limit_exceeded(Money(Decimal("60"), "USD"))
    error = refused(desk.move, visit, "redeem", "60")
    assert error.code == "NEEDS_SUPERVISOR" and auth.LIMIT in error.message
    assert visit.stage is Stage.SESSION_OPEN and "HOST_SENT" not in rows_of(teller, visit.visit_id)
    assert sims.pospointe.card_balance(RICH[0]) == Decimal("100.00")  # nothing was sent
    guarded.approve(auth.LIMIT, "sue", PINS["sue"], visit_id=visit.visit_id)
    desk.move(visit, "redeem", "60")
    assert visit.stage is Stage.CASH_PENDING
    finish(teller, visit, desk)
    assert sims.pospointe.card_balance(RICH[0]) == Decimal("40.00")
    assert teller.journal.visit(visit.visit_id).cashier == "ann"
    # Within the limit: no supervisor; the approval was used up.
    other = desk.identify(CardEntry("7012340000001043", "8146"))
    desk.move(other, "sell", "20")
    assert not guarded.has_approval(auth.LIMIT)


def test_sdk_and_flexiti_limits(guarded, desks, sims, teller):
    guarded.sign_in("ann", PINS["ann"])
    sdk = desks["sdkfinance"]
    anna = sdk.identify(WalletLogin("anna.kowalska@example.com", "Wallet#2024a"))
    eur = next(c for c in anna.details.coins if c.currency == "EUR")
    assert refused(sdk.move, anna, "topup", "60", coin=eur.serial).code == "NEEDS_SUPERVISOR"
    assert "HOST_SENT" not in rows_of(teller, anna.visit_id)
    guarded.approve(auth.LIMIT, "max", PINS["max"], visit_id=anna.visit_id)
    sdk.move(anna, "topup", "60", coin=eur.serial)
    assert anna.stage is Stage.CASH_PENDING
    finish(teller, anna, sdk)

    fx = desks["flexiti"]
    jane = fx.identify(AccountLookup(account_number="116574819"))
    fx.verify(jane, "regular_purchase_bypass")
    assert refused(fx.move, jane, "deposit", "75").code == "NEEDS_SUPERVISOR"
    assert "HOST_SENT" not in rows_of(teller, jane.visit_id)
    guarded.approve(auth.LIMIT, "sue", PINS["sue"], visit_id=jane.visit_id)
    fx.move(jane, "deposit", "75")
    assert jane.stage is Stage.CASH_PENDING
    finish(teller, jane, fx)


def test_giftcard_block_needs_the_named_supervisors_approval(guarded, desks, sims, teller):
    desk = desks["pospointe"]
    guarded.sign_in("ann", PINS["ann"])
    visit = desk.identify(CardEntry(*RICH))
    error = refused(desk.set_blocked, visit, True, supervisor="sue", reason="reported stolen")
    assert error.code == "NEEDS_SUPERVISOR"
    assert "STATUS_SENT" not in rows_of(teller, visit.visit_id)
    with pytest.raises(AuthError) as caught:  # a cashier cannot approve it
        guarded.approve(auth.CARD_STATUS, "bob", PINS["bob"], visit_id=visit.visit_id)
    assert caught.value.code == "NOT_A_SUPERVISOR"
    guarded.approve(auth.CARD_STATUS, "max", PINS["max"], visit_id=visit.visit_id)
    # max approved: sue's name does not use max's approval
    assert refused(desk.set_blocked, visit, True, supervisor="sue", reason="reported stolen").code == "NEEDS_SUPERVISOR"
    assert sims.pospointe.card_status(RICH[0]) == "active"
    desk.set_blocked(visit, True, supervisor="max", reason="reported stolen")
    assert sims.pospointe.card_status(RICH[0]) == "blocked"
    sent = [r.data for r in teller.journal.rows(visit.visit_id) if r.step == "STATUS_SENT"]
    assert sent and sent[-1]["supervisor"] == "max"
    approved = [r.data for r in teller.journal.rows() if r.step == "APPROVED"]
    assert any(d["action"] == auth.CARD_STATUS and d["supervisor"] == "max" and d["cashier"] == "ann" for d in approved)


def test_flexiti_merchant_override_needs_a_supervisors_pin(guarded, desks, teller):
    desk = desks["flexiti"]
    guarded.sign_in("ann", PINS["ann"])
    jane = desk.identify(AccountLookup(account_number="116574819"))
    assert refused(desk.verify, jane, "merchant_override").code == "SUPERVISOR_REQUIRED"
    assert refused(desk.verify, jane, "merchant_override", supervisor="sue").code == "NEEDS_SUPERVISOR"
    assert "VERIFY_SENT" not in rows_of(teller, jane.visit_id) and not jane.details.pin
    with pytest.raises(AuthError):
        guarded.approve(auth.OVERRIDE, "sue", "0000", visit_id=jane.visit_id)
    guarded.approve(auth.OVERRIDE, "sue", PINS["sue"], visit_id=jane.visit_id)
    desk.verify(jane, "merchant_override", supervisor="Sue")
    assert jane.details.pin
    sent = [r.data for r in teller.journal.rows(jane.visit_id) if r.step == "VERIFY_SENT"]
    assert sent[-1]["supervisor"] == "sue"


def test_undo_needs_a_supervisor_with_sign_in(guarded, desks, sims, teller, demo):
    """As the wallet's reversal: the cashier's choice to undo a cash-out needs auth.REVERSE."""
    guarded.sign_in("ann", PINS["ann"])
    demo.drawer.inject("drawer_jammed")
    desk = desks["pospointe"]
    visit = desk.identify(CardEntry(*RICH))
    desk.move(visit, "redeem", "30")
    assert visit.drawer_outcome.value == "not_opened"
    error = refused(desk.undo, visit)
    assert error.code == "NEEDS_SUPERVISOR" and auth.REVERSE in error.message
    assert visit.stage is Stage.CASH_PENDING and "CASH_NOT_HANDED" not in rows_of(teller, visit.visit_id)
    assert sims.pospointe.card_balance(RICH[0]) == Decimal("70.00")  # nothing put back yet
    guarded.approve(auth.REVERSE, "sue", PINS["sue"], visit_id=visit.visit_id)
    desk.undo(visit)
    assert visit.stage is Stage.REVERSED
    assert sims.pospointe.card_balance(RICH[0]) == Decimal("100.00")
    assert not guarded.has_approval(auth.REVERSE)  # used up

    sdk = desks["sdkfinance"]
    anna = sdk.identify(WalletLogin("anna.kowalska@example.com", "Wallet#2024a"))
    eur = next(c for c in anna.details.coins if c.currency == "EUR")
    sdk.move(anna, "withdrawal", "40", coin=eur.serial)
    assert refused(sdk.undo, anna).code == "NEEDS_SUPERVISOR"
    assert "DECLINE_SENT" not in rows_of(teller, anna.visit_id)
    assert [r.status for r in sims.sdkfinance.requests()] != ["DECLINED"]
    guarded.approve(auth.REVERSE, "max", PINS["max"], visit_id=anna.visit_id)
    sdk.undo(anna)
    assert anna.stage is Stage.REVERSED and [r.status for r in sims.sdkfinance.requests()][-1] == "DECLINED"
    approved = [r.data for r in teller.journal.rows() if r.step == "APPROVED"]
    assert [(d["action"], d["supervisor"], d["cashier"]) for d in approved] == [(auth.REVERSE, "sue", "ann"),
                                                                                 (auth.REVERSE, "max", "ann")]


def test_headless_undo_when_the_drawer_did_not_open_is_by_rule(guarded, desks, sims, teller, demo):
    """`kiosk txn`: nobody chose it, so no approval is asked for (as kiosk.teller.headless)."""
    from kiosk.teller.headless import settle_cash

    guarded.sign_in("ann", PINS["ann"])
    demo.drawer.inject("drawer_jammed")
    desk = desks["pospointe"]
    visit = desk.identify(CardEntry(*RICH))
    desk.move(visit, "redeem", "30")
    assert refused(settle_cash, teller, desk, visit, 1.0).code == "DRAWER_NOT_OPENED"
    assert visit.stage is Stage.REVERSED and sims.pospointe.card_balance(RICH[0]) == Decimal("100.00")
    sdk = desks["sdkfinance"]
    anna = sdk.identify(WalletLogin("anna.kowalska@example.com", "Wallet#2024a"))
    eur = next(c for c in anna.details.coins if c.currency == "EUR")
    sdk.move(anna, "withdrawal", "40", coin=eur.serial)
    assert refused(settle_cash, teller, sdk, anna, 1.0).code == "DRAWER_NOT_OPENED"
    assert anna.stage is Stage.REVERSED
    assert not [r for r in teller.journal.rows() if r.step == "APPROVED"]


def test_without_sign_in_nothing_changes(desks, sims, teller):
    assert teller.guard is None
    desk = desks["pospointe"]
    visit = desk.identify(CardEntry(*RICH))
    desk.move(visit, "redeem", "60")  # no limits in the demo
    assert visit.stage is Stage.CASH_PENDING
    other = desk.identify(CardEntry("7012340000001027", "2694"))
    desk.set_blocked(other, True, supervisor="sam", reason="test")  # a name is enough
    assert sims.pospointe.card_status("7012340000001027") == "blocked"


# --- the UI (Pilot) --------------------------------------------------------------------------------------


async def approve(pilot, name: str, pin: str) -> None:
    await wait_for_screen(pilot, ApproveScreen)
    name_field = pilot.app.screen.query_one("#approve-name", Input)
    if name:
        assert not name_field.disabled
        name_field.value = name
    else:
        assert name_field.disabled  # the supervisor named on the form
    pilot.app.screen.query_one("#approve-pin", Input).focus()
    await pilot.pause()
    await fill(pilot, pin)
    await pilot.press("enter")


async def test_ui_redeem_over_the_limit_is_approved_then_paid_out(guarded, demo, sims) -> None:
    guarded.sign_in("ann", PINS["ann"])
    app = KioskApp(demo)
    cash = demo.teller.cash_in_drawer("USD").amount
    async with app.run_test(size=SIZE) as pilot:
        await at_ready(pilot)
        await card(pilot, *RICH)
        await pilot.press("d")
        await wait_for_screen(pilot, FormScreen)
        await fill(pilot, "60")
        await pilot.press("enter")
        await wait_until(pilot, lambda: "Confirm" in screen_words(pilot), what="confirm")
        await pilot.press("enter")
        await wait_for_screen(pilot, ApproveScreen)
        assert "exceed a limit" in screen_words(pilot)
        assert sims.pospointe.card_balance(RICH[0]) == Decimal("100.00")  # nothing sent yet
        await pilot.press("escape")  # cancelled: back on the confirmation, nothing moved
        await wait_for_screen(pilot, ConfirmQuestion)
        assert sims.pospointe.card_balance(RICH[0]) == Decimal("100.00")
        await pilot.press("enter")
        await approve(pilot, "sue", PINS["sue"])
        await wait_for_screen(pilot, JourneyDrawerScreen)
        await wait_for_screen(pilot, JourneyReceiptScreen)
        assert "GIFT CARD REDEMPTION" in screen_words(pilot)
        await pilot.press("enter")
        await at_ready(pilot)
    assert sims.pospointe.card_balance(RICH[0]) == Decimal("40.00")
    assert demo.teller.cash_in_drawer("USD").amount == cash - 60
    approved = [r.data for r in demo.teller.journal.rows() if r.step == "APPROVED"]
    assert [(d["action"], d["supervisor"], d["cashier"]) for d in approved] == [(auth.LIMIT, "sue", "ann")]


async def test_ui_block_is_approved_with_the_supervisors_pin(guarded, demo, sims) -> None:
    guarded.sign_in("ann", PINS["ann"])
    app = KioskApp(demo)
    async with app.run_test(size=SIZE) as pilot:
        await at_ready(pilot)
        await card(pilot, *RICH)
        await pilot.press("b")
        await wait_for_screen(pilot, FormScreen)
        assert "approves it with their PIN" in screen_words(pilot)
        await fill(pilot, "max")
        await pilot.press("enter")
        await fill(pilot, "reported lost")
        await pilot.press("enter")
        await approve(pilot, "", "0000")
        await wait_until(pilot, lambda: "Name or PIN not accepted" in screen_words(pilot), what="wrong PIN")
        assert sims.pospointe.card_status(RICH[0]) == "active"
        await approve(pilot, "", PINS["max"])
        await wait_until(pilot, lambda: "Card status changed" in screen_words(pilot), what="blocked")
        await pilot.press("enter")
        await at_ready(pilot)
    assert sims.pospointe.card_status(RICH[0]) == "blocked"
    sent = [r.data for r in demo.teller.journal.rows() if r.step == "STATUS_SENT"]
    assert sent[-1]["supervisor"] == "max"


async def test_ui_flexiti_merchant_override_asks_for_the_supervisor(guarded, demo) -> None:
    guarded.sign_in("ann", PINS["ann"])
    app = KioskApp(demo)
    async with app.run_test(size=SIZE) as pilot:
        await at_ready(pilot)
        await pilot.press("f")
        await wait_for_screen(pilot, FormScreen)
        await fill(pilot, "116574819")
        await pilot.press("enter")
        await wait_until(pilot, lambda: "merchant override" in screen_words(pilot), what="verify menu")
        await pilot.press("5")
        await wait_for_screen(pilot, FormScreen)
        assert "approves it with their PIN" in screen_words(pilot)
        await fill(pilot, "bob")  # a cashier
        await pilot.press("enter")
        await approve(pilot, "", PINS["bob"])
        await wait_until(pilot, lambda: "not a supervisor" in screen_words(pilot), what="refusal")
        await pilot.press("escape")
        await wait_for_screen(pilot, FormScreen)
        assert not demo.teller.journal.rows() or "VERIFY_SENT" not in [r.step for r in demo.teller.journal.rows()]
        pilot.app.screen.query_one("#supervisor", Input).value = ""
        await fill(pilot, "sue")
        await pilot.press("enter")
        await approve(pilot, "", PINS["sue"])
        await wait_until(pilot, lambda: "Verified." in screen_words(pilot), what="verified")
    visit_rows = [r.data for r in demo.teller.journal.rows() if r.step == "VERIFY_SENT"]
    assert visit_rows[-1]["format"] == "merchant_override" and visit_rows[-1]["supervisor"] == "sue"


async def test_ui_undo_needs_a_supervisors_approval(guarded, demo, sims) -> None:
    guarded.sign_in("ann", PINS["ann"])
    demo.drawer.inject("drawer_jammed")
    app = KioskApp(demo)
    async with app.run_test(size=SIZE) as pilot:
        await at_ready(pilot)
        await card(pilot, *RICH)
        await pilot.press("d")
        await wait_for_screen(pilot, FormScreen)
        await fill(pilot, "30")
        await pilot.press("enter")
        await wait_until(pilot, lambda: "Confirm" in screen_words(pilot), what="confirm")
        await pilot.press("enter")
        await wait_for_screen(pilot, JourneyDrawerScreen)
        await wait_until(pilot, lambda: "press R" in screen_words(pilot), what="drawer did not open")
        await pilot.press("r")
        await wait_for_screen(pilot, ApproveScreen)
        await pilot.press("escape")  # not approved: nothing undone, still on the drawer screen
        await wait_for_screen(pilot, JourneyDrawerScreen)
        assert app.visit.stage is Stage.CASH_PENDING
        assert sims.pospointe.card_balance(RICH[0]) == Decimal("70.00")
        await pilot.press("r")
        await approve(pilot, "bob", PINS["bob"])  # a cashier cannot approve it
        await wait_until(pilot, lambda: "not a supervisor" in screen_words(pilot), what="refusal")
        await approve(pilot, "sue", PINS["sue"])
        await wait_until(pilot, lambda: "Undone" in screen_words(pilot), what="undone")
        await pilot.press("enter")
        await at_ready(pilot)
    assert sims.pospointe.card_balance(RICH[0]) == Decimal("100.00")
    approved = [r.data for r in demo.teller.journal.rows() if r.step == "APPROVED"]
    assert [(d["action"], d["supervisor"], d["cashier"]) for d in approved] == [(auth.REVERSE, "sue", "ann")]


@pytest.mark.parametrize("who", ["ann", "sue"])
async def test_ui_idle_lock_mid_gift_card_visit(guarded, demo, who) -> None:
    """Locked in the middle of a gift card visit: another cashier may not take it; its own
    cashier resumes it, or a supervisor takes it over."""
    guarded.sign_in("ann", PINS["ann"])
    app = KioskApp(demo)
    async with app.run_test(size=SIZE) as pilot:
        await at_ready(pilot)
        await card(pilot, *RICH)
        visit = app.visit
        assert visit is not None and app.flow is not None
        auth_ui.lock(app)
        await wait_for_screen(pilot, SignInScreen)
        assert "Locked: ann was away" in screen_words(pilot) and "100.00" not in screen_words(pilot)
        await sign_in(pilot, "bob", PINS["bob"])
        await wait_until(pilot, lambda: "served by ann is in progress" in screen_words(pilot), what="refused")
        assert guarded.user.name == "ann" and guarded.locked
        await sign_in(pilot, who, PINS[who])
        await wait_for_screen(pilot, MenuScreen)
        assert app.visit is visit and visit.stage is Stage.SESSION_OPEN
        assert demo.teller.cashier == who
    rows = [(r.step, r.data) for r in demo.teller.journal.rows()]
    assert ("IDLE_LOCKED", {"user": "ann", "visit": visit.visit_id}) in rows


# --- headless -------------------------------------------------------------------------------------------


@pytest.fixture
def headless(running, monkeypatch, capsys):  # noqa: F811
    from kiosk.cli import main as kiosk_main

    sims, config = running
    monkeypatch.setenv("KIOSK_AUTH__PEPPER", "journeys-test-pepper-0123456789")
    monkeypatch.setenv("KIOSK_AUTH__REQUIRED", "true")
    for name, role in (("ann", "cashier"), ("sue", "supervisor")):
        monkeypatch.setattr("sys.stdin", io.StringIO(PINS[name] + "\n"))
        assert kiosk_main(["--config", config, "users", "add", name, "--role", role]) == 0
    capsys.readouterr()
    return sims, config


def test_headless_limits_and_supervisors(headless, capsys, monkeypatch):
    sims, config = headless

    def txn(capsys, monkeypatch, config, *args, stdin=""):
        return run(capsys, monkeypatch, config, *args, "--set", "limits.per_visit.USD=50.00",
                   "--set", "limits.per_visit.CAD=50.00", stdin=stdin)

    ann, sue = PINS["ann"] + "\n", PINS["sue"] + "\n"
    code, result = txn(capsys, monkeypatch, config, "giftcard-redeem", "--card", RICH[0], "--code", RICH[1],
                       "--amount", "60")
    assert code == 1 and result["error"]["code"] == "AUTH_REQUIRED"
    code, result = txn(capsys, monkeypatch, config, "giftcard-redeem", "--card", RICH[0], "--code", RICH[1],
                       "--amount", "60", "--cashier", "ann", stdin=ann)
    assert code == 1 and result["error"]["code"] == "NEEDS_SUPERVISOR" and "--supervisor" in result["error"]["message"]
    assert sims.pospointe.card_balance(RICH[0]) == Decimal("100.00")
    code, result = txn(capsys, monkeypatch, config, "giftcard-redeem", "--card", RICH[0], "--code", RICH[1],
                       "--amount", "60", "--cashier", "ann", "--supervisor", "sue", stdin=ann + "0000\n")
    assert code == 1 and result["error"]["code"] == "AUTH_FAILED" and "0000" not in json.dumps(result)
    assert sims.pospointe.card_balance(RICH[0]) == Decimal("100.00")
    code, result = txn(capsys, monkeypatch, config, "giftcard-redeem", "--card", RICH[0], "--code", RICH[1],
                       "--amount", "60", "--cashier", "ann", "--supervisor", "sue", stdin=ann + sue)
    assert code == 0 and result["approved"] == "60.00", result
    assert sims.pospointe.card_balance(RICH[0]) == Decimal("40.00")
    code, result = txn(capsys, monkeypatch, config, "giftcard-reload", "--card", RICH[0], "--code", RICH[1],
                       "--amount", "10", "--cashier", "ann", stdin=ann)
    assert code == 0  # within the limit: no supervisor

    # block: the name alone is not enough with sign-in on
    code, result = txn(capsys, monkeypatch, config, "giftcard-block", "--card", RICH[0], "--code", RICH[1],
                       "--reason", "stolen", "--cashier", "ann", stdin=ann)
    assert code == 1 and result["error"]["code"] == "SUPERVISOR_REQUIRED"
    code, result = txn(capsys, monkeypatch, config, "giftcard-block", "--card", RICH[0], "--code", RICH[1],
                       "--reason", "stolen", "--cashier", "ann", "--supervisor", "ann", stdin=ann + ann)
    assert code == 1 and result["error"]["code"] == "NOT_A_SUPERVISOR"
    assert sims.pospointe.card_status(RICH[0]) == "active"
    code, result = txn(capsys, monkeypatch, config, "giftcard-block", "--card", RICH[0], "--code", RICH[1],
                       "--reason", "stolen", "--cashier", "ann", "--supervisor", "sue", stdin=ann + sue)
    assert code == 0 and result["card_status"] == "blocked", result

    # Flexiti merchant override (and the amount over the limit), one supervisor PIN for both
    code, result = txn(capsys, monkeypatch, config, "flexiti-deposit", "--account", "116574819", "--verify",
                       "merchant_override", "--supervisor", "sue", "--amount", "10", "--cashier", "ann", stdin=ann)
    assert code == 1 and result["error"]["code"] == "AUTH_FAILED"  # no supervisor PIN on stdin
    code, result = txn(capsys, monkeypatch, config, "flexiti-deposit", "--account", "116574819", "--verify",
                       "merchant_override", "--supervisor", "sue", "--amount", "75", "--cashier", "ann",
                       stdin=ann + sue)
    assert code == 0 and result["amount"] == "75.00", result
