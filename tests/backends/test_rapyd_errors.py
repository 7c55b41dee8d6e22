"""Every way a call can fail becomes one error kind, and none of them leaks a secret.

Each case runs with the root logger capturing at DEBUG, then checks that neither the
exception (str, repr, traceback with chained exceptions) nor any log line holds the OTP, the
phone number, the access key or the secret key.
"""

from __future__ import annotations

import email.utils
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
    SessionRejected,
)
from kiosk.backends.rapyd import RapydClient, classify_refusal
from kiosk.money import Money

from .conftest import (
    GBP_ACCOUNT,
    NOW,
    OTP,
    PHONE,
    FakeHost,
    assert_no_secrets,
    exception_text,
    log_text,
    refusal,
)

GBP10 = Money(Decimal("10.00"), "GBP")


def run(client: RapydClient, operation: str) -> None:
    """One call of `operation`; money calls first open a session (always answered OK here)."""
    if operation == "login":
        client.open_session(PHONE, OTP, idempotency="k-login")
        return
    if operation == "echo":
        client.echo()
        return
    session = client.open_session(PHONE, OTP, idempotency="k-login")
    if operation == "withdraw":
        client.withdraw(session, GBP_ACCOUNT, GBP10, idempotency="k-op")
    elif operation == "deposit":
        client.deposit(session, GBP10, idempotency="k-op")
    elif operation == "reversal":
        client.reverse_withdrawal(session, GBP_ACCOUNT, GBP10, "tx-1", idempotency="k-op")
    elif operation == "logout":
        client.close_session(session, idempotency="k-op")


def expect(
    client: RapydClient, operation: str, kind: type[BackendError], caplog: pytest.LogCaptureFixture
) -> BackendError:
    caplog.set_level(logging.DEBUG)
    with pytest.raises(BackendError) as caught:
        run(client, operation)
    error = caught.value
    assert type(error) is kind, f"{type(error).__name__}: {error}"
    assert error.message and error.message == str(error)
    assert_no_secrets(exception_text(error), log_text(caplog))
    return error


# -- transport failures ----------------------------------------------------------------------

NOT_SENT = [httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.ProxyError]
SENT_NO_ANSWER = [httpx.ReadTimeout, httpx.WriteTimeout, httpx.RemoteProtocolError, httpx.ReadError,
                  httpx.WriteError]
OPERATIONS = ["login", "withdraw", "deposit", "reversal", "logout"]


@pytest.mark.parametrize("operation", OPERATIONS + ["echo"])
@pytest.mark.parametrize("failure", NOT_SENT)
def test_not_sent_is_host_unreachable(host: FakeHost, client: RapydClient, caplog, operation, failure) -> None:
    host.fail(operation, failure)
    error = expect(client, operation, HostUnreachable, caplog)
    assert not error.outcome_unknown
    assert "not sent" in error.message
    assert failure.__name__ in error.message  # the kind of failure, without its URL-laden text


@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.parametrize("failure", SENT_NO_ANSWER)
def test_sent_without_answer_is_outcome_unknown(host: FakeHost, client: RapydClient, caplog, operation, failure) -> None:
    host.fail(operation, failure)
    error = expect(client, operation, OutcomeUnknown, caplog)
    assert error.outcome_unknown
    assert_says_unknown(operation, error)


def assert_says_unknown(operation: str, error: BackendError) -> None:
    if operation == "login":  # no money moves on login; the cashier needs to know what to do
        assert "session may have been opened" in error.message and "new code" in error.message
    else:
        assert "may have been applied" in error.message


@pytest.mark.parametrize("failure", SENT_NO_ANSWER)
def test_echo_without_answer_is_a_health_failure(host: FakeHost, client: RapydClient, caplog, failure) -> None:
    host.fail("echo", failure)
    expect(client, "echo", HostUnreachable, caplog)


# -- HTTP status -----------------------------------------------------------------------------


