"""In-memory printer and drawer implementing the same protocols, with faults on demand.

For the kiosk's own tests and for running without a serial port. No bytes, no threads
except the drawer's optional auto-close timer.

Fault API (the same names as the byte-level drivers.emulator), on both devices:

    device = SimulatedPrinter(faults={"paper_near_end"})   # start with faults
    device.inject("paper_out")                             # add one
    device.clear("paper_out")                              # remove one (None: all)
    device.faults                                          # frozenset of active names

Printer faults: paper_near_end, paper_out (refused: NOT_PRINTED), paper_out_mid_receipt
(the paper ends part-way through the next receipt: UNKNOWN, and paper_out from then on),
cover_open, offline, unplugged (clear it to "replug": the next call reconnects and sends a
RECONNECTED event), slow (every operation takes `slow_seconds`).

Drawer faults: drawer_jammed (a kick does nothing: NOT_OPENED), drawer_left_open (the
auto-close never comes), no_sensor (kick UNCONFIRMED, wait_for_drawer_close None),
unplugged, slow.

SimulatedPrinter keeps `printed` (documents) and `texts` (their rendering, newest last);
a receipt cut short by paper end goes to `torn` instead. SimulatedDrawer has
`close_drawer()` for a test or a UI key, and `auto_close_after` seconds for demos.
"""

from __future__ import annotations

import threading
import time
from typing import Iterable

from drivers.base import (
    DeviceState,
    DrawerCapabilities,
    DrawerOutcome,
    DrawerStatus,
    EventName,
    Listeners,
    PowerState,
    PrinterCapabilities,
    PrinterStatus,
    PrintOutcome,
    ReceiptDocument,
    StatusEvent,
    StatusListener,
    printer_events,
)
from drivers.paper import render

PRINTER_FAULTS = frozenset({"paper_near_end", "paper_out", "paper_out_mid_receipt", "cover_open", "offline", "unplugged", "slow"})
DRAWER_FAULTS = frozenset({"drawer_jammed", "drawer_left_open", "no_sensor", "unplugged", "slow"})


class _Faults:
    def __init__(self, known: frozenset[str], initial: Iterable[str]) -> None:
        self._known = known
        self._active: set[str] = set()
        for fault in initial:
            self._add(fault)

    def _add(self, fault: str) -> None:
        if fault not in self._known:
            raise ValueError(f"unknown fault {fault!r}; known: {', '.join(sorted(self._known))}")
        self._active.add(fault)

    @property
    def faults(self) -> frozenset[str]:
        return frozenset(self._active)

    def inject(self, fault: str) -> None:
        self._add(fault)

    def clear(self, fault: str | None = None) -> None:
        if fault is None:
            self._active.clear()
        else:
            if fault not in self._known:
                raise ValueError(f"unknown fault {fault!r}")
            self._active.discard(fault)


class SimulatedPrinter(_Faults):
    def __init__(
        self,
        name: str = "printer",
        columns: int = 42,
        *,
        faults: Iterable[str] = (),
        slow_seconds: float = 0.5,
        mid_receipt_lines: int = 3,
    ) -> None:
        super().__init__(PRINTER_FAULTS, faults)
        self.name = name
        self.columns = columns
        self.capabilities = PrinterCapabilities(line_chars=columns, line_dots=columns * 12, native_qr=True)
        self.slow_seconds = slow_seconds
        self.mid_receipt_lines = mid_receipt_lines
        self.printed: list[ReceiptDocument] = []
        self.texts: list[str] = []
        self.torn: list[str] = []
        self._state = DeviceState.CLOSED
        self._listeners = Listeners()
        self._last: PrinterStatus | None = None
        self._was_unplugged = False
        self._lock = threading.RLock()

    @property
    def state(self) -> DeviceState:
        return self._state

    def open(self) -> None:
        if "unplugged" in self.faults:
            raise OSError(f"{self.name}: no device (simulated unplug)")
        self._state = DeviceState.IDLE

    def close(self) -> None:
        self._state = DeviceState.CLOSED

    def add_listener(self, listener: StatusListener) -> None:
        self._listeners.add(listener)

    def _operation(self) -> None:
        if "slow" in self.faults:
            time.sleep(self.slow_seconds)

    def _reading(self) -> PrinterStatus:
        f = self.faults
        if "unplugged" in f:
            self._was_unplugged = True
            return PrinterStatus(power=PowerState.OFF_OFFLINE, detail="simulated printer unplugged")
        if self._was_unplugged:
            self._was_unplugged = False
            self._listeners.emit(StatusEvent(self.name, EventName.RECONNECTED))
        paper_out = "paper_out" in f
        return PrinterStatus(
            power=PowerState.OFFLINE if f & {"paper_out", "cover_open", "offline"} else PowerState.ONLINE,
            cover_open="cover_open" in f,
            paper_near_end="paper_near_end" in f or paper_out,
            paper_out=paper_out,
            error=False,
            detail=", ".join(sorted(f - {"slow"})),
        )

    def _record(self, status: PrinterStatus) -> PrinterStatus:
        for event in printer_events(self.name, self._last, status):
            self._listeners.emit(event)
        self._last = status
        return status

    def check_health(self) -> PrinterStatus:
        with self._lock:
            if self._state is DeviceState.CLOSED:
                return PrinterStatus(detail="printer is not open")
            self._operation()
            return self._record(self._reading())

    def print_receipt(self, document: ReceiptDocument) -> PrintOutcome:
        with self._lock:
            if self._state is DeviceState.CLOSED:
                return PrintOutcome.NOT_PRINTED
            self._operation()
            if not self._record(self._reading()).ready:
                return PrintOutcome.NOT_PRINTED
            text = render(document, self.columns)
            if "paper_out_mid_receipt" in self.faults:
                self.clear("paper_out_mid_receipt")
                self.inject("paper_out")
                self.torn.append("\n".join(text.splitlines()[: self.mid_receipt_lines]))
                self._record(self._reading())
                return PrintOutcome.UNKNOWN
            self.printed.append(document)
            self.texts.append(text)
            return PrintOutcome.PRINTED


