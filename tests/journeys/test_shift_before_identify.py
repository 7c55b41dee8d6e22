"""No shift, no visit: every back end's identify step says "No shift is open" before the card,
the login or the account reaches its back end (it used to be checked only when cash moved)."""

from __future__ import annotations

import pytest

from kiosk.desks.base import AccountLookup, CardEntry, WalletLogin
from kiosk.teller import TellerError


class NothingSent:
    """Stands in for a back-end client: any call is a request that should not have gone out."""

    def __getattr__(self, name: str):
        raise AssertionError(f"{name} was sent to the back end with no shift open")


@pytest.mark.parametrize(
    "backend, identify",
    [
        ("pospointe", lambda desk: desk.identify(CardEntry("7012340000001001", "4821"))),
        ("sdkfinance", lambda desk: desk.identify(WalletLogin("+447700900777", "Wallet#2024b"))),
        ("flexiti", lambda desk: desk.identify(AccountLookup(account_number="116574819"))),
        ("flexiti", lambda desk: desk.identify(AccountLookup(licence_scan="@ANSI 636012 DL DAQ123"))),
    ],
)
def test_no_shift_is_said_before_anything_is_sent(desks, teller, monkeypatch, backend, identify):
    desk = desks[backend]
    monkeypatch.setattr(teller.shifts, "current", None)  # as after a close
    monkeypatch.setattr(desk, "client", NothingSent())
    before = len(teller.journal.visits())
    with pytest.raises(TellerError) as caught:
        identify(desk)
    assert caught.value.code == "NO_SHIFT" and caught.value.message == "No shift is open."
    assert len(teller.journal.visits()) == before  # nothing journalled either
