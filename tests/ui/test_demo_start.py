"""`kiosk demo` draws its first screen before its four simulators are built and served
(issue 14): the ready screen says it is checking the back ends, then that they answer; the
demo aids show nothing rather than block while the simulators start."""

from __future__ import annotations

from kiosk.runtime import demo_runtime
from kiosk.ui.app import KioskApp
from kiosk.ui.screens.ready import ReadyScreen
from tests.ui.helpers import wait_for_screen, wait_until, widget_words


async def test_the_first_screen_comes_before_the_simulators_and_they_answer_after(tmp_path):
    runtime = demo_runtime(tmp_path, otp_window=300, simulators_later=True)
    try:
        assert not hasattr(runtime, "simulators")  # nothing built or served yet
        try:
            runtime.demo.current_otp("+14155559992")
        except RuntimeError as exc:  # the demo panel shows no code rather than wait
            assert "still starting" in str(exc)
        else:
            raise AssertionError("a code was read from simulators that were not started")
        assert runtime.demo.flexiti_pin("116574819") is None
        app = KioskApp(runtime, status_interval=3600)
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for_screen(pilot, ReadyScreen)
            await wait_until(pilot, lambda: widget_words(pilot, "#status").count("answering") == 4, what="four back ends answering")
            assert len(runtime.demo.current_otp("+14155559992")) == 6  # started once the screen was drawn
    finally:
        runtime.close()


def test_the_demo_is_configured_without_importing_the_simulators(tmp_path):
    """The demo's values come from each simulator's demo.py: until the simulators start (after
    the first screen), neither they nor starlette or uvicorn are imported (issue 14)."""
    import subprocess
    import sys

    code = (
        "import sys, pathlib; from kiosk.runtime import demo_runtime;"
        f"runtime = demo_runtime(pathlib.Path({str(tmp_path)!r}), simulators_later=True);"
        "heavy = ('starlette', 'uvicorn', 'kiosk.sim.rapyd', 'kiosk.sim.pospointe.simulator',"
        "         'kiosk.sim.sdkfinance.app', 'kiosk.sim.flexiti.simulator', 'kiosk.sim.composite');"
        "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in heavy or m in heavy)));"
        "runtime.close()"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == ""


def test_the_simulators_are_served_without_uvicorns_command_line(tmp_path):
    """uvicorn's command-line program (click, multiprocessing's supervisors: about 1.5 MiB of
    the demo) is not imported to serve the simulators in a thread (kiosk/sim/server.py)."""
    import subprocess
    import sys

    code = (
        "import sys; from kiosk.sim.composite import CompositeSimulator; from kiosk.sim.server import start_in_thread; import httpx;"
        "sims = CompositeSimulator(None); server = start_in_thread(sims);"
        "answer = httpx.post(server.url + '/v1/pos/logout').status_code; server.stop(); sims.close();"
        "print(answer, sorted(m for m in sys.modules if m.split('.')[0] in ('click', 'multiprocessing')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    status, modules = done.stdout.strip().split(" ", 1)
    assert int(status) < 500 and modules == "[]"  # the simulator answered (its own refusal: no signature)
