"""Reading the host's answers: tolerant of the documented looseness, strict where it matters."""

from __future__ import annotations

import logging
from decimal import Decimal

import httpx
import pytest

from kiosk.backends.base import HostReceipt, HostUnreachable, OutcomeUnknown
from kiosk.backends.rapyd import RapydClient, mask_phone, parse_envelope, redact_url
from kiosk.money import Money

from .conftest import (
    ACCESS_KEY,
    GBP_ACCOUNT,
    LOGIN_DATA,
    OTP,
    PHONE,
    SECRET_KEY,
    FakeHost,
    assert_no_secrets,
    envelope,
    exception_text,
)

GBP10 = Money(Decimal("10.00"), "GBP")


def login_answer(accounts: list[dict], **status: str) -> dict:
    return envelope({**LOGIN_DATA, "accounts": accounts}, **status)


def account(**fields) -> dict:
    base = {"account_id": GBP_ACCOUNT, "account_currency": "GBP", "account_alias": "GBP", "account_balance": 189}
    return {**base, **fields}


@pytest.mark.parametrize("error_code", ["0", "", None, 0])
def test_success_error_code_may_be_zero_empty_or_missing(host: FakeHost, client: RapydClient, error_code) -> None:
    body = envelope(LOGIN_DATA)
    if error_code is None:
        del body["status"]["error_code"]
    else:
        body["status"]["error_code"] = error_code
    host.respond("login", 200, body)
    session = client.open_session(PHONE, OTP, idempotency="k")
    assert session.token_id == LOGIN_DATA["token_id"]
    assert session.operation_id == LOGIN_DATA["operation_id"]
    assert session.phone == PHONE


def test_seed_login_answer_gives_the_gbp_account(client: RapydClient) -> None:
    session = client.open_session(PHONE, OTP, idempotency="k")
    assert session.accounts == [
        session.account(GBP_ACCOUNT),
    ]
    gbp = session.account_for("GBP")
    assert gbp is not None and gbp.alias == "GBP"
    assert gbp.balance == Money(Decimal("189.00"), "GBP")


@pytest.mark.parametrize(
    ("balance", "expected"),
    [(189, "189.00"), ("189", "189.00"), ("955.1", "955.10"), ("0", "0.00"), ("-5.25", "-5.25")],
)
def test_balances_as_numbers_or_strings(host: FakeHost, client: RapydClient, balance, expected) -> None:
    host.respond("login", 200, login_answer([account(account_balance=balance)]))
    (gbp,) = client.open_session(PHONE, OTP, idempotency="k").accounts
    assert gbp.balance.amount == Decimal(expected)


def test_json_fractions_are_read_exactly_never_as_float(host: FakeHost, client: RapydClient) -> None:
    raw = (
        b'{"status":{"error_code":"0","status":"SUCCESS"},"data":{"token_id":"t","operation_id":"o",'
        b'"accounts":[{"account_id":"a1","account_currency":"GBP","account_balance":955.1},'
        b'{"account_id":"a2","account_currency":"JPY","account_balance":1e3},'
        b'{"account_id":"a3","account_currency":"BHD","account_balance":0.105}]}}'
    )
    host.respond("login", 200, raw)
    gbp, jpy, bhd = client.open_session(PHONE, OTP, idempotency="k").accounts
    assert gbp.balance.amount == Decimal("955.10")
    assert jpy.balance.amount == Decimal("1000")
    assert bhd.balance.amount == Decimal("0.105")


def test_optional_fields_may_be_missing(host: FakeHost, client: RapydClient) -> None:
    bare = {"account_id": "a-1", "account_currency": "eur", "account_balance": "12.5"}
    body = login_answer([bare])
    del body["status"]["response_code"], body["status"]["message"]
    host.respond("login", 200, body)
    (eur,) = client.open_session(PHONE, OTP, idempotency="k").accounts
    assert eur.account_id == "a-1"
    assert eur.currency == "EUR"  # lower case accepted
    assert eur.alias == "EUR"  # no alias: the currency stands in
    assert eur.balance == Money(Decimal("12.50"), "EUR")


def test_a_wallet_without_accounts_is_a_valid_session(host: FakeHost, client: RapydClient) -> None:
    for accounts in ([], None):
        host.respond("login", 200, envelope({**LOGIN_DATA, "accounts": accounts}))
        assert client.open_session(PHONE, OTP, idempotency="k").accounts == []


def test_unknown_currency_account_is_dropped_with_a_warning(
    host: FakeHost, client: RapydClient, caplog: pytest.LogCaptureFixture
) -> None:
    host.respond("login", 200, login_answer([account(), account(account_id="x-9", account_currency="XBT")]))
    with caplog.at_level(logging.WARNING, logger="kiosk.backends.rapyd"):
        session = client.open_session(PHONE, OTP, idempotency="k")
    assert [a.currency for a in session.accounts] == ["GBP"]
    assert any("XBT" in r.getMessage() and "dropped" in r.getMessage() for r in caplog.records)


