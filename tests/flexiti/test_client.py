"""The Flexiti client against the simulator over loopback: tokens, each verification format,
each documented refusal as its error kind in plain words, and settling an unknown outcome."""

from __future__ import annotations

import urllib.parse
from decimal import Decimal

import httpx
import pytest

from kiosk.backends.base import (
    AuthenticationFailed,
    BusinessError,
    HostUnreachable,
    InsufficientFunds,
    OtpRejected,
    OutcomeUnknown,
)
from kiosk.backends.flexiti import (
    AccountOnHold,
    BypassNotAllowed,
    CustomerNotFound,
    FlexitiClient,
    InvalidRequest,
    NotEnoughCredit,
    NotVerified,
    OverrideNotAllowed,
    PaymentLimitExceeded,
    TriesExceeded,
    UserNotActive,
    WrongSecurityAnswer,
    WrongVerificationCode,
)
from kiosk.money import Money
from kiosk.sim.flexiti import DEMO_CLIENT_ID, DEMO_CUSTOMERS, DEMO_LOCATION_ID
from tests.simserver import free_port

from .conftest import JANE, LIAM, MARIE, SAM


def cad(text: str) -> Money:
    return Money(Decimal(text), "CAD")


class Recorder(httpx.BaseTransport):
    """A real HTTP transport that remembers each request's path and form (for token calls)."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.calls: list[tuple[str, dict[str, str]]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        form = dict(urllib.parse.parse_qsl(request.content.decode())) if request.url.path.endswith("/token") else {}
        self.calls.append((request.url.path.rsplit("/", 1)[-1], form))
        return self.inner.handle_request(request)

    def grants(self) -> list[str]:
        return [form["grant_type"] for path, form in self.calls if path == "token"]

    def close(self) -> None:
        self.inner.close()


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


# -- tokens ------------------------------------------------------------------------------------


def test_token_is_fetched_lazily_and_reused(sim, make_client, recorder):
    client = make_client(transport=recorder)
    assert recorder.calls == []
    client.lookup_by_account(JANE)
    client.lookup_by_account(SAM)
    assert recorder.grants() == ["client_credentials"]


def test_token_is_refreshed_before_it_expires(sim, make_client, recorder, clock):
    client = make_client(transport=recorder)
    client.lookup_by_account(JANE)
    clock.advance(269)  # 31 s left: still used as it is
    client.lookup_by_account(JANE)
    assert recorder.grants() == ["client_credentials"]
    clock.advance(2)  # 29 s left: inside the 30 s margin, refreshed with the refresh token
    client.lookup_by_account(JANE)
    assert recorder.grants() == ["client_credentials", "refresh_token"]
    clock.advance(400)  # long expired: the refresh token is dead, start over
    client.lookup_by_account(JANE)
    assert recorder.grants() == ["client_credentials", "refresh_token", "client_credentials"]


def test_a_refused_refresh_falls_back_to_client_credentials(make_sim, make_client, recorder, clock):
    make_sim()
    client = make_client(transport=recorder)
    client.lookup_by_account(JANE)
    make_sim()  # the host forgot every token
    clock.advance(280)
    client.lookup_by_account(JANE)
    assert recorder.grants() == ["client_credentials", "refresh_token", "client_credentials"]


def test_a_401_fetches_a_new_token_and_sends_once_more(make_sim, make_client, recorder):
    make_sim()
    client = make_client(transport=recorder)
    client.lookup_by_account(JANE)
    make_sim()  # the token the client holds is unknown to the host now
    account = client.lookup_by_account(JANE)
    assert account.first_name == "Jane"
    assert [path for path, _ in recorder.calls] == ["token", "lookup", "lookup", "token", "lookup"]


def test_wrong_credentials_are_authentication_failed(sim, make_client):
    client = make_client(client_secret="not-the-secret")
    with pytest.raises(AuthenticationFailed) as caught:
        client.lookup_by_account(JANE)
    assert "client id and client secret" in str(caught.value) and caught.value.host_code == "invalid_client"
    assert "not-the-secret" not in str(caught.value)


# -- look-ups -----------------------------------------------------------------------------------


def test_lookup_by_account(sim, client):
    account = client.lookup_by_account(JANE)
    assert (account.name, account.account_status, account.in_good_standing) == ("Jane Tremblay", "N", True)
    assert account.available_credit == cad("3800.00") and account.credit_limit == cad("5000.00")
    assert account.security_question is not None and account.security_question.id == "1"
    assert account.phone_ending == "0142" and account.email_hint == "j***@example.com"
    with pytest.raises(CustomerNotFound, match="No Flexiti account matches that account number"):
        client.lookup_by_account("999999999")
    with pytest.raises(UserNotActive, match="not activated"):
        client.lookup_by_account(MARIE)


def test_lookup_by_name(sim, client):
    (account,) = client.lookup_by_name("Samuel", "Okafor", "1990-11-02")
    assert account.account_number == SAM and account.available_credit == cad("50.00")
    assert client.lookup_by_name("Samuel", "Okafor", "1990-11-03") == []


def test_lookup_by_licence_scan(sim, client):
    sam = DEMO_CUSTOMERS[1]
    found = client.lookup_by_licence(sam.licence_scan)
    assert (found.holder.first_name, found.holder.last_name, found.holder.dob) == ("Samuel", "Okafor", sam.dob)
    assert [a.account_number for a in found.accounts] == [SAM]
    assert sam.licence_number not in repr(found) and sam.licence_number not in str(found)
    with pytest.raises(InvalidRequest, match="fields: code"):
        client.lookup_by_licence("not a licence")


# -- verification formats ----------------------------------------------------------------------


def test_sms_and_email_send_the_pin_to_the_customer(sim, client):
    flow = client.new_flow()
    for channel in ("sms", "email"):
        verification = client.verify(JANE, channel, request_id=flow.request_id, flow=flow)
        assert verification.pin is None and verification.sent_to == channel
    result = client.transaction("deposit", JANE, cad("40.00"), sim.last_pin(JANE), flow.request_id, "k-1", flow=flow)
    assert result.amount == cad("40.00") and result.available_credit == cad("3840.00")
    assert sim.transactions()[0].reference_id == flow.reference_id


def test_inline_formats_give_the_pin(sim, client):
    flow = client.new_flow()
    question = client.verify(JANE, "security_question", request_id=flow.request_id, security_qid="1",
                             security_answer="Biscuit", flow=flow)
    assert question.sent_to is None and question.pin is not None and len(question.pin) == 8
    assert "Biscuit" not in repr(question) and question.pin not in repr(question)
    bypass = client.verify(JANE, "regular_purchase_bypass", request_id=flow.request_id, flow=flow)
    override = client.verify(SAM, "merchant_override", request_id=flow.request_id, flow=flow)
    assert bypass.pin and override.pin and len(bypass.pin) == len(override.pin) == 4
    result = client.transaction("instore_payment", SAM, cad("20.00"), override.pin, flow.request_id, "k-2", flow=flow)
    assert result.kind == "instore_payment" and result.available_credit == cad("30.00")


def test_bypass_and_override_where_not_allowed(make_sim, client):
    make_sim(merchant_override_allowed=False)
    with pytest.raises(OverrideNotAllowed, match="not set up for merchant override"):
        client.verify(JANE, "merchant_override", request_id="r")
    with pytest.raises(BypassNotAllowed, match="does not qualify"):
        client.verify(SAM, "regular_purchase_bypass", request_id="r")


def test_three_tries_lockout_is_shown_plainly(sim, client):
    messages = []
    for _ in range(3):
        with pytest.raises(WrongSecurityAnswer) as caught:
            client.verify(JANE, "security_question", request_id="r", security_qid="1", security_answer="Rex")
        assert isinstance(caught.value, OtpRejected)
        messages.append(str(caught.value))
    assert "(2 tries left)" in messages[0] and "(1 try left)" in messages[1]
    assert "that was the last try" in messages[2] and "locked for 48 hours" in messages[2]
    with pytest.raises(TriesExceeded) as locked:
        client.verify(JANE, "sms", request_id="r")
    assert "Locked" in str(locked.value) and "3 wrong" in str(locked.value) and "48 hours" in str(locked.value)
    assert locked.value.code == "TRIES_EXCEEDED" and locked.value.host_code == "tries_exceed"


def test_wrong_pin_and_request_id_mismatch(sim, client):
    client.verify(JANE, "sms", request_id="req-A")
    pin = sim.last_pin(JANE)
    wrong = "123456" if pin != "123456" else "654321"
    with pytest.raises(WrongVerificationCode, match=r"PIN is wrong \(2 tries left\)"):
        client.transaction("deposit", JANE, cad("5.00"), wrong, "req-A", "k-3")
    with pytest.raises(NotVerified, match="verify the customer again"):
        client.transaction("deposit", JANE, cad("5.00"), pin, "req-B", "k-4")
    with pytest.raises(WrongVerificationCode):  # not even sent: no try used up
        client.transaction("deposit", JANE, cad("5.00"), "12ab", "req-A", "k-5")
    assert sim.failed_tries(JANE) == 1 and sim.transactions() == []


def test_credit_status_and_limits(sim, client):
    client.verify(SAM, "sms", request_id="r")
    with pytest.raises(NotEnoughCredit, match="not have enough available credit") as caught:
        client.transaction("instore_payment", SAM, cad("50.01"), sim.last_pin(SAM), "r", "k-6")
    assert isinstance(caught.value, InsufficientFunds)
    client.verify(LIAM, "sms", request_id="r")
    with pytest.raises(AccountOnHold, match="on hold"):
        client.transaction("instore_payment", LIAM, cad("1.00"), sim.last_pin(LIAM), "r", "k-7")
    client.verify(JANE, "sms", request_id="r")
    with pytest.raises(PaymentLimitExceeded, match=r"\$10,000"):
        client.transaction("deposit", JANE, cad("10000.01"), sim.last_pin(JANE), "r", "k-8")
    with pytest.raises(UserNotActive):
        client.verify(MARIE, "sms", request_id="r")
    assert sim.transactions() == []


def test_location_ids(make_sim, make_client):
    sim = make_sim(require_location=True)
    client = make_client()
    client.verify(JANE, "sms", request_id="r")
    with pytest.raises(InvalidRequest, match="external_location_id"):
        client.transaction("deposit", JANE, cad("1.00"), sim.last_pin(JANE), "r", "k-9")
    with pytest.raises(BusinessError, match="location id"):
        make_client(location_id="NOWHERE").transaction("deposit", JANE, cad("1.00"), sim.last_pin(JANE), "r", "k-10")
    result = make_client(location_id=DEMO_LOCATION_ID).transaction("deposit", JANE, cad("1.00"), sim.last_pin(JANE),
                                                                   "r", "k-11")
    assert sim.transactions()[0].transaction_id == result.transaction_id


# -- unknown outcomes and unreachable hosts ----------------------------------------------------


def test_drop_after_apply_is_settled_by_resending_the_same_key(sim, client):
    client.verify(JANE, "sms", request_id="r")
    pin = sim.last_pin(JANE)
    sim.inject_fault("drop_after_apply", operation="transaction")
    with pytest.raises(OutcomeUnknown, match="same idempotency key") as caught:
        client.transaction("deposit", JANE, cad("25.00"), pin, "r", "visit-1-deposit")
    assert caught.value.outcome_unknown
    (applied,) = sim.transactions()
    settled = client.transaction("deposit", JANE, cad("25.00"), pin, "r", "visit-1-deposit")
    assert settled.transaction_id == applied.transaction_id
    assert len(sim.transactions()) == 1 and sim.balance(JANE) == Decimal("1175.00")


def test_server_errors_by_call(sim, client):
    client.verify(JANE, "sms", request_id="r")
    sim.inject_fault("error_before_apply", operation="transaction", status=503)
    with pytest.raises(OutcomeUnknown):
        client.transaction("deposit", JANE, cad("1.00"), sim.last_pin(JANE), "r", "k-12")
    sim.inject_fault("error_after_apply", operation="lookup")
    with pytest.raises(HostUnreachable, match="Nothing was changed"):
        client.lookup_by_account(JANE)
    sim.inject_fault("error_before_apply", operation="verify")
    with pytest.raises(OutcomeUnknown, match="A PIN may have been sent"):
        client.verify(JANE, "sms", request_id="r")
    sim.inject_fault("error_before_apply", operation="token")
    fresh = FlexitiClient(client._display_url, DEMO_CLIENT_ID, "whatever", clock=client._clock)
    with pytest.raises(HostUnreachable, match="nothing was sent"):
        fresh.lookup_by_account(JANE)
    fresh.close()


def test_a_timeout_after_sending_is_an_unknown_outcome(sim, make_client):
    client = make_client(timeout=0.3)
    client.verify(JANE, "sms", request_id="r")
    sim.inject_fault("timeout_after_apply", operation="transaction", seconds=1.0)
    with pytest.raises(OutcomeUnknown, match="No answer from Flexiti within 0.3 s"):
        client.transaction("deposit", JANE, cad("3.00"), sim.last_pin(JANE), "r", "k-13")
    sim.inject_fault("timeout_before_apply", operation="lookup", seconds=1.0)
    with pytest.raises(HostUnreachable):
        client.lookup_by_account(JANE)


def test_nothing_listening_is_host_unreachable(clock):
    port = free_port()
    with FlexitiClient(f"http://127.0.0.1:{port}", DEMO_CLIENT_ID, "secret", clock=clock) as client:
        with pytest.raises(HostUnreachable, match="nothing was sent"):
            client.transaction("deposit", JANE, cad("1.00"), "123456", "r", "k")