@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_is_outcome_unknown(host: FakeHost, client: RapydClient, caplog, operation, status) -> None:
    host.respond(operation, status, b"upstream failed")
    error = expect(client, operation, OutcomeUnknown, caplog)
    assert error.host_code == f"HTTP_{status}"
    assert_says_unknown(operation, error)


def test_5xx_keeps_the_host_code_when_it_gave_one(host: FakeHost, client: RapydClient, caplog) -> None:
    host.respond("withdraw", 500, refusal("INTERNAL_ERROR", "try later"))
    assert expect(client, "withdraw", OutcomeUnknown, caplog).host_code == "INTERNAL_ERROR"


@pytest.mark.parametrize("status", [429, 408])
def test_busy_is_host_unreachable(host: FakeHost, client: RapydClient, caplog, status) -> None:
    # A 429 / 408 means the host turned the request away unread: nothing applied, retry later.
    host.respond("withdraw", status, b"")
    error = expect(client, "withdraw", HostUnreachable, caplog)
    assert "busy" in error.message and error.host_code == f"HTTP_{status}"


def test_redirect_is_not_an_answer(host: FakeHost, client: RapydClient, caplog) -> None:
    host.respond("withdraw", 302, b"", headers={"location": "https://elsewhere/"})
    expect(client, "withdraw", OutcomeUnknown, caplog)


def test_unknown_4xx_without_envelope_is_a_decline(host: FakeHost, client: RapydClient, caplog) -> None:
    host.respond("withdraw", 404, b"<html>Not Found</html>")
    error = expect(client, "withdraw", BusinessError, caplog)
    assert error.host_code == "HTTP_404" and "HTTP 404" in error.message


# -- authentication --------------------------------------------------------------------------


@pytest.mark.parametrize("operation", OPERATIONS + ["echo"])
@pytest.mark.parametrize(
    ("status", "code"),
    [(401, "UNAUTHENTICATED_API_CALL"), (401, "UNAUTHORIZED_API_CALL"), (400, "MISSING_AUTHENTICATION_HEADERS"),
     (401, "")],
)
def test_authentication_refusals(host: FakeHost, client: RapydClient, caplog, operation, status, code) -> None:
    host.respond(operation, status, refusal(code, "The request did not contain the required headers") if code else b"")
    error = expect(client, operation, AuthenticationFailed, caplog)
    assert error.host_code == (code or "HTTP_401")
    if code != "UNAUTHORIZED_API_CALL":
        assert "clock" in error.message


def _http_date(seconds: float) -> str:
    return email.utils.formatdate(seconds, usegmt=True)


@pytest.mark.parametrize(
    ("host_time", "note"),
    [(NOW - 120, "120 s ahead"), (NOW + 300, "300 s behind"), (NOW, None)],
)
def test_signature_refusal_tells_the_clock_skew(host: FakeHost, client: RapydClient, caplog, host_time, note) -> None:
    host.respond("echo", 401, refusal("UNAUTHENTICATED_API_CALL"), headers={"date": _http_date(host_time)})
    error = expect(client, "echo", AuthenticationFailed, caplog)
    if note:
        assert note in error.message
    else:
        assert "clock is about" not in error.message


# -- business refusals -----------------------------------------------------------------------


@pytest.mark.parametrize("status", [400, 200, 403, 422])
@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("ERROR_INVALID_OTP", f"OTP {OTP} is not valid"),
        ("ERROR_OTP_EXPIRED", ""),
        ("INVALID_OTP_CODE", "The one-time password has been used"),
        ("ERROR_LOGIN", "The code has expired"),
        ("INVALID_CODE", ""),
        ("ERROR_WRONG_ONE_TIME_PASSWORD", ""),
    ],
)
def test_otp_refusals(host: FakeHost, client: RapydClient, caplog, status, code, message) -> None:
    host.respond("login", status, refusal(code, message))
    error = expect(client, "login", OtpRejected, caplog)
    assert error.host_code == code and "new code" in error.message


