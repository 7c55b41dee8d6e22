"""Every documented refusal and failure reaches the kiosk as a clean error kind; an unknown
outcome can be settled; nothing secret leaks into an exception or a log line."""

from __future__ import annotations

import logging
from decimal import Decimal

import httpx
import pytest

from kiosk.backends.base import (
    AuthenticationFailed,
    BackendError,
    BusinessError,
    HostUnreachable,
    InsufficientFunds,
    OtpRejected,
    OutcomeUnknown,
)
from kiosk.backends.sdkfinance import (
    AmountOutsideLimits,
    RequestAlreadySettled,
    RequestNotFound,
    SdkFinanceClient,
    SignInRejected,
)
from kiosk.money import Money
from kiosk.sim.sdkfinance import BASE_PATH
from tests.simserver import free_port

from .conftest import ANNA, CASH, LENA, RAJ, TOM, exception_text, secrets_of


def eur(text: str) -> Money:
    return Money(Decimal(text), "EUR")


@pytest.fixture
def anna(sim, client):
    client.sign_in(ANNA["login"], ANNA["password"])
    return client


def _raises(kind, call, *args, **kwargs) -> BackendError:
    with pytest.raises(kind) as caught:
        call(*args, **kwargs)
    return caught.value


# -- refusals ---------------------------------------------------------------------------------


def test_wrong_customer_password_is_sign_in_rejected(sim, client):
    error = _raises(SignInRejected, client.sign_in, ANNA["login"], "Wrong#pass9")
    assert isinstance(error, BusinessError) and error.host_code == "INVALID_CREDENTIALS"
    assert "login or password is wrong" in str(error)


def test_wrong_cash_point_password_is_authentication_failed(sim, make_client):
    client = make_client(cash_point_password="Wrong#pass9")
    client.sign_in(ANNA["login"], ANNA["password"])
    request_id = client.topup_create(client.coins()[0], eur("5"))
    error = _raises(AuthenticationFailed, client.topup_accept, request_id)
    assert "cash point's own login" in str(error)
    assert sim.request(request_id).status == "PENDING"


def test_no_cash_point_configured_is_authentication_failed(sim, make_client):
    client = make_client(cash_point_login=None, cash_point_password=None)
    _raises(AuthenticationFailed, client.withdrawal_accept, 100001)


def test_a_customer_login_as_the_cash_point_is_refused(sim, make_client):
    client = make_client(cash_point_login=ANNA["login"], cash_point_password=ANNA["password"])
    error = _raises(AuthenticationFailed, client.sign_in_cash_point)
    assert "customer wallet, not to a cash point" in str(error)


def test_a_two_factor_cash_point_login_is_refused(sim, make_client):
    client = make_client(cash_point_login=TOM["login"], cash_point_password=TOM["password"])
    _raises(AuthenticationFailed, client.sign_in_cash_point)


def test_wrong_and_expired_codes_are_otp_rejected(sim, client, clock):
    client.sign_in(TOM["login"], TOM["password"])
    otp = sim.pending_otp(TOM["login"])
    wrong = "000000" if otp != "000000" else "111111"
    error = _raises(OtpRejected, client.confirm_otp, TOM["login"], wrong)
    assert error.host_code == "OTP_INVALID" and "2 attempt" in str(error)
    _raises(OtpRejected, client.confirm_otp, TOM["login"], "12ab")  # not even digits: not sent
    clock.advance(301)
    error = _raises(OtpRejected, client.confirm_otp, TOM["login"], otp)
    assert error.host_code == "OTP_EXPIRED" and "sign the customer in again" in str(error)


def test_insufficient_funds(sim, client):
    client.sign_in(LENA["login"], LENA["password"])
    error = _raises(InsufficientFunds, client.withdrawal_create, client.coins()[0], eur("1"))
    assert error.host_code == "INSUFFICIENT_FUNDS"


def test_amount_limits(anna):
    main = anna.coins()[0]
    error = _raises(AmountOutsideLimits, anna.topup_create, main, eur("5000.01"))
    assert "5000.00 EUR" in str(error) and isinstance(error, BusinessError)
    _raises(AmountOutsideLimits, anna.withdrawal_calculate, main, eur("0.50"))


def test_blocked_coin_and_someone_elses_coin(sim, client):
    client.sign_in(RAJ["login"], RAJ["password"])
    blocked = client.coins()[1]
    assert blocked.active is False
    assert "blocked" in str(_raises(BusinessError, client.topup_create, blocked, eur("5")))
    tom_gbp = sim.coins(TOM["login"])[0].serial
    error = _raises(BusinessError, client.topup_calculate, tom_gbp, Money(Decimal("5"), "GBP"))
    assert error.host_code == "COIN_NOT_FOUND"


def test_unknown_request_and_a_request_settled_the_other_way(sim, anna):
    _raises(RequestNotFound, anna.topup_accept, 999_999)
    request_id = anna.topup_create(anna.coins()[0], eur("5"))
    anna.topup_decline(request_id)
    error = _raises(RequestAlreadySettled, anna.topup_accept, request_id)
    assert error.status == "DECLINED" and error.host_code == "REQUEST_ALREADY_DECLINED"
    assert "already declined" in str(error)
    repeat = anna.topup_decline(request_id)
    assert (repeat.status, repeat.already_settled) == ("DECLINED", True)


def test_validation_errors_are_business_errors_in_plain_words(sim, anna):
    # A coin serial of the right shape that the platform does not know.
    error = _raises(BusinessError, anna.topup_create, "no-such-coin", eur("5"))
    assert error.host_code == "COIN_NOT_FOUND"


