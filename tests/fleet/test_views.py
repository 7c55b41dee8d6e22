"""`kiosk fleet status` and `kiosk fleet report` on journals of real visits, through the CLI."""

from __future__ import annotations

import csv
import io
import json
import time
from datetime import datetime, timezone

import pytest

from kiosk.cli import main
from kiosk.money import parse_amount


@pytest.fixture
def fleet_env(monkeypatch, fleet_dsn):
    monkeypatch.delenv("KIOSK_CONFIG", raising=False)
    monkeypatch.setenv("KIOSK_FLEET__DSN", fleet_dsn)
    return fleet_dsn


@pytest.fixture
def day_of_two_stores(make_till):
    """T1 in S1: withdrawals 10 + 20, a deposit of 25, a withdrawal of 15 reversed (the drawer
    jammed), then the shift closed 5.00 short. T2 in S2: a visit whose drawer was left open
    (suspect), and a reversal the outbox escalated."""
    t1 = make_till("T1", "S1")
    assert t1.visit(amount="10.00")["status"] == "completed"
    assert t1.visit(amount="20.00")["status"] == "completed"
    assert t1.visit("deposit", "25.00")["status"] == "completed"
    t1.stack.drawer.inject("drawer_jammed")
    assert t1.visit(amount="15.00")["error"]["code"] == "DRAWER_NOT_OPENED"
    t1.stack.drawer.clear()
    t1.stack.teller.close_shift({"GBP": parse_amount("890.00", "GBP"), "EUR": parse_amount("300.00", "EUR")},
                                supervisor="sam")
    t2 = make_till("T2", "S2")
    t2.stack.drawer.auto_close_after = None
    assert t2.visit(amount="40.00", drawer_timeout=0.2)["error"]["code"] == "DRAWER_LEFT_OPEN"
    item = t2.stack.journal.enqueue("visit-x", "reverse", {"transaction_id": "t-x"})
    t2.stack.journal.update_compensation(item, state="escalated", attempts=8, next_at=time.time(), error="host refused")
    for till in (t1, t2):
        assert till.push().breaks == 0
    return t1, t2


def today() -> str:
    return datetime.now(timezone.utc).date().isoformat()


def test_status_shows_each_till(fleet_env, day_of_two_stores, capsys):
    assert main(["fleet", "status"]) == 0
    lines = capsys.readouterr().out.splitlines()
    t1 = next(line for line in lines if " T1 " in line)
    t2 = next(line for line in lines if " T2 " in line)
    assert t1.split()[0] == "S1" and t1.split()[6:] == ["-", "0", "0", "intact"]
    assert t2.split()[0] == "S2" and t2.split()[6:] == ["open", "1", "1", "intact"]
    assert main(["fleet", "status", "--json"]) == 0
    tills = {t["till_id"]: t for t in json.loads(capsys.readouterr().out)["tills"]}
    t1_till, t2_till = day_of_two_stores
    assert tills["T1"]["last_seq"] == len(list(t1_till.stack.journal.rows()))
    assert tills["T1"]["head"] == t1_till.stack.journal.head
    assert tills["T2"]["shift"]["open"] and tills["T2"]["suspect_visits"] == 1 and tills["T2"]["escalated"] == 1
    assert tills["T1"]["chain_state"] == "intact" and tills["T1"]["last_break"] is None


def test_report_per_store_till_and_currency(fleet_env, day_of_two_stores, capsys):
    assert main(["fleet", "report", "--date", today(), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    lines = {(line["till_id"], line["currency"]): line for line in report["lines"]}
    assert lines[("T1", "GBP")] | {"visits": None} == {
        "store_id": "S1", "till_id": "T1", "currency": "GBP", "deposits": "25.00", "withdrawals": "30.00",
        "reversals": "15.00", "variance": "-5.00", "suspect": "0.00", "completed": 3, "visits": None}
    assert lines[("T2", "GBP")]["suspect"] == "40.00" and lines[("T2", "GBP")]["withdrawals"] == "0.00"
    assert main(["fleet", "report", "--date", today(), "--store", "S2", "--csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [(r["store_id"], r["till_id"], r["currency"], r["suspect"]) for r in rows] == [("S2", "T2", "GBP", "40.00")]
    assert main(["fleet", "report", "--date", today()]) == 0
    text = capsys.readouterr().out.splitlines()
    assert text[0] == f"FLEET REPORT {today()}"
    assert any(line.split()[:8] == ["S1", "T1", "GBP", "25.00", "30.00", "15.00", "-5.00", "0.00"] for line in text)
    assert any(line.split()[:2] == ["S1", "(store)"] for line in text)
    assert main(["fleet", "report", "--date", "2001-01-01"]) == 0
    assert "no visits" in capsys.readouterr().out


@pytest.mark.parametrize("argv", [
    ["report", "--date", "2026-13-01"],
    ["report", "--date", "２０２６-01-01"],
    ["report", "--date", "2026-01-01", "--store", "S1; DROP"],
    ["reconcile", "--date", "today", "--ledger-url", "file:///etc/passwd"],
    ["push", "--set", "fleet.till_id=T١"],
    ["status", "--set", "fleet.batch_size=0"],
])
def test_bad_input_is_one_paragraph_and_exit_2(fleet_env, argv, capsys):
    assert main(["fleet", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("kiosk fleet: ") and "Traceback" not in err


def test_no_server_and_no_schema_are_explained(monkeypatch, fleet_env, pg_cluster, capsys):
    from tests.simserver import free_port

    monkeypatch.setenv("KIOSK_FLEET__DSN", f"host=127.0.0.1 port={free_port()} user=x connect_timeout=1")
    assert main(["fleet", "status"]) == 1
    assert "Cannot reach head office's database" in capsys.readouterr().err
    monkeypatch.setenv("KIOSK_FLEET__DSN", pg_cluster.dsn("postgres"))  # a database without the schema
    assert main(["fleet", "status"]) == 1
    assert "run `kiosk fleet init`" in capsys.readouterr().err
    monkeypatch.setenv("KIOSK_FLEET__DSN", "host=127.0.0.1 == nonsense password=hunter2")
    assert main(["fleet", "push", "--data-dir", "/nonexistent"]) == 2
    err = capsys.readouterr().err
    assert "not a valid PostgreSQL connection string" in err and "hunter2" not in err


def test_init_creates_then_finds_nothing_to_do(monkeypatch, pg_cluster, capsys):
    dsn = pg_cluster.create_database("fleet_init_test")
    monkeypatch.delenv("KIOSK_CONFIG", raising=False)
    monkeypatch.setenv("KIOSK_FLEET__DSN", dsn)
    assert main(["fleet", "init"]) == 0
    assert "migration 1" in capsys.readouterr().out
    assert main(["fleet", "init"]) == 0
    assert "already up to date" in capsys.readouterr().out
    assert main(["fleet", "status"]) == 0
    assert "no till has shipped" in capsys.readouterr().out


def test_the_dsn_is_read_as_a_credential(monkeypatch, fleet_dsn, tmp_path, capsys):
    """Like the back ends' secrets: a file named KIOSK_FLEET__DSN in $CREDENTIALS_DIRECTORY."""
    credentials = tmp_path / "credentials"
    credentials.mkdir()
    (credentials / "KIOSK_FLEET__DSN").write_text(fleet_dsn)
    monkeypatch.delenv("KIOSK_CONFIG", raising=False)
    monkeypatch.delenv("KIOSK_FLEET__DSN", raising=False)
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(credentials))
    assert main(["fleet", "status"]) == 0
    assert "no till has shipped" in capsys.readouterr().out
