"""`kiosk sim` serves all four simulators from one server, each at its documented paths, and
`kiosk sim info --json` describes them from the running server."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import httpx
import pytest

from kiosk.sim.cli import main
from kiosk.sim.composite import CompositeSimulator, sibling_ledger
from kiosk.sim.server import start_in_thread
from tests.sim.pos import Pos
from tests.simserver import free_port


@pytest.fixture(scope="module")
def composite(tmp_path_factory):
    ledger = tmp_path_factory.mktemp("composite") / "rapyd.sqlite"
    sims = CompositeSimulator(ledger)
    handle = start_in_thread(sims)
    yield sims, handle.url, ledger
    handle.stop()
    sims.close()


def test_each_simulator_answers_at_its_paths(composite):
    sims, url, _ = composite
    with httpx.Client(base_url=url, timeout=5) as http:
        assert http.get("/Health").text.strip('"') == "Healthy"  # POSPointe, no auth
        # POSPointe's token path without credentials: its own 401 (empty body), not Rapyd's envelope.
        token = http.post("/v1/Token", json={})
        assert token.status_code == 401 and not token.content
    # Rapyd keeps /v1/pos, and a signed call to a path nobody serves gets Rapyd's catch-all 401,
    # even one that looks like another simulator's.
    pos = Pos(url, time.time)
    try:
        assert pos.call("GET", "/v1/pos/echo").status_code == 200
        for path in ("/nowhere", "/v1/Tokens", "/v1/TokenX/y", "/api/v2/coins", "/flexitix"):
            answer = pos.call("GET", path)
            assert answer.status_code == 401 and answer.json()["status"]["error_code"] == "UNAUTHORIZED_API_CALL", path
    finally:
        pos.close()
    with httpx.Client(base_url=url, timeout=5) as http:
        flexiti = http.post("/flexiti/pos-api/v2.5/oauth/token", data={"grant_type": "client_credentials"})
        assert flexiti.status_code in (400, 401) and "error" in flexiti.json()
        coins = http.get("/api/v1/coins")
        assert coins.status_code == 401  # SDK.finance wants a token
        for path in ("/_sim/info", "/_sim/pospointe/info", "/_sim/sdkfinance/info", "/_sim/flexiti/info"):
            assert http.get(path).status_code == 200, path


def test_one_ledger_per_simulator_beside_the_configured_one(composite):
    _, _, ledger = composite
    assert ledger.exists()
    for name in ("pospointe", "sdkfinance", "flexiti"):
        assert sibling_ledger(ledger, name).exists(), name
        assert sibling_ledger(ledger, name).parent == ledger.parent


def test_sim_info_json_reflects_the_running_server(composite, capsys):
    sims, url, _ = composite
    sims.pospointe.add_card("7012349999990001", "1234", "12.00", "active")
    assert main(["info", "--json", "--url", url]) == 0
    document = json.loads(capsys.readouterr().out)
    assert set(document) >= {"rapyd", "pospointe", "sdkfinance", "flexiti"}
    assert document["rapyd"]["base_url"] == url
    assert document["rapyd"]["credentials"]["access_key"]
    assert any(c["phone"] == "+14155559992" for c in document["rapyd"]["customers"])
    cards = {c["card_number"]: c for c in document["pospointe"]["customers"]}
    assert cards["7012340000001001"]["security_code"] == "4821"
    assert cards["7012349999990001"]["balance"] == "12.00"  # added at run time: read from the server
    assert document["pospointe"]["credentials"]["user"] and document["pospointe"]["credentials"]["password"]
    assert document["sdkfinance"]["base_url"] == url + "/api/v1"
    assert document["sdkfinance"]["credentials"]["login"]
    assert any(c["login"] == "+447700900777" and c["otp_required"] for c in document["sdkfinance"]["customers"])
    assert document["flexiti"]["base_url"] == url + "/flexiti/pos-api/v2.5"
    assert document["flexiti"]["credentials"]["client_id"] == "flexitidemo"
    assert any(c["account_number"] == "116574819" for c in document["flexiti"]["customers"])


def test_sim_info_text(composite, capsys):
    _, url, _ = composite
    assert main(["info", "--url", url]) == 0
    out = capsys.readouterr().out
    for name in ("rapyd:", "pospointe:", "sdkfinance:", "flexiti:"):
        assert name in out


def test_sim_info_without_a_simulator_is_one_line(capsys):
    port = free_port()
    assert main(["info", "--json", "--url", f"http://127.0.0.1:{port}"]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("error: no simulator") and err.count("\n") == 1


def test_kiosk_sim_serves_all_four_as_a_process(tmp_path):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    proc = subprocess.Popen(
        [sys.executable, "-m", "kiosk.cli", "sim", "--port", str(port), "--ledger", str(tmp_path / "l.sqlite")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                httpx.get(url + "/_sim/info", timeout=1).raise_for_status()
                break
            except httpx.TransportError:
                assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read()
                time.sleep(0.05)
        info = subprocess.run(
            [sys.executable, "-m", "kiosk.cli", "sim", "info", "--json", "--url", url],
            capture_output=True, text=True, env=env, timeout=30,
        )
        assert info.returncode == 0, info.stderr
        document = json.loads(info.stdout)
        assert [n for n in ("rapyd", "pospointe", "sdkfinance", "flexiti") if n in document] == [
            "rapyd", "pospointe", "sdkfinance", "flexiti"]
        assert httpx.get(url + "/Health", timeout=2).status_code == 200
        assert httpx.get(url + "/flexiti/pos-api/v2.5/client-id/x/customers/lookup", timeout=2).status_code == 401
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    for name in ("pospointe", "sdkfinance", "flexiti"):
        assert (tmp_path / f"l.{name}.sqlite").exists()


# -- bodies over the limit: each simulator refuses in its own shape --------------------------------

TOO_LARGE_SHAPES = [
    ("/v1/pos/deposit/10/GBP", lambda d: d["status"]["error_code"] == "ERROR_REQUEST_BODY_TOO_LARGE"),
    ("/Transaction/reload", lambda d: d["statuscode"] == "100006" and d["status"] is False),
    ("/api/v1/bank-top-ups/create-request", lambda d: d["code"] == "PAYLOAD_TOO_LARGE"),
    ("/flexiti/pos-api/v2.5/oauth/token", lambda d: d["error"] == "payload_too_large"),
    ("/_sim/faults", lambda d: d["status"]["error_code"] == "ERROR_REQUEST_BODY_TOO_LARGE"),  # Rapyd's control paths
]


@pytest.mark.parametrize("path,shape", TOO_LARGE_SHAPES, ids=[p for p, _ in TOO_LARGE_SHAPES])
def test_each_simulator_refuses_a_50_mb_body_in_its_own_shape(composite, path, shape):
    from tests.sim.wire import MIB, declared_only

    _, url, _ = composite
    status, document = declared_only(url, "POST", path, 50 * MIB)
    assert status == 413 and shape(document)


def test_the_body_limit_reaches_all_four_simulators():
    sims = CompositeSimulator(None, max_body_bytes=100)
    try:
        with start_in_thread(sims) as handle, httpx.Client(base_url=handle.url, timeout=5) as http:
            for path, _ in TOO_LARGE_SHAPES:
                assert http.post(path, content=b"{" + b" " * 99 + b"}").status_code == 413, path
                assert http.post(path, content=b"{" + b" " * 98 + b"}").status_code != 413, path
    finally:
        sims.close()


def test_kiosk_sim_takes_the_body_limit(monkeypatch, tmp_path):
    import kiosk.sim.server

    served = []
    monkeypatch.setattr(kiosk.sim.server, "serve", lambda app, *args, **kwargs: served.append(app))
    assert main(["--max-body-bytes", "2048", "--ledger", str(tmp_path / "l.sqlite")]) == 0
    (app,) = served
    assert {name: sim.app.limit for name, sim in app.simulators.items()} == dict.fromkeys(
        ("rapyd", "pospointe", "sdkfinance", "flexiti"), 2048)


@pytest.mark.parametrize("value", ["0", "-1", "١٠", "1e6", "2000000000"])
def test_kiosk_sim_refuses_a_bad_body_limit(value, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--max-body-bytes", value])
    assert exit_.value.code == 2 and "--max-body-bytes" in capsys.readouterr().err
