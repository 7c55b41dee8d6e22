"""The ledger file: a new simulator on the same file sees the same world."""

from __future__ import annotations

from decimal import Decimal

from kiosk.sim.rapyd import RapydSimulator
from tests.sim.pos import error_code, ok_data

PHONE = "+447700900123"


def test_state_survives_a_restart(make_sim, pos, tmp_path, clock):
    path = tmp_path / "ledger.sqlite"
    sim = make_sim(ledger_path=path)
    code = sim.current_otp(PHONE)
    s = pos.open_session(sim, PHONE)
    withdraw = pos.withdraw(s, s.account_id("GBP"), "55.55", idempotency="k-1")
    ok_data(withdraw)
    sim.close()

    restarted = make_sim(ledger_path=path)
    assert restarted.balance(PHONE, "GBP") == Decimal("899.45")
    assert [t.transaction_id for t in restarted.transactions()] == [withdraw.json()["data"]["transaction_id"]]
    assert restarted.current_otp(PHONE) == code  # the OTP master key is kept with the ledger
    assert error_code(pos.login(PHONE, code)) == "ERROR_OTP_ALREADY_USED"
    # The idempotency record and the open session came back too.
    assert pos.withdraw(s, s.account_id("GBP"), "55.55", idempotency="k-1").content == withdraw.content
    ok_data(pos.reversal(s, s.account_id("GBP"), "55.55", withdraw.json()["data"]["transaction_id"]))
    ok_data(pos.logout(s))
    restarted.close()

    third = RapydSimulator(path, clock=clock)
    assert third.balance(PHONE, "GBP") == Decimal("955.00")
    withdrawal, reversal = third.transactions()
    assert withdrawal.reversed_by == reversal.transaction_id
    third.close()


def test_demo_wallets_are_seeded_once(tmp_path, clock):
    path = tmp_path / "ledger.sqlite"
    sim = RapydSimulator(path, clock=clock)
    sim.add_wallet("+15005550006", {"CHF": "12.30"})
    sim.close()
    again = RapydSimulator(path, clock=clock)
    assert again.balance("+15005550006", "CHF") == Decimal("12.30")
    assert again.balance("+14155559992", "GBP") == Decimal("189.00")
    again.close()


def test_an_empty_simulator(clock):
    sim = RapydSimulator(clock=clock, seed_demo=False)
    assert sim.balance("+14155559992", "GBP") is None
    sim.close()
