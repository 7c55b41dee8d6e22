"""`kiosk` (the screens, kiosk/cli.py cmd_run) draws its first screen before the journal is
opened (issue 14); what stops it still stops it with today's message and exit status: a second
kiosk on the till before any screen, a journal that cannot be opened once the app ends."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from kiosk import cli
from kiosk.ui.app import KioskApp

ROOT = Path(__file__).resolve().parents[2]
DEMO = str(ROOT / "config" / "demo.toml")

HOLDER = """
import sys, time
from kiosk.datadir import hold_writer
hold_writer(sys.argv[1])
print("held", flush=True)
time.sleep(120)
"""


def test_a_second_kiosk_on_the_till_is_refused_before_any_screen(tmp_path):
    data = tmp_path / "data"
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path)}
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(data)], stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    try:
        assert holder.stdout.readline().strip() == "held"
        # No terminal: had a screen started, it would wait for keys until the timeout.
        second = subprocess.run([sys.executable, "-m", "kiosk.cli", "--config", DEMO, "--data-dir", str(data)],
                                env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    finally:
        holder.kill()
        holder.wait()
    assert second.returncode == 2, second.stderr
    assert "is in use by" in second.stderr and "Only one kiosk process" in second.stderr
    assert "\x1b[" not in second.stdout + second.stderr  # nothing was drawn
    assert "Traceback" not in second.stderr


def test_a_journal_that_cannot_be_opened_ends_the_kiosk_with_the_usual_line(tmp_path, monkeypatch, capsys):
    data = tmp_path / "data"
    data.mkdir()
    (data / "journal.sqlite3").write_bytes(b"not a database, just text long enough to look like a header " * 4)
    started: list[bool] = []
    run = KioskApp.run

    def headless(self, **kwargs):  # the real app, without a terminal
        started.append(True)
        return run(self, headless=True, size=(80, 24))

    monkeypatch.setattr(KioskApp, "run", headless)
    assert cli.main(["--config", DEMO, "--data-dir", str(data)]) == 1
    assert started == [True]
    err = capsys.readouterr().err
    assert err.startswith("kiosk: cannot open the journal at ") and "file is not a database" in err
    assert "Traceback" not in err
    # This process keeps the till's lock until it ends, as before: let go of it for the tests that follow.
    from kiosk.datadir import release_writer

    release_writer(data)
