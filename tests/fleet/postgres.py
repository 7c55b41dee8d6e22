"""A private PostgreSQL cluster for tests and the benchmark: initdb + pg_ctl in a temp dir, on a
free loopback port, its socket inside the temp dir, stopped (and removed) at the end.

As root, the server binaries refuse to run: they run as the `postgres` user, in a directory it
owns. Durability is off (fsync, synchronous_commit) unless asked for: a test cluster is thrown away.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

# Debian keeps the server binaries off PATH, one folder per major version: the newest first.
SEARCH = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int("0" + "".join(c for c in p.split("/")[-2] if c.isdigit())), reverse=True)


def _binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    for folder in SEARCH:
        if os.access(os.path.join(folder, name), os.X_OK):
            return os.path.join(folder, name)
    return None


def available() -> bool:
    return _binary("initdb") is not None and _binary("pg_ctl") is not None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    def __init__(self, *, durable: bool = False) -> None:
        self.durable = durable  # the benchmark measures with fsync and synchronous commits on
        self.root = Path(tempfile.mkdtemp(prefix="kiosk-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self._as_root = os.geteuid() == 0
        if self._as_root:
            shutil.chown(self.root, "postgres", "postgres")
            os.chmod(self.root, 0o700)
        self.started = False

    def _run(self, *argv: str, timeout: float = 60) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if self._as_root else []
        subprocess.run(
            [*prefix, *argv], check=True, timeout=timeout, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=self.root
        )

    def start(self) -> "Cluster":
        self._run(_binary("initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync",
                  "--no-instructions")
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root} -c max_connections=60"
        if not self.durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=64MB"
        else:
            options += " -c shared_buffers=256MB -c max_wal_size=4GB"
        self._run(_binary("pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.root / "log"), "-w", "-t", "60",
                  "start")
        self.started = True
        return self

    def dsn(self, dbname: str = "postgres", user: str = "postgres") -> str:
        return f"host=127.0.0.1 port={self.port} dbname={dbname} user={user}"

    def stop(self) -> None:
        try:
            if self.started:
                self._run(_binary("pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop", timeout=30)
        finally:
            self.started = False
            shutil.rmtree(self.root, ignore_errors=True)

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.dsn(name)
