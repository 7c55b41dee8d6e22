"""The device model, in UnifiedPOS vocabulary, shared by real, simulated and emulated devices.

Nothing here knows about wallets, visits or the kiosk: a receipt is a `ReceiptDocument`
of lines and QR codes, a drawer is something that opens and reports whether it is open.
Status is never guessed: a reading the device did not give is `None` (unknown), and every
outcome of an irreversible step is three-valued (done / not done / unknown).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Callable, Protocol


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

    def text_lines(self) -> list[str]:
        """A plain-text rendering (for screens, files and tests); QR shown by its payload."""
        out: list[str] = []
        for item in self.items:
            if isinstance(item, TextLine):
                out.append(item.text)
            elif isinstance(item, QRCode):
                out.append(f"[QR: {item.payload}]")
            elif isinstance(item, Rule):
                out.append(item.char * 32)
            elif isinstance(item, Feed):
                out.extend([""] * item.lines)
        return out


# --- the device protocols the kiosk programs against --------------------------------------


class ReceiptPrinter(Protocol):
    name: str
    #: characters per line in the normal font: receipts are laid out to fit.
    columns: int

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
