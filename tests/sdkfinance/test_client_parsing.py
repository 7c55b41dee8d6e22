"""The client's tolerance for what other platform versions send, on a canned transport:
field-name variants, amounts as strings, wrapped or bare lists, garbled answers, 401 twice."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import httpx
import pytest

from kiosk.backends.base import AuthenticationFailed, HostUnreachable, OutcomeUnknown
from kiosk.backends.sdkfinance import SdkFinanceClient, SignedIn, mask_login, parse_expiry
from kiosk.money import Money

BASE = "https://wallet.example.com/api/v1"
MEMBERS = {"members": [{"token": {"token": "tok-1", "expiresAt": 1_900_000_000_000}, "user": {"id": 7, "name": "A"},
                        "organization": {"id": "o", "name": "Org"}, "role": "INDIVIDUAL"}]}
CASH_MEMBERS = {"members": [{"token": {"token": "tok-c", "expiresAt": "2030-01-01T00:00:00"},
                             "user": {"id": 1}, "organization": {}, "role": "merchant"}]}


class Host:
    def __init__(self) -> None:
        self.answers: dict[str, Callable[[httpx.Request], httpx.Response] | httpx.Response] = {}
        self.seen: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        key = f"{request.method} {request.url.path.removeprefix('/api/v1')}"
        if key == "POST /authorization" and key not in self.answers:
            login = httpx.Response(200, content=request.content).json()["login"]
            return httpx.Response(200, json=CASH_MEMBERS if login == "till" else MEMBERS)
        answer = self.answers[key]
        return answer(request) if callable(answer) else answer


@pytest.fixture
def host() -> Host:
    return Host()


@pytest.fixture
def client(host: Host):
    with SdkFinanceClient(BASE, transport=httpx.MockTransport(host), cash_point_login="till",
                          cash_point_password="secret-pw") as c:
        c.sign_in("anna@example.com", "pw-anna")
        yield c


def test_expiry_in_milliseconds_and_naive_iso():
    assert parse_expiry(1_900_000_000_000) == 1_900_000_000
    assert parse_expiry("2030-01-01T00:00:00") == parse_expiry("2030-01-01T00:00:00Z")
    assert parse_expiry("soon") is None and parse_expiry(None) is None


def test_role_and_ids_are_read_loosely(client):
    signed = client.sign_in("anna@example.com", "pw-anna")
    assert isinstance(signed, SignedIn) and signed.role == "individual" and signed.user_id == "7"


def test_coins_in_other_shapes(client, host):
    host.answers["GET /coins"] = httpx.Response(200, json={"records": [
        {"coinSerial": "c-1", "amount": "10.5", "issuer": {"currency": "EUR"}},
        {"serial": "c-2", "amount": 3, "held": "1", "currency": {"code": "USD"}, "active": False},
        {"serial": "c-3", "amount": 1, "issuer": {"sn": "ZZZ"}},  # unknown currency: dropped
    ]})
    one, two = client.coins()
    assert (one.serial, one.amount, one.available, one.held) == (
        "c-1", Money(Decimal("10.50"), "EUR"), Money(Decimal("10.50"), "EUR"), Money(Decimal("0.00"), "EUR"))
    assert (two.currency, two.available, two.active) == ("USD", Money(Decimal("2.00"), "USD"), False)
    host.answers["GET /coins"] = httpx.Response(200, json=[])
    assert client.coins() == []


def test_quote_with_a_commission_object_and_no_total(client, host):
    host.answers["POST /bank-withdrawals/calculate"] = httpx.Response(200, json={"commission": {"amount": "0.40"}})
    quote = client.withdrawal_calculate("c-1", Money(Decimal("10"), "EUR"))
    assert quote.total == Money(Decimal("10.40"), "EUR")
    sent = host.seen[-1]
    assert sent.headers["authorization"] == "Bearer tok-1"
    assert sent.content == b'{"coinSerial":"c-1","amount":10}'


def test_the_older_coin_field_is_sent_when_asked(host):
    with SdkFinanceClient(BASE, transport=httpx.MockTransport(host), coin_field="coin") as c:
        c.sign_in("a@example.com", "pw")
        host.answers["POST /bank-top-ups/create-request"] = httpx.Response(200, json={"requestId": "12"})
        assert c.topup_create("c-9", Money(Decimal("1.50"), "EUR")) == 12
        assert host.seen[-1].content == b'{"coin":"c-9","amount":1.50}'


def test_a_quote_for_another_amount_is_not_trusted(client, host):
    host.answers["POST /bank-top-ups/calculate"] = httpx.Response(200, json={"amount": 11, "commission": 0})
    with pytest.raises(HostUnreachable):
        client.topup_calculate("c-1", Money(Decimal("10"), "EUR"))


def test_an_accept_answered_with_just_the_id_or_nothing(client, host):
    host.answers["POST /bank-top-ups/5/accept"] = httpx.Response(200, json={"requestIdentifier": 5})
    assert client.topup_accept(5).status == "ACCEPTED"
    host.answers["POST /bank-top-ups/5/accept"] = httpx.Response(200)
    assert client.topup_accept(5).status == "ACCEPTED"
    host.answers["POST /bank-top-ups/5/accept"] = httpx.Response(200, json={"requestIdentifier": 6, "status": "ACCEPTED"})
    with pytest.raises(OutcomeUnknown):
        client.topup_accept(5)


@pytest.mark.parametrize("body", [b"<html>oops</html>", b'{"requestIdentifier": ', b'{"status": "ACCEPTED"}'])
def test_a_garbled_create_is_outcome_unknown(client, host, body):
    host.answers["POST /bank-withdrawals/with-bank"] = httpx.Response(200, content=body)
    with pytest.raises(OutcomeUnknown):
        client.withdrawal_create("c-1", Money(Decimal("1"), "EUR"))


def test_401_after_signing_in_again_is_authentication_failed(client, host):
    host.answers["GET /coins"] = httpx.Response(401, json={"code": "UNAUTHORIZED"})
    with pytest.raises(AuthenticationFailed) as caught:
        client.coins()
    assert caught.value.host_code == "UNAUTHORIZED" and "even after signing in again" in str(caught.value)
    assert [r.url.path for r in host.seen[-3:]] == ["/api/v1/coins", "/api/v1/authorization", "/api/v1/coins"]


@pytest.mark.parametrize("status", [408, 429])
def test_busy_is_host_unreachable(client, host, status):
    host.answers["POST /bank-top-ups/1/accept"] = httpx.Response(status)
    with pytest.raises(HostUnreachable):
        client.topup_accept(1)


def test_a_read_timeout_on_accept_is_outcome_unknown_without_the_url(client, host):
    def hang(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout(f"timed out talking to {request.url}", request=request)

    host.answers["POST /bank-withdrawals/3/accept"] = hang
    with pytest.raises(OutcomeUnknown) as caught:
        client.withdrawal_accept(3)
    assert "wallet.example.com/api" not in str(caught.value) and caught.value.__context__ is None


def test_a_host_message_echoing_secrets_is_scrubbed(client, host):
    host.answers["POST /bank-top-ups/create-request"] = httpx.Response(
        422, json={"code": "WEIRD", "message": "user anna@example.com pw-anna +447700900777 \x1b[31mred"})
    with pytest.raises(Exception) as caught:
        client.topup_create("c-1", Money(Decimal("1"), "EUR"))
    text = str(caught.value)
    assert "anna@example.com" not in text and "pw-anna" not in text and "447700900777" not in text
    assert "\x1b" not in text and "a***@example.com" in text and "(WEIRD)" in text


def test_mask_login():
    assert mask_login("anna@example.com") == "a***@example.com"
    assert mask_login("+447700900777") == "***0777"
    assert mask_login("ab") == "***"


def test_base_url_and_timeouts_are_checked():
    for url in ("ftp://x/api/v1", "https://user:pw@x/api/v1", "https://x/api/v1?q=1"):
        with pytest.raises(ValueError):
            SdkFinanceClient(url)
    with pytest.raises(ValueError):
        SdkFinanceClient(BASE, timeout=0)
    assert "secret" not in repr(SdkFinanceClient(BASE, cash_point_login="till", cash_point_password="secret-pw"))
