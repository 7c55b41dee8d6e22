"""The serial link: the only code in the kiosk that touches a port.

One `SerialLink` per port. It opens the port exclusively, writes and reads with a bound on
every wait (time.monotonic), turns every way a port can fail into `LinkLost` (the device is
gone: a USB adapter unplugged shows up as SerialException on read and EIO on write) or
`LinkTimeout` (it did not take the data in time), and reopens the port when it comes back
(the path is best a stable /dev/serial/by-id link, which reappears on replug).

`EscPosReplies` reads an ESC/POS printer's answers off a link and sorts each byte: a
real-time status reply (0xx1xx10), an Automatic Status Back block (0xx1xx00 + 3 bytes
0xx0xxxx), XON / XOFF, or garbage (discarded; the query is repeated a bounded number of
times). Only a whole, well-formed answer is ever believed.
"""

from __future__ import annotations

import errno
import logging
import os
import select
import time
from typing import Any, Callable, Literal, Sequence

import serial

from drivers import escpos

_log = logging.getLogger(__name__)

FlowControl = Literal["none", "xonxoff", "rtscts", "dsrdtr"]
Parity = Literal["none", "even", "odd"]
_PARITY = {"none": serial.PARITY_NONE, "even": serial.PARITY_EVEN, "odd": serial.PARITY_ODD}

#: How often a closed port is tried again while waiting for a device to come back.
REOPEN_INTERVAL = 0.1
#: With DSR/DTR handshake the kernel cannot hold data back, so we write in chunks small
#: enough that a printer signalling "busy" on DSR is obeyed before its buffer overflows.
DSRDTR_CHUNK = 128


class LinkError(OSError):
    """The port could not be used."""


class LinkLost(LinkError):
    """The device went away (unplugged, switched off, port closed underneath us)."""


class LinkTimeout(LinkError):
    """The device did not accept the data within the bound (flow control held it back)."""