def test_otp_refused_with_401_is_still_the_otp(host: FakeHost, client: RapydClient, caplog) -> None:
    host.respond("login", 401, refusal("ERROR_INVALID_OTP"))
    expect(client, "login", OtpRejected, caplog)


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("ERROR_INSUFFICIENT_FUNDS", ""),
        ("NOT_ENOUGH_BALANCE", ""),
        ("ERROR_WITHDRAW", "Withdrawal amount exceeds the account balance"),
        ("ERROR_WALLET_BALANCE_TOO_LOW", ""),
        ("", "Not enough funds in account for +14155559992"),
        ("ERROR_BALANCE_IS_INSUFFICIENT", ""),
    ],
)
def test_funds_refusals(host: FakeHost, client: RapydClient, caplog, code, message) -> None:
    host.respond("withdraw", 400, refusal(code, message))
    error = expect(client, "withdraw", InsufficientFunds, caplog)
    assert error.host_code == (code or "HTTP_400")


@pytest.mark.parametrize("operation", ["withdraw", "deposit", "reversal", "logout"])
@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("ERROR_SESSION_CLOSED", ""),
        ("ERROR_INVALID_TOKEN", ""),
        ("ERROR_OPERATION_ID_NOT_VALID", ""),
        ("ERROR_POS", "Session was already used for an action"),
        ("ERROR_NOT_LOGGED_IN", ""),
    ],
)
def test_session_refusals(host: FakeHost, client: RapydClient, caplog, operation, code, message) -> None:
    host.respond(operation, 400, refusal(code, message))
    expect(client, operation, SessionRejected, caplog)


@pytest.mark.parametrize(
    ("operation", "code", "message", "shown"),
    [
        ("deposit", "ERROR_AMOUNT_MUST_BE_POSITIVE", "Amount must be positive", "Amount must be positive (ERROR_AMOUNT_MUST_BE_POSITIVE)"),
        ("withdraw", "ERROR_AMOUNT_NOT_VALID", "", "ERROR_AMOUNT_NOT_VALID"),
        ("deposit", "ERROR_DEPOSIT_EXCEEDS_MAX_BALANCE", "Deposit exceeds maximum balance", "maximum balance"),
        ("login", "ERROR_WALLET_NOT_FOUND", f"No wallet for phone {PHONE}", "No wallet for phone ***9992"),
        ("login", "ERROR_PHONE", "Invalid country code", "Invalid country code"),
        ("reversal", "ERROR_TRANSACTION_ALREADY_REVERSED", "Already reversed", "Already reversed"),
        ("withdraw", "ERROR_LIMIT", "Daily limit exceeded\r\n\x1b[31mX", "Daily limit exceeded X"),
    ],
)
def test_other_refusals_are_declines_with_a_safe_message(
    host: FakeHost, client: RapydClient, caplog, operation, code, message, shown
) -> None:
    host.respond(operation, 400, refusal(code, message))
    error = expect(client, operation, BusinessError, caplog)
    assert shown in error.message
    assert error.host_code == code
    assert "\n" not in error.message and "\x1b" not in error.message


def test_host_message_cannot_smuggle_secrets(host: FakeHost, client: RapydClient, caplog) -> None:
    from .conftest import ACCESS_KEY, SECRET_KEY

    host.respond(
        "login", 400,
        refusal("ERROR_X", f"key {ACCESS_KEY} secret {SECRET_KEY} phone 1-415-555-9992 path /v1/pos/login/p/{OTP}"),
    )
    error = expect(client, "login", BusinessError, caplog)
    assert len(error.message) < 300


def test_an_error_envelope_with_http_200_is_a_refusal(host: FakeHost, client: RapydClient, caplog) -> None:
    host.respond("withdraw", 200, refusal("ERROR_INSUFFICIENT_FUNDS"))
    expect(client, "withdraw", InsufficientFunds, caplog)


