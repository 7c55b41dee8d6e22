"""One till, one writer: the lock on a till's data dir.

Every command that writes the journal or can move cash (the UI, `kiosk txn`, `recover`,
`shift`, `users`, `devices`) holds an exclusive `flock` on `<data_dir>/kiosk.lock` for the
whole life of its process. A second writer exits at once naming the holder, so recovery can
never take a live visit for a crashed one and two visits can never check the same drawer
cash. Read-only commands (`kiosk journal ...`, `kiosk doctor`) take no lock: they read a
consistent SQLite snapshot.

The kernel releases a flock when its process dies, however it dies (SIGKILL, power cut):
a stale lock file never blocks a till.
"""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path

LOCK_NAME = "kiosk.lock"


class DataDirBusy(Exception):
    """Another process is the till's writer; the message names it and says what to do."""


class WriterLock:
    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self._fd: int | None = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor drops the flock
            self._fd = None


_held: dict[Path, WriterLock] = {}
#: what this process is, for the message a second writer shows ("kiosk txn withdraw")
process_name = "kiosk"


def hold_writer(data_dir: Path, command: str | None = None) -> WriterLock:
    """Take the till's writer lock for the rest of this process (idempotent within it), or
    raise DataDirBusy naming the process that holds it."""
    data_dir = Path(data_dir)
    key = data_dir.resolve()
    if key in _held:
        return _held[key]
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    give_to_data_dir_owner(path)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = _read_holder(fd)
        os.close(fd)
        raise DataDirBusy(
            f"The till's data dir {data_dir} is in use by {holder}. Only one kiosk process may "
            "write the journal or move cash at a time: wait for it to finish, or close it first. "
            "Reading (kiosk journal ..., kiosk doctor) works beside it."
        ) from None
    except BaseException:
        os.close(fd)
        raise
    # Who holds it, for the message a second process shows (informative only: the flock
    # itself is the lock, so a stale text never blocks anyone).
    # Written over the old text, then cut to length: a contender reading meanwhile sees a whole
    # first line (truncating first left it an empty file to read, "another process").
    what = command or process_name
    line = f"process {os.getpid()} ({what}, since {time.strftime('%H:%M:%S')})\n".encode()
    os.pwrite(fd, line, 0)
    os.ftruncate(fd, len(line))
    lock = _held[key] = WriterLock(path, fd)
    return lock


def give_to_data_dir_owner(*paths: Path) -> None:
    """Files a command run as root (sudo) made in the data dir go to the dir's owner, the
    kiosk's user: a root-owned lock, anchor or accounts file would stop the kiosk itself."""
    if os.geteuid() != 0:
        return
    for path in paths:
        try:
            owner = path.parent.stat()
            if owner.st_uid != 0 and path.exists() and path.stat().st_uid != owner.st_uid:
                os.chown(path, owner.st_uid, owner.st_gid)
        except OSError:
            pass  # gone meanwhile, or not ours to change: the kiosk's own checks will say


def release_writer(data_dir: Path) -> None:
    """Give the lock back before the process ends (tests that run several tills in-process)."""
    lock = _held.pop(Path(data_dir).resolve(), None)
    if lock is not None:
        lock.release()


def _read_holder(fd: int) -> str:
    line = ""
    for _ in range(3):  # a holder that has just taken the lock writes its line a moment later
        try:
            text = os.pread(fd, 200, 0).decode("utf-8", "replace")
        except OSError:
            text = ""
        line = next(iter(text.splitlines()), "").strip()
        if line:
            break
        time.sleep(0.02)
    return line or "another process"
