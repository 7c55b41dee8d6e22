"""The /_sim/ endpoints the demo and the reconciliation tests rely on, and the server helper."""

from __future__ import annotations

import socket

import httpx
import pytest

from kiosk.sim.rapyd import DEMO_ACCESS_KEY, DEMO_POS_ID, DEMO_SECRET_KEY, DEMO_WALLETS, RapydSimulator
from kiosk.sim.server import start_in_thread
from tests.sim.pos import ok_data


def test_info_lists_credentials_pos_ids_and_customers(sim, pos):
    info = pos.http.get("/_sim/info").json()
    assert info["base_path"] == "/v1/pos"
    assert (info["access_key"], info["secret_key"]) == (DEMO_ACCESS_KEY, DEMO_SECRET_KEY)
    assert DEMO_POS_ID in info["pos_ids"] and info["default_pos_id"] == DEMO_POS_ID
    phones = {c["phone"]: c for c in info["customers"]}
    assert set(phones) == set(DEMO_WALLETS)
    assert phones["+14155559992"]["currencies"] == ["GBP"]
    assert phones["+14155559992"]["accounts"][0]["balance"] == "189.00"
    assert info["otp_window"] == 30 and "666.03" in info["magic_amounts"]


def test_ledger_reconciles_with_the_api(sim, pos):
    s = pos.open_session(sim, "+14155559992")
    txn = ok_data(pos.withdraw(s, s.account_id("GBP"), "12.34"))["transaction_id"]
    ledger = pos.http.get("/_sim/ledger").json()
    (t,) = ledger["transactions"]
    assert (t["transaction_id"], t["kind"], t["amount"], t["currency"], t["reversed_by"]) == (
        txn, "withdraw", "12.34", "GBP", None,
    )
    jane = next(w for w in ledger["wallets"] if w["phone"] == "+14155559992")
    assert jane["accounts"][0]["balance"] == "176.66"
    assert "token_id" not in ledger["sessions"][0]


def test_wallets_can_be_added_over_http(sim, pos):
    response = pos.http.post("/_sim/wallets", json={"phone": "+15005550009", "accounts": {"SEK": "100.5"}})
    assert response.status_code == 201
    assert pos.http.post("/_sim/wallets", json={"phone": "nope"}).status_code == 400
    assert pos.http.post("/_sim/wallets", json={"phone": "+15005550009", "accounts": {"XXX": "1"}}).status_code == 400
    s = pos.open_session(sim, "+15005550009")
    assert s.accounts["SEK"]["account_balance"] == 100.5


def test_start_in_thread_on_port_0_and_stop():
    sim = RapydSimulator()
    handle = start_in_thread(sim.app)
    try:
        assert handle.url == f"http://127.0.0.1:{handle.port}" and handle.port > 0
        assert httpx.get(handle.url + "/_sim/info").status_code == 200
    finally:
        handle.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(handle.url + "/_sim/info", timeout=1)
    sim.close()


def test_start_in_thread_reports_a_busy_port():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        sim = RapydSimulator()
        with pytest.raises(OSError):
            start_in_thread(sim.app, port=taken.getsockname()[1])
        sim.close()


def test_stop_does_not_wait_for_a_hanging_request():
    import threading
    import time

    sim = RapydSimulator()
    handle = start_in_thread(sim.app)
    sim.inject_fault("slow", operation="any", seconds=30)
    def hanging_client() -> None:
        try:
            httpx.get(handle.url + "/v1/pos/echo", timeout=5)
        except httpx.HTTPError:
            pass  # the server went away under it: expected

    thread = threading.Thread(target=hanging_client, daemon=True)
    thread.start()
    time.sleep(0.1)
    started = time.monotonic()
    handle.stop()
    assert time.monotonic() - started < 4
    sim.close()


def test_the_log_never_shows_the_otp_or_headers(sim, pos, caplog):
    import logging

    caplog.set_level(logging.INFO, logger="kiosk.sim.rapyd")
    code = sim.current_otp("+14155559992")
    ok_data(pos.login("+14155559992", code))
    assert "/v1/pos/login/" in caplog.text
    for secret in (code, "+14155559992", DEMO_SECRET_KEY, DEMO_ACCESS_KEY):
        assert secret not in caplog.text


def test_an_absurd_timestamp_is_refused_not_a_crash(sim, pos):
    response = pos.echo(timestamp="9" * 5000)
    assert response.status_code == 401
    assert pos.call("HEAD", "/v1/pos/echo").status_code == 401
