"""The journal's anchor: its head (last sequence number and MAC) kept outside the database.

The database alone cannot prove it was not cut short: delete its last rows, empty it, swap in
an older copy or lose its WAL after a crash, and what remains is still a valid chain. So after
every durable commit (one that waited for the disk; kiosk.journal.store) the writer records the head in `journal.anchor` beside it, fsynced, keyed with
the journal's MAC key (an anchor cannot be forged without the key). A database that ends before
the anchored row, or lacks it, has lost rows.

The anchor also records what the database files looked like right after that commit (inode,
size, modification and change times). The kiosk is the only writer (kiosk.datadir), so when
the files still look like that at the next start nobody else wrote to them and only the rows
after the anchor need checking: start-up stays fast on a year of visits. Any other difference
(an edit with the sqlite3 shell, a restored copy, a crash between commit and anchor) sends the
start through a full verification. A file's change time (ctime) cannot be set back by a user.

Two slots, written alternately, each with its own MAC: a write torn by a power cut leaves the
other slot, one commit older, which is still a true statement about the database.

The slot is written before the commit's `record()` returns (so a killed process leaves an
anchor that is current: the kernel holds the write), and flushed to the disk (fdatasync) by a
flusher thread meanwhile, while the till goes on to its next step. A power cut before that
flush ends leaves the anchor one commit or so behind: the case of a power cut between a commit
and its anchor, which the design always allowed (the next start walks the chain in full). The
anchor is never ahead of the database: the commit's own fsync returned before the slot is
written (a commit that does not wait for the disk writes no anchor). Closing flushes and waits.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.datadir import give_to_data_dir_owner

SLOT = 512
log = logging.getLogger("kiosk.journal")


def file_signature(db_path: Path | str) -> list[Any]:
    """What the database and its WAL look like now: inode, size, mtime, ctime each. An empty
    WAL counts as none: a reader may create one, and it holds nothing. (Taken after every
    commit: plain strings, no pathlib on the way.)"""
    out: list[Any] = []
    database = os.fspath(db_path)
    for path, is_wal in ((database, False), (database + "-wal", True)):
        try:
            st = os.stat(path)
        except FileNotFoundError:
            out.append(None)
            continue
        out.append(None if st.st_size == 0 and is_wal else [st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns])
    return out


def without_ctime(signature: list[Any]) -> list[Any]:
    """The signature for watching a live journal: SQLite run as root fchowns the WAL whenever
    any connection opens it (a reader too), which moves its ctime and nothing else."""
    return [None if seen is None else seen[:3] for seen in signature]


@dataclass(frozen=True)
class Anchor:
    seq: int
    mac: str
    files: list[Any]
    counter: int = 0


class AnchorFile:
    def __init__(self, path: Path, key: bytes) -> None:
        self.path = path
        self._key = key
        self._fd: int | None = None
        self._counter = 0
        self._flusher: threading.Thread | None = None
        self._unflushed = threading.Event()
        self._closing = False

    def _mac(self, body: bytes) -> str:
        return hmac.new(self._key, b"kiosk journal anchor v1\x00" + body, hashlib.sha256).hexdigest()

    def exists(self) -> bool:
        return self.path.exists()

    def read(self) -> Anchor | None:
        """The newest valid slot; None when the file is absent. Raises ValueError when the
        file exists but no slot is valid (damaged, forged, or another till's key)."""
        try:
            with open(self.path, "rb") as handle:
                raw = handle.read(2 * SLOT)
        except FileNotFoundError:
            return None
        best: Anchor | None = None
        for index in range(2):
            slot = raw[index * SLOT : (index + 1) * SLOT].rstrip(b"\x00 \n")
            body, _, mac = slot.rpartition(b"|")
            if not body or not hmac.compare_digest(mac, self._mac(body).encode()):
                continue
            try:
                data = json.loads(body)
                anchor = Anchor(int(data["seq"]), str(data["mac"]), data["files"], int(data["n"]))
            except (ValueError, KeyError, TypeError):
                continue
            if best is None or anchor.counter > best.counter:
                best = anchor
        if best is None:
            raise ValueError("no valid record")
        self._counter = best.counter
        return best

    def write(self, seq: int, mac: str, files: list[Any], *, flush_now: bool = False) -> None:
        """Record the head in the slot not written last; the flusher makes it durable
        (fdatasync) in the background, or this call does with `flush_now`."""
        self._counter += 1
        body = json.dumps({"n": self._counter, "seq": seq, "mac": mac, "files": files}, separators=(",", ":")).encode()
        record = body + b"|" + self._mac(body).encode()
        if len(record) >= SLOT:
            raise ValueError("anchor record too long")
        if self._fd is None:
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            give_to_data_dir_owner(self.path)  # made under sudo, it must still be the kiosk's
        os.pwrite(self._fd, record.ljust(SLOT, b"\x00"), (self._counter % 2) * SLOT)
        if flush_now:
            os.fdatasync(self._fd)
            return
        if self._flusher is None:
            self._closing = False
            self._flusher = threading.Thread(target=self._flush, name="journal-anchor-flusher", daemon=True)
            self._flusher.start()
        self._unflushed.set()

    def _flush(self) -> None:
        """The flusher: one fdatasync for every write (or run of writes) since the last one."""
        fd = self._fd
        assert fd is not None
        while True:
            self._unflushed.wait()
            self._unflushed.clear()
            if self._closing:
                return
            try:
                os.fdatasync(fd)
            except OSError as exc:  # the rows are durable; only the tail proof lags
                log.error("could not flush the journal's anchor: %s", exc)

    def close(self) -> None:
        """Flush what was written (and wait for it), then close."""
        if self._flusher is not None:
            self._closing = True
            self._unflushed.set()
            self._flusher.join()
            self._flusher = None
        if self._fd is not None:
            try:
                os.fdatasync(self._fd)
            finally:
                os.close(self._fd)
                self._fd = None