def test_money_answers_become_receipts(host: FakeHost, client: RapydClient) -> None:
    session = client.open_session(PHONE, OTP, idempotency="k")
    assert client.withdraw(session, GBP_ACCOUNT, GBP10, idempotency="k2") == HostReceipt(
        "tx-wd-1", "0c211a3c-a4c4-4708-bbe9-7628ddd07437"  # status.operation_id when data has none
    )
    assert client.reverse_withdrawal(session, GBP_ACCOUNT, GBP10, "tx-wd-1", idempotency="k3") == HostReceipt(
        "tx-rev-1", "op-rev"
    )
    host.respond("deposit", 200, envelope({"transaction_id": 123456789}))  # a number: taken as text
    assert client.deposit(session, GBP10, idempotency="k4").transaction_id == "123456789"
    client.close_session(session, idempotency="k5")
    client.echo()


GARBLED = [
    pytest.param(b"", id="empty"),
    pytest.param(b"<html><body>Bad gateway</body></html>", id="html"),
    pytest.param(b'{"status": {"status": "SUCCESS"', id="truncated"),
    pytest.param(b"[1, 2]", id="a-list"),
    pytest.param(b'{"data": {"transaction_id": "t"}}', id="no-status"),
    pytest.param(b'{"status": "SUCCESS", "data": {"transaction_id": "t"}}', id="status-not-object"),
    pytest.param(b'{"status": {"status": "SUCCESS"}}', id="no-data"),
    pytest.param(b'{"status": {"status": "SUCCESS"}, "data": {"transaction_id": ""}}', id="empty-txid"),
    pytest.param(b'{"status": {"status": "SUCCESS"}, "data": {"transaction_id": null}}', id="null-txid"),
    pytest.param(b'{"status": {"status": "SUCCESS"}, "data": {"transaction_id": "a/../b"}}', id="txid-with-slash"),
    pytest.param(b'{"status": {"status": "SUCCESS"}, "data": {"transaction_id": true}}', id="txid-bool"),
    pytest.param(b'{"status": {"status": "SUCCESS", "error_code": "E1"}, "data": {"transaction_id": "t"}}',
                 id="success-with-error-code"),
    pytest.param(b'{"status": {"status": "PENDING"}, "data": {"transaction_id": "t"}}', id="odd-status"),
    pytest.param(b'{"status": {"status": "SUCCESS"}, "data": {"transaction_id": NaN}}', id="nan"),
    pytest.param(b"\xff\xfe{}", id="not-utf8"),
]


@pytest.mark.parametrize("body", GARBLED)
def test_garbled_answer_to_a_withdrawal_is_outcome_unknown(host: FakeHost, client: RapydClient, body) -> None:
    session = client.open_session(PHONE, OTP, idempotency="k")
    host.respond("withdraw", 200, body)
    with pytest.raises(OutcomeUnknown) as caught:
        client.withdraw(session, GBP_ACCOUNT, GBP10, idempotency="k2")
    assert caught.value.outcome_unknown
    assert "may have been applied" in caught.value.message
    assert_no_secrets(exception_text(caught.value))


@pytest.mark.parametrize("body", GARBLED[:6])
def test_garbled_answer_to_a_deposit_is_outcome_unknown(host: FakeHost, client: RapydClient, body) -> None:
    session = client.open_session(PHONE, OTP, idempotency="k")
    host.respond("deposit", 200, body)
    with pytest.raises(OutcomeUnknown):
        client.deposit(session, GBP10, idempotency="k2")


@pytest.mark.parametrize(
    "data",
    [
        pytest.param({"operation_id": "o", "accounts": []}, id="no-token"),
        pytest.param({"token_id": "t", "accounts": []}, id="no-operation"),
        pytest.param({"token_id": "t\r\nX-Evil: 1", "operation_id": "o"}, id="header-injection"),
        pytest.param({**LOGIN_DATA, "accounts": [account(account_balance="lots")]}, id="balance-not-number"),
        pytest.param({**LOGIN_DATA, "accounts": [account(account_balance=None)]}, id="balance-null"),
        pytest.param({**LOGIN_DATA, "accounts": [account(account_id="")]}, id="empty-account-id"),
        pytest.param({**LOGIN_DATA, "accounts": [account(account_id="../withdraw")]}, id="account-id-path"),
        pytest.param({**LOGIN_DATA, "accounts": [account(), account()]}, id="duplicate-account"),
        pytest.param({**LOGIN_DATA, "accounts": "GBP"}, id="accounts-not-list"),
        pytest.param({**LOGIN_DATA, "accounts": ["GBP"]}, id="account-not-object"),
    ],
)
def test_garbled_answer_to_open_session_is_outcome_unknown_and_says_so(
    host: FakeHost, client: RapydClient, data
) -> None:
    host.respond("login", 200, envelope(data))
    with pytest.raises(OutcomeUnknown) as caught:
        client.open_session(PHONE, OTP, idempotency="k")
    assert "session may have been opened" in caught.value.message
    assert "new code" in caught.value.message
    assert_no_secrets(exception_text(caught.value))


