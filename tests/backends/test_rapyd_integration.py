"""The Rapyd client against the Rapyd POS simulator over real loopback HTTP.

The simulator is written from the specification alone (it shares no code with the client), so
agreement here means both sides read the specification the same way: the signature over the
exact bytes, the envelope, sessions, OTPs, idempotency and the fault catalogue.

Both sides share one test clock, frozen at the start of an OTP window, so codes do not roll
over mid-test; tests move it on purpose to get a fresh code or an expired one.
"""

from __future__ import annotations

import logging
import socket
from decimal import Decimal

import pytest

from kiosk.backends.base import (
    AuthenticationFailed,
    BackendError,
    HostUnreachable,
    InsufficientFunds,
    OtpRejected,
    OutcomeUnknown,
    SessionRejected,
    WalletSession,
)
from kiosk.backends.rapyd import RapydClient
from kiosk.money import Money

from .conftest import exception_text, log_text

sim_module = pytest.importorskip("kiosk.sim.rapyd", reason="the Rapyd simulator (kiosk/sim/rapyd.py) is not there yet")
server_module = pytest.importorskip("kiosk.sim.server")

DEMO_ACCESS_KEY = sim_module.DEMO_ACCESS_KEY
DEMO_SECRET_KEY = sim_module.DEMO_SECRET_KEY
DEMO_POS_ID = sim_module.DEMO_POS_ID
PHONE = "+14155559992"  # seed 001's customer: one GBP account holding 189
WINDOW = 30


class TestClock:
    __test__ = False  # not a test class, despite the name

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def next_window(self) -> None:
        self.now += WINDOW


def gbp(amount: str) -> Money:
    return Money(Decimal(amount), "GBP")