class SimulatedDrawer(_Faults):
    def __init__(
        self,
        name: str = "drawer",
        *,
        faults: Iterable[str] = (),
        auto_close_after: float | None = None,
        slow_seconds: float = 0.5,
    ) -> None:
        super().__init__(DRAWER_FAULTS, faults)
        self.name = name
        self.auto_close_after = auto_close_after
        self.slow_seconds = slow_seconds
        self.is_open = False  # the physical drawer, whatever the sensor says
        self.kicks = 0
        self._state = DeviceState.CLOSED
        self._listeners = Listeners()
        self._changed = threading.Condition()
        self._timer: threading.Timer | None = None

    @property
    def capabilities(self) -> DrawerCapabilities:
        sensed = "no_sensor" not in self.faults
        return DrawerCapabilities(status=sensed, status_source="simulated" if sensed else "none")

    @property
    def has_sensor(self) -> bool:
        return "no_sensor" not in self.faults

    @property
    def state(self) -> DeviceState:
        return self._state

    def open(self) -> None:
        if "unplugged" in self.faults:
            raise OSError(f"{self.name}: no device (simulated unplug)")
        self._state = DeviceState.IDLE

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._state = DeviceState.CLOSED

    def add_listener(self, listener: StatusListener) -> None:
        self._listeners.add(listener)

    def _operation(self) -> None:
        if "slow" in self.faults:
            time.sleep(self.slow_seconds)

    def check_health(self) -> DrawerStatus:
        self._operation()
        if "unplugged" in self.faults:
            return DrawerStatus(power=PowerState.OFF_OFFLINE, has_sensor=self.has_sensor, detail="simulated drawer unplugged")
        return DrawerStatus(power=PowerState.ONLINE, open=self.is_open if self.has_sensor else None, has_sensor=self.has_sensor)

    def open_drawer(self) -> DrawerOutcome:
        self._operation()
        if self._state is DeviceState.CLOSED or "unplugged" in self.faults:
            return DrawerOutcome.NOT_OPENED
        self.kicks += 1
        if "drawer_jammed" not in self.faults and not self.is_open:
            with self._changed:
                self.is_open = True
                self._changed.notify_all()
            if self.has_sensor:
                self._listeners.emit(StatusEvent(self.name, EventName.DRAWER_OPEN))
            if self.auto_close_after is not None:
                self._timer = threading.Timer(self.auto_close_after, self._auto_close)
                self._timer.daemon = True
                self._timer.start()
        if not self.has_sensor:
            return DrawerOutcome.UNCONFIRMED
        return DrawerOutcome.OPENED if self.is_open else DrawerOutcome.NOT_OPENED

    def _auto_close(self) -> None:
        if "drawer_left_open" not in self.faults:
            self.close_drawer()

    def close_drawer(self) -> None:
        """Push the drawer shut (a test, or a key on the demo screen)."""
        with self._changed:
            was_open, self.is_open = self.is_open, False
            self._changed.notify_all()
        if was_open and self.has_sensor:
            self._listeners.emit(StatusEvent(self.name, EventName.DRAWER_CLOSED))

    def wait_for_drawer_close(self, timeout: float) -> bool | None:
        if not self.has_sensor:
            return None
        with self._changed:
            closed = self._changed.wait_for(lambda: not self.is_open, timeout=max(0.0, timeout))
        if not closed:
            self._listeners.emit(StatusEvent(self.name, EventName.DRAWER_LEFT_OPEN, f"drawer still open after {timeout:g} s"))
        return closed