class SerialLink:
    def __init__(
        self,
        port: str,
        baudrate: int = 9600,
        parity: Parity = "none",
        flow_control: FlowControl = "none",
        write_timeout: float = 10.0,
        *,
        exclusive: bool = True,
        serial_factory: Callable[..., Any] = serial.Serial,
    ) -> None:
        if parity not in _PARITY:
            raise ValueError(f"parity must be one of {sorted(_PARITY)}, not {parity!r}")
        if flow_control not in ("none", "xonxoff", "rtscts", "dsrdtr"):
            raise ValueError(f"flow_control must be none, xonxoff, rtscts or dsrdtr, not {flow_control!r}")
        if baudrate <= 0 or write_timeout <= 0:
            raise ValueError("baudrate and write_timeout must be positive")
        self.port = port
        self.baudrate = baudrate
        self.parity: Parity = parity
        self.flow_control: FlowControl = flow_control
        self.write_timeout = write_timeout
        self.exclusive = exclusive
        self._factory = serial_factory
        self._serial: Any = None
        self._modem_lines = True  # becomes False on a port without them (a pty: ENOTTY)

    # --- opening ------------------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        return self._serial is not None

    def open(self) -> None:
        """Open and claim the port. Raises LinkError when it cannot (absent, busy, denied)."""
        if self._serial is not None:
            return
        try:
            self._serial = self._factory(
                port=self.port,
                baudrate=self.baudrate,
                bytesize=serial.EIGHTBITS,
                parity=_PARITY[self.parity],
                stopbits=serial.STOPBITS_ONE,
                timeout=0,
                write_timeout=self.write_timeout,
                xonxoff=self.flow_control == "xonxoff",
                rtscts=self.flow_control == "rtscts",
                dsrdtr=self.flow_control == "dsrdtr",
                exclusive=self.exclusive,
            )
        except (serial.SerialException, OSError, ValueError) as exc:
            raise LinkError(f"cannot open {self.port}: {exc}") from exc

    def close(self) -> None:
        ser, self._serial = self._serial, None
        if ser is not None:
            try:
                ser.close()
            except (serial.SerialException, OSError):
                pass  # closing a port whose device is gone may fail; it is closed anyway

    def reopen(self, timeout: float) -> bool:
        """Close, then try to open again until `timeout` passes. True when open."""
        self.close()
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.open()
                return True
            except LinkError:
                if time.monotonic() + REOPEN_INTERVAL > deadline:
                    return False
                time.sleep(REOPEN_INTERVAL)

    # --- timing ------------------------------------------------------------------------------

    @property
    def bits_per_byte(self) -> int:
        return 10 if self.parity == "none" else 11  # start + 8 data (+ parity) + stop

    def wire_time(self, nbytes: int) -> float:
        """Seconds `nbytes` take on the wire: a floor no driver can beat."""
        return nbytes * self.bits_per_byte / self.baudrate

    # --- data ----------------------------------------------------------------------------------

    def _port(self) -> Any:
        if self._serial is None:
            raise LinkLost(f"{self.port} is not open")
        return self._serial

    def write(self, data: bytes, timeout: float | None = None) -> None:
        """Send all of `data` within `timeout` (default: write_timeout plus its wire time).

        Raises LinkTimeout if flow control held it back too long, LinkLost if the device is
        gone. Either way an unknown part of the data may have been sent."""
        ser = self._port()
        if timeout is None:
            timeout = self.write_timeout + self.wire_time(len(data))
        deadline = time.monotonic() + timeout
        try:
            if self.flow_control == "dsrdtr" and self._modem_lines:
                self._write_gated(ser, data, deadline)
            else:
                self._write_all(ser, data, deadline)
        except (LinkTimeout, serial.SerialTimeoutException) as exc:
            raise LinkTimeout(f"{self.port}: write not accepted within {timeout:.1f} s") from exc
        except (serial.SerialException, OSError) as exc:
            self.close()
            raise LinkLost(f"{self.port}: write failed: {exc}") from exc

    def _write_all(self, ser: Any, data: bytes, deadline: float) -> None:
        """Write with our own deadline. On a real port (one with a file descriptor) this is
        select + os.write on pyserial's non-blocking fd: changing pyserial's timeouts per call
        would re-program the port (tcsetattr) every time, which costs milliseconds on a USB
        adapter."""
        fd = _fileno(ser)
        if fd is None:
            ser.write_timeout = max(0.001, deadline - time.monotonic())
            ser.write(data)
            return
        view = memoryview(data)
        while view:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise LinkTimeout("write timeout")
            # Waits in short slices: a pty does not wake a waiting writer when XON restarts
            # output, so each slice ends with another try.
            if not select.select([], [fd], [], min(remaining, 0.02))[1]:
                continue
            try:
                view = view[os.write(fd, view) :]
            except BlockingIOError:
                continue  # another writer filled the queue first; wait again

    def _write_gated(self, ser: Any, data: bytes, deadline: float) -> None:
        """DSR/DTR handshake in software: the printer drops DSR when its buffer is nearly full.
        Linux has no kernel support for it, so each chunk waits until DSR is up and the
        kernel's queue has drained to one chunk."""
        for start in range(0, len(data), DSRDTR_CHUNK):
            while True:
                try:
                    ready = ser.dsr and ser.out_waiting <= DSRDTR_CHUNK
                except OSError as exc:
                    if exc.errno not in (errno.ENOTTY, errno.EINVAL):
                        raise
                    # No modem lines (a pty): fall back to plain writes from here on.
                    self._modem_lines = False
                    _log.info("%s has no modem lines; DSR/DTR handshake not available", self.port)
                    ready = True
                if ready:
                    break
                if time.monotonic() >= deadline:
                    raise LinkTimeout("DSR stayed low (printer busy)")
                time.sleep(0.002)
            self._write_all(ser, data[start : start + DSRDTR_CHUNK], deadline)

    def read(self, timeout: float, max_bytes: int = 4096) -> bytes:
        """What arrives within `timeout` (returns as soon as anything has); b"" if nothing."""
        ser = self._port()
        try:
            fd = _fileno(ser)
            if fd is None:
                ser.timeout = max(0.0, timeout)
                first = ser.read(1)
                waiting = ser.in_waiting if first else 0
                return first + (ser.read(min(waiting, max_bytes - 1)) if waiting else b"")
            if not select.select([fd], [], [], max(0.0, timeout))[0]:
                return b""
            try:
                data = os.read(fd, max_bytes)
            except BlockingIOError:
                return b""
            if not data:
                # What a vanished USB adapter does: always readable, never any data.
                raise LinkLost(f"{self.port}: device reports readiness to read but returned no data")
            return data
        except LinkLost:
            self.close()
            raise
        except (serial.SerialException, OSError, ValueError) as exc:
            self.close()
            raise LinkLost(f"{self.port}: read failed: {exc}") from exc

    def modem_line(self, name: Literal["cts", "dsr", "ri", "cd"]) -> bool | None:
        """The level of an input modem line; None where the port has none (e.g. a pty)."""
        ser = self._port()
        if not self._modem_lines:
            return None
        try:
            return bool(getattr(ser, name))
        except OSError as exc:
            if exc.errno in (errno.ENOTTY, errno.EINVAL):
                self._modem_lines = False
                return None
            self.close()
            raise LinkLost(f"{self.port}: cannot read {name.upper()}: {exc}") from exc
        except serial.SerialException as exc:
            self.close()
            raise LinkLost(f"{self.port}: cannot read {name.upper()}: {exc}") from exc


