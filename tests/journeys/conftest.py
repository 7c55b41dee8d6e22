"""The kiosk on all four embedded simulators (kiosk.runtime.demo_runtime), for the journeys of
the other back ends: gift cards (POSPointe), SDK.finance wallets and Flexiti."""

from __future__ import annotations

import pytest


@pytest.fixture
def demo(tmp_path):
    from kiosk.runtime import demo_runtime

    runtime = demo_runtime(tmp_path, otp_window=300, drawer={"simulated_close_after": 1.0},
                           pospointe={"settle_confirm_after": 0.05})
    yield runtime
    runtime.close()


@pytest.fixture
def sims(demo):
    return demo.simulators


@pytest.fixture
def teller(demo):
    return demo.teller


@pytest.fixture
def desks(demo):
    from kiosk.desks import base as journeys

    t = demo.teller
    return {name: journeys.desk(t, name) for name in ("pospointe", "sdkfinance", "flexiti")}