@pytest.mark.parametrize("body", GARBLED[:6])
def test_garbled_answer_to_echo_is_a_health_failure(host: FakeHost, client: RapydClient, body) -> None:
    host.respond("echo", 200, body)
    with pytest.raises(HostUnreachable) as caught:
        client.echo()
    assert not caught.value.outcome_unknown
    assert "may have been applied" not in caught.value.message


def test_parse_envelope_directly() -> None:
    assert parse_envelope(b'{"status": {"error_code": 0, "status": "success"}}').status.outcome == "success"
    assert parse_envelope(b'{"status": {"error_code": "X", "status": "ERROR"}}').status.outcome == "error"
    assert parse_envelope(b'{"status": {"error_code": "X"}}').status.outcome == "error"
    assert parse_envelope(b'{"status": {"error_code": {"a": 1}}}') is None
    assert parse_envelope(b"null") is None


@pytest.mark.parametrize(
    ("path", "shown"),
    [
        (f"/v1/pos/login/pos-1/{OTP}", "/v1/pos/login/pos-1/******"),
        (f"https://sandboxpos.rapyd.net/v1/pos/login/pos-1/{OTP}?a=1", "https://sandboxpos.rapyd.net/v1/pos/login/pos-1/******?a=1"),
        (f"POST /v1/pos/login/pos-1/{OTP} -> 200", "POST /v1/pos/login/pos-1/****** -> 200"),
        (f"/v1/pos/login/{OTP}", "/v1/pos/login/******"),  # one segment: could be the code
        (f"/v1/pos/login/pos-1/{OTP}/extra", "/v1/pos/login/pos-1/******"),
        ("/v1/pos/withdraw/acc-1/10", "/v1/pos/withdraw/acc-1/10"),
        ("/v1/pos/logout", "/v1/pos/logout"),
    ],
)
def test_redact_url(path: str, shown: str) -> None:
    assert redact_url(path) == shown


def test_mask_phone() -> None:
    assert mask_phone(PHONE) == "***9992"
    assert mask_phone("12") == "***"


def test_repr_and_vars_hold_no_secret(client: RapydClient) -> None:
    session = client.open_session(PHONE, OTP, idempotency="k")
    assert_no_secrets(repr(client), str(client), repr(vars(client)), repr(session))
    assert "sandboxpos.rapyd.net" in repr(client)


def test_constructor_refuses_bad_settings() -> None:
    with pytest.raises(ValueError):
        RapydClient("ftp://host", ACCESS_KEY, SECRET_KEY, "pos")
    with pytest.raises(ValueError):
        RapydClient("https://user:pw@host", ACCESS_KEY, SECRET_KEY, "pos")
    with pytest.raises(ValueError):
        RapydClient("https://host", "", SECRET_KEY, "pos")
    with pytest.raises(ValueError):
        RapydClient("https://host", ACCESS_KEY, SECRET_KEY, "pos/../x")
    with pytest.raises(ValueError):
        RapydClient("https://host", ACCESS_KEY, SECRET_KEY, "pos", timestamp_backdate=90)


def test_timeouts_bound_every_call() -> None:
    client = RapydClient("https://host", ACCESS_KEY, SECRET_KEY, "pos", timeout=7.5, connect_timeout=2.0)
    assert client._http.timeout == httpx.Timeout(7.5, connect=2.0)
    client.close()


def test_http_base_url_off_this_machine_warns(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="kiosk.backends.rapyd"):
        RapydClient("http://10.0.0.5:8700", ACCESS_KEY, SECRET_KEY, "pos").close()
        RapydClient("http://127.0.0.1:8700", ACCESS_KEY, SECRET_KEY, "pos").close()
    assert len([r for r in caplog.records if "not HTTPS" in r.getMessage()]) == 1


def test_account_alias_is_made_printable(host: FakeHost, client: RapydClient) -> None:
    host.respond("login", 200, login_answer([account(account_alias="Savings\x1b[2J\u202e\n  £")]))
    (gbp,) = client.open_session(PHONE, OTP, idempotency="k").accounts
    assert gbp.alias == "Savings £"
