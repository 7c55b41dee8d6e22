"""`kiosk users` (PIN on stdin, wrong forms refused) and `kiosk txn --cashier` with sign-in
on (PIN on stdin, AUTH_FAILED, lockout), against the simulator in this process."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.cli import main
from kiosk.sim import rapyd as sim
from kiosk.sim.server import start_in_thread

ROOT = Path(__file__).resolve().parents[2]
PEPPER = "cli-test-pepper-0123456789"
JANE = "+14155559992"


def kiosk(args, tmp_path, stdin=""):
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), "KIOSK_DATA_DIR": str(tmp_path / "data"), "KIOSK_AUTH__PEPPER": PEPPER,
           "KIOSK_JOURNAL__MAC_KEY": "cli-test-journal-key-0123456789abcdef"}
    return subprocess.run([sys.executable, "-m", "kiosk.cli", *args], env=env, input=stdin, capture_output=True, text=True, timeout=60)


def test_users_commands(tmp_path):
    done = kiosk(["users", "add", "ann", "--role", "cashier"], tmp_path, "2580\n")
    assert done.returncode == 0 and "added ann (cashier)" in done.stdout, done.stderr
    done = kiosk(["users", "add", "sue", "--role", "supervisor"], tmp_path, "7391\n")
    assert done.returncode == 0
    for bad in ("12\n", "12345678901\n", "12ab\n", "1111\n", "\n"):
        done = kiosk(["users", "add", "joe", "--role", "cashier"], tmp_path, bad)
        assert done.returncode == 1 and "PIN" in done.stderr and (not bad.strip() or bad.strip() not in done.stderr)
    done = kiosk(["users", "add", "Joe Smith", "--role", "cashier"], tmp_path, "2468\n")
    assert done.returncode == 1 and "user name" in done.stderr
    done = kiosk(["users", "add", "joe"], tmp_path, "2468\n")
    assert done.returncode == 1 and "--role" in done.stderr
    assert kiosk(["users", "disable", "ann"], tmp_path).returncode == 0
    assert kiosk(["users", "reset-pin", "sue"], tmp_path, "8642\n").returncode == 0
    listed = kiosk(["users", "list"], tmp_path).stdout
    assert "ann" in listed and "disabled" in listed and "sue" in listed and "supervisor" in listed
    done = subprocess.run(
        [sys.executable, "-m", "kiosk.cli", "users", "list"], env={"PATH": os.environ["PATH"], "HOME": str(tmp_path), "KIOSK_DATA_DIR": str(tmp_path / "data")},
        capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 2 and "auth.pepper (KIOSK_AUTH__PEPPER) is not set" in done.stderr
    assert "--role" in kiosk(["users", "--help"], tmp_path).stdout


@pytest.fixture
def sim_url(tmp_path):
    server = start_in_thread(sim.RapydSimulator(tmp_path / "ledger.sqlite3", otp_window=600).app)
    yield server.url, server
    server.stop()


def run_main(argv, monkeypatch, capsys, stdin=""):
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_txn_needs_a_signed_in_cashier(tmp_path, monkeypatch, capsys, sim_url):
    url, server = sim_url
    monkeypatch.setenv("KIOSK_AUTH__PEPPER", PEPPER)
    monkeypatch.setenv("KIOSK_AUTH__REQUIRED", "true")
    monkeypatch.setenv("KIOSK_AUTH__MAX_FAILURES", "2")
    monkeypatch.delenv("KIOSK_CONFIG", raising=False)
    base = ["--config", str(ROOT / "config" / "demo.toml"), "--data-dir", str(tmp_path / "data"), "--set", f"rapyd.base_url={url}"]
    assert run_main([*base, "users", "add", "ann", "--role", "cashier"], monkeypatch, capsys, "2580\n")[0] == 0
    def txn(*extra, stdin=""):
        code = server_otp()
        return run_main([*base, "txn", "withdraw", "--phone", JANE, "--otp", code, "--currency", "GBP", "--amount", "5", "--json", *extra], monkeypatch, capsys, stdin)

    def server_otp():
        import httpx

        return httpx.get(f"{url}/_sim/otp", params={"phone": JANE, "pos_id": sim.DEMO_POS_ID}, timeout=5).json()["otp"]

    code, out, _ = txn()
    assert code == 1 and json.loads(out)["error"]["code"] == "AUTH_REQUIRED"
    code, out, _ = txn("--cashier", "ann", stdin="1111\n")
    result = json.loads(out)
    assert code == 1 and result["error"]["code"] == "AUTH_FAILED" and "1111" not in out
    code, out, _ = txn("--cashier", "ann", stdin="2580\n")
    assert code == 0 and json.loads(out)["status"] == "completed", out
    code, out, _ = txn("--cashier", "ann", stdin="9999\n")
    assert json.loads(out)["error"]["code"] == "AUTH_FAILED"
    code, out, _ = txn("--cashier", "ann", stdin="9999\n")
    assert json.loads(out)["error"]["code"] == "LOCKED_OUT"
    code, out, _ = txn("--cashier", "ann", stdin="2580\n")  # the lockout is honoured
    assert code == 1 and json.loads(out)["error"]["code"] == "LOCKED_OUT"
