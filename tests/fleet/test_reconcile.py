"""Reconciliation: real visits shipped from real tills, beside the simulators' ledger exports.

Each mismatch is made the way it happens: a till that never shipped (host only), the host's
books disagreeing with the till (edited in the simulator's ledger file, as a back end's own
error or a fraud would leave them), a visit whose drawer was left open (suspect)."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone

import pytest

from kiosk.cli import main
from kiosk.fleet.reconcile import reconcile
from kiosk.fleet.settlement import SimulatorLedger, simulator_sources
from tests.fleet.conftest import Till


def today():
    return datetime.now(timezone.utc).date()


def edit_host(ledger, sql: str, *args) -> None:
    with sqlite3.connect(ledger) as db:
        db.execute(sql, args)


def test_every_kind_of_mismatch_is_listed(make_till, central, sim_server, simulator, tmp_path):
    till = make_till("T1", "S1")
    fine = till.visit(amount="10.00")
    changed = till.visit(amount="20.00")
    unknown = till.visit("deposit", "30.00")
    undone = till.visit(amount="12.00")
    till.stack.drawer.inject("drawer_jammed")
    both_reversed = till.visit(amount="15.00")  # reversed at the host and in the journal: no mismatch
    till.stack.drawer.clear()
    till.stack.drawer.auto_close_after = None
    suspect = till.visit(amount="18.00", drawer_timeout=0.2)
    till.push()
    silent = make_till("T9", "S1")  # serves a visit, never ships
    unshipped = silent.visit(amount="7.00")
    ledger = tmp_path / "rapyd-ledger.sqlite3"
    edit_host(ledger, "UPDATE transactions SET amount = '21.00' WHERE transaction_id = ?", changed["transaction_id"])
    edit_host(ledger, "DELETE FROM transactions WHERE transaction_id = ?", unknown["transaction_id"])
    edit_host(ledger, "UPDATE transactions SET reversed_by = 'r-1' WHERE transaction_id = ?", undone["transaction_id"])

    mismatches, counts = reconcile(central, today(), [SimulatorLedger(sim_server.handle.url, "rapyd")])
    found = {(m.kind, m.transaction_id) for m in mismatches}
    assert found == {
        ("amount_differs", changed["transaction_id"]),
        ("journal_only", unknown["transaction_id"]),
        ("reversal_one_side", undone["transaction_id"]),
        ("host_only", unshipped["transaction_id"]),
        ("host_only", suspect["transaction_id"]),
    }
    assert fine["transaction_id"] and both_reversed["transaction_id"] not in {t for _, t in found}
    by_txn = {m.transaction_id: m for m in mismatches}
    assert by_txn[changed["transaction_id"]].journal == "completed 20.00 GBP"
    assert by_txn[changed["transaction_id"]].host == "withdraw 21.00 GBP"
    assert by_txn[suspect["transaction_id"]].detail.endswith("is suspect, not completed")
    assert by_txn[undone["transaction_id"]].detail == "reversed on the back end only"
    assert counts["rapyd"] == {"host": 6, "journal": 6}


def test_reconcile_command_on_the_four_simulators(make_till, composite, fleet_dsn, tmp_path, monkeypatch, capsys):
    sims, url = composite
    till = Till(tmp_path, "C1", "S1", fleet_dsn, url, sims.rapyd)
    try:
        paid = till.visit(amount="10.00")
        till.push()
    finally:
        till.close()
    monkeypatch.delenv("KIOSK_CONFIG", raising=False)
    monkeypatch.setenv("KIOSK_FLEET__DSN", fleet_dsn)
    # Whatever else this module's simulators did today: this visit is matched, nothing is journal-only.
    code = main(["fleet", "reconcile", "--date", "today", "--ledger-url", url, "--json"])
    import json

    report = json.loads(capsys.readouterr().out)
    assert set(report["compared"]) == {"rapyd", "pospointe", "sdkfinance", "flexiti"}
    assert all(m["transaction_id"] != paid["transaction_id"] for m in report["mismatches"])
    assert code == (1 if report["mismatches"] else 0)
    assert main(["fleet", "reconcile", "--date", "today", "--ledger-url", url]) == code
    assert capsys.readouterr().out.startswith(f"RECONCILIATION {today().isoformat()}")


def test_an_unreachable_ledger_is_one_line(fleet_dsn, monkeypatch, capsys):
    from tests.simserver import free_port

    monkeypatch.delenv("KIOSK_CONFIG", raising=False)
    monkeypatch.setenv("KIOSK_FLEET__DSN", fleet_dsn)
    assert main(["fleet", "reconcile", "--date", "today", "--ledger-url", f"http://127.0.0.1:{free_port()}"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("kiosk fleet: cannot read the rapyd ledger export") and "Traceback" not in err


@pytest.mark.parametrize("backend", ["rapyd", "pospointe", "sdkfinance", "flexiti"])
def test_each_simulator_export_reads(composite, backend):
    sims, url = composite
    source = [s for s in simulator_sources(url) if s.backend == backend][0]
    assert isinstance(source.transactions(today()), list)


def test_gift_card_wallet_and_flexiti_visits_match_their_ledgers(composite, fleet_dsn, central, tmp_path, monkeypatch,
                                                                 capsys):
    """Visits of the other back ends, served by `kiosk txn` (shipped on its way out), are found
    in their simulators' ledger exports: same ids, amounts and currencies, nothing one-sided."""
    import io
    import json
    from pathlib import Path

    sims, url = composite
    config = str(Path(__file__).resolve().parents[2] / "config" / "demo.toml")
    monkeypatch.delenv("KIOSK_CONFIG", raising=False)
    monkeypatch.setenv("KIOSK_FLEET__DSN", fleet_dsn)
    from kiosk.runtime import _demo_other_backends

    settings = _demo_other_backends(url)
    base = ["--config", config, "--data-dir", str(tmp_path / "till"), "--set", f"rapyd.base_url={url}",
            "--set", "fleet.till_id=M1", "--set", "store.terminal_id=M1"]
    for name in ("pospointe", "sdkfinance", "flexiti"):
        base += ["--set", f"{name}.base_url={settings[name]['base_url']}"]
    served = {}
    for backend, args, stdin in (
        ("pospointe", ["giftcard-reload", "--card", "7012340000001001", "--code", "4821", "--amount", "10"], ""),
        ("sdkfinance", ["sdk-deposit", "--login", "anna.kowalska@example.com", "--password-stdin", "--currency", "EUR",
                        "--amount", "20"], "Wallet#2024a\n"),
        ("flexiti", ["flexiti-deposit", "--account", "116574819", "--verify", "regular_purchase_bypass",
                     "--amount", "30"], ""),
    ):
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        assert main(["txn", *args, *base, "--json"]) == 0, capsys.readouterr()
        served[backend] = json.loads(capsys.readouterr().out)
    mismatches, counts = reconcile(central, today(), simulator_sources(url))
    for backend, result in served.items():
        assert counts[backend]["journal"] >= 1 and counts[backend]["host"] >= 1
        assert all(m.transaction_id != result["transaction_id"] for m in mismatches), (backend, mismatches)
    shipped = {row[0] for row in central.execute("SELECT kind FROM fleet.visits WHERE till_id = 'M1'")}
    assert {"giftcard_reload", "sdk_topup", "flexiti_deposit"} <= shipped
