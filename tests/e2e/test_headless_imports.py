"""Headless commands import only what they need (issue 14): no UI toolkit, no simulator
server, no httpx command-line client, and none of the other back ends' clients for a Rapyd
visit. Each command runs as its own process, which reports the modules it ended with."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
JANE = "+14155559992"

# Runs `kiosk ARGS...` (argv after the script), then writes every imported module's name to $MODULES_OUT.
REPORTING_KIOSK = """
import atexit, json, os, sys
atexit.register(lambda: open(os.environ["MODULES_OUT"], "w").write(json.dumps(sorted(sys.modules))))
from kiosk.cli import main
sys.exit(main(sys.argv[1:]))
"""

NEVER_HEADLESS = ("textual", "starlette", "uvicorn")


def run_kiosk(args: list[str], tmp_path: Path, config: Path | None = None) -> tuple[subprocess.CompletedProcess, set[str]]:
    out = tmp_path / f"modules-{len(list(tmp_path.glob('modules-*')))}.json"
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), "MODULES_OUT": str(out)}
    settings = ["--config", str(config), "--data-dir", str(tmp_path / "data")] if config else []
    done = subprocess.run([sys.executable, "-c", REPORTING_KIOSK, *settings, *args],
                          env=env, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    return done, set(json.loads(out.read_text()))


# kiosk/__init__.py's stand-ins, not the libraries: httpx's command-line client, pydantic's
# plugin loader (while plugins are off).
STAND_INS = ("httpx._main", "pydantic.plugin._loader")


def imported(modules: set[str], packages: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] in packages and m not in STAND_INS)


@pytest.fixture(scope="module")
def simulators(tmp_path_factory):
    from kiosk.sim.composite import CompositeSimulator
    from kiosk.sim.server import start_in_thread

    sims = CompositeSimulator(None, otp_window=600)
    server = start_in_thread(sims)
    yield sims, server.url
    server.stop()
    sims.close()


def test_help_imports_no_library_at_all(tmp_path):
    done, modules = run_kiosk(["--help"], tmp_path)
    assert done.returncode == 0 and "txn" in done.stdout
    assert imported(modules, ("textual", "starlette", "uvicorn", "pydantic", "httpx", "cryptography", "argon2", "qrcode")) == []


def test_a_headless_visit_recovery_and_journal_check_import_no_ui_and_no_server(simulators, tmp_path):
    sims, url = simulators
    config = tmp_path / "kiosk.toml"
    config.write_text((ROOT / "config" / "demo.toml").read_text().replace("http://127.0.0.1:8700", url))
    otp = sims.rapyd.current_otp(JANE)
    done, modules = run_kiosk(["txn", "withdraw", "--phone", JANE, "--otp", otp, "--currency", "GBP", "--amount", "1",
                               "--json", "--set", "drawer.simulated_close_after=0.05"], tmp_path, config)
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(done.stdout)["status"] == "completed"
    assert imported(modules, NEVER_HEADLESS) == []
    # httpx's own command-line client (kiosk/__init__.py), and the back ends this visit never used:
    assert imported(modules, ("rich", "click", "pygments", "argon2", "qrcode")) == []
    assert not {"kiosk.backends.pospointe", "kiosk.backends.sdkfinance", "kiosk.backends.flexiti"} & modules
    # Receipt images (the demo's paper roll), the till's locale (teller.locale unset) and the
    # fleet's PostgreSQL driver (fleet.dsn unset) are loaded where they are used, not here:
    assert imported(modules, ("PIL", "babel", "psycopg")) == []
    # pydantic plugins are off: nothing reads the installed packages' metadata to find one.
    assert "importlib.metadata" not in modules and "pydantic.plugin._loader" in modules
    for args in (["recover"], ["journal", "verify"], ["shift", "report"]):
        done, modules = run_kiosk(args, tmp_path, config)
        assert done.returncode == 0, done.stdout + done.stderr
        assert imported(modules, NEVER_HEADLESS) == [], args
