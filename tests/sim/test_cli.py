"""`kiosk sim otp` against a running simulator, and `kiosk sim` serving in a subprocess."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import httpx

from kiosk.sim.cli import main
from tests.simserver import free_port


def test_otp_prints_the_code_alone(sim, server, capsys):
    assert main(["otp", "--phone", "+14155559992", "--url", server.url]) == 0
    out, err = capsys.readouterr()
    assert out == sim.current_otp("+14155559992") + "\n" and err == ""


def test_otp_for_another_pos(sim, server, capsys):
    from kiosk.sim.rapyd import SECOND_POS_ID

    assert main(["otp", "--phone", "+14155559992", "--pos", SECOND_POS_ID, "--url", server.url]) == 0
    assert capsys.readouterr().out.strip() == sim.current_otp("+14155559992", SECOND_POS_ID)


def test_otp_for_an_unknown_phone_is_one_line_and_exit_1(sim, server, capsys):
    assert main(["otp", "--phone", "+15005550000", "--url", server.url]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and "+15005550000" in err


def test_otp_without_a_simulator_is_one_line_and_exit_1(capsys):
    port = free_port()
    assert main(["otp", "--phone", "+14155559992", "--url", f"http://127.0.0.1:{port}"]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("error: no simulator") and err.count("\n") == 1


def test_serve_and_otp_as_processes(tmp_path):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    proc = subprocess.Popen(
        [sys.executable, "-m", "kiosk.sim", "--port", str(port), "--ledger", str(tmp_path / "l.sqlite"),
         "--otp-window", "5"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                info = httpx.get(url + "/_sim/info", timeout=1).json()
                break
            except httpx.TransportError:
                assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read()
                time.sleep(0.05)
        assert info["otp_window"] == 5
        otp = subprocess.run(
            [sys.executable, "-m", "kiosk.sim", "otp", "--phone", "+14155559992", "--url", url],
            capture_output=True, text=True, env=env, timeout=20,
        )
        assert otp.returncode == 0 and len(otp.stdout.strip()) == 6 and otp.stdout.strip().isdigit()
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    assert "Rapyd POS simulator on" in out and "Traceback" not in err
    assert (tmp_path / "l.sqlite").exists()
