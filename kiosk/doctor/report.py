"""The report of `kiosk doctor`: one line per check, OK / WARN / FAIL / SKIP, each problem with
what to do; and running a check with a time limit, so that a hung device or network cannot hang
the report and an unexpected error is a FAIL line, never a traceback."""

from __future__ import annotations

import logging
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, TextIO

OK, WARN, FAIL, SKIP = "OK", "WARN", "FAIL", "SKIP"


@dataclass
class Report:
    out: TextIO
    counts: dict[str, int] = field(default_factory=lambda: {OK: 0, WARN: 0, FAIL: 0, SKIP: 0})

    def line(self, status: str, check: str, message: str, fix: str = "") -> None:
        self.counts[status] += 1
        text = f"{status:<4}  {check:<13} {_one_line(message)}"
        if fix:
            text += f" -> {fix}"
        print(text, file=self.out, flush=True)

    def finish(self) -> int:
        c = self.counts
        print(f"\n{c[FAIL]} failed, {c[WARN]} warnings, {c[OK]} passed, {c[SKIP]} skipped.", file=self.out)
        if c[FAIL]:
            print("Fix the FAIL lines, then run `kiosk doctor` again.", file=self.out)
        return 1 if c[FAIL] else 0


def _one_line(message: str) -> str:
    """One line per check, so the report can be grepped: a settings error listing several keys
    ("Invalid setting:\n  a: ...\n  b: ...") becomes "Invalid setting: a: ...; b: ..."."""
    head, *rest = [part.strip() for part in message.strip().splitlines() if part.strip()] or [""]
    return f"{head} {'; '.join(rest)}" if rest else head


class _TimedOut(Exception):
    pass


def _bounded(seconds: float, fn: Callable[[], Any]) -> Any:
    """Run fn in a worker thread and give up waiting after `seconds` (the thread is left to
    finish on its own: a blocked serial open or DNS lookup cannot be interrupted)."""
    result: dict[str, Any] = {}

    def run() -> None:
        try:
            result["value"] = fn()
        except BaseException as exc:  # handed to the caller below
            result["error"] = exc

    worker = threading.Thread(target=run, name="kiosk-doctor-check", daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise _TimedOut(f"no answer within {seconds:g} s")
    if "error" in result:
        raise result["error"]
    return result.get("value")


def _check(report: Report, name: str, seconds: float, fn: Callable[[], None]) -> None:
    """One check, bounded in time; an unexpected error is a FAIL line, never a traceback."""
    try:
        _bounded(seconds, fn)
    except _TimedOut as exc:
        report.line(FAIL, name, f"check did not finish: {exc}", "see the log, or run it again")
    except Exception as exc:  # a bug or an odd system: report it and go on with the others
        report.line(FAIL, name, f"check failed unexpectedly: {type(exc).__name__}: {exc}")


@contextmanager
def _quiet_logging() -> Iterator[None]:
    """Library warnings (a port that cannot be opened) would reach stderr through logging's
    last-resort handler and clutter the report, which says the same in plain words."""
    root = logging.getLogger()
    handler = logging.NullHandler()
    root.addHandler(handler)
    try:
        yield
    finally:
        root.removeHandler(handler)
