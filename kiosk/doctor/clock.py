"""The clock: set, and (when a back end's Date header was seen) close to the back end's; Rapyd
refuses a request whose timestamp is ahead of its clock or more than 60 s behind it."""

from __future__ import annotations

import subprocess
import time
from datetime import datetime, timezone

from kiosk.doctor.report import FAIL, OK, WARN, Report


def _check_clock(report: Report, host_time: float | None) -> None:
    now = time.time()
    year = datetime.fromtimestamp(now, timezone.utc).year
    if not 2025 <= year <= 2100:
        report.line(FAIL, "clock", f"the clock says {year}: it is not set", "enable time sync: timedatectl set-ntp true")
        return
    if host_time is not None:
        skew = now - host_time
        if skew > 5:
            report.line(FAIL, "clock", f"about {skew:.0f} s ahead of the back end's: its requests are refused", "timedatectl set-ntp true")
        elif skew < -50:
            report.line(FAIL, "clock", f"about {-skew:.0f} s behind the back end's: requests are refused past 60 s", "timedatectl set-ntp true")
        else:
            report.line(OK, "clock", f"within {abs(skew):.0f} s of the back end's")
        return
    synced = _ntp_synchronised()
    if synced is False:
        report.line(WARN, "clock", "not synchronised by NTP", "timedatectl set-ntp true")
    else:
        report.line(OK, "clock", f"year {year}" + (", NTP synchronised" if synced else ""))


def _ntp_synchronised() -> bool | None:
    try:
        done = subprocess.run(
            ["timedatectl", "show", "--property=NTPSynchronized", "--value"],
            capture_output=True, text=True, timeout=3, check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    value = done.stdout.strip()
    return {"yes": True, "no": False}.get(value) if done.returncode == 0 else None