@pytest.fixture
def clock() -> TestClock:
    import time

    start = (int(time.time()) // WINDOW) * WINDOW + 1.0  # one second into a window
    return TestClock(start)


class SimulatorSlot:
    """One HTTP server per module (starting uvicorn takes a while), in front of a fresh
    simulator per test: each request is handed to whichever simulator the slot holds now."""

    def __init__(self) -> None:
        self.sim = None

    async def __call__(self, scope, receive, send) -> None:
        await self.sim.app(scope, receive, send)


@pytest.fixture(scope="module")
def slot():
    return SimulatorSlot()


@pytest.fixture(scope="module")
def server(slot: SimulatorSlot):
    handle = server_module.start_in_thread(slot, "127.0.0.1", port=0)
    yield handle
    handle.stop()


@pytest.fixture
def sim(clock: TestClock, slot: SimulatorSlot):
    simulator = sim_module.RapydSimulator(None, otp_window=WINDOW, clock=clock)
    slot.sim = simulator
    yield simulator
    simulator.clear_faults()


@pytest.fixture
def make_client(server, sim, clock: TestClock):
    made: list[RapydClient] = []

    def make(**overrides) -> RapydClient:
        settings = dict(
            base_url=server.url, access_key=DEMO_ACCESS_KEY, secret_key=DEMO_SECRET_KEY, pos_id=DEMO_POS_ID,
            timeout=2.0, connect_timeout=1.0, clock=clock,
        )
        settings.update(overrides)
        client = RapydClient(**settings)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@pytest.fixture
def client(make_client) -> RapydClient:
    return make_client()


@pytest.fixture(autouse=True)
def no_secret_escapes(caplog: pytest.LogCaptureFixture, sim):
    """Every test here runs with logging at DEBUG and ends with a scan of the log."""
    caplog.set_level(logging.DEBUG)
    yield
    otp_now = sim.current_otp(PHONE, DEMO_POS_ID)
    text = log_text(caplog)
    for secret in (DEMO_SECRET_KEY, DEMO_ACCESS_KEY, PHONE, PHONE.lstrip("+"), otp_now):
        assert secret not in text


def login(client: RapydClient, sim, clock: TestClock, key: str = "login-1") -> WalletSession:
    return client.open_session(PHONE, sim.current_otp(PHONE, DEMO_POS_ID), idempotency=key)


def refused(kind: type[BackendError], call, *secrets: str) -> BackendError:
    with pytest.raises(BackendError) as caught:
        call()
    assert type(caught.value) is kind, f"{type(caught.value).__name__}: {caught.value}"
    text = exception_text(caught.value)
    for secret in (DEMO_SECRET_KEY, DEMO_ACCESS_KEY, PHONE, *secrets):
        assert secret not in text
    return caught.value


# -- the journeys ------------------------------------------------------------------------------


def test_withdraw_journey(client: RapydClient, sim, clock: TestClock) -> None:
    client.echo()
    session = login(client, sim, clock)
    account = session.account_for("GBP")
    assert account is not None and account.balance == gbp("189.00")
    receipt = client.withdraw(session, account.account_id, gbp("10"), idempotency="wd-1")
    assert receipt.transaction_id
    assert sim.balance(PHONE, "GBP") == Decimal("179.00")
    client.close_session(session, idempotency="out-1")

    clock.next_window()
    again = login(client, sim, clock, key="login-2")
    assert again.account_for("GBP").balance == gbp("179.00")


def test_deposit_in_a_new_currency_opens_the_account(client: RapydClient, sim, clock: TestClock) -> None:
    session = login(client, sim, clock)
    assert session.account_for("EUR") is None
    receipt = client.deposit(session, Money(Decimal("25.50"), "EUR"), idempotency="dep-1", metadata={"till": "T1"})
    assert receipt.transaction_id
    assert sim.balance(PHONE, "EUR") == Decimal("25.50")
    client.close_session(session, idempotency="out-1")

    clock.next_window()
    eur = login(client, sim, clock, key="login-2").account_for("EUR")
    assert eur is not None and eur.balance == Money(Decimal("25.50"), "EUR")


def test_reversal_gives_the_withdrawal_back(client: RapydClient, sim, clock: TestClock) -> None:
    session = login(client, sim, clock)
    account_id = session.account_for("GBP").account_id
    withdrawal = client.withdraw(session, account_id, gbp("40"), idempotency="wd-1")
    assert sim.balance(PHONE, "GBP") == Decimal("149.00")
    reversal = client.reverse_withdrawal(
        session, account_id, gbp("40"), withdrawal.transaction_id, idempotency="rev-1"
    )
    assert reversal.transaction_id and reversal.transaction_id != withdrawal.transaction_id
    assert sim.balance(PHONE, "GBP") == Decimal("189.00")
    # Re-sent with the same idempotency value (an outbox retry): answered again, applied once.
    again = client.reverse_withdrawal(session, account_id, gbp("40"), withdrawal.transaction_id, idempotency="rev-1")
    assert again.transaction_id == reversal.transaction_id
    assert sim.balance(PHONE, "GBP") == Decimal("189.00")
    client.close_session(session, idempotency="out-1")


# -- refusals --------------------------------------------------------------------------------


def test_wrong_otp_is_refused(client: RapydClient, sim, clock: TestClock) -> None:
    right = sim.current_otp(PHONE, DEMO_POS_ID)
    wrong = f"{(int(right) + 1) % 10**6:06d}"
    error = refused(OtpRejected, lambda: client.open_session(PHONE, wrong, idempotency="k"), wrong, right)
    assert error.host_code


def test_reused_otp_is_refused(client: RapydClient, sim, clock: TestClock) -> None:
    otp = sim.current_otp(PHONE, DEMO_POS_ID)
    client.open_session(PHONE, otp, idempotency="first")
    refused(OtpRejected, lambda: client.open_session(PHONE, otp, idempotency="second"), otp)


def test_expired_otp_is_refused(client: RapydClient, sim, clock: TestClock) -> None:
    otp = sim.current_otp(PHONE, DEMO_POS_ID)
    clock.next_window()
    refused(OtpRejected, lambda: client.open_session(PHONE, otp, idempotency="k"), otp)


def test_overdraft_is_insufficient_funds(client: RapydClient, sim, clock: TestClock) -> None:
    session = login(client, sim, clock)
    account_id = session.account_for("GBP").account_id
    refused(InsufficientFunds, lambda: client.withdraw(session, account_id, gbp("189.01"), idempotency="wd-1"))
    assert sim.balance(PHONE, "GBP") == Decimal("189.00")
    client.close_session(session, idempotency="out-1")


def test_second_action_in_a_session_is_refused(client: RapydClient, sim, clock: TestClock) -> None:
    session = login(client, sim, clock)
    account_id = session.account_for("GBP").account_id
    client.withdraw(session, account_id, gbp("10"), idempotency="wd-1")
    refused(SessionRejected, lambda: client.withdraw(session, account_id, gbp("10"), idempotency="wd-2"))
    refused(SessionRejected, lambda: client.deposit(session, gbp("10"), idempotency="dep-1"))
    assert sim.balance(PHONE, "GBP") == Decimal("179.00")


def test_a_closed_session_is_refused(client: RapydClient, sim, clock: TestClock) -> None:
    session = login(client, sim, clock)
    account_id = session.account_for("GBP").account_id
    client.close_session(session, idempotency="out-1")
    refused(SessionRejected, lambda: client.withdraw(session, account_id, gbp("10"), idempotency="wd-1"))
    refused(SessionRejected, lambda: client.close_session(session, idempotency="out-2"))
    # The same close re-sent with its first idempotency value replays its first answer.
    client.close_session(session, idempotency="out-1")
    assert sim.balance(PHONE, "GBP") == Decimal("189.00")


def test_a_made_up_session_is_refused(client: RapydClient) -> None:
    fake = WalletSession("0c8a15aa-52a0-49bd-9091-b6ce2ee5c67a", "90e32195-4a78-4e9e-8459-cd1f7719132b", PHONE)
    refused(SessionRejected, lambda: client.deposit(fake, gbp("10"), idempotency="dep-1"))


def test_wrong_secret_is_an_authentication_failure(make_client, sim, clock: TestClock) -> None:
    bad = make_client(secret_key="0" * 64)
    error = refused(AuthenticationFailed, bad.echo, "0" * 64)
    assert error.host_code == "UNAUTHENTICATED_API_CALL" and "clock" in error.message
    otp = sim.current_otp(PHONE, DEMO_POS_ID)
    refused(AuthenticationFailed, lambda: bad.open_session(PHONE, otp, idempotency="k"), otp, "0" * 64)


def test_a_clock_running_ahead_is_an_authentication_failure(make_client, clock: TestClock) -> None:
    ahead = make_client(clock=lambda: clock() + 120)
    error = refused(AuthenticationFailed, ahead.echo)
    assert "clock" in error.message


def test_backdated_timestamps_are_accepted(make_client) -> None:
    make_client(timestamp_backdate=10).echo()  # what Rapyd's own samples do


def test_unknown_pos_id_is_a_terminal_configuration_error(make_client, sim, clock: TestClock) -> None:
    wrong_pos = make_client(pos_id="00000000-0000-0000-0000-000000000000")
    otp = sim.current_otp(PHONE, DEMO_POS_ID)
    error = refused(AuthenticationFailed, lambda: wrong_pos.open_session(PHONE, otp, idempotency="k"), otp)
    assert "pos_id" in error.message


# -- idempotency and unknown outcomes -------------------------------------------------------


def test_idempotent_retry_returns_the_same_transaction(client: RapydClient, sim, clock: TestClock) -> None:
    session = login(client, sim, clock)
    account_id = session.account_for("GBP").account_id
    first = client.withdraw(session, account_id, gbp("10"), idempotency="wd-1")
    second = client.withdraw(session, account_id, gbp("10"), idempotency="wd-1")
    assert second.transaction_id == first.transaction_id
    assert sim.balance(PHONE, "GBP") == Decimal("179.00")


def test_open_session_retry_returns_the_same_session(client: RapydClient, sim, clock: TestClock) -> None:
    otp = sim.current_otp(PHONE, DEMO_POS_ID)
    first = client.open_session(PHONE, otp, idempotency="login-1")
    second = client.open_session(PHONE, otp, idempotency="login-1")
    assert (second.token_id, second.operation_id) == (first.token_id, first.operation_id)


@pytest.mark.parametrize(
    ("kind", "applied"),
    [
        ("error_before_apply", False),
        ("error_after_apply", True),
        ("drop_before_apply", False),
        ("drop_after_apply", True),
    ],
)
def test_fault_is_outcome_unknown_and_a_retry_learns_the_truth(
    client: RapydClient, sim, clock: TestClock, kind: str, applied: bool
) -> None:
    session = login(client, sim, clock)
    account_id = session.account_for("GBP").account_id
    sim.inject_fault(kind, operation="withdraw")
    error = refused(OutcomeUnknown, lambda: client.withdraw(session, account_id, gbp("10"), idempotency="wd-1"))
    assert error.outcome_unknown
    assert sim.balance(PHONE, "GBP") == (Decimal("179.00") if applied else Decimal("189.00"))
    # The teller's recovery: the same idempotency value again. Applied exactly once either way.
    receipt = client.withdraw(session, account_id, gbp("10"), idempotency="wd-1")
    assert receipt.transaction_id
    assert sim.balance(PHONE, "GBP") == Decimal("179.00")


@pytest.mark.parametrize("kind", ["timeout_before_apply", "timeout_after_apply"])
def test_no_answer_in_time_is_outcome_unknown(make_client, sim, clock: TestClock, kind: str) -> None:
    impatient = make_client(timeout=0.3)
    session = login(impatient, sim, clock)
    sim.inject_fault(kind, operation="deposit", seconds=0.8, answer=False)
    refused(OutcomeUnknown, lambda: impatient.deposit(session, gbp("10"), idempotency="dep-1"))


def test_login_fault_says_a_session_may_exist(client: RapydClient, sim, clock: TestClock) -> None:
    sim.inject_fault("drop_after_apply", operation="login")
    otp = sim.current_otp(PHONE, DEMO_POS_ID)
    error = refused(OutcomeUnknown, lambda: client.open_session(PHONE, otp, idempotency="login-1"), otp)
    assert "session may have been opened" in error.message


def test_echo_fault_is_a_health_failure(client: RapydClient, sim) -> None:
    sim.inject_fault("error_before_apply", operation="echo", status=503)
    refused(HostUnreachable, client.echo)
    client.echo()  # the fault was for one request only


def test_nothing_listening_is_host_unreachable(make_client, sim, clock: TestClock) -> None:
    with socket.socket() as probe:  # a port that was free a moment ago, with nothing on it
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    nobody = make_client(base_url=f"http://127.0.0.1:{port}")
    refused(HostUnreachable, nobody.echo)
    otp = sim.current_otp(PHONE, DEMO_POS_ID)
    error = refused(HostUnreachable, lambda: nobody.open_session(PHONE, otp, idempotency="k"), otp)
    assert not error.outcome_unknown
