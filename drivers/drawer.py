"""Cash drawers: kicked through a receipt printer's connector, or on their own serial port.

Both report the same three outcomes for a kick:

- OPENED: the sensor saw the drawer open within `open_confirm_timeout` (~2 s);
- NOT_OPENED: the kick could not be sent, or the sensor saw the drawer stay shut (jammed,
  locked, unplugged solenoid);
- UNCONFIRMED: the kick went out but nothing can tell (no sensor, or the sensor did not
  answer).

`wait_for_drawer_close(timeout)` polls the sensor until it reads closed (True) or the
timeout passes (an alert DRAWER_LEFT_OPEN is sent to the listeners, and False returned);
with no sensor it returns None at once. Every wait is bounded.
"""

from __future__ import annotations

import logging
import time
from typing import Literal

from drivers.base import (
    DeviceState,
    DrawerCapabilities,
    DrawerOutcome,
    DrawerStatus,
    EventName,
    Listeners,
    PowerState,
    StatusEvent,
    StatusListener,
)
from drivers.printer import EscPosPrinter
from drivers.serial_link import FlowControl, LinkError, Parity, SerialLink

_log = logging.getLogger(__name__)

SensorKind = Literal["query", "cts", "dsr", "ri", "cd", "none"]


class _SensedDrawer:
    """What every drawer does the same way: confirm a kick and wait for the close."""

    name: str
    capabilities: DrawerCapabilities
    open_confirm_timeout: float
    poll_interval: float

    def __init__(self) -> None:
        self._listeners = Listeners()
        self._state = DeviceState.CLOSED
        self._last_open: bool | None = None

    @property
    def state(self) -> DeviceState:
        return self._state

    @property
    def has_sensor(self) -> bool:
        return self.capabilities.status

    def add_listener(self, listener: StatusListener) -> None:
        self._listeners.add(listener)

    # Subclasses provide the device side.
    def _sense(self) -> bool | None:
        """Open (True), closed (False) or unknown (None). Never raises."""
        raise NotImplementedError

    def _kick(self) -> bool:
        """Fire the drawer; True when the command reached the port. Never raises."""
        raise NotImplementedError

    def _seen(self, is_open: bool | None) -> None:
        if is_open is not None and is_open != self._last_open:
            self._listeners.emit(StatusEvent(self.name, EventName.DRAWER_OPEN if is_open else EventName.DRAWER_CLOSED))
        if is_open is not None:
            self._last_open = is_open

    def open_drawer(self) -> DrawerOutcome:
        if self._state is DeviceState.CLOSED:
            _log.warning("%s: kick refused: drawer is not open (call open() first)", self.name)
            return DrawerOutcome.NOT_OPENED
        if not self._kick():
            return DrawerOutcome.NOT_OPENED
        if not self.has_sensor:
            return DrawerOutcome.UNCONFIRMED
        deadline = time.monotonic() + self.open_confirm_timeout
        seen_closed = False
        while True:
            is_open = self._sense()
            self._seen(is_open)
            if is_open:
                return DrawerOutcome.OPENED
            seen_closed |= is_open is False
            if time.monotonic() + self.poll_interval > deadline:
                break
            time.sleep(self.poll_interval)
        if seen_closed:
            _log.error("%s: kick sent but the drawer stayed shut", self.name)
            return DrawerOutcome.NOT_OPENED
        return DrawerOutcome.UNCONFIRMED

    def wait_for_drawer_close(self, timeout: float) -> bool | None:
        if not self.has_sensor:
            return None
        deadline = time.monotonic() + max(0.0, timeout)
        is_open: bool | None = None
        while True:
            is_open = self._sense()
            self._seen(is_open)
            if is_open is False:
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            time.sleep(min(self.poll_interval, remaining))
        detail = "drawer still open" if is_open else "drawer sensor not answering"
        self._listeners.emit(StatusEvent(self.name, EventName.DRAWER_LEFT_OPEN, f"{detail} after {timeout:g} s"))
        return False


