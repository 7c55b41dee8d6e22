"""One till, one writer, with real processes: `kiosk txn` held at HOST_SENT by the
simulator's slow fault while `kiosk recover`, a second `kiosk txn` and the UI try the same
data dir; a kill after HOST_OK followed by the loss of the WAL; a tampered journal before the
next visit; and N processes on one data dir with random kills, round after round."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import time
from decimal import Decimal

import httpx
import pytest

from kiosk.journal.store import Journal
from kiosk.runtime import derive_journal_key
from kiosk.sim import rapyd as sim
from tests.e2e.test_txn_cli import KIOSK, ROOT, fresh_window, sim_url  # noqa: F401  (module-scoped `kiosk sim`)

KEY = derive_journal_key(sim.DEMO_SECRET_KEY)  # config/demo.toml's secret


def new_wallet(sim_url, gbp="100.00") -> str:
    phone = f"+4477009{random.randrange(10_000, 99_999)}"
    answer = httpx.post(sim_url + "/_sim/wallets", json={"phone": phone, "accounts": {"GBP": gbp}}, timeout=5)
    assert answer.status_code in (200, 201), answer.text
    return phone


def code(sim_url, phone) -> str:
    fresh_window(sim_url, phone)
    return httpx.get(sim_url + "/_sim/otp", params={"phone": phone}, timeout=5).json()["otp"]


def balance(sim_url, phone) -> Decimal:
    for wallet in httpx.get(sim_url + "/_sim/ledger", timeout=5).json()["wallets"]:
        if wallet["phone"] == phone:
            return Decimal(str(next(a["balance"] for a in wallet["accounts"] if a["currency"] == "GBP")))
    raise AssertionError(phone)


def env(tmp_path, sim_url, **extra):
    import os

    return {
        "PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), "KIOSK_DATA_DIR": str(tmp_path / "data"),
        "KIOSK_RAPYD__BASE_URL": sim_url, "KIOSK_TELLER__OPENING_FLOAT": '{"GBP": "15.00"}',
        "KIOSK_DRAWER__SIMULATED_CLOSE_AFTER": "0.05", **extra,
    }


def kiosk(args, tmp_path, sim_url, **extra):
    return subprocess.run(
        [*KIOSK, "--config", str(ROOT / "config" / "demo.toml"), *args],
        env=env(tmp_path, sim_url, **extra), capture_output=True, text=True, timeout=90, cwd=tmp_path,
    )


def start(args, tmp_path, sim_url, **extra):
    return subprocess.Popen(
        [*KIOSK, "--config", str(ROOT / "config" / "demo.toml"), *args],
        env=env(tmp_path, sim_url, **extra), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
    )


def withdraw_args(sim_url, phone, amount="10"):
    return ["txn", "withdraw", "--phone", phone, "--otp", code(sim_url, phone), "--currency", "GBP", "--amount", amount, "--json"]


def last_step(tmp_path) -> str | None:
    path = tmp_path / "data" / "journal.sqlite3"
    if not path.exists():
        return None
    try:
        journal = Journal.reader(path, mac_key=KEY)
    except Exception:
        return None
    try:  # the kiosk may be creating its tables right now ("no such table: rows")
        rows = list(journal.rows())
    except Exception:
        return None
    finally:
        journal.close()
    return rows[-1].step if rows else None


def wait_for_step(tmp_path, step, process, timeout=30.0):
    deadline = time.monotonic() + timeout
    while last_step(tmp_path) != step:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, f"never reached {step}"
        time.sleep(0.05)


def arm_slow_withdrawal(sim_url, seconds=4.0):
    answer = httpx.post(sim_url + "/_sim/faults", json={"kind": "slow", "operation": "withdraw", "seconds": seconds}, timeout=5)
    assert answer.status_code == 201, answer.text


@pytest.mark.slow
def test_nothing_else_writes_while_a_visit_waits_for_the_host(sim_url, tmp_path):
    phone = new_wallet(sim_url)
    arm_slow_withdrawal(sim_url, seconds=8.0)
    first = start(withdraw_args(sim_url, phone), tmp_path, sim_url, KIOSK_RAPYD__TIMEOUT="20")
    wait_for_step(tmp_path, "HOST_SENT", first)

    # Recovery would take the live visit for a crash and reverse it: it must not start. A
    # second visit and the full-screen kiosk are refused the same way; reading works beside.
    other = new_wallet(sim_url)
    tries = {
        "recover": start(["recover"], tmp_path, sim_url),
        "second": start(withdraw_args(sim_url, other), tmp_path, sim_url),
        "ui": start([], tmp_path, sim_url),
        "read": start(["journal", "list"], tmp_path, sim_url),
    }
    done = {name: (p.communicate(timeout=60), p.returncode) for name, p in tries.items()}
    assert first.poll() is None, "the visit ended before the others were tried: lengthen the fault"
    for name in ("recover", "second", "ui"):
        (out, err), code = done[name]
        assert code == 2, (name, out, err)
        assert f"in use by process {first.pid} (kiosk txn withdraw" in err and "Traceback" not in err
    assert done["read"][1] == 0

    out, err = first.communicate(timeout=60)
    assert first.returncode == 0, err
    assert json.loads(out)["status"] == "completed"
    assert balance(sim_url, phone) == Decimal("90.00")  # debited once, never reversed
    assert balance(sim_url, other) == Decimal("100.00")
    verify = kiosk(["journal", "verify"], tmp_path, sim_url)
    assert verify.returncode == 0, verify.stdout
    # After it: the second withdrawal of 10 finds 5.00 in the drawer and is refused.
    again = kiosk(withdraw_args(sim_url, other), tmp_path, sim_url)
    assert again.returncode == 1 and json.loads(again.stdout)["error"]["code"] == "NOT_ENOUGH_CASH"
    assert balance(sim_url, other) == Decimal("100.00")


@pytest.mark.slow
def test_a_lost_wal_after_a_crash_is_caught_not_forgotten(sim_url, tmp_path):
    phone = new_wallet(sim_url)
    crashed = kiosk(withdraw_args(sim_url, phone), tmp_path, sim_url, KIOSK_CRASH_AFTER="HOST_OK")
    assert crashed.returncode == -signal.SIGKILL
    assert balance(sim_url, phone) == Decimal("90.00")  # the host applied it
    data = tmp_path / "data"
    for name in ("journal.sqlite3-wal", "journal.sqlite3-shm"):
        (data / name).unlink(missing_ok=True)

    recovered = kiosk(["recover"], tmp_path, sim_url)
    assert recovered.returncode == 1 and "JOURNAL_BROKEN" in recovered.stderr, recovered.stderr
    assert "anchor says row" in recovered.stderr
    other = new_wallet(sim_url)
    refused = kiosk(withdraw_args(sim_url, other), tmp_path, sim_url)
    assert refused.returncode == 1 and json.loads(refused.stdout)["error"]["code"] == "JOURNAL_BROKEN"
    assert balance(sim_url, other) == Decimal("100.00")
    verify = kiosk(["journal", "verify"], tmp_path, sim_url)
    assert verify.returncode == 1 and "JOURNAL TAMPERED" in verify.stdout


@pytest.mark.slow
def test_a_journal_edited_between_visits_serves_no_one(sim_url, tmp_path):
    import sqlite3

    phone = new_wallet(sim_url)
    assert kiosk(withdraw_args(sim_url, phone, "5"), tmp_path, sim_url).returncode == 0
    db = sqlite3.connect(tmp_path / "data" / "journal.sqlite3")
    db.execute("UPDATE rows SET data = replace(data, '5.00', '0.50') WHERE step = 'INTENT'")
    db.commit()
    db.close()
    other = new_wallet(sim_url)  # a code is single-use: each visit has its own customer
    refused = kiosk(withdraw_args(sim_url, other, "5"), tmp_path, sim_url)
    assert refused.returncode == 1, refused.stderr
    assert json.loads(refused.stdout)["error"]["code"] == "JOURNAL_BROKEN"
    assert balance(sim_url, other) == Decimal("100.00")
    # A supervisor reseals (sign-in is off in the demo profile: no PIN), then cash moves.
    resealed = kiosk(["journal", "reseal", "--supervisor", "sam", "--reason", "counted"], tmp_path, sim_url)
    assert resealed.returncode == 0, resealed.stderr
    assert "was changed after it was written" in resealed.stdout
    third = new_wallet(sim_url)
    assert kiosk(withdraw_args(sim_url, third, "5"), tmp_path, sim_url).returncode == 0
    assert balance(sim_url, third) == Decimal("95.00")


@pytest.mark.slow
def test_many_processes_on_one_till_with_random_kills(sim_url, tmp_path):
    """Round after round: three visits started at once on one data dir (a withdrawal or a
    deposit each), some killed at a random moment, then `kiosk recover`. After every round
    the chain is whole, no visit is left pending, every process either served, was refused
    as a second writer, or was killed, and money is conserved: what each wallet lost or
    gained at the host is exactly what the journal holds as completed or suspect."""
    rng = random.Random(20261203)
    float_ = Decimal("15.00")
    tally = {"attempts": 0, "completed": 0, "busy": 0, "killed": 0, "refused": 0}
    wallets: dict[str, Decimal] = {}
    for round_ in range(4):
        # Each host call answers after 0.7 s, so the first visit holds the till while the
        # others start: they must meet the lock, not each other's drawer cash.
        answer = httpx.post(sim_url + "/_sim/faults", json={"kind": "slow", "operation": "any", "count": 6, "seconds": 0.7}, timeout=5)
        assert answer.status_code == 201
        processes = []
        for _ in range(3):
            phone = new_wallet(sim_url)
            wallets[phone] = Decimal("100.00")
            kind = rng.choice(["withdraw", "deposit"])
            args = withdraw_args(sim_url, phone, "5")
            args[1] = kind
            processes.append(start(args, tmp_path, sim_url))
        tally["attempts"] += len(processes)
        time.sleep(rng.uniform(1.5, 4.0))
        for process in processes:
            if process.poll() is None and rng.random() < 0.35:
                process.send_signal(signal.SIGKILL)
        for process in processes:
            out, err = process.communicate(timeout=60)
            assert "Traceback" not in err, err
            if process.returncode == -signal.SIGKILL:
                tally["killed"] += 1
            elif process.returncode == 2:
                assert "in use by process" in err
                tally["busy"] += 1
            elif process.returncode == 0:
                tally["completed"] += 1
            else:
                assert process.returncode == 1 and json.loads(out)["status"] == "failed", (out, err)
                tally["refused"] += 1
        httpx.delete(sim_url + "/_sim/faults", timeout=5)
        recovered = kiosk(["recover", "--json"], tmp_path, sim_url)
        assert recovered.returncode in (0, 1), recovered.stderr
        assert kiosk(["journal", "verify"], tmp_path, sim_url).returncode == 0, f"round {round_}: chain broken"
        exported = json.loads(kiosk(["journal", "export", "--json"], tmp_path, sim_url).stdout)["visits"]
        assert not [v for v in exported if v["state"] == "pending"]
        # Conservation per wallet: the host's movement equals what the journal holds as done.
        journal = Journal.reader(tmp_path / "data" / "journal.sqlite3", mac_key=KEY)
        try:
            moved: dict[str, Decimal] = {}
            by_visit = {v.visit_id: v for v in journal.visits()}
            refs = {row.visit_id: row.data["phone_ref"] for row in journal.rows() if row.step == "SESSION_OPEN_SENT"}
            for visit_id, visit in by_visit.items():
                if visit.state in ("completed", "suspect") and visit.amount:
                    sign = -1 if visit.kind == "withdraw" else 1
                    moved[refs[visit_id]] = moved.get(refs[visit_id], Decimal(0)) + sign * Decimal(visit.amount)
            for phone, start_balance in wallets.items():
                assert balance(sim_url, phone) - start_balance == moved.get(journal.phone_ref(phone), Decimal(0)), phone
            # The drawer never promised more than it held.
            drawer = float_ + sum(
                (Decimal(v.cash_delta) for v in by_visit.values() if v.cash_delta), Decimal(0)
            )
            assert drawer >= 0
        finally:
            journal.close()
    print("one-writer rounds:", tally)
    assert tally["completed"] >= 1 and tally["busy"] >= 1
