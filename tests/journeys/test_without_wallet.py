"""A till that serves gift cards only: no Rapyd wallet enabled and no Rapyd settings at all.
It starts, serves a gift card visit headless and on screen, and never offers the wallet."""

from __future__ import annotations

import io
import json
import re

import pytest

from kiosk.cli import main as kiosk_main
from kiosk.sim.composite import CompositeSimulator
from kiosk.sim.pospointe import DEMO_FRANCHISEE_ID, DEMO_PASSWORD, DEMO_STORE_ID, DEMO_USER
from kiosk.sim.pospointe import BASE_PATH as POSPOINTE_PATH
from kiosk.sim.server import start_in_thread


@pytest.fixture
def gift_card_till(tmp_path):
    sims = CompositeSimulator(tmp_path / "sim.sqlite")
    handle = start_in_thread(sims)
    config = tmp_path / "till.toml"
    config.write_text(
        f"""
data_dir = "{tmp_path / 'data'}"
[backends]
enabled = ["pospointe"]
[pospointe]
base_url = "{handle.url}{POSPOINTE_PATH}"
user = "{DEMO_USER}"
password = "{DEMO_PASSWORD}"
store_id = "{DEMO_STORE_ID}"
franchisee_id = "{DEMO_FRANCHISEE_ID}"
[printer]
driver = "simulated"
[drawer]
driver = "simulated"
simulated_close_after = 0.1
[teller]
opening_float = {{ USD = "300.00" }}
[auth]
required = false
"""
    )
    yield str(config), sims
    handle.stop()
    sims.close()


def test_headless_gift_card_visit_needs_no_wallet_settings(gift_card_till, capsys, monkeypatch):
    config, sims = gift_card_till
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    code = kiosk_main(["txn", "giftcard-redeem", "--card", "7012340000001001", "--code", "4821", "--amount", "10",
                       "--config", config, "--json"])
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert code == 0 and result["status"] == "completed", result
    assert str(sims.pospointe.card_balance("7012340000001001")) == "90.00"
    # The wallet is refused in plain words, not with a missing-setting error.
    code = kiosk_main(["txn", "withdraw", "--phone", "+14155559992", "--otp", "123456", "--currency", "USD",
                       "--amount", "1", "--config", config, "--json"])
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert code == 1 and "not enabled" in result["error"]["message"]


async def test_ready_screen_offers_only_what_is_enabled(gift_card_till):
    from kiosk.runtime import build_runtime
    from kiosk.settings import load_settings
    from kiosk.ui.app import KioskApp
    from kiosk.ui.screens.ready import ReadyScreen
    from tests.ui.helpers import screen_dump, wait_for_screen, wait_until

    config, _ = gift_card_till
    runtime = build_runtime(load_settings(config))
    try:
        app = KioskApp(runtime)
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for_screen(pilot, ReadyScreen)
            await wait_until(pilot, lambda: "Gift card" in screen_dump(pilot), what="gift card health")
            ready = screen_dump(pilot)
            assert "Wallet service" not in ready and re.search(r"Gift card\s+answering", ready)
            await pilot.press("enter")  # no wallet here: Enter offers the back ends this till serves
            await wait_until(pilot, lambda: "which back end" in screen_dump(pilot), what="chooser")
            chooser = screen_dump(pilot)
            assert "Gift card" in chooser and "Rapyd" not in chooser
    finally:
        runtime.close()
