"""The receipt printer and the cash drawer: their ports there and openable by the service's user,
the printer ready, the drawer answering and shut."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

from kiosk.doctor.access import _account, _owner
from kiosk.doctor.report import FAIL, OK, SKIP, WARN, Report


def _check_devices(report: Report, settings: Any, service_user: str | None) -> None:
    from kiosk.devices import build_devices
    from kiosk.settings import SettingsError

    p, d = settings.printer, settings.drawer
    ports_ok = True
    if p.driver == "escpos":
        ports_ok &= _check_port(report, "printer", p.port, service_user)
    if d.driver == "serial":
        ports_ok &= _check_port(report, "drawer", d.port, service_user)
    if not ports_ok:
        if d.driver == "printer":
            report.line(SKIP, "drawer", "kicked through the printer: not checked without the printer")
        return
    try:
        printer, drawer = build_devices(settings)
    except SettingsError as exc:
        report.line(FAIL, "devices", str(exc), "fix the setting named above")
        return
    try:
        _printer_status(report, printer, p)
        _drawer_status(report, drawer, d)
    finally:
        for device in (drawer, printer):
            try:
                device.close()
            except Exception:  # closing a broken device must not hide the report
                pass


def _check_port(report: Report, device: str, port: str, service_user: str | None) -> bool:
    path = Path(port)
    if not path.exists():
        report.line(
            FAIL, device, f"port {port} does not exist",
            "plug it in; check the udev rule (/etc/udev/rules.d/99-kiosk-serial.rules) and ls -l /dev/serial/by-id/",
        )
        return False
    st = path.stat()
    if not stat.S_ISCHR(st.st_mode):
        report.line(FAIL, device, f"{port} is not a serial device", f"set {device}.port to the device (e.g. /dev/kiosk-{device})")
        return False
    who = _account(service_user)
    if not who.can(st, 4 | 2):
        report.line(
            FAIL, device, f"user {who.name} cannot open {port} ({_owner(st)})",
            "GROUP=\"dialout\", MODE=\"0660\" in the udev rule, and the user in group dialout",
        )
        return False
    return True


def _printer_status(report: Report, printer: Any, p: Any) -> None:
    from drivers.base import DeviceState

    where = "simulated" if p.driver == "simulated" else f"{p.port} -> {os.path.realpath(p.port)}, {p.baudrate} baud, {p.profile}"
    if printer.state is DeviceState.CLOSED:
        try:
            printer.open()
        except OSError as exc:
            report.line(FAIL, "printer", f"cannot open {p.port}: {exc}", "if the kiosk service is running it holds the port: systemctl stop kiosk")
            return
    status = printer.check_health()
    if not status.ready:
        report.line(FAIL, "printer", f"{status.problem()} ({where})", _printer_fix(status))
    elif status.paper_near_end:
        report.line(WARN, "printer", f"paper near its end ({where})", "put in a new roll")
    elif p.driver == "simulated":
        report.line(WARN, "printer", "simulated: receipts are not printed", "printer.driver = \"escpos\" on a till")
    else:
        report.line(OK, "printer", f"ready ({where})")


def _printer_fix(status: Any) -> str:
    if status.cover_open:
        return "close the printer cover"
    if status.paper_out:
        return "put in a paper roll"
    if status.power.value in ("off", "off_offline", "unknown"):
        return "check power and cable, printer.baudrate / flow_control against the printer's settings"
    return "see the printer's manual; switch it off and on"


def _drawer_status(report: Report, drawer: Any, d: Any) -> None:
    from drivers.base import DeviceState, PowerState

    if drawer.state is DeviceState.CLOSED and d.driver == "serial":
        try:
            drawer.open()
        except OSError as exc:
            report.line(FAIL, "drawer", f"cannot open {d.port}: {exc}", "if the kiosk service is running it holds the port: systemctl stop kiosk")
            return
    status = drawer.check_health()
    kind = {"printer": f"kicked through the printer, pin {d.kick_pin}", "serial": f"serial {d.port}", "simulated": "simulated"}[d.driver]
    if status.power in (PowerState.OFF, PowerState.OFF_OFFLINE):
        report.line(FAIL, "drawer", f"does not answer: {status.detail or 'offline'} ({kind})", "check its cable and power")
    elif status.open:
        report.line(WARN, "drawer", f"is open ({kind})", "close the drawer")
    elif d.driver == "simulated":
        report.line(WARN, "drawer", "simulated: no cash drawer opens", "drawer.driver = \"printer\" or \"serial\" on a till")
    elif not status.has_sensor or status.open is None:
        report.line(WARN, "drawer", f"no sensor reading ({kind}): outcomes will be 'unconfirmed'", "check drawer.sensor / sensor_open_level")
    else:
        report.line(OK, "drawer", f"closed ({kind})")
