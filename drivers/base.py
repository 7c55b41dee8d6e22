"""The device model, in UnifiedPOS vocabulary, shared by real, simulated and emulated devices.

Nothing here knows about wallets, visits or the kiosk: a receipt is a `ReceiptDocument`
of lines and QR codes, a drawer is something that opens and reports whether it is open.
Status is never guessed: a reading the device did not give is `None` (unknown), and every
outcome of an irreversible step is three-valued (done / not done / unknown).
"""

from __future__ import annotations

import enum
import logging
import threading
from dataclasses import dataclass, field
from typing import Callable, Protocol

_log = logging.getLogger(__name__)


class DeviceState(enum.Enum):
    """UnifiedPOS `State`."""

    CLOSED = "closed"
    IDLE = "idle"
    BUSY = "busy"
    ERROR = "error"


class PowerState(enum.Enum):
    """UnifiedPOS `PowerState`."""

    ONLINE = "online"
    OFF = "off"
    OFFLINE = "offline"
    OFF_OFFLINE = "off_offline"
    UNKNOWN = "unknown"


class PrintOutcome(enum.Enum):
    PRINTED = "printed"
    NOT_PRINTED = "not_printed"  # nothing reached the paper (checked before sending)
    UNKNOWN = "unknown"  # some or all was sent; whether it is on paper is not known


class DrawerOutcome(enum.Enum):
    OPENED = "opened"  # the sensor saw it open
    NOT_OPENED = "not_opened"  # the kick could not be sent, or the sensor saw it stay shut
    UNCONFIRMED = "unconfirmed"  # kick sent, but no sensor (or no change seen in time)


@dataclass(frozen=True)
class PrinterStatus:
    """One reading of the printer. `None` means the device did not say (unknown)."""

    power: PowerState = PowerState.UNKNOWN
    cover_open: bool | None = None
    paper_near_end: bool | None = None
    paper_out: bool | None = None
    error: bool | None = None  # cutter / unrecoverable / auto-recoverable error
    drawer_open: bool | None = None  # the kick connector's sensor, polarity applied
    detail: str = ""

    @property
    def ready(self) -> bool:
        """True only when the printer positively reported it can print now."""
        return (
            self.power is PowerState.ONLINE
            and self.cover_open is False
            and self.paper_out is False
            and self.error is not True
        )

    def problem(self) -> str:
        """Plain words for the first thing stopping a print, or '' when ready."""
        if self.power in (PowerState.OFF, PowerState.OFF_OFFLINE):
            return "printer is switched off or unplugged"
        if self.cover_open:
            return "printer cover is open"
        if self.paper_out:
            return "printer is out of paper"
        if self.error:
            return "printer reports an error"
        if self.power is PowerState.OFFLINE:
            return "printer is offline"
        if not self.ready:
            return self.detail or "printer status is unknown"
        return ""


@dataclass(frozen=True)
class DrawerStatus:
    power: PowerState = PowerState.UNKNOWN
    open: bool | None = None  # None: no sensor, or it did not answer
    has_sensor: bool = True
    detail: str = ""


@dataclass(frozen=True)
class StatusEvent:
    """UnifiedPOS-style status update, pushed to listeners (e.g. DRAWER_CLOSED, PAPER_EMPTY)."""

    device: str
    name: str
    detail: str = ""


StatusListener = Callable[[StatusEvent], None]


class EventName(enum.StrEnum):
    """Status event names, after UnifiedPOS's StatusUpdateEvent codes (SUE_POWER_*,
    PTR_SUE_*, CASH_SUE_*). They are plain strings, so `event.name == "DRAWER_CLOSED"` works."""

    POWER_ONLINE = "POWER_ONLINE"
    POWER_OFFLINE = "POWER_OFFLINE"
    POWER_OFF_OFFLINE = "POWER_OFF_OFFLINE"  # switched off, unplugged or not answering
    COVER_OPEN = "COVER_OPEN"
    COVER_OK = "COVER_OK"
    REC_EMPTY = "REC_EMPTY"  # receipt paper out
    REC_NEAREMPTY = "REC_NEAREMPTY"
    REC_PAPEROK = "REC_PAPEROK"
    ERROR = "ERROR"  # cutter / mechanical / unrecoverable / auto-recoverable error
    ERROR_CLEARED = "ERROR_CLEARED"
    DRAWER_OPEN = "DRAWER_OPEN"
    DRAWER_CLOSED = "DRAWER_CLOSED"
    DRAWER_LEFT_OPEN = "DRAWER_LEFT_OPEN"  # alert: still open when wait_for_drawer_close timed out
    RECONNECTED = "RECONNECTED"  # the port came back after an unplug; device re-initialised


def printer_events(device: str, before: PrinterStatus | None, after: PrinterStatus) -> list[StatusEvent]:
    """The UnifiedPOS events implied by going from one reading to the next.

    Only definite changes produce events: a reading that became unknown (None) says nothing
    new, so it raises no event; the first reading (before is None) reports every definite fact.
    """
    events: list[StatusEvent] = []

    def changed(attr: str) -> bool:
        now = getattr(after, attr)
        return now is not None and (before is None or getattr(before, attr) != now)

    if after.power is not PowerState.UNKNOWN and (before is None or before.power is not after.power):
        name = {
            PowerState.ONLINE: EventName.POWER_ONLINE,
            PowerState.OFFLINE: EventName.POWER_OFFLINE,
        }.get(after.power, EventName.POWER_OFF_OFFLINE)
        events.append(StatusEvent(device, name, after.detail))
    if changed("cover_open"):
        events.append(StatusEvent(device, EventName.COVER_OPEN if after.cover_open else EventName.COVER_OK))
    if changed("paper_out") or changed("paper_near_end"):
        if after.paper_out:
            events.append(StatusEvent(device, EventName.REC_EMPTY))
        elif after.paper_near_end:
            events.append(StatusEvent(device, EventName.REC_NEAREMPTY))
        elif after.paper_out is False and after.paper_near_end is False:
            events.append(StatusEvent(device, EventName.REC_PAPEROK))
    if changed("error"):
        events.append(StatusEvent(device, EventName.ERROR if after.error else EventName.ERROR_CLEARED, after.detail))
    if changed("drawer_open"):
        events.append(StatusEvent(device, EventName.DRAWER_OPEN if after.drawer_open else EventName.DRAWER_CLOSED))
    return events


