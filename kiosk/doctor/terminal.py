"""The screens: the console the service draws on (tty1, TERM=linux) and the terminal the doctor
runs in: 80x24 and 8 colours at least."""

from __future__ import annotations

import os
import shutil
import subprocess
from typing import TextIO

from kiosk.doctor.report import FAIL, OK, SKIP, WARN, Report

KIOSK_SCREEN = "/dev/tty1"  # the unit's TTYPath=
MIN_COLUMNS, MIN_ROWS = 80, 24


def _check_terminal(report: Report, out: TextIO) -> None:
    _check_screen(report)
    try:
        fd = out.fileno()
    except (AttributeError, OSError, ValueError):
        fd = -1
    if fd < 0 or not os.isatty(fd):
        report.line(SKIP, "this terminal", "output is not a terminal")
        return
    size = os.get_terminal_size(fd)
    name = os.ttyname(fd)
    term = os.environ.get("TERM", "")
    colours = _colours(term) if term else None
    problems = []
    if size.columns < MIN_COLUMNS or size.lines < MIN_ROWS:
        problems.append(f"{size.columns}x{size.lines} is smaller than {MIN_COLUMNS}x{MIN_ROWS}")
    if not term or term == "dumb":
        problems.append(f"TERM is {term or 'not set'}")
    elif colours is not None and colours < 8:
        problems.append(f"TERM={term} has {colours} colours")
    # On a virtual console (where the kiosk itself runs) a problem is real; in an SSH window
    # it only concerns that window.
    on_console = name.startswith("/dev/tty") and name[8:].isdigit()
    if problems:
        report.line(FAIL if on_console else WARN, "this terminal", f"{name}: {'; '.join(problems)}", "the kiosk needs 80x24 and 8+ colours")
    else:
        report.line(OK, "this terminal", f"{name}: {size.columns}x{size.lines}, TERM={term}, {colours if colours is not None else '?'} colours")


def _check_screen(report: Report) -> None:
    """The console the service draws on (tty1, TERM=linux): its size and its colours."""
    import fcntl
    import struct
    import termios

    if not os.path.exists(KIOSK_SCREEN):
        report.line(SKIP, "screen", f"no {KIOSK_SCREEN} on this machine")
        return
    try:
        fd = os.open(KIOSK_SCREEN, os.O_RDONLY | os.O_NOCTTY | os.O_NONBLOCK)
    except OSError as exc:
        report.line(SKIP, "screen", f"{KIOSK_SCREEN}: {exc.strerror}", "run the doctor as root to check the kiosk's screen")
        return
    try:
        rows, columns = struct.unpack("hhhh", fcntl.ioctl(fd, termios.TIOCGWINSZ, b"\0" * 8))[:2]
    except OSError as exc:
        report.line(SKIP, "screen", f"{KIOSK_SCREEN}: size unknown ({exc.strerror})")
        return
    finally:
        os.close(fd)
    colours = _colours("linux")
    if colours is None:
        report.line(FAIL, "screen", "no terminfo entry for TERM=linux", "apt-get install ncurses-base")
    elif rows == 0 or columns == 0:
        report.line(SKIP, "screen", f"{KIOSK_SCREEN} reports no size (no console attached?)")
    elif columns < MIN_COLUMNS or rows < MIN_ROWS:
        report.line(FAIL, "screen", f"{KIOSK_SCREEN} is {columns}x{rows}, smaller than {MIN_COLUMNS}x{MIN_ROWS}", "use a larger console font or mode (dpkg-reconfigure console-setup)")
    else:
        report.line(OK, "screen", f"{KIOSK_SCREEN}: {columns}x{rows}, TERM=linux, {colours} colours")


def _colours(term: str) -> int | None:
    """Colours the terminfo entry declares, or None when there is no entry for `term`."""
    if shutil.which("tput") is None:
        return _colours_from_curses(term)
    try:
        done = subprocess.run(["tput", "-T", term, "colors"], capture_output=True, text=True, timeout=3, check=False)
    except (OSError, subprocess.SubprocessError):
        return _colours_from_curses(term)
    try:
        return int(done.stdout.strip()) if done.returncode == 0 else None
    except ValueError:
        return None


def _colours_from_curses(term: str) -> int | None:
    try:
        import curses

        with open(os.devnull, "wb") as devnull:
            curses.setupterm(term, devnull.fileno())
        return max(curses.tigetnum("colors"), 0)
    except Exception:  # no curses module, or no terminfo entry for this terminal
        return None