class PrinterKickDrawer(_SensedDrawer):
    """A drawer on the printer's kick connector: ESC p to fire (DLE DC4 1 while the printer
    is offline), DLE EOT 1 bit 2 for the sensor. The printer's owner opens and closes the
    printer; `open()` opens it if nobody has."""

    def __init__(
        self,
        printer: EscPosPrinter,
        pin: Literal[2, 5] = 2,
        pulse_ms: int = 100,
        *,
        name: str = "drawer",
        has_sensor: bool = True,
        open_confirm_timeout: float = 2.0,
        poll_interval: float = 0.05,
    ) -> None:
        super().__init__()
        if pin not in (2, 5):
            raise ValueError("kick pin must be 2 or 5")
        if not 2 <= pulse_ms <= 510:
            raise ValueError("pulse_ms must be 2..510 (ESC p counts 2 ms units up to 255)")
        self.name = name
        self.printer = printer
        self.pin = pin
        self.pulse_ms = pulse_ms
        self.open_confirm_timeout = open_confirm_timeout
        self.poll_interval = poll_interval
        self.capabilities = DrawerCapabilities(
            status=has_sensor, status_source="printer-connector" if has_sensor else "none", power_reporting=True
        )

    def open(self) -> None:
        if self.printer.state is DeviceState.CLOSED:
            self.printer.open()
        self._state = DeviceState.IDLE

    def close(self) -> None:
        self._state = DeviceState.CLOSED

    def check_health(self) -> DrawerStatus:
        status = self.printer.read_drawer_status()
        is_open = status.drawer_open if self.has_sensor else None
        self._seen(is_open)
        return DrawerStatus(power=status.power, open=is_open, has_sensor=self.has_sensor, detail=status.detail)

    def _sense(self) -> bool | None:
        return self.printer.read_drawer_status().drawer_open

    def _kick(self) -> bool:
        status = self.printer.read_drawer_status()
        realtime = status.power is PowerState.OFFLINE
        return self.printer.kick_drawer(self.pin, self.pulse_ms, realtime=realtime)


