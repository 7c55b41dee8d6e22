"""`kiosk txn` for gift cards, SDK.finance and Flexiti: the same JSON result as `kiosk txn
withdraw`, against `kiosk sim`'s simulators, configured by config/demo.toml; and demo.toml's
tables match the simulators' demo credentials."""

from __future__ import annotations

import io
import json
import tomllib
from pathlib import Path

import pytest

from kiosk.cli import main as kiosk_main
from kiosk.sim.composite import CompositeSimulator
from kiosk.sim.server import start_in_thread

DEMO_TOML = Path(__file__).resolve().parents[2] / "config" / "demo.toml"


@pytest.fixture
def running(tmp_path):
    sims = CompositeSimulator(tmp_path / "sim.sqlite")
    handle = start_in_thread(sims)
    port = handle.url.rsplit(":", 1)[1]
    text = DEMO_TOML.read_text().replace("127.0.0.1:8700", f"127.0.0.1:{port}")
    text = text.replace('data_dir = "var/demo"', f'data_dir = "{tmp_path / "data"}"')
    text = text.replace("simulated_close_after = 1.0", "simulated_close_after = 0.1")
    config = tmp_path / "demo.toml"
    config.write_text(text)
    yield sims, str(config)
    handle.stop()
    sims.close()


def txn(capsys, monkeypatch, config, *args, stdin: str = "") -> tuple[int, dict]:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = kiosk_main(["txn", *args, "--config", config, "--json"])
    out = capsys.readouterr().out.strip().splitlines()
    return code, json.loads(out[-1])


def test_demo_toml_matches_the_simulators():
    from kiosk.sim import flexiti, pospointe, rapyd, sdkfinance

    demo = tomllib.loads(DEMO_TOML.read_text())
    assert demo["backends"]["enabled"] == ["rapyd", "pospointe", "sdkfinance", "flexiti"]
    assert demo["rapyd"]["access_key"] == rapyd.DEMO_ACCESS_KEY
    p = demo["pospointe"]
    assert (p["user"], p["password"], p["store_id"], p["franchisee_id"]) == (
        pospointe.DEMO_USER, pospointe.DEMO_PASSWORD, pospointe.DEMO_STORE_ID, pospointe.DEMO_FRANCHISEE_ID)
    assert p["base_url"] == demo["rapyd"]["base_url"] + pospointe.BASE_PATH
    s = demo["sdkfinance"]
    assert (s["cash_point_login"], s["cash_point_password"]) == (
        sdkfinance.DEMO_CASHPOINT["login"], sdkfinance.DEMO_CASHPOINT["password"])
    assert s["base_url"] == demo["rapyd"]["base_url"] + sdkfinance.BASE_PATH
    f = demo["flexiti"]
    assert (f["client_id"], f["client_secret"], f["location_id"]) == (
        flexiti.DEMO_CLIENT_ID, flexiti.DEMO_CLIENT_SECRET, flexiti.DEMO_LOCATION_ID)
    assert f["base_url"] == demo["rapyd"]["base_url"] + flexiti.BASE_PATH


def test_gift_cards_headless(running, capsys, monkeypatch):
    sims, config = running
    code, result = txn(capsys, monkeypatch, config, "giftcard-reload", "--card", "7012340000001001", "--code", "4821",
                       "--amount", "10")
    assert code == 0 and result["status"] == "completed"
    assert set(result) >= {"status", "kind", "amount", "currency", "transaction_id", "visit_id"}
    assert (result["amount"], result["currency"], result["balance"]) == ("10.00", "USD", "110.00")
    code, result = txn(capsys, monkeypatch, config, "giftcard-redeem", "--card", "7012340000001027", "--code", "2694",
                       "--amount", "10")
    assert code == 0 and (result["requested"], result["approved"], result["balance"]) == ("10", "7.35", "0.00")
    code, result = txn(capsys, monkeypatch, config, "giftcard-sell", "--card", "7012340000001043", "--code", "8146",
                       "--amount", "15")
    assert code == 0 and result["balance"] == "15.00"
    code, result = txn(capsys, monkeypatch, config, "giftcard-redeem", "--card", "7012340000001050", "--code", "3390",
                       "--amount", "5")
    assert code == 1 and result["error"]["code"] == "CARD_BLOCKED" and "blocked" in result["error"]["message"]
    code, result = txn(capsys, monkeypatch, config, "giftcard-unblock", "--card", "7012340000001050", "--code", "3390",
                       "--supervisor", "sam", "--reason", "found")
    assert code == 0 and result["card_status"] == "active"
    code, result = txn(capsys, monkeypatch, config, "giftcard-balance", "--card", "7012340000001001", "--code", "9999")
    assert code == 1 and result["error"]["code"] == "CARD_REJECTED"
    code, result = txn(capsys, monkeypatch, config, "giftcard-batch", "--close")
    assert code == 0 and result["batch"]["net"] == "17.65"
    assert sims.pospointe.card_balance("7012340000001001") == 110


