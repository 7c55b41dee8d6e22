"""A terminal for `kiosk doctor` to examine: the Rapyd simulator over loopback HTTP, simulated
devices and a data dir in a temporary folder; each test breaks one thing."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any, Iterator

import pytest

from kiosk.doctor import run_doctor_from_args
from kiosk.sim.rapyd import DEMO_ACCESS_KEY, DEMO_POS_ID, DEMO_SECRET_KEY, RapydSimulator
from kiosk.sim.server import start_in_thread


@pytest.fixture(scope="module")
def backend_url() -> Iterator[str]:
    server = start_in_thread(RapydSimulator(None).app)
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # The doctor reads settings like the kiosk: nothing from the developer's shell may leak in.
    for name in list(os.environ):
        if name.startswith("KIOSK_") or name == "CREDENTIALS_DIRECTORY":
            monkeypatch.delenv(name)


@pytest.fixture
def good(tmp_path: Path, backend_url: str) -> dict[str, Any]:
    """Overrides for a terminal with nothing wrong (simulated devices, simulator back end)."""
    data = tmp_path / "data"
    data.mkdir(mode=0o750)
    return {
        "data_dir": str(data),
        "rapyd": {
            "base_url": backend_url,
            "access_key": DEMO_ACCESS_KEY,
            "secret_key": DEMO_SECRET_KEY,
            "pos_id": DEMO_POS_ID,
            "timeout": 3.0,
        },
        "printer": {"driver": "simulated"},
        "drawer": {"driver": "simulated"},
        "auth": {"pepper": "doctor-test-pepper-0123456789"},  # sign-in is on: PINs need the pepper
    }


class Outcome:
    def __init__(self, code: int, text: str) -> None:
        self.code = code
        self.text = text

    def lines(self, status: str, check: str) -> list[str]:
        return [line for line in self.text.splitlines() if line.startswith(f"{status:<4}  {check:<13}")]

    def line(self, status: str, check: str) -> str:
        found = self.lines(status, check)
        assert found, f"no {status} line for {check!r} in:\n{self.text}"
        return found[0]

    @property
    def failures(self) -> list[str]:
        return [line for line in self.text.splitlines() if line.startswith("FAIL")]


def run(tmp_path: Path, overrides: dict[str, Any] | None = None, config: Path | None = None, **options: Any) -> Outcome:
    out = io.StringIO()
    options.setdefault("credstore", tmp_path / "credstore")  # never the machine's /etc/credstore
    options.setdefault("check_terminal", False)
    # Judge access as whoever runs the tests, even on a machine where the package (and its
    # kiosk user) is installed.
    options.setdefault("service_user", None)
    code = run_doctor_from_args(config, overrides or {}, out=out, **options)
    return Outcome(code, out.getvalue())
