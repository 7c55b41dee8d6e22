"""The SdkFinanceClient against the simulator over loopback: both cash flows end to end, the
OTP_SENT branch, both field-name variants, and re-authentication on 401."""

from __future__ import annotations

import logging
import time
from decimal import Decimal

import pytest

from kiosk.backends.base import BusinessError, SessionRejected
from kiosk.backends.sdkfinance import (
    Coin,
    CustomerSignInExpired,
    OtpRequired,
    Quote,
    SdkFinanceClient,
    SignedIn,
    TransferRequest,
)
from kiosk.money import Money

from .conftest import ANNA, TOM


def eur(text: str) -> Money:
    return Money(Decimal(text), "EUR")


@pytest.fixture
def sim_statuses(server):
    """The status lines this test's server logged. Other simulators in the same worker log
    under the same name (a UI test's worker thread can finish a request after its test ended),
    so records are kept by the thread that served them."""

    def lines(caplog) -> list[str]:
        return [r.getMessage() for r in caplog.records
                if r.name == "kiosk.sim.sdkfinance" and r.thread == server.thread_ident]

    return lines


def test_cash_deposit_is_a_top_up_request_accepted_once_the_cash_is_in(sim, client):
    signed = client.sign_in(ANNA["login"], ANNA["password"])
    assert isinstance(signed, SignedIn) and signed.role == "individual" and signed.user_name == ANNA["name"]
    coins = client.coins()
    assert [c.currency for c in coins] == ["EUR", "USD"]
    main = coins[0]
    assert main == Coin(main.serial, "Main EUR", "EUR", eur("420.00"), eur("420.00"), eur("0.00"), True, True)
    quote = client.topup_calculate(main, eur("50"))
    assert quote == Quote(main.serial, eur("50.00"), eur("0.25"), eur("50.25"))
    request_id = client.topup_create(main, eur("50"), reference="visit-001")
    assert client.topup_status(request_id).status == "PENDING"
    result = client.topup_accept(request_id)
    assert (result.request_id, result.status, result.already_settled) == (request_id, "ACCEPTED", False)
    assert result.amount == eur("50.00") and result.reference == "visit-001"
    assert client.coins()[0].amount == eur("470.00")
    assert client.topup_status(request_id).status == "ACCEPTED"


def test_a_deposit_whose_cash_never_came_is_declined(sim, client):
    client.sign_in(ANNA["login"], ANNA["password"])
    main = client.coins()[0]
    request_id = client.topup_create(main, eur("20"))
    assert client.topup_decline(request_id).status == "DECLINED"
    assert client.coins()[0].amount == eur("420.00")


def test_cash_withdrawal_holds_then_accepting_takes_the_total(sim, client):
    client.sign_in(ANNA["login"], ANNA["password"])
    main = client.coins()[0]
    quote = client.withdrawal_calculate(main, eur("100"))
    assert (quote.commission, quote.total) == (eur("1.50"), eur("101.50"))
    request_id = client.withdrawal_create(main, eur("100"))
    held = client.coins()[0]
    assert (held.amount, held.held, held.available) == (eur("420.00"), eur("101.50"), eur("318.50"))
    client.withdrawal_accept(request_id)
    after = client.coins()[0]
    assert (after.amount, after.held, after.available) == (eur("318.50"), eur("0.00"), eur("318.50"))


def test_a_withdrawal_not_handed_over_is_declined_and_the_hold_released(sim, client):
    client.sign_in(ANNA["login"], ANNA["password"])
    main = client.coins()[0]
    request_id = client.withdrawal_create(main.serial, eur("100"))
    assert client.withdrawal_decline(request_id).status == "DECLINED"
    assert client.coins()[0].held == eur("0.00")


def test_the_otp_sent_branch(sim, client):
    first = client.sign_in(TOM["login"], TOM["password"])
    assert isinstance(first, OtpRequired) and first.login_hint == "***0777"
    with pytest.raises(CustomerSignInExpired):
        client.coins()  # not finished signing in
    signed = client.confirm_otp(TOM["login"], sim.pending_otp(TOM["login"]))
    assert isinstance(signed, SignedIn)
    assert [c.currency for c in client.coins()] == ["GBP", "EUR"]


def test_confirm_needs_the_sign_in_first(sim, client):
    with pytest.raises(SessionRejected):
        client.confirm_otp(TOM["login"], "123456")


