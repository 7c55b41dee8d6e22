"""The background shipper: a daemon thread that pushes the journal every fleet.push_interval.

Started by kiosk.runtime.build_runtime when fleet.dsn is set, so the UI and every headless
command (`kiosk txn`, `kiosk shift`, ...) share it. It reads the journal through its own
read-only connection and talks to the server on its own connection: a visit never waits for
it. On close it makes one last bounded push (fleet.after_txn_timeout), so the visit `kiosk txn`
just served reaches head office; whatever that push meets (no network, a slow server) is
logged, never raised: shipping never changes a visit's result.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

log = logging.getLogger("kiosk.fleet")


class Shipper:
    def __init__(self, settings: Any) -> None:
        self.settings = settings
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._cycle = threading.Condition()
        self._started = 0
        self._finished = 0
        self.last_error: str | None = None
        self._thread = threading.Thread(target=self._run, name="kiosk-fleet-shipper", daemon=True)

    def start(self) -> "Shipper":
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            with self._cycle:
                self._started += 1
            try:
                self._push_once()
            finally:
                with self._cycle:
                    self._finished += 1
                    self._cycle.notify_all()
            self._wake.wait(self.settings.fleet.push_interval)
            self._wake.clear()

    def _push_once(self) -> None:
        from kiosk.fleet.push import FleetError, push

        fleet = self.settings.fleet
        # Bounded: a long catch-up yields after one interval; the next push goes on from there.
        deadline = time.monotonic() + max(fleet.push_interval, fleet.after_txn_timeout)
        try:
            result = push(self.settings, deadline=deadline, stop=self._stop)
        except FleetError as exc:
            if str(exc) != self.last_error:  # once per kind of failure, not every interval
                log.warning("journal not shipped: %s", exc)
            self.last_error = str(exc)
            return
        except Exception:  # a bug must not take the kiosk down: the journal stays, log it
            log.exception("journal shipping failed")
            return
        self.last_error = None
        if result.shipped or result.breaks:
            log.info("shipped %d journal rows to head office (row %d acknowledged)", result.shipped, result.last_seq)
        if result.breaks:
            log.error("head office found %d break(s) in this till's journal chain", result.breaks)

    def nudge(self) -> None:
        self._wake.set()

    def close(self, timeout: float | None = None) -> None:
        """One last push (started after this call) within `timeout`, then stop the thread."""
        wait = self.settings.fleet.after_txn_timeout if timeout is None else timeout
        if self._thread.is_alive():
            end = time.monotonic() + wait
            with self._cycle:
                wanted = self._started + 1
                self._wake.set()
                while self._finished < wanted and self._thread.is_alive():
                    left = end - time.monotonic()
                    if left <= 0:
                        log.warning("the last journal push did not finish within %.0f s: it goes next time", wait)
                        break
                    self._cycle.wait(left)
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=1.0)


def start_shipper(settings: Any) -> Shipper:
    return Shipper(settings).start()
