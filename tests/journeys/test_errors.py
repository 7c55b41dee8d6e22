"""Each journey's documented errors reach the cashier in plain words, and lost answers are
settled the journey's own way (balance check, same idempotency key, request look-up)."""

from __future__ import annotations

import socket
from decimal import Decimal

import pytest

from kiosk.journal.store import COMPLETED, DECLINED
from kiosk.teller import TellerError
from kiosk.teller.visit import Stage
from kiosk.desks.base import AccountLookup, CardEntry, WalletLogin


def error_of(call, *args, **kwargs) -> TellerError:
    with pytest.raises(TellerError) as caught:
        call(*args, **kwargs)
    return caught.value


def steps(teller, visit) -> list[str]:
    return [r.step for r in teller.journal.rows(visit.visit_id)]


def finish(teller, visit, desk):
    teller.wait_for_drawer_close(visit, 2.0)
    return desk.finish(visit)


# --- gift cards --------------------------------------------------------------------------------


def test_gift_card_refusals_in_plain_words(desks, sims):
    desk = desks["pospointe"]
    for _ in range(4):
        wrong = error_of(desk.identify, CardEntry("7012340000001019", "1111"))
        assert wrong.code == "CARD_REJECTED" and "security code is wrong" in wrong.message
    assert error_of(desk.identify, CardEntry("7012340000001019", "1111")).code in ("CARD_REJECTED", "CARD_LOCKED")
    locked = error_of(desk.identify, CardEntry("7012340000001019", "7310"))
    assert locked.code == "CARD_LOCKED" and "30 minutes" in locked.message
    assert error_of(desk.identify, CardEntry("12", "1")).code == "CARD_FORMAT"
    blocked = desk.identify(CardEntry("7012340000001050", "3390"))
    assert desk.actions(blocked) == []
    assert error_of(desk.move, blocked, "redeem", "5").code == "CARD_BLOCKED"
    unsold = desk.identify(CardEntry("7012340000001035", "5057"))
    assert error_of(desk.check_amount, unsold, "redeem", "5").code == "CARD_NOT_ACTIVE"
    assert error_of(desk.check_amount, unsold, "sell", "501").code == "LIMIT_EXCEEDED"
    active = desk.identify(CardEntry("7012340000001001", "4821"))
    assert error_of(desk.check_amount, active, "sell", "5").code == "CARD_ALREADY_ACTIVE"
    assert desk.check_amount(active, "redeem", "5000").amount == 5000  # partial approval pays out 100.00 only


def test_gift_card_unreachable_and_refused_credentials(demo):
    from kiosk.backends.pospointe import PosPointeClient
    from kiosk.desks.giftcards import GiftCardDesk

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    away = GiftCardDesk(demo.teller, PosPointeClient(f"http://127.0.0.1:{port}", "u", "p", store_id="1", franchisee_id="F",
                                                      timeout=1, connect_timeout=0.5))
    error = error_of(away.identify, CardEntry("7012340000001001", "4821"))
    assert error.code == "HOST_UNREACHABLE" and "cannot be reached" in error.message
    assert away.health()
    url = demo.settings.pospointe.base_url
    wrong = GiftCardDesk(demo.teller, PosPointeClient(url, "kiosk-demo", "wrong", store_id="5150", franchisee_id="FR2718"))
    assert error_of(wrong.identify, CardEntry("7012340000001001", "4821")).code == "AUTHENTICATION_FAILED"


def test_gift_card_lost_answers_are_settled_by_the_balance(desks, sims, teller):
    desk = desks["pospointe"]
    # 66.02: applied, then HTTP 500: the balance moved by the amount -> applied, cash paid out.
    visit = desk.identify(CardEntry("7012340000001019", "7310"))
    desk.move(visit, "redeem", "66.02")
    assert "BALANCE_SETTLED" in steps(teller, visit) and visit.amount.amount == Decimal("66.02")
    finish(teller, visit, desk)
    assert teller.journal.visit(visit.visit_id).state == COMPLETED
    assert sims.pospointe.card_balance("7012340000001019") == Decimal("250.00") - Decimal("66.02")
    # 66.01: HTTP 503 before applying: the balance did not move -> not applied, said plainly.
    visit = desk.identify(CardEntry("7012340000001001", "4821"))
    error = error_of(desk.move, visit, "reload", "66.01")
    assert error.code == "NOT_APPLIED" and "nothing was applied" in error.message
    assert teller.journal.visit(visit.visit_id).state == DECLINED
    assert sims.pospointe.card_balance("7012340000001001") == Decimal("100.00")
    assert len([t for t in sims.pospointe.transactions() if t.kind == "reload"]) == 0  # never re-sent


def test_gift_card_redeem_undone_when_no_cash_was_handed_over(desks, sims, teller, demo):
    desk = desks["pospointe"]
    demo.drawer.inject("drawer_jammed")
    visit = desk.identify(CardEntry("7012340000001001", "4821"))
    desk.move(visit, "redeem", "30")
    assert visit.drawer_outcome.value == "not_opened"
    desk.undo(visit)
    assert visit.stage is Stage.REVERSED
    assert sims.pospointe.card_balance("7012340000001001") == Decimal("100.00")
    assert teller.journal.visit(visit.visit_id).state == "reversed"
    assert teller.cash_in_drawer("USD").amount == 300


# --- Flexiti -------------------------------------------------------------------------------------------