class Listeners:
    """The listeners of one device. A listener that raises is logged and skipped: a broken
    screen must never stop a driver from reporting to the others (or from finishing a print)."""

    def __init__(self) -> None:
        self._listeners: list[StatusListener] = []
        self._lock = threading.Lock()

    def add(self, listener: StatusListener) -> None:
        with self._lock:
            self._listeners.append(listener)

    def emit(self, event: StatusEvent) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(event)
            except Exception:  # noqa: BLE001 - see class docstring
                _log.exception("status listener failed on %s", event)


# --- capabilities: what a device can do and report, fixed when it is built ----------------


@dataclass(frozen=True)
class PrinterCapabilities:
    """UnifiedPOS POSPrinter capabilities (the Cap* property each field stands for)."""

    line_chars: int  # RecLineChars in the normal font
    line_dots: int  # RecLineWidth, in dots
    cover_sensor: bool = True  # CapCoverSensor
    empty_sensor: bool = True  # CapRecEmptySensor
    near_end_sensor: bool = True  # CapRecNearEndSensor
    papercut: bool = True  # CapRecPapercut
    bold: bool = True  # CapRecBold
    double_size: bool = True  # CapRecDwideDhigh
    native_qr: bool = False  # CapRecBarCode for QR, in the printer's firmware
    bitmap: bool = True  # CapRecBitmap (QR codes drawn as raster images)
    transaction: bool = True  # CapTransaction: a whole receipt is buffered and sent at once
    power_reporting: bool = True  # CapPowerReporting (ADVANCED): tells ONLINE/OFFLINE/OFF_OFFLINE
    drawer_connector: bool = True  # a kick connector with a sensor input (DLE EOT 1 bit 2)


@dataclass(frozen=True)
class DrawerCapabilities:
    """UnifiedPOS CashDrawer capabilities."""

    status: bool  # CapStatus: a sensor tells open from closed
    status_source: str = "none"  # where that comes from: printer-connector, query, cts, dsr, ri, cd
    power_reporting: bool = False  # CapPowerReporting


# --- the receipt document: what to print, independent of any printer's command set ---------


class Align(enum.Enum):
    LEFT = "left"
    CENTER = "center"
    RIGHT = "right"


@dataclass(frozen=True)
class TextLine:
    text: str
    bold: bool = False
    double: bool = False  # double width and height
    align: Align = Align.LEFT


@dataclass(frozen=True)
class QRCode:
    payload: str
    module_size: int = 4


@dataclass(frozen=True)
class Rule:
    """A full-width separator line."""

    char: str = "-"


@dataclass(frozen=True)
class Feed:
    lines: int = 1


@dataclass
class ReceiptDocument:
    """A whole receipt, printed as one transaction print (buffered, then sent at once)."""

    items: list[TextLine | QRCode | Rule | Feed] = field(default_factory=list)
    cut: bool = True

    def text_lines(self, columns: int = 42) -> list[str]:
        """A plain-text rendering (for tests and logs); QR shown by its payload, rules as wide
        as the paper's `columns`. drivers.simulated.render lays lines out as printed."""
        out: list[str] = []
        for item in self.items:
            if isinstance(item, TextLine):
                out.append(item.text)
            elif isinstance(item, QRCode):
                out.append(f"[QR: {item.payload}]")
            elif isinstance(item, Rule):
                out.append((item.char[:1] or "-") * columns)
            elif isinstance(item, Feed):
                out.extend([""] * item.lines)
        return out


# --- the device protocols the kiosk programs against --------------------------------------


class ReceiptPrinter(Protocol):
    name: str
    #: characters per line in the normal font: receipts are laid out to fit.
    columns: int

    @property  # read-only: fixed when the device is built (an attribute or a property satisfies it)
    def capabilities(self) -> PrinterCapabilities: ...

    @property
    def state(self) -> DeviceState: ...

    def open(self) -> None:
        """Open and claim the device (exclusive); raises OSError-like errors if impossible."""

    def close(self) -> None: ...

    def check_health(self) -> PrinterStatus:
        """Read the status now (bounded wait). Never raises for a device fault: reports it."""

    def print_receipt(self, document: ReceiptDocument) -> PrintOutcome:
        """Check status, print the whole document, check status again; never raises."""

    def add_listener(self, listener: StatusListener) -> None: ...


class CashDrawer(Protocol):
    name: str

    @property  # read-only: fixed when the device is built (an attribute or a property satisfies it)
    def capabilities(self) -> DrawerCapabilities: ...

    @property
    def state(self) -> DeviceState: ...

    @property
    def has_sensor(self) -> bool: ...

    def open(self) -> None: ...

    def close(self) -> None: ...

    def check_health(self) -> DrawerStatus: ...

    def open_drawer(self) -> DrawerOutcome:
        """Fire the kick and report what is known about the drawer afterwards; never raises."""

    def wait_for_drawer_close(self, timeout: float) -> bool | None:
        """Block until the drawer is seen closed (True), the timeout passes while it is still
        open (False, an alert is raised), or it cannot be known (None: no sensor)."""

    def add_listener(self, listener: StatusListener) -> None: ...