# -- transport and server failures ------------------------------------------------------------


def test_nobody_listening_is_host_unreachable():
    port = free_port()
    client = SdkFinanceClient(f"http://127.0.0.1:{port}{BASE_PATH}", cash_point_login="a", cash_point_password="b")
    error = _raises(HostUnreachable, client.sign_in, ANNA["login"], ANNA["password"])
    assert "was not sent" in str(error)
    client.close()


def test_server_errors_on_reads_are_host_unreachable_and_on_money_calls_outcome_unknown(sim, anna):
    sim.inject_fault("error_before_apply", operation="coins")
    assert "Nothing was changed" in str(_raises(HostUnreachable, anna.coins))
    main = anna.coins()[0]
    sim.inject_fault("error_before_apply", operation="topup_create", status=503)
    error = _raises(OutcomeUnknown, anna.topup_create, main, eur("5"))
    assert error.host_code == "HTTP_503" and error.outcome_unknown


def test_sign_in_failures_are_host_unreachable(sim, client):
    sim.inject_fault("drop_before_apply", operation="authorization")
    _raises(HostUnreachable, client.sign_in, ANNA["login"], ANNA["password"])


# -- settling an unknown outcome --------------------------------------------------------------


def test_an_accept_that_timed_out_is_settled_by_sending_it_again(sim, make_client):
    client = make_client(timeout=0.3)
    client.sign_in(ANNA["login"], ANNA["password"])
    main = client.coins()[0]
    request_id = client.withdrawal_create(main, eur("100"))
    sim.inject_fault("timeout_after_apply", operation="withdrawal_accept", seconds=0.8, answer=True)
    error = _raises(OutcomeUnknown, client.withdrawal_accept, request_id)
    assert "may have been applied" in str(error)
    settled = client.withdrawal_accept(request_id)
    assert (settled.status, settled.already_settled) == ("ACCEPTED", True)
    assert sim.coin(main.serial).amount == Decimal("318.50")  # once


def test_an_accept_lost_before_it_applied_is_applied_by_the_retry(sim, anna):
    request_id = anna.topup_create(anna.coins()[0], eur("10"))
    sim.inject_fault("drop_before_apply", operation="topup_accept")
    _raises(OutcomeUnknown, anna.topup_accept, request_id)
    settled = anna.topup_accept(request_id)
    assert (settled.status, settled.already_settled) == ("ACCEPTED", False)


def test_a_lost_create_is_found_by_its_reference_and_declined(sim, anna):
    main = anna.coins()[0]
    sim.inject_fault("drop_after_apply", operation="withdrawal_create")
    _raises(OutcomeUnknown, anna.withdrawal_create, main, eur("100"), reference="visit-42")
    found = anna.withdrawal_find("visit-42")
    assert found is not None and found.status == "PENDING" and found.total == eur("101.50")
    assert anna.coins()[0].held == eur("101.50")
    anna.withdrawal_decline(found.request_id)  # the visit was abandoned: release the hold
    assert anna.coins()[0].held == eur("0.00")


def test_a_create_that_never_applied_is_not_found(sim, anna):
    sim.inject_fault("error_before_apply", operation="topup_create")
    _raises(OutcomeUnknown, anna.topup_create, anna.coins()[0], eur("5"), reference="visit-43")
    assert anna.topup_find("visit-43") is None


def test_a_magic_amount_from_the_kiosk_screen_settles_the_same_way(sim, anna):
    request_id = anna.topup_create(anna.coins()[0], eur("666.02"))
    _raises(OutcomeUnknown, anna.topup_accept, request_id)
    assert anna.topup_accept(request_id).already_settled is True


# -- secrets ----------------------------------------------------------------------------------


def test_no_secret_in_any_exception_or_debug_log(sim, make_client, caplog, clock):
    caplog.set_level(logging.DEBUG)
    client = make_client(timeout=0.3)
    errors: list[BaseException] = []

    def attempt(call, *args, **kwargs):
        try:
            return call(*args, **kwargs)
        except BackendError as exc:
            errors.append(exc)
            return None

    attempt(client.sign_in, TOM["login"], "Wrong#pass9")
    client.sign_in(TOM["login"], TOM["password"])
    otp = sim.pending_otp(TOM["login"])
    attempt(client.confirm_otp, TOM["login"], "000000" if otp != "000000" else "111111")
    client.confirm_otp(TOM["login"], otp)
    main = client.coins()[0]
    attempt(client.withdrawal_create, main, Money(Decimal("3000"), "GBP"))
    sim.inject_fault("drop_after_apply", operation="withdrawal_create")
    attempt(client.withdrawal_create, main, Money(Decimal("10"), "GBP"))
    clock.advance(901)
    attempt(client.coins)
    bad = make_client(cash_point_login=CASH["login"], cash_point_password="Wrong#pass9")
    attempt(bad.sign_in_cash_point)
    assert len(errors) == 6
    tokens = [t for t in (client._customer.token,) if t is not None]
    secret_texts = [*secrets_of(TOM, CASH), otp, "Wrong#pass9", *(t.get_secret_value() for t in tokens)]
    dumped = "\n".join(exception_text(e) for e in errors)
    dumped += "\n" + "\n".join(f"{r.name} {r.getMessage()}" for r in caplog.records)
    dumped += "\n" + repr(client) + repr(client._customer) + repr(client._cash_point)
    for secret in secret_texts:
        assert secret not in dumped, f"{secret!r} leaked"


def test_signed_in_never_prints_its_token(sim, client):
    signed = client.sign_in(ANNA["login"], ANNA["password"])
    assert signed.token.get_secret_value() not in repr(signed) + str(signed)
