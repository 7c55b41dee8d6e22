"""`kiosk doctor`: checks a store's IT person runs on a terminal before (and after) putting it
into service. One line per check, OK / WARN / FAIL / SKIP, each problem with what to do; exit
status 1 when anything FAILs.

It reads and never writes: no file is created (not the data dir, the journal or the log),
so running it as root leaves nothing behind that the kiosk's own user could not open. Every
check runs with a time limit, so a hung device or network cannot hang the report. Secrets
are never printed, not even in part.

One module per concern: report.py (the lines, time limits), access.py (whose access counts),
config.py (config file, secrets, sign-in), storage.py (data dir, log, journal), clock.py,
devices.py, terminal.py, and backends/ (each enabled back end, and only those).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, TextIO

from kiosk.doctor.access import SERVICE_USER, _account, _check_service_user
from kiosk.doctor.backends import backends, check_connection, check_settings
from kiosk.doctor.clock import _check_clock
from kiosk.doctor.config import CREDSTORE, _check_config_file, _check_policy, _check_sign_in
from kiosk.doctor.devices import _check_devices
from kiosk.doctor.report import FAIL, OK, SKIP, Report, _check, _quiet_logging
from kiosk.doctor.storage import _check_data_dir, _check_journal
from kiosk.doctor.terminal import _check_terminal


def run_doctor_from_args(
    config: Path | str | None = None,
    overrides: dict[str, Any] | None = None,
    *,
    out: TextIO = sys.stdout,
    check_devices: bool = True,
    check_backend: bool = True,
    check_terminal: bool = True,
    credstore: Path = CREDSTORE,
    service_user: str | None = SERVICE_USER,
) -> int:
    """`kiosk doctor`: load the settings as the kiosk would; a settings error is a FAIL line."""
    from kiosk.settings import ENV_PREFIX, SettingsError, load_settings

    path_text = str(config) if config else os.environ.get(ENV_PREFIX + "CONFIG")
    config_path = Path(path_text).expanduser() if path_text else None
    try:
        settings = load_settings(config, overrides)
    except SettingsError as exc:
        report = Report(out)
        _header(report, config_path)
        report.line(FAIL, "config", str(exc), "fix the setting named above")
        _check_config_file(report, config_path, service_user)
        _check_clock(report, None)
        if check_terminal:
            _check_terminal(report, out)
        return report.finish()
    return run_doctor(
        settings,
        out=out,
        check_devices=check_devices,
        check_backend=check_backend,
        check_terminal=check_terminal,
        config_path=config_path,
        credstore=credstore,
        service_user=service_user,
        _settings_checked=True,
    )


def run_doctor(
    settings: Any,
    *,
    out: TextIO = sys.stdout,
    check_devices: bool = True,
    check_backend: bool = True,
    check_terminal: bool = True,
    config_path: Path | None = None,
    credstore: Path = CREDSTORE,
    service_user: str | None = SERVICE_USER,
    _settings_checked: bool = False,
) -> int:
    """Check a terminal configured by `settings`; print the report to `out`; 0 = no FAIL."""
    report = Report(out)
    _header(report, config_path)
    if _settings_checked:
        report.line(OK, "config", f"settings load from {config_path}" if config_path else "settings load")
    with _quiet_logging():
        _check_service_user(report, service_user)
        _check_config_file(report, config_path, service_user)
        enabled = backends(settings)
        ready = {backend.name: check_settings(report, settings, credstore, backend) for backend in enabled}
        _check_policy(report, settings)
        _check_sign_in(report, settings, credstore)
        _check(report, "data dir", 5, lambda: _check_data_dir(report, settings, service_user))
        _check(report, "journal", 20, lambda: _check_journal(report, settings, service_user))
        host_time: list[float] = []
        if not check_backend:
            report.line(SKIP, "back end", "not checked (asked not to)")
        else:
            for backend in enabled:
                check_connection(report, settings, backend, ready[backend.name], host_time)
        _check_clock(report, host_time[0] if host_time else None)
        if check_devices:
            limit = 10 + 2 * (settings.printer.status_timeout + settings.printer.write_timeout)
            _check(report, "devices", limit, lambda: _check_devices(report, settings, service_user))
        else:
            report.line(SKIP, "devices", "not checked (asked not to)")
        if check_terminal:
            _check_terminal(report, out)
    return report.finish()


def _header(report: Report, config_path: Path | None) -> None:
    where = f"config {config_path}" if config_path else "no config file (defaults and environment)"
    print(f"kiosk doctor: {where}, user {_account(None).name}", file=report.out)