@pytest.mark.parametrize(
    ("call", "code", "message", "kind"),
    [
        ("login", "UNAUTHENTICATED_API_CALL", "otp", AuthenticationFailed),
        ("deposit", "INSUFFICIENT_FUNDS", "", BusinessError),  # only withdrawals lack funds
        ("withdraw", "INSUFFICIENT_PERMISSIONS", "", BusinessError),
        ("withdraw", "FOOTPRINT_ERROR", "", BusinessError),  # "OTP" inside a word is not the OTP
        ("login", "ERROR", "invalid currency code", BusinessError),
        ("withdraw", "ERROR_OTP_REQUIRED", "", OtpRejected),
        ("login", "SESSION_LIMIT", "", SessionRejected),
        ("login", "ERROR_INVALID_POS_ID", "The pos_id is not a point of sale of this account", AuthenticationFailed),
        ("withdraw", "ERROR_POS_ID_NOT_FOUND", "", AuthenticationFailed),
        ("withdraw", "ERROR_POS", "Session was already used", SessionRejected),
    ],
)
def test_classify_refusal_table(call, code, message, kind) -> None:
    assert classify_refusal(call, 400, code, message) is kind


# -- refused before sending ------------------------------------------------------------------


def test_malformed_inputs_are_refused_before_sending(host: FakeHost, client: RapydClient, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    with pytest.raises(OtpRejected) as bad_otp:
        client.open_session(PHONE, "12ab56", idempotency="k")
    with pytest.raises(BusinessError) as bad_phone:
        client.open_session("4155559992", OTP, idempotency="k")
    with pytest.raises(ValueError):
        client.open_session(PHONE, OTP, idempotency="")
    assert host.requests == []
    assert_no_secrets(exception_text(bad_otp.value), exception_text(bad_phone.value), log_text(caplog))
    assert "12ab56" not in str(bad_otp.value)

    session = client.open_session(PHONE, " 876 680 ", idempotency="k")  # spaces typed by the cashier
    assert host.requests[-1].url.path.endswith(f"/{OTP}")
    with pytest.raises(ValueError):
        client.withdraw(session, GBP_ACCOUNT, Money(Decimal("10.00"), "EUR"), idempotency="k2")
    with pytest.raises(ValueError):
        client.withdraw(session, GBP_ACCOUNT, Money(Decimal("0.00"), "GBP"), idempotency="k2")
    with pytest.raises(ValueError):
        client.withdraw(session, "../deposit", GBP10, idempotency="k2")
    with pytest.raises(ValueError):
        client.reverse_withdrawal(session, GBP_ACCOUNT, GBP10, "tx\r\n1", idempotency="k2")
    assert len(host.requests) == 1


# -- logging ---------------------------------------------------------------------------------


def test_request_log_line_is_redacted(host: FakeHost, client: RapydClient, caplog) -> None:
    caplog.set_level(logging.DEBUG, logger="kiosk.backends.rapyd")
    client.open_session(PHONE, OTP, idempotency="k")
    lines = [r.getMessage() for r in caplog.records if r.name == "kiosk.backends.rapyd"]
    assert any("POST /v1/pos/login/" in line and "/******" in line and "-> 200" in line and " ms" in line for line in lines)
    assert_no_secrets(*lines)


def test_httpx_request_logging_is_quiet_and_redacted(host: FakeHost, client: RapydClient, caplog) -> None:
    httpx_log = logging.getLogger("httpx")
    assert httpx_log.level == logging.WARNING
    httpx_log.setLevel(logging.INFO)  # an operator turning it up again
    try:
        caplog.set_level(logging.DEBUG)
        client.open_session(PHONE, OTP, idempotency="k")
    finally:
        httpx_log.setLevel(logging.WARNING)
    httpx_lines = [r.getMessage() for r in caplog.records if r.name == "httpx"]
    assert httpx_lines and all("******" in line for line in httpx_lines)
    assert_no_secrets(log_text(caplog))
