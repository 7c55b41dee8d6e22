"""The type checker, run by the suite: mypy checks [tool.mypy] `files` in pyproject.toml (the one
list of what is checked, and of what is left out for now) with the settings written there.

The cache is mypy's default .mypy_cache/ in the project root (git-ignored): a fresh clone checks
everything (about 10-40 s on two busy cores), later runs only what changed (about a second)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_kiosk_and_drivers_are_type_clean() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml")],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    report = done.stdout[-6000:] + done.stderr[-2000:]
    assert done.returncode == 0, report
    assert done.stdout.startswith("Success: no issues found"), report
