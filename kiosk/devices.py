"""Turns the printer and drawer settings into device objects from the device layer.

The device layer takes plain parameters and knows nothing of kiosk settings; this module is
the one place that maps one onto the other.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from drivers.base import CashDrawer, PrintOutcome, ReceiptDocument, ReceiptPrinter
from drivers.paper import render
from drivers.receipt_image import write_receipt_png
from kiosk.settings import Settings

if TYPE_CHECKING:  # imported where the printer is built: a simulated till never loads the serial driver
    from drivers.printer import EscPosPrinter

log = logging.getLogger("kiosk.devices")


class ReceiptArchive:
    """A printer that also keeps each receipt as files (the demo's paper roll): a text file laid
    out as the paper is, and a PNG image with the QR a customer can scan."""

    def __init__(self, printer: ReceiptPrinter, folder: Path) -> None:
        self._printer = printer
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._printer, name)

    def print_receipt(self, document: ReceiptDocument) -> PrintOutcome:
        outcome = self._printer.print_receipt(document)
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
        columns = getattr(self._printer, "columns", 42)
        try:
            (self.folder / f"receipt-{stamp}.txt").write_text(render(document, columns) + "\n", encoding="utf-8")
            write_receipt_png(document, columns, self.folder / f"receipt-{stamp}.png")
        except Exception:  # a copy on disk must never undo a print that happened
            log.exception("receipt file not written in %s", self.folder)
        return outcome


def _hex(text: str, key: str) -> bytes:
    from kiosk.settings import SettingsError

    try:
        return bytes.fromhex(text.replace(" ", ""))
    except ValueError:
        raise SettingsError(f"Invalid setting:\n  {key}: '{text}' is not hex bytes, e.g. \"1B 70 00\"") from None


def build_devices(settings: Settings, *, receipt_dir: Path | None = None) -> tuple[ReceiptPrinter, CashDrawer]:
    """Open the configured printer and drawer (without waiting on them)."""
    from drivers.profiles import get_profile
    from kiosk.settings import SettingsError

    p, d = settings.printer, settings.drawer
    try:
        profile = get_profile(p.profile)
    except ValueError as exc:
        raise SettingsError(f"Invalid setting:\n  printer.profile (KIOSK_PRINTER__PROFILE): {exc}") from None
    printer: ReceiptPrinter
    escpos: EscPosPrinter | None = None  # the printer a kick-connector drawer fires through
    if p.driver == "simulated":
        from drivers.simulated import SimulatedPrinter

        printer = SimulatedPrinter(columns=profile.columns)
    else:
        from drivers.printer import EscPosPrinter

        printer = escpos = EscPosPrinter(
            p.port,
            baudrate=p.baudrate,
            parity=p.parity,
            flow_control=p.flow_control,
            profile=profile,
            status_timeout=p.status_timeout,
            write_timeout=p.write_timeout,
            drawer_sensor_open_level=d.sensor_open_level,
        )
    drawer: CashDrawer
    if d.driver == "simulated":
        from drivers.simulated import SimulatedDrawer

        drawer = SimulatedDrawer(auto_close_after=d.simulated_close_after)
    elif d.driver == "printer":
        from drivers.drawer import PrinterKickDrawer

        if escpos is None:
            raise SettingsError(
                "Invalid setting:\n  drawer.driver (KIOSK_DRAWER__DRIVER): 'printer' needs printer.driver = "
                "'escpos' (the drawer is kicked through the receipt printer)"
            )
        drawer = PrinterKickDrawer(escpos, pin=d.kick_pin, pulse_ms=d.pulse_ms)
    else:
        from drivers.drawer import SerialDrawer

        drawer = SerialDrawer(
            d.port,
            baudrate=d.baudrate,
            open_bytes=_hex(d.open_bytes, "drawer.open_bytes"),
            sensor=d.sensor,
            status_query=_hex(d.status_query, "drawer.status_query"),
            open_reply=_hex(d.open_reply, "drawer.open_reply"),
            closed_reply=_hex(d.closed_reply, "drawer.closed_reply"),
        )
    for device in (printer, drawer):
        claim(device)
    if receipt_dir is not None:
        printer = ReceiptArchive(printer, receipt_dir)
    return printer, drawer


def claim(device: ReceiptPrinter | CashDrawer) -> bool:
    """Open a closed device if it can be opened now. A device that is missing at start-up
    (unplugged, wrong port) must not stop the kiosk: it shows as not ready until it appears."""
    from drivers.base import DeviceState

    if device.state is not DeviceState.CLOSED:
        return True
    try:
        device.open()
    except OSError as exc:
        log.warning("%s could not be opened: %s", device.name, exc)
        return False
    return True