class SerialDrawer(_SensedDrawer):
    """A drawer with its own serial port.

    It opens on `open_bytes` (BEL 0x07 on many). Its sensor is read by `sensor`:
    "query" sends `status_query` and expects `open_reply` or `closed_reply` (garbage before
    a reply is skipped); "cts" / "dsr" / "ri" / "cd" read that modem line (asserted means
    open when `sensor_open_level` is "high"); "none" has no sensor. Drawers powered from
    DTR/RTS need `power_up_delay` seconds after the port opens before they can fire.
    """

    def __init__(
        self,
        port: str,
        baudrate: int = 9600,
        open_bytes: bytes = b"\x07",
        sensor: SensorKind = "none",
        status_query: bytes = b"",
        open_reply: bytes = b"",
        closed_reply: bytes = b"",
        power_up_delay: float = 0.0,
        *,
        name: str = "drawer",
        parity: Parity = "none",
        flow_control: FlowControl = "none",
        sensor_open_level: Literal["high", "low"] = "high",
        status_timeout: float = 0.5,
        open_confirm_timeout: float = 2.0,
        poll_interval: float = 0.05,
        reconnect_timeout: float = 2.0,
        link: SerialLink | None = None,
    ) -> None:
        super().__init__()
        if not open_bytes:
            raise ValueError("open_bytes must not be empty")
        if sensor not in ("query", "cts", "dsr", "ri", "cd", "none"):
            raise ValueError(f"sensor must be query, cts, dsr, ri, cd or none, not {sensor!r}")
        if sensor == "query":
            if not (status_query and open_reply and closed_reply):
                raise ValueError('sensor "query" needs status_query, open_reply and closed_reply')
            if open_reply.endswith(closed_reply) or closed_reply.endswith(open_reply):
                raise ValueError("open_reply and closed_reply must be told apart by their ending")
        if sensor_open_level not in ("high", "low"):
            raise ValueError("sensor_open_level must be 'high' or 'low'")
        self.name = name
        self.open_bytes = open_bytes
        self.sensor: SensorKind = sensor
        self.status_query = status_query
        self.open_reply = open_reply
        self.closed_reply = closed_reply
        self.power_up_delay = power_up_delay
        self.sensor_open_level = sensor_open_level
        self.status_timeout = status_timeout
        self.open_confirm_timeout = open_confirm_timeout
        self.poll_interval = poll_interval
        self.reconnect_timeout = reconnect_timeout
        self.capabilities = DrawerCapabilities(status=sensor != "none", status_source=sensor, power_reporting=sensor == "query")
        self._link = link or SerialLink(port, baudrate, parity, flow_control, write_timeout=max(1.0, status_timeout))
        self._powered_at = 0.0

    def open(self) -> None:
        self._link.open()
        self._powered_at = time.monotonic()
        self._state = DeviceState.IDLE

    def close(self) -> None:
        self._link.close()
        self._state = DeviceState.CLOSED

    def _ensure_link(self) -> bool:
        if self._link.is_open:
            return True
        if self._link.reopen(self.reconnect_timeout):
            self._powered_at = time.monotonic()  # a DTR-powered drawer starts again from cold
            self._listeners.emit(StatusEvent(self.name, EventName.RECONNECTED, self._link.port))
            return True
        return False

    def check_health(self) -> DrawerStatus:
        if self._state is DeviceState.CLOSED:
            return DrawerStatus(has_sensor=self.has_sensor, detail="drawer is not open")
        if not self._ensure_link():
            return DrawerStatus(power=PowerState.OFF_OFFLINE, has_sensor=self.has_sensor, detail=f"{self._link.port} is gone")
        is_open = self._sense()
        self._seen(is_open)
        if self.sensor == "query":
            power = PowerState.ONLINE if is_open is not None else PowerState.OFF_OFFLINE
        else:
            power = PowerState.UNKNOWN  # a byte-driven drawer cannot say whether it is powered
        detail = "" if is_open is not None or self.sensor == "none" else "sensor did not answer"
        return DrawerStatus(power=power, open=is_open, has_sensor=self.has_sensor, detail=detail)

    def _kick(self) -> bool:
        if not self._ensure_link():
            return False
        wait = self._powered_at + self.power_up_delay - time.monotonic()
        if wait > 0:
            time.sleep(wait)  # bounded by the configured delay
        try:
            self._link.write(self.open_bytes, timeout=max(1.0, self.status_timeout))
        except LinkError as exc:
            _log.error("%s: open command not sent: %s", self.name, exc)
            return False
        return True

    def _sense(self) -> bool | None:
        if self.sensor == "none":
            return None
        if not self._ensure_link():
            return None
        try:
            if self.sensor == "query":
                return self._query()
            level = self._link.modem_line(self.sensor)
        except LinkError as exc:
            _log.warning("%s: sensor not readable: %s", self.name, exc)
            return None
        if level is None:
            return None
        return level if self.sensor_open_level == "high" else not level

    def _query(self, attempts: int = 2) -> bool | None:
        """Ask, and read until the bytes end in one of the two replies. Bytes before a reply
        are garbage and skipped; a second attempt is made if only garbage came."""
        for _ in range(attempts):
            while self._link.read(0):
                pass  # stale bytes belong to no question of ours
            self._link.write(self.status_query, timeout=max(1.0, self.status_timeout))
            buf = bytearray()
            deadline = time.monotonic() + self.status_timeout
            while (remaining := deadline - time.monotonic()) > 0:
                data = self._link.read(remaining)
                for byte in data:
                    buf.append(byte)
                    if buf.endswith(self.open_reply):
                        return True
                    if buf.endswith(self.closed_reply):
                        return False
            if not buf:
                return None  # silence: nobody there
        return None
