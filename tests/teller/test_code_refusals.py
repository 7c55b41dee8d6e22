"""A refused code says why, as precisely as the Rapyd host does (REFERENCE: the simulator answers
ERROR_INVALID_OTP, ERROR_OTP_EXPIRED, ERROR_OTP_ALREADY_USED), and no shift means no session."""

from __future__ import annotations

import time

import pytest

from kiosk.backends.base import AuthenticationFailed, BusinessError, OtpRejected
from kiosk.sim import rapyd as sim
from kiosk.teller import TellerError
from kiosk.teller.code_errors import code_refusal
from kiosk.desks.base import PhoneLogin
from kiosk.desks.rapyd import wallet_desk
from tests.stack import JANE, build_stack

GENERAL = TellerError("OTP_REJECTED", "The wallet did not accept the code.", "Ask for a new code.")


def test_an_expired_code_is_not_called_wrong(server, tmp_path):
    now = [time.time()]
    simulator = server.fresh(tmp_path / "ledger.sqlite3", clock=lambda: now[0])
    stack = build_stack(tmp_path, server.handle.url, simulator)
    try:
        code = simulator.current_otp(JANE, sim.DEMO_POS_ID)
        now[0] += 30  # the next window: the code read a moment ago has expired
        with pytest.raises(TellerError) as caught:
            wallet_desk(stack.teller).identify(PhoneLogin(JANE, code))
        assert caught.value.code == "OTP_EXPIRED" and "expired" in caught.value.message
        assert "next code" in caught.value.next_step
    finally:
        stack.client.close()
        stack.journal.close()
        simulator.close()


@pytest.mark.parametrize(
    "error, code",
    [
        (OtpRejected("x", host_code="ERROR_OTP_EXPIRED"), "OTP_EXPIRED"),
        (OtpRejected("x", host_code="ERROR_OTP_ALREADY_USED"), "OTP_USED"),
        (OtpRejected("x", host_code="ERROR_INVALID_OTP"), "OTP_REJECTED"),
        (BusinessError("x", host_code="ERROR_WALLET_NOT_FOUND"), "PHONE_UNKNOWN"),
        (BusinessError("x", host_code="ERROR_INVALID_PHONE_NUMBER"), "PHONE_UNKNOWN"),
        (BusinessError("x", host_code="ERROR_REFUSED"), "OTP_REJECTED"),  # 'REFUSED' is not 'USED'
        (AuthenticationFailed("x", host_code="ERROR_TIMESTAMP_EXPIRED"), "OTP_REJECTED"),  # the terminal, not the code
        (OtpRejected("x"), "OTP_REJECTED"),  # the host did not say: the general words
    ],
)
def test_each_refusal_the_host_names_gets_its_own_code(error, code):
    assert code_refusal(error, GENERAL).code == code


def test_no_shift_is_said_before_any_session_is_asked_for(server, tmp_path):
    simulator = server.fresh(tmp_path / "ledger.sqlite3")
    stack = build_stack(tmp_path, server.handle.url, simulator, floats={"GBP": "0.00"})
    try:
        stack.teller.shifts.current = None  # as after a close
        with pytest.raises(TellerError) as caught:
            wallet_desk(stack.teller).identify(PhoneLogin(JANE, stack.otp()))
        assert caught.value.code == "NO_SHIFT"
        assert simulator.ledger.sessions() == []  # the simulator saw no session request
        assert stack.journal.visits() == []
    finally:
        stack.client.close()
        stack.journal.close()
        simulator.close()
