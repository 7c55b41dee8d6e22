"""EscPosPrinter: a serial ESC/POS receipt printer (Epson TM-T88 / TM-T20 and compatibles).

A receipt is a transaction print: the status is read, the whole document is sent in one
write, and the status is read again once the document has crossed the wire (the DLE EOT
queries queue behind it, so their answers come after the printer has taken it all in):

- NOT_PRINTED: refused before a byte was sent (paper out, cover open, offline, an error,
  no answer, unplugged). Safe to retry once the problem is fixed.
- UNKNOWN: sending failed part-way, or the status afterwards shows paper out / cover open /
  an error / no answer: part of it may be on paper. Offer a reprint marked COPY.
- PRINTED: all sent and the printer still reported itself fine afterwards.

A printer with a large buffer may still be printing the tail when it answers; printers
that cut on paper end stop printing, so that case shows up as paper out in the reading
after, which is what makes the outcome UNKNOWN.

After an unplug (SerialException / EIO) the port is reopened, up to `reconnect_timeout`,
at the next call, and the printer is initialised again (ESC @, GS a).
"""

from __future__ import annotations

import logging
import threading
from typing import Literal

from drivers import escpos
from drivers.base import (
    DeviceState,
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
from drivers.profiles import PrinterProfile, get_profile
from drivers.serial_link import EscPosReplies, FlowControl, LinkError, LinkLost, Parity, SerialLink

_log = logging.getLogger(__name__)


class EscPosPrinter:
    def __init__(
        self,
        port: str,
        baudrate: int = 9600,
        parity: Parity = "none",
        flow_control: FlowControl = "none",
        profile: str | PrinterProfile = "tm-t88v",
        status_timeout: float = 1.0,
        write_timeout: float = 10.0,
        drawer_sensor_open_level: Literal["high", "low"] = "high",
        *,
        name: str = "printer",
        qr: escpos.QrMode = "auto",
        automatic_status_back: bool = False,
        reconnect_timeout: float = 2.0,
        status_attempts: int = 3,
        link: SerialLink | None = None,
    ) -> None:
        if drawer_sensor_open_level not in ("high", "low"):
            raise ValueError("drawer_sensor_open_level must be 'high' or 'low'")
        if status_timeout <= 0 or reconnect_timeout < 0:
            raise ValueError("status_timeout must be positive and reconnect_timeout not negative")
        self.name = name
        self.profile = get_profile(profile) if isinstance(profile, str) else profile
        if qr == "native" and not self.profile.native_qr:
            raise ValueError(f"profile {self.profile.name} has no native QR")
        self.columns = self.profile.columns
        self.capabilities = PrinterCapabilities(
            line_chars=self.profile.columns,
            line_dots=self.profile.dots_per_line,
            papercut=self.profile.cutter,
            native_qr=self.profile.native_qr,
        )
        self.status_timeout = status_timeout
        self.reconnect_timeout = reconnect_timeout
        self.status_attempts = status_attempts
        self.drawer_sensor_open_level = drawer_sensor_open_level
        self.qr: escpos.QrMode = qr
        self.automatic_status_back = automatic_status_back
        self._link = link or SerialLink(port, baudrate, parity, flow_control, write_timeout)
        self._replies = EscPosReplies(self._link, on_asb=self._on_asb)
        # One conversation with the printer at a time: a drawer poll must not slip its
        # query between a receipt and the status read that judges it.
        self._lock = threading.RLock()
        self._state = DeviceState.CLOSED
        self._last: PrinterStatus | None = None
        self._listeners = Listeners()
        self.last_asb: escpos.EscPosStatus | None = None

    # --- UnifiedPOS life cycle ---------------------------------------------------------------

    @property
    def state(self) -> DeviceState:
        return self._state

    @property
    def port(self) -> str:
        return self._link.port

    def open(self) -> None:
        """Open and claim the port, initialise the printer. Raises LinkError (an OSError)."""
        with self._lock:
            self._link.open()
            try:
                self._initialise()
            except LinkError:
                self._link.close()
                raise
            self._state = DeviceState.IDLE

    def close(self) -> None:
        with self._lock:
            if self._link.is_open and self.automatic_status_back:
                try:
                    self._link.write(escpos.automatic_status_back(0), timeout=self.status_timeout)
                except LinkError:
                    pass  # closing anyway
            self._link.close()
            self._state = DeviceState.CLOSED

    def add_listener(self, listener: StatusListener) -> None:
        self._listeners.add(listener)

    def _initialise(self) -> None:
        data = escpos.INITIALISE
        if self.automatic_status_back:
            data += escpos.automatic_status_back(escpos.ASB_ALL)
        self._link.write(data, timeout=self.status_timeout + self._link.wire_time(len(data)))

    def _reconnect(self) -> bool:
        """Reopen the port (bounded) and initialise the printer again."""
        if not self._link.reopen(self.reconnect_timeout):
            return False
        try:
            self._initialise()
        except LinkError:
            self._link.close()
            return False
        _log.info("%s: reconnected on %s", self.name, self._link.port)
        self._listeners.emit(StatusEvent(self.name, EventName.RECONNECTED, self._link.port))
        return True

    # --- status ------------------------------------------------------------------------------

    def _unplugged(self) -> PrinterStatus:
        return PrinterStatus(power=PowerState.OFF_OFFLINE, detail=f"no printer on {self._link.port} (unplugged or switched off)")

    def _query(self, ns: list[int], extra_wait: float = 0.0) -> list[int] | None:
        return self._replies.query(ns, self.status_timeout + extra_wait, self.status_attempts)

    def _read_status(self, extra_wait: float = 0.0) -> PrinterStatus:
        """DLE EOT 1, 2, 4 (and 3 when an error is flagged). Raises LinkError."""
        replies = self._query([1, 2, 4], extra_wait)
        if replies is None:
            return PrinterStatus(power=PowerState.OFF_OFFLINE, detail="printer did not answer the status request")
        status = escpos.decode_realtime(1, replies[0]) | escpos.decode_realtime(2, replies[1]) | escpos.decode_realtime(4, replies[2])
        if status.error:
            causes = self._query([3])
            if causes is not None:
                status |= escpos.decode_realtime(3, causes[0])
        return escpos.to_printer_status(status, self.drawer_sensor_open_level)

    def _status(self) -> PrinterStatus:
        """A reading, reconnecting first if the port was lost. Never raises."""
        if not self._link.is_open and not self._reconnect():
            return self._unplugged()
        try:
            return self._read_status()
        except LinkLost:
            if not self._reconnect():
                return self._unplugged()
            try:
                return self._read_status()
            except LinkError:
                return self._unplugged()
        except LinkError as exc:  # a timeout: flow control is holding even a 3-byte query
            return PrinterStatus(power=PowerState.UNKNOWN, detail=f"printer is not accepting data ({exc})")

    def _record(self, status: PrinterStatus) -> None:
        events = printer_events(self.name, self._last, status)
        self._last = status
        if self._state is not DeviceState.CLOSED and self._state is not DeviceState.BUSY:
            self._state = DeviceState.ERROR if status.power is PowerState.OFF_OFFLINE else DeviceState.IDLE
        for event in events:
            self._listeners.emit(event)

    def _on_asb(self, block: bytes) -> None:
        """An Automatic Status Back block arrived while reading: report what changed."""
        try:
            self.last_asb = escpos.decode_asb(block)
        except ValueError:
            return
        self._record(escpos.to_printer_status(self.last_asb, self.drawer_sensor_open_level))

    def check_health(self) -> PrinterStatus:
        with self._lock:
            if self._state is DeviceState.CLOSED:
                return PrinterStatus(detail="printer is not open")
            status = self._status()
            self._record(status)
            return status

    # --- printing ----------------------------------------------------------------------------

    def print_receipt(self, document: ReceiptDocument) -> PrintOutcome:
        with self._lock:
            if self._state is DeviceState.CLOSED:
                _log.warning("%s: print refused: printer is not open", self.name)
                return PrintOutcome.NOT_PRINTED
            try:
                data = escpos.encode_receipt(document, self.profile, self.qr)
            except ValueError as exc:
                _log.error("%s: receipt cannot be printed on %s: %s", self.name, self.profile.name, exc)
                return PrintOutcome.NOT_PRINTED

            before = self._status()
            self._record(before)
            if not before.ready:
                _log.warning("%s: print refused: %s", self.name, before.problem())
                return PrintOutcome.NOT_PRINTED

            self._state = DeviceState.BUSY
            try:
                return self._send(data)
            finally:
                if self._state is DeviceState.BUSY:
                    self._state = DeviceState.IDLE if self._link.is_open else DeviceState.ERROR

    def _send(self, data: bytes) -> PrintOutcome:
        try:
            self._link.write(data)
            # The answers queue behind the document: allow for its time on the wire.
            after = self._read_status(extra_wait=self._link.wire_time(len(data)))
        except LinkError as exc:
            _log.error("%s: receipt interrupted, outcome unknown: %s", self.name, exc)
            self._record(self._unplugged() if isinstance(exc, LinkLost) else PrinterStatus(detail=str(exc)))
            return PrintOutcome.UNKNOWN
        self._state = DeviceState.IDLE
        self._record(after)
        if not after.ready:
            _log.error("%s: receipt outcome unknown: %s", self.name, after.problem())
            return PrintOutcome.UNKNOWN
        return PrintOutcome.PRINTED

    # --- the kick connector, for PrinterKickDrawer ------------------------------------------

    def read_drawer_status(self) -> PrinterStatus:
        """DLE EOT 1 only: power and the drawer sensor (polarity applied). Never raises."""
        with self._lock:
            if self._state is DeviceState.CLOSED:
                return PrinterStatus(detail="printer is not open")
            if not self._link.is_open and not self._reconnect():
                return self._unplugged()
            try:
                replies = self._query([1])
            except LinkError:
                return self._unplugged()
            if replies is None:
                return PrinterStatus(power=PowerState.OFF_OFFLINE, detail="printer did not answer the status request")
            return escpos.to_printer_status(escpos.decode_realtime(1, replies[0]), self.drawer_sensor_open_level)

    def kick_drawer(self, pin: int = 2, pulse_ms: int = 100, realtime: bool = False) -> bool:
        """Pulse the kick connector. `realtime` uses DLE DC4 1, which an offline printer
        still obeys (ESC p would wait in its buffer and fire whenever it came back online).
        True when the command was handed to the port; never raises."""
        command = escpos.realtime_drawer_kick(pin, pulse_ms) if realtime else escpos.drawer_kick(pin, pulse_ms)
        with self._lock:
            if self._state is DeviceState.CLOSED:
                return False
            if not self._link.is_open and not self._reconnect():
                return False
            try:
                self._link.write(command, timeout=self.status_timeout)
            except LinkError as exc:
                _log.error("%s: drawer kick not sent: %s", self.name, exc)
                return False
            return True