class EscPosReplies:
    """Sorts what an ESC/POS printer sends back. See the module docstring."""

    #: After garbage, a line quiet this long means the query was lost: ask again.
    QUIET_AFTER_GARBAGE = 0.05

    def __init__(self, link: SerialLink, on_asb: Callable[[bytes], None] | None = None) -> None:
        self.link = link
        self.on_asb = on_asb
        self.garbage = 0  # bytes discarded, for diagnostics
        self.xon_xoff = 0
        self._asb = bytearray()

    def _sort(self, data: bytes, replies: list[int]) -> bool:
        """File each byte; returns True if any was garbage."""
        dirty = False
        for byte in data:
            if self._asb:
                if escpos.is_asb_body(byte):
                    self._asb.append(byte)
                    if len(self._asb) == 4:
                        block, self._asb = bytes(self._asb), bytearray()
                        if self.on_asb is not None:
                            self.on_asb(block)
                    continue
                self.garbage += len(self._asb)  # a broken block: drop it, look at this byte afresh
                self._asb = bytearray()
                dirty = True
            if escpos.is_status_reply(byte):
                replies.append(byte)
            elif escpos.is_asb_head(byte):
                self._asb.append(byte)
            elif byte in (escpos.XON, escpos.XOFF):
                self.xon_xoff += 1  # only reaches us with flow control "none": nothing to obey
            else:
                self.garbage += 1
                dirty = True
        return dirty

    def drain(self) -> None:
        """Take in what is already waiting: ASB blocks are delivered, stale replies and
        garbage dropped, so the next query's answers are not confused with old ones."""
        stale: list[int] = []
        while data := self.link.read(0):
            self._sort(data, stale)

    def query(self, ns: Sequence[int], timeout: float, attempts: int = 3) -> list[int] | None:
        """Send DLE EOT n for each n at once and return the reply bytes in order, or None
        when no complete answer came. Each attempt waits at most `timeout`; an attempt is
        repeated only when garbage arrived (the query may have been mangled), so the
        longest wait is attempts x timeout. Raises LinkLost / LinkTimeout."""
        request = b"".join(escpos.status_request(n) for n in ns)
        for _ in range(max(1, attempts)):
            self.drain()
            self.link.write(request, timeout=timeout)
            replies: list[int] = []
            dirty = False
            deadline = time.monotonic() + timeout
            while len(replies) < len(ns):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                wait = min(remaining, self.QUIET_AFTER_GARBAGE) if dirty else remaining
                data = self.link.read(wait)
                if not data:
                    if dirty:
                        break  # garbage and then silence: ask again
                    continue
                dirty |= self._sort(data, replies)
            if len(replies) >= len(ns):
                return replies[: len(ns)]
            if not dirty:
                return None  # plain silence: asking again would only double the wait
            _log.info("%s: garbage on the line, repeating the status query", self.link.port)
        return None


def _fileno(ser: Any) -> int | None:
    """The port's file descriptor, or None for objects without one (test doubles)."""
    try:
        return ser.fileno()
    except (AttributeError, OSError, serial.SerialException):
        return None