def test_flexiti_refusals_in_plain_words(desks, sims, teller):
    desk = desks["flexiti"]
    assert error_of(desk.identify, AccountLookup(account_number="999999999")).code == "CUSTOMER_NOT_FOUND"
    assert error_of(desk.identify, AccountLookup(account_number="12ab")).code == "ACCOUNT_FORMAT"
    error = error_of(desk.identify, AccountLookup(account_number="456789012"))
    assert error.code == "USER_NOT_ACTIVE" and "not activated" in error.message
    held = desk.identify(AccountLookup(account_number="345678901"))
    desk.verify(held, "security_question", answer="Civic")
    error = error_of(desk.move, held, "instore_payment", "10")
    assert error.code == "ACCOUNT_ON_HOLD" and "on hold" in error.message
    jane = desk.identify(AccountLookup(account_number="116574819"))
    assert error_of(desk.verify, jane, "merchant_override").code == "SUPERVISOR_REQUIRED"
    sims.flexiti.merchant_override_allowed = False
    error = error_of(desk.verify, jane, "merchant_override", supervisor="sam")
    assert error.code == "OVERRIDE_NOT_ALLOWED" and "not set up for merchant override" in error.message
    assert error_of(desk.move, jane, "deposit", "10").code == "NOT_VERIFIED"


def test_flexiti_lost_answer_is_resent_with_the_same_key(desks, sims, teller):
    desk = desks["flexiti"]
    visit = desk.identify(AccountLookup(account_number="116574819"))
    desk.verify(visit, "regular_purchase_bypass")
    owed = sims.flexiti.balance("116574819")
    desk.move(visit, "deposit", "666.02")  # applied, then HTTP 500: the re-send is replayed
    assert "HOST_RESENT" in steps(teller, visit)
    finish(teller, visit, desk)
    assert len(sims.flexiti.transactions("116574819")) == 1
    assert sims.flexiti.balance("116574819") == owed - Decimal("666.02")


# --- SDK.finance ------------------------------------------------------------------------------------------


def test_sdk_refusals_in_plain_words(desks, sims):
    desk = desks["sdkfinance"]
    assert error_of(desk.identify, WalletLogin("anna.kowalska@example.com", "wrong")).code == "SIGN_IN_REJECTED"
    tom = desk.identify(WalletLogin("+447700900777", "Wallet#2024b"))
    assert tom.details.otp_pending
    error = error_of(desk.confirm_otp, tom, "000000")
    assert error.code == "OTP_REJECTED" and "did not accept the code" in error.message
    desk.confirm_otp(tom, sims.sdkfinance.pending_otp("+447700900777"))
    gbp = next(c for c in tom.details.coins if c.currency == "GBP")
    error = error_of(desk.quote, tom, "withdrawal", "299.90", coin=gbp.serial)
    assert error.code == "INSUFFICIENT_FUNDS" and "commission" in error.message
    raj = desk.identify(WalletLogin("raj.patel@example.com", "Wallet#2024d"))
    blocked = next(c for c in raj.details.coins if not c.active)
    assert error_of(desk.check_amount, raj, "topup", "5", coin=blocked.serial).code == "COIN_INACTIVE"
    usd = next(c for c in raj.details.coins if c.active)
    error = error_of(desk.move, raj, "topup", "6000", coin=usd.serial)
    assert error.code == "AMOUNT_OUTSIDE_LIMITS" and "limits" in error.message


def test_sdk_lost_accept_is_resent_and_not_applied_twice(desks, sims, teller):
    desk = desks["sdkfinance"]
    visit = desk.identify(WalletLogin("raj.patel@example.com", "Wallet#2024d"))
    usd = next(c for c in visit.details.coins if c.active)
    desk.move(visit, "topup", "666.02", coin=usd.serial)  # the first accept: applied, then HTTP 500
    finish(teller, visit, desk)
    assert teller.journal.visit(visit.visit_id).state == COMPLETED
    accepted = [r for r in sims.sdkfinance.requests() if r.status == "ACCEPTED"]
    assert len(accepted) == 1 and "ACCEPTED" in steps(teller, visit)
    coin = sims.sdkfinance.coin(usd.serial)
    assert coin.amount == Decimal("1200.00") + Decimal("666.02")


def test_sdk_withdrawal_declined_when_no_cash_was_handed_over(desks, sims, teller, demo):
    desk = desks["sdkfinance"]
    demo.drawer.inject("drawer_jammed")
    visit = desk.identify(WalletLogin("anna.kowalska@example.com", "Wallet#2024a"))
    eur = next(c for c in visit.details.coins if c.currency == "EUR")
    desk.move(visit, "withdrawal", "50", coin=eur.serial)
    desk.undo(visit)
    assert [r.status for r in sims.sdkfinance.requests()] == ["DECLINED"]
    assert sims.sdkfinance.coin(eur.serial).held == 0


def test_sdk_older_field_name_variant(demo, tmp_path):
    from kiosk.backends.sdkfinance import SdkFinanceClient
    from kiosk.sim.sdkfinance import DEMO_CASHPOINT, SdkFinanceSimulator
    from kiosk.sim.server import start_in_thread
    from kiosk.desks.sdkwallet import SdkWalletDesk

    sim = SdkFinanceSimulator(tmp_path / "old.sqlite", coin_field="coin")
    with start_in_thread(sim.app) as handle:
        client = SdkFinanceClient(handle.url + "/api/v1", coin_field="coin", cash_point_login=DEMO_CASHPOINT["login"],
                                  cash_point_password=DEMO_CASHPOINT["password"])
        desk = SdkWalletDesk(demo.teller, client)
        visit = desk.identify(WalletLogin("anna.kowalska@example.com", "Wallet#2024a"))
        eur = next(c for c in visit.details.coins if c.currency == "EUR")
        desk.move(visit, "topup", "10", coin=eur.serial)
        finish(demo.teller, visit, desk)
        assert sim.coin(eur.serial).amount == Decimal("430.00")
        client.close()
    sim.close()
