"""The shipper the runtime starts when fleet.dsn is set: `kiosk txn` ships its visit on the way
out, and a server that cannot be reached never changes the visit's result."""

from __future__ import annotations

import json
import time
from decimal import Decimal
from pathlib import Path

from kiosk.cli import main
from kiosk.runtime import build_runtime
from kiosk.settings import load_settings
from tests.simserver import free_port

ROOT = Path(__file__).resolve().parents[2]


def txn(tmp_path, url, sims, phone: str, *settings: str) -> list[str]:
    sims.rapyd.add_wallet(phone, {"GBP": Decimal("100.00")})
    extra = [part for key in settings for part in ("--set", key)]
    return ["--config", str(ROOT / "config" / "demo.toml"), "--data-dir", str(tmp_path / "data"), *extra,
            "--set", f"rapyd.base_url={url}", "--set", "fleet.till_id=R1", "--set", "fleet.store_id=S9",
            "txn", "withdraw", "--phone", phone, "--otp", sims.rapyd.current_otp(phone), "--currency", "GBP",
            "--amount", "10", "--json"]


def test_kiosk_txn_ships_its_visit(composite, fleet_dsn, central, tmp_path, monkeypatch, capsys):
    sims, url = composite
    monkeypatch.delenv("KIOSK_CONFIG", raising=False)
    monkeypatch.setenv("KIOSK_FLEET__DSN", fleet_dsn)
    assert main(txn(tmp_path, url, sims, "+447700800001")) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["status"] == "completed"
    visits = central.execute("SELECT till_id, transaction_id, state FROM fleet.visits").fetchall()
    assert visits == [("R1", result["transaction_id"], "completed")]
    seq, head = central.execute("SELECT last_seq, head FROM fleet.tills WHERE till_id = 'R1'").fetchone()
    from kiosk.journal.store import Journal
    from kiosk.runtime import derive_journal_key
    from kiosk.sim import rapyd

    journal = Journal.reader(tmp_path / "data" / "journal.sqlite3", mac_key=derive_journal_key(rapyd.DEMO_SECRET_KEY))
    try:
        assert (seq, head) == (len(list(journal.rows())), journal.head)
    finally:
        journal.close()


def test_an_unreachable_server_changes_nothing_for_the_visit(composite, tmp_path, monkeypatch, capsys):
    sims, url = composite
    monkeypatch.delenv("KIOSK_CONFIG", raising=False)
    monkeypatch.setenv("KIOSK_FLEET__DSN", f"host=127.0.0.1 port={free_port()} user=x")
    started = time.monotonic()
    assert main(txn(tmp_path, url, sims, "+447700800002", "fleet.connect_timeout=1")) == 0
    assert json.loads(capsys.readouterr().out)["status"] == "completed"
    assert time.monotonic() - started < 10  # the last push gives up within fleet.after_txn_timeout


def test_the_background_shipper_ships_while_the_kiosk_runs(composite, fleet_dsn, central, tmp_path):
    sims, url = composite
    settings = load_settings(ROOT / "config" / "demo.toml", {
        "data_dir": str(tmp_path / "ui"), "rapyd": {"base_url": url},
        "fleet": {"dsn": fleet_dsn, "till_id": "U1", "push_interval": "1"}}, config_from_env=False)
    runtime = build_runtime(settings)
    try:
        # The shift the configured float opened is a journal row: it arrives without any command.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            found = central.execute("SELECT last_seq FROM fleet.tills WHERE till_id = 'U1'").fetchone()
            if found and found[0] >= 1:
                break
            time.sleep(0.05)
        assert found and found[0] == len(list(runtime.teller.journal.rows()))
    finally:
        runtime.close()
