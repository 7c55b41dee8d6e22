"""The data dir, the log and the journal: there, writable by the service's user, room to grow,
and the journal's chain intact. Read only: the doctor never creates or changes a file."""

from __future__ import annotations

import shutil
import stat
from pathlib import Path
from typing import Any

from kiosk.doctor.access import Account, _account, _owner
from kiosk.doctor.report import FAIL, OK, WARN, Report


def _check_data_dir(report: Report, settings: Any, service_user: str | None) -> None:
    path = Path(settings.data_dir)
    who = _account(service_user)
    create = f"install -d -o {who.name} -g {who.name} -m 0750 {path}"
    try:
        st = path.stat()
    except FileNotFoundError:
        report.line(FAIL, "data dir", f"{path} does not exist", create)
        return
    except OSError as exc:
        report.line(FAIL, "data dir", f"{path}: {exc.strerror}", create)
        return
    if not stat.S_ISDIR(st.st_mode):
        report.line(FAIL, "data dir", f"{path} is not a directory", f"set data_dir to a directory, or {create}")
        return
    mode = stat.S_IMODE(st.st_mode)
    if not who.can(st, 2 | 1):
        report.line(
            FAIL, "data dir", f"{path} is not writable by user {who.name} ({_owner(st)})",
            f"chown -R {who.name}:{who.name} {path} && chmod 0750 {path}",
        )
        return
    if mode & 0o002:
        report.line(FAIL, "data dir", f"{path} can be changed by anyone ({_owner(st)})", f"chmod 0750 {path}")
        return
    free = shutil.disk_usage(path).free
    if free < 20_000_000:
        report.line(FAIL, "data dir", f"only {free // 1_000_000} MB free on {path}", "free some space: the journal must be able to grow")
        return
    if mode & 0o004:
        report.line(WARN, "data dir", f"{path} can be read by everyone ({_owner(st)})", f"chmod 0750 {path}")
    elif free < 200_000_000:
        report.line(WARN, "data dir", f"{free // 1_000_000} MB free on {path}", "free some space")
    else:
        report.line(OK, "data dir", f"{path} ({_owner(st)}, {free // 1_000_000_000} GB free)")
    _check_log(report, settings, who)


def _check_log(report: Report, settings: Any, who: Account) -> None:
    path = settings.log_path()
    target = path if path.exists() else path.parent
    try:
        st = target.stat()
    except OSError:
        report.line(FAIL, "log", f"{path.parent} does not exist", f"create it, writable by {who.name}")
        return
    if not who.can(st, 2):
        report.line(FAIL, "log", f"{target} is not writable by user {who.name} ({_owner(st)})", f"chown {who.name} {target}")
    else:
        report.line(OK, "log", f"{path} (level {settings.log.level}; rotated at 5 MB, 5 kept)")


def _check_journal(report: Report, settings: Any, service_user: str | None) -> None:
    from kiosk.journal.store import Journal, JournalError

    path = Path(settings.data_dir) / "journal.sqlite3"
    key = path.with_suffix(".key")
    if not path.exists():
        report.line(OK, "journal", f"none yet at {path}: the kiosk creates it at its first start")
        return
    who = _account(service_user)
    for file in (path, key):
        if not file.exists():
            continue
        st = file.stat()
        if not who.can(st, 4 | 2):
            report.line(FAIL, "journal", f"{file} is not writable by user {who.name} ({_owner(st)})", f"chown {who.name}: {file}")
            return
        if file is key and stat.S_IMODE(st.st_mode) & 0o077:
            report.line(FAIL, "journal", f"{file} (the key for phone-number hashes) can be read by others", f"chmod 0600 {file}")
            return
    if not key.exists():
        # Opening the journal would create a new key, as this user: leave that to the kiosk.
        report.line(WARN, "journal", f"{key} is missing: phone references in new rows will not match older ones", "restore it from the backup")
        return
    from kiosk.runtime import journal_key
    from kiosk.settings import SettingsError

    try:
        # A read-only snapshot: the doctor runs beside the kiosk and never writes.
        journal = Journal.reader(path, mac_key=journal_key(settings))
    except SettingsError as exc:
        report.line(FAIL, "journal", f"cannot check it without its key: {exc}", "set journal.mac_key or the back end's secret")
        return
    except JournalError as exc:
        report.line(FAIL, "journal", str(exc), "restore the data dir from the last backup")
        return
    try:
        found = journal.verify_report()
        if found.open_breaks:
            report.line(
                FAIL, "journal", f"the journal failed its check: {found.describe()}",
                "keep the terminal out of service, back the journal up as it is (sqlite3 .backup); a supervisor "
                "counts the drawer and reseals it (docs/operations.md); do not edit it",
            )
            return
        if found.breaks:
            report.line(WARN, "journal", f"{path}: serving after a supervisor's reseal: {found.describe()}",
                        "keep the backup taken before the reseal for the audit")
        else:
            report.line(OK, "journal", f"{path}: chain intact ({found.rows} rows)")
        suspects = journal.unresolved_suspects() if hasattr(journal, "unresolved_suspects") else journal.visits(state="suspect")
        if suspects:
            report.line(
                WARN, "suspect visits", f"{len(suspects)} visit(s) with an unknown cash outcome",
                "a supervisor counts the drawer and resolves them (kiosk journal list; see the operations guide)",
            )
        pending = journal.visits(state="pending")
        if pending:
            report.line(WARN, "open visits", f"{len(pending)} unfinished visit(s)", "the kiosk settles them when it starts")
    finally:
        journal.close()
