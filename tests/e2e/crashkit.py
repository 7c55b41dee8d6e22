"""What the process-level crash tests share: a real `kiosk` process with a clean environment
and its own data dir, the journal it left read straight from disk, and the X report's cash.

A case kills `kiosk txn ...` with KIOSK_CRASH_AFTER=STEP (kiosk.journal.store.crash_after: a
SIGKILL right after that journal row is committed, like a power cut), then runs
`kiosk recover` in a new process on the same data dir."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

from kiosk.journal.store import Journal
from kiosk.runtime import derive_journal_key
from kiosk.sim import rapyd as sim
from tests.e2e.test_txn_cli import KIOSK


def run_kiosk(args: list[str], home: Path, *, stdin: str | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    """`kiosk ARGS` with only PATH from this environment; the data dir is HOME/data."""
    home.mkdir(parents=True, exist_ok=True)
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),
        "KIOSK_DATA_DIR": str(home / "data"),
        **env,
    }
    return subprocess.run(
        [*KIOSK, *args], env=environment, input=stdin, capture_output=True, text=True, timeout=90, cwd=home,
    )


@contextmanager
def journal_of(home: Path) -> Iterator[Journal]:
    """The journal the processes left under HOME/data, read-only and checked (every MAC)."""
    journal = Journal.reader(home / "data" / "journal.sqlite3", mac_key=derive_journal_key(sim.DEMO_SECRET_KEY))
    try:
        assert journal.verify()[0]
        yield journal
    finally:
        journal.close()


def visit_states(home: Path) -> list[str]:
    with journal_of(home) as journal:
        return [v.state for v in journal.visits()]


def visit_steps(home: Path) -> list[str]:
    """The steps of the journal's only visit, in the order they were written."""
    with journal_of(home) as journal:
        (visit,) = journal.visits()
        return [row.step for row in journal.rows(visit.visit_id)]


def expected_cash_change(home: Path, currency: str) -> Decimal:
    """How much the shift's expected drawer cash moved in `currency`: the cash movements the
    X report adds to the float (a fresh data dir holds one shift)."""
    with journal_of(home) as journal:
        cash, _, _ = journal.shift_movements(0)
    return sum((Decimal(amount) for ccy, amount in cash if ccy == currency), Decimal("0"))
