"""The `kiosk` process around its commands (kiosk/cli.py): the cyclic garbage collector paused
while a one-shot command runs, and the exit that skips the collector's walk over the libraries.
Both are about speed (bench/bench_journey.py); these tests hold what must not change with them."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import weakref
from pathlib import Path

import pytest

from kiosk import cli

ROOT = Path(__file__).resolve().parents[2]


def recording(seen: list[bool], result: int = 0, error: Exception | None = None):
    def command(args) -> int:
        seen.append(gc.isenabled())
        if error is not None:
            raise error
        return result

    return command


def test_a_one_shot_command_runs_with_the_collector_paused_and_gets_it_back(monkeypatch, tmp_path):
    seen: list[bool] = []
    monkeypatch.setitem(cli.COMMANDS, "recover", recording(seen, result=1))
    assert gc.isenabled()
    assert cli.main(["recover", "--data-dir", str(tmp_path)]) == 1
    assert seen == [False]
    assert gc.isenabled()
    # Only a process about to end (run()) freezes what is left: a test run goes on collecting it.
    assert gc.get_freeze_count() == 0


def test_the_collector_comes_back_when_the_command_fails(monkeypatch, tmp_path):
    from kiosk.settings import SettingsError

    seen: list[bool] = []
    monkeypatch.setitem(cli.COMMANDS, "journal", recording(seen, error=SettingsError("Invalid setting:\n  x")))
    assert cli.main(["journal", "verify", "--data-dir", str(tmp_path)]) == 2
    assert seen == [False]
    assert gc.isenabled()


@pytest.mark.parametrize("argv, command", [([], None), (["demo"], "demo")])
def test_the_kiosk_screens_start_with_the_collector_paused_and_run_with_it(monkeypatch, argv, command):
    # The kiosk runs for days: its cycles (Textual's widgets, tasks) must be collected as it
    # goes, from its first screen on; only its start-up runs with the collector paused.
    seen: list[bool] = []

    def screens(args) -> int:
        seen.append(gc.isenabled())
        frozen = gc.get_freeze_count()
        cli._collector_back()  # what the app calls once visits can start
        seen.append(gc.isenabled())
        assert gc.get_freeze_count() > frozen  # start-up's survivors: out of the collector's walks
        watch = weakref.ref(Cycle())  # a cycle made once the kiosk serves: collected as it goes
        gc.collect()
        assert watch() is None
        cli._collector_back()  # a second call changes nothing
        seen.append(gc.isenabled())
        return 0

    monkeypatch.setitem(cli.COMMANDS, command, screens)
    try:
        assert cli.main(argv) == 0
        assert seen == [False, True, True]
        assert gc.isenabled()
    finally:
        gc.unfreeze()


@pytest.mark.parametrize("argv, command", [([], None), (["demo"], "demo")])
def test_the_collector_comes_back_when_the_screens_never_start(monkeypatch, argv, command):
    from kiosk.datadir import DataDirBusy

    seen: list[bool] = []
    monkeypatch.setitem(cli.COMMANDS, command, recording(seen, error=DataDirBusy("another kiosk")))
    try:
        assert cli.main(argv) == 2
        assert seen == [False]
        assert gc.isenabled()
    finally:
        gc.unfreeze()


class Cycle:
    def __init__(self) -> None:
        self.me = self


# A process whose command leaves an object in a reference cycle, which only the cyclic
# collector can free, with a finalizer that leaves a file: the exit must still run it.
CYCLE_LEFT_BEHIND = """
import os, sys
from kiosk import cli

class Cycle:
    def __init__(self):
        self.me = self

    def __del__(self):
        with open(os.environ["FINALIZED"], "w") as out:
            out.write("finalized")

def command(args):
    Cycle()
    return 3

cli.COMMANDS["recover"] = command
sys.argv = ["kiosk", "recover"]
cli.run()
"""


def test_the_process_exits_with_the_command_status_and_garbage_is_still_finalized(tmp_path):
    marker = tmp_path / "finalized"
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), "FINALIZED": str(marker)}
    done = subprocess.run([sys.executable, "-c", CYCLE_LEFT_BEHIND], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 3, done.stderr
    assert marker.read_text() == "finalized"
    assert done.stderr == ""


# A pydantic plugin installed beside the kiosk (an entry point in the `pydantic` group): it is
# handed every value pydantic validates, the settings' secrets among them.
PLUGIN = """
import os

with open(os.environ["PLUGIN_LOADED"], "w") as out:
    out.write("loaded")


class Plugin:
    def new_schema_validator(self, *args, **kwargs):
        return None, None, None


plugin = Plugin()
"""


@pytest.mark.parametrize("switch, loaded", [(None, False), ("", True)])
def test_no_pydantic_plugin_runs_in_a_kiosk_process_unless_the_operator_says_so(tmp_path, switch, loaded):
    site = tmp_path / "site"
    (site / "spy_plugin-1.0.dist-info").mkdir(parents=True)
    (site / "spy_plugin-1.0.dist-info" / "METADATA").write_text("Metadata-Version: 2.1\nName: spy-plugin\nVersion: 1.0\n")
    (site / "spy_plugin-1.0.dist-info" / "entry_points.txt").write_text("[pydantic]\nspy = spy_plugin:plugin\n")
    (site / "spy_plugin.py").write_text(PLUGIN)
    marker = tmp_path / "plugin-loaded"
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), "PYTHONPATH": str(site), "PLUGIN_LOADED": str(marker),
           "KIOSK_JOURNAL__MAC_KEY": "k" * 40}
    if switch is not None:
        env["PYDANTIC_DISABLE_PLUGINS"] = switch  # the operator's own setting is kept
    done = subprocess.run([sys.executable, "-m", "kiosk.cli", "--data-dir", str(tmp_path / "data"), "journal", "verify"],
                          env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode in (0, 1), done.stderr
    assert marker.exists() is loaded
