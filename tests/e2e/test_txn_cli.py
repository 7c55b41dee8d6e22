"""`kiosk txn` as a subprocess against `kiosk sim` as a subprocess: the contract scripts use."""

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
KIOSK = [sys.executable, "-m", "kiosk.cli"]
JANE = "+14155559992"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def sim_url(tmp_path_factory):
    port = free_port()
    ledger = tmp_path_factory.mktemp("sim") / "ledger.sqlite3"
    process = subprocess.Popen(
        # A long code window: a subprocess that starts slowly must not see its code expire
        # (window edges are the simulator tests' business).
        [*KIOSK, "sim", "--port", str(port), "--ledger", str(ledger), "--otp-window", "600"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            httpx.get(url + "/_sim/info", timeout=1)
            break
        except httpx.TransportError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("kiosk sim did not start: " + process.stderr.read().decode())
            time.sleep(0.1)
    yield url
    process.terminate()
    process.wait(10)


def run(args, tmp_path, sim_url, **extra_env):
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "KIOSK_DATA_DIR": str(tmp_path / "data"),
        "KIOSK_RAPYD__BASE_URL": sim_url,
        **extra_env,
    }
    return subprocess.run(
        [*KIOSK, "--config", str(ROOT / "config" / "demo.toml"), *args],
        env=env, capture_output=True, text=True, timeout=60, cwd=tmp_path,
    )


def fresh_window(sim_url, phone, margin=10.0):
    """Codes live to the end of an absolute window: one fetched just before it ends would
    expire while the kiosk process starts. Wait for the next window instead."""
    left = httpx.get(sim_url + "/_sim/otp", params={"phone": phone}, timeout=5).json()["expires_in"]
    if left < margin:
        time.sleep(left + 0.05)


def otp(sim_url, phone=JANE):
    fresh_window(sim_url, phone)
    done = subprocess.run([*KIOSK, "sim", "otp", "--phone", phone, "--url", sim_url], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    code = done.stdout.strip()
    assert code.isdigit() and len(code) == 6
    return code


def balance(sim_url, phone, currency):
    ledger = httpx.get(sim_url + "/_sim/ledger", timeout=5).json()
    text = json.dumps(ledger)
    assert phone in text
    for wallet in ledger["wallets"]:
        if wallet["phone"] == phone:
            for account in wallet["accounts"]:
                if account["currency"] == currency:
                    return account["balance"]
    return None


def test_withdraw_then_deposit_headless(sim_url, tmp_path):
    start = balance(sim_url, JANE, "GBP")
    done = run(["txn", "withdraw", "--phone", JANE, "--otp", otp(sim_url), "--currency", "GBP", "--amount", "10", "--json"], tmp_path, sim_url)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["status"] == "completed"
    assert (result["kind"], result["amount"], result["currency"]) == ("withdraw", "10.00", "GBP")
    assert result["transaction_id"]
    from decimal import Decimal

    assert Decimal(str(balance(sim_url, JANE, "GBP"))) == Decimal(str(start)) - 10

    done = run(["txn", "deposit", "--phone", "+447700900123", "--otp", otp(sim_url, "+447700900123"), "--currency", "EUR", "--amount", "12.50", "--json"], tmp_path, sim_url)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["status"] == "completed"

    exported = run(["journal", "export", "--json"], tmp_path, sim_url)
    visits = json.loads(exported.stdout)["visits"]
    assert [(v["kind"], v["state"]) for v in visits] == [("withdraw", "completed"), ("deposit", "completed")]
    assert run(["journal", "verify"], tmp_path, sim_url).returncode == 0


def test_failures_are_one_json_object_and_exit_non_zero(sim_url, tmp_path):
    done = run(["txn", "withdraw", "--phone", JANE, "--otp", "000000", "--currency", "GBP", "--amount", "10", "--json"], tmp_path, sim_url)
    if done.returncode == 0:  # 1 in a million: 000000 was the real code
        pytest.skip("000000 happened to be the current code")
    result = json.loads(done.stdout)
    assert done.returncode == 1
    assert result["status"] == "failed" and result["error"]["code"] == "OTP_REJECTED"
    assert result["error"]["message"]

    # A code is single-use: each test serves a different demo customer in the same window.
    maria = "+12025550143"
    done = run(["txn", "withdraw", "--phone", maria, "--otp", otp(sim_url, maria), "--currency", "USD", "--amount", "2800", "--json"], tmp_path, sim_url)
    result = json.loads(done.stdout)
    assert done.returncode == 1 and result["error"]["code"] == "INSUFFICIENT_FUNDS"

    done = run(["txn", "withdraw", "--phone", JANE, "--otp", "123456", "--currency", "GBP", "--amount", "1.234", "--json"], tmp_path, sim_url)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr


def test_nothing_secret_reaches_output_logs_or_journal(sim_url, tmp_path):
    kenji = "+12025550188"
    code = otp(sim_url, kenji)
    done = run(["txn", "withdraw", "--phone", kenji, "--otp", code, "--currency", "USD", "--amount", "1", "--json"], tmp_path, sim_url, KIOSK_LOG__LEVEL="DEBUG")
    assert done.returncode == 0, done.stderr
    secret = "5e1f8a3c9b2d47e6a0c4f7b19d3e8a2c6f0b5d4e7a1c9f3b2e8d6a0c4f7b1e9d"
    files = [p for p in (tmp_path / "data").rglob("*") if p.is_file() and not p.name.endswith(".key")]
    assert any(p.name == "kiosk.log" for p in files)
    for text in [done.stdout, done.stderr] + [p.read_bytes().decode("latin-1") for p in files]:
        for needle in (code, kenji, kenji[1:], secret, "8C6223151345345D"):
            assert needle not in text


def test_unreachable_back_end(tmp_path):
    done = run(["txn", "withdraw", "--phone", JANE, "--otp", "123456", "--currency", "GBP", "--amount", "1", "--json"], tmp_path, "http://127.0.0.1:9")
    assert done.returncode == 1
    assert json.loads(done.stdout)["error"]["code"] == "HOST_UNREACHABLE"