@pytest.mark.parametrize("client_field", ["coinSerial", "coin"])
@pytest.mark.parametrize("host_field", ["coinSerial", "coin"])
def test_both_field_name_variants_work_either_way(make_sim, make_client, client_field, host_field):
    sim = make_sim(coin_field=host_field)
    client = make_client(coin_field=client_field)
    client.sign_in(ANNA["login"], ANNA["password"])
    main = client.coins()[0]
    assert client.withdrawal_calculate(main, eur("10")).coin_serial == main.serial
    request_id = client.withdrawal_create(main, eur("10"), reference="v")
    assert client.withdrawal_find("v").coin_serial == main.serial
    client.withdrawal_accept(request_id)
    assert sim.coin(main.serial).amount == Decimal("409.40")


def test_an_expired_customer_token_is_renewed_on_401_transparently(sim, make_client, clock, caplog, sim_statuses):
    client = make_client()  # the real clock: the client cannot see the sim's token expire
    caplog.set_level(logging.INFO)
    client.sign_in(ANNA["login"], ANNA["password"])
    client.coins()
    clock.advance(901)
    assert client.coins()[0].amount == eur("420.00")
    lines = sim_statuses(caplog)
    assert lines[-3:] == ["GET /api/v1/coins -> 401", "POST /api/v1/authorization -> 200", "GET /api/v1/coins -> 200"]


def test_an_expired_cash_point_token_is_renewed_on_401(sim, make_client, clock, caplog, sim_statuses):
    client = make_client()
    client.sign_in(ANNA["login"], ANNA["password"])
    request_id = client.topup_create(client.coins()[0], eur("5"))
    client.sign_in_cash_point()
    clock.advance(901)
    client.sign_in(ANNA["login"], ANNA["password"])  # a new visit; the cash point's token is stale
    caplog.set_level(logging.INFO)
    assert client.topup_accept(request_id).status == "ACCEPTED"
    assert "POST /api/v1/bank-top-ups/%d/accept -> 401" % request_id in sim_statuses(caplog)


def test_a_token_near_its_expiry_is_renewed_before_the_call(sim, make_client, clock, caplog, sim_statuses):
    client = make_client(clock=clock)  # the same clock as the platform
    client.sign_in(ANNA["login"], ANNA["password"])
    clock.advance(880)  # within the 30 s margin
    caplog.set_level(logging.INFO)
    caplog.clear()  # the sign-in above is logged too when another test left INFO on
    client.coins()
    assert sim_statuses(caplog) == ["POST /api/v1/authorization -> 200", "GET /api/v1/coins -> 200"]


def test_a_two_factor_customer_is_not_signed_in_again_silently(sim, make_client, clock):
    client = make_client()
    client.sign_in(TOM["login"], TOM["password"])
    client.confirm_otp(TOM["login"], sim.pending_otp(TOM["login"]))
    clock.advance(901)
    with pytest.raises(CustomerSignInExpired) as caught:
        client.coins()
    assert "sign in again" in str(caught.value)
    assert isinstance(caught.value, SessionRejected) and caught.value.code == "CUSTOMER_SIGN_IN_EXPIRED"
    assert sim.pending_otp(TOM["login"]) is None  # no code was texted behind the cashier's back


def test_sign_out_forgets_the_customer(sim, client):
    client.sign_in(ANNA["login"], ANNA["password"])
    assert client.customer_signed_in
    client.sign_out_customer()
    assert not client.customer_signed_in
    with pytest.raises(SessionRejected):
        client.coins()


def test_the_coin_and_amount_must_agree(sim, client):
    client.sign_in(ANNA["login"], ANNA["password"])
    usd = client.coins()[1]
    with pytest.raises(ValueError, match="holds USD"):
        client.topup_calculate(usd, eur("1"))
    with pytest.raises(ValueError):
        client.topup_accept(0)


def test_demo_users_from_info_sign_in(sim, client):
    for person in sim.info()["customers"]:
        result = client.sign_in(person["login"], person["password"])
        if isinstance(result, OtpRequired):
            result = client.confirm_otp(person["login"], sim.pending_otp(person["login"]))
        assert isinstance(result, SignedIn)
        assert [c.serial for c in client.coins()] == [c["serial"] for c in person["coins"]]


def test_timings_are_loopback_fast(sim, client):
    client.sign_in(ANNA["login"], ANNA["password"])
    started = time.monotonic()
    for _ in range(20):
        client.coins()
    assert time.monotonic() - started < 2.0
    assert isinstance(client.topup_status(client.topup_create(client.coins()[0], eur("1"))), TransferRequest)
    with pytest.raises(BusinessError):
        client.topup_status(999_999)