def test_sdk_headless_with_the_otp_branch(running, capsys, monkeypatch):
    sims, config = running

    class Stdin(io.StringIO):
        """The password first; the code only once the sign-in has sent it."""

        def __init__(self):
            super().__init__()
            self.lines = ["Wallet#2024b\n"]

        def readline(self, *args):
            if self.lines:
                return self.lines.pop(0)
            return sims.sdkfinance.pending_otp("+447700900777") + "\n"

    monkeypatch.setattr("sys.stdin", Stdin())
    code = kiosk_main(["txn", "sdk-withdraw", "--config", config, "--json", "--login", "+447700900777",
                       "--password-stdin", "--otp-stdin", "--currency", "GBP", "--amount", "20"])
    out, err = capsys.readouterr()
    result = json.loads(out.strip().splitlines()[-1])
    assert code == 0, result
    assert (result["amount"], result["currency"], result["commission"]) == ("20.00", "GBP", "0.60")
    assert "one-time code was sent" in err and "Wallet#2024b" not in out + err
    code, result = txn(capsys, monkeypatch, config, "sdk-deposit", "--login", "anna.kowalska@example.com",
                       "--password-stdin", "--currency", "EUR", "--amount", "10", stdin="Wallet#2024a\n")
    assert code == 0 and (result["amount"], result["wallet_amount"]) == ("10.05", "10.00")
    code, result = txn(capsys, monkeypatch, config, "sdk-withdraw", "--login", "lena.fischer@example.com",
                       "--password-stdin", "--currency", "EUR", "--amount", "10", stdin="Wallet#2024c\n")
    assert code == 1 and result["error"]["code"] == "INSUFFICIENT_FUNDS"
    code, result = txn(capsys, monkeypatch, config, "sdk-withdraw", "--login", "+447700900777",
                       "--password-stdin", "--currency", "GBP", "--amount", "10", stdin="Wallet#2024b\n")
    assert code == 1 and result["error"]["code"] == "OTP_REQUIRED"


def test_flexiti_headless(running, capsys, monkeypatch):
    sims, config = running
    code, result = txn(capsys, monkeypatch, config, "flexiti-verify", "--account", "116574819", "--verify", "sms")
    assert code == 0 and result["sent_to"] == "sms"
    pin = sims.flexiti.last_pin("116574819")
    code, result = txn(capsys, monkeypatch, config, "flexiti-deposit", "--account", "116574819", "--verify", "sms",
                       "--request-id", result["request_id"], "--pin", pin, "--amount", "25")
    assert code == 0 and (result["amount"], result["currency"]) == ("25.00", "CAD") and result["transaction_id"]
    code, result = txn(capsys, monkeypatch, config, "flexiti-payment", "--account", "234567890", "--verify",
                       "security_question", "--answer", "Lagos", "--amount", "60")
    assert code == 1 and result["error"]["code"] == "INSUFFICIENT_FUNDS"  # 50.00 of credit left
    code, result = txn(capsys, monkeypatch, config, "flexiti-payment", "--account", "234567890", "--verify",
                       "regular_purchase_bypass", "--amount", "10")
    assert code == 1 and result["error"]["code"] == "BYPASS_NOT_ALLOWED"
    code, result = txn(capsys, monkeypatch, config, "flexiti-deposit", "--account", "116574819", "--verify",
                       "merchant_override", "--amount", "10")
    assert code == 1 and result["error"]["code"] == "SUPERVISOR_REQUIRED"
    code, result = txn(capsys, monkeypatch, config, "flexiti-deposit", "--account", "116574819", "--verify",
                       "merchant_override", "--supervisor", "sam", "--amount", "10")
    assert code == 0
    code, result = txn(capsys, monkeypatch, config, "flexiti-deposit", "--account", "116574819", "--verify",
                       "sms", "--pin-stdin", "--amount", "5", stdin="000000\n")
    assert code == 1 and result["error"]["code"] == "WRONG_VERIFICATION_CODE"
    assert "tries left" in result["error"]["message"]


def test_the_wallet_contract_is_unchanged(running, capsys, monkeypatch):
    sims, config = running
    import time

    if sims.rapyd.otp_expires_at() - time.time() < 5:  # a code about to run out: take the next one
        time.sleep(max(0.0, sims.rapyd.otp_expires_at() - time.time()) + 0.1)
    otp = sims.rapyd.current_otp("+14155559992")
    code, result = txn(capsys, monkeypatch, config, "withdraw", "--phone", "+14155559992", "--otp", otp,
                       "--currency", "GBP", "--amount", "5")
    assert code == 0, result
    assert list(result)[:5] == ["status", "kind", "amount", "currency", "transaction_id"]
