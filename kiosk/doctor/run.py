"""`kiosk doctor`: checks a store's IT person runs on a terminal before (and after) putting it
into service. One line per check, OK / WARN / FAIL / SKIP, each problem with what to do; exit
status 1 when anything FAILs.

It reads and never writes: no file is created (not the data dir, the journal or the log),
so running it as root leaves nothing behind that the kiosk's own user could not open. Every
check runs with a time limit, so a hung device or network cannot hang the report. Secrets
are never printed, not even in part.

When the kiosk runs as a systemd service its back-end keys come from LoadCredential=
($CREDENTIALS_DIRECTORY); from a shell they are not there, so the doctor reads the same files
from /etc/credstore (root only) to test what the service will get.
"""

from __future__ import annotations

import grp
import logging
import os
import pwd
import shutil
import stat
import subprocess
import sys
import threading
import time
import tomllib
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator, TextIO

from pydantic import SecretStr

SERVICE_USER = "kiosk"  # the unit's User=
SERVICE_GROUPS = ("dialout",)  # the unit's SupplementaryGroups=
CREDSTORE = Path("/etc/credstore")  # where the unit's LoadCredential= reads the keys
SECRET_KEYS = ("access_key", "secret_key")  # rapyd.<key>, credential KIOSK_RAPYD__<KEY>
KIOSK_SCREEN = "/dev/tty1"  # the unit's TTYPath=
MIN_COLUMNS, MIN_ROWS = 80, 24

OK, WARN, FAIL, SKIP = "OK", "WARN", "FAIL", "SKIP"


def credential_name(key: str) -> str:
    """The credential (file) name for rapyd.<key>: the environment variable's name."""
    return f"KIOSK_RAPYD__{key.upper()}"


# --- the report ------------------------------------------------------------------------------


@dataclass
class Report:
    out: TextIO
    counts: dict[str, int] = field(default_factory=lambda: {OK: 0, WARN: 0, FAIL: 0, SKIP: 0})

    def line(self, status: str, check: str, message: str, fix: str = "") -> None:
        self.counts[status] += 1
        text = f"{status:<4}  {check:<13} {_one_line(message)}"
        if fix:
            text += f" -> {fix}"
        print(text, file=self.out, flush=True)

    def finish(self) -> int:
        c = self.counts
        print(f"\n{c[FAIL]} failed, {c[WARN]} warnings, {c[OK]} passed, {c[SKIP]} skipped.", file=self.out)
        if c[FAIL]:
            print("Fix the FAIL lines, then run `kiosk doctor` again.", file=self.out)
        return 1 if c[FAIL] else 0


def _one_line(message: str) -> str:
    """One line per check, so the report can be grepped: a settings error listing several keys
    ("Invalid setting:\n  a: ...\n  b: ...") becomes "Invalid setting: a: ...; b: ..."."""
    head, *rest = [part.strip() for part in message.strip().splitlines() if part.strip()] or [""]
    return f"{head} {'; '.join(rest)}" if rest else head


class _TimedOut(Exception):
    pass


def _bounded(seconds: float, fn: Callable[[], Any]) -> Any:
    """Run fn in a worker thread and give up waiting after `seconds` (the thread is left to
    finish on its own: a blocked serial open or DNS lookup cannot be interrupted)."""
    result: dict[str, Any] = {}

    def run() -> None:
        try:
            result["value"] = fn()
        except BaseException as exc:  # handed to the caller below
            result["error"] = exc

    worker = threading.Thread(target=run, name="kiosk-doctor-check", daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise _TimedOut(f"no answer within {seconds:g} s")
    if "error" in result:
        raise result["error"]
    return result.get("value")


def _check(report: Report, name: str, seconds: float, fn: Callable[[], None]) -> None:
    """One check, bounded in time; an unexpected error is a FAIL line, never a traceback."""
    try:
        _bounded(seconds, fn)
    except _TimedOut as exc:
        report.line(FAIL, name, f"check did not finish: {exc}", "see the log, or run it again")
    except Exception as exc:  # a bug or an odd system: report it and go on with the others
        report.line(FAIL, name, f"check failed unexpectedly: {type(exc).__name__}: {exc}")


@contextmanager
def _quiet_logging() -> Iterator[None]:
    """Library warnings (a port that cannot be opened) would reach stderr through logging's
    last-resort handler and clutter the report, which says the same in plain words."""
    root = logging.getLogger()
    handler = logging.NullHandler()
    root.addHandler(handler)
    try:
        yield
    finally:
        root.removeHandler(handler)


# --- who the kiosk runs as -----------------------------------------------------------------------


@dataclass(frozen=True)
class Account:
    name: str
    uid: int
    gids: frozenset[int]

    def can(self, st: os.stat_result, want: int) -> bool:
        """Whether this account may read (4) / write (2) / search (1) by the mode bits."""
        if self.uid == 0:
            return True
        if st.st_uid == self.uid:
            bits = (st.st_mode >> 6) & 7
        elif st.st_gid in self.gids:
            bits = (st.st_mode >> 3) & 7
        else:
            bits = st.st_mode & 7
        return bits & want == want


def _account(service_user: str | None) -> Account:
    """The account whose access matters: the service's user when run as root (and it exists),
    else whoever runs the doctor."""
    if os.geteuid() == 0 and service_user:
        try:
            pw = pwd.getpwnam(service_user)
        except KeyError:
            pass
        else:
            gids = {pw.pw_gid} | {g.gr_gid for g in grp.getgrall() if pw.pw_name in g.gr_mem}
            for name in SERVICE_GROUPS if service_user == SERVICE_USER else ():
                try:
                    gids.add(grp.getgrnam(name).gr_gid)
                except KeyError:
                    pass
            return Account(pw.pw_name, pw.pw_uid, frozenset(gids))
    uid = os.geteuid()
    try:
        name = pwd.getpwuid(uid).pw_name
    except KeyError:
        name = str(uid)
    return Account(name, uid, frozenset({os.getegid(), *os.getgroups()}))


def _check_service_user(report: Report, service_user: str | None) -> None:
    """Run as root, the doctor judges file and port access for the service's user."""
    if not service_user or os.geteuid() != 0:
        return
    who = _account(service_user)
    if who.uid == 0:
        report.line(WARN, "service user", f"there is no user {service_user}: access is judged for root", "install the package (it creates the user)")
        return
    names = sorted(g.gr_name for g in grp.getgrall() if g.gr_gid in who.gids)
    report.line(OK, "service user", f"{who.name} (groups {', '.join(names)}): access is judged for this user")


def _owner(st: os.stat_result) -> str:
    try:
        user = pwd.getpwuid(st.st_uid).pw_name
    except KeyError:
        user = str(st.st_uid)
    try:
        group = grp.getgrgid(st.st_gid).gr_name
    except KeyError:
        group = str(st.st_gid)
    return f"{user}:{group} {stat.S_IMODE(st.st_mode):04o}"


# --- entry points ----------------------------------------------------------------------------


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
        keys_ok = _check_credentials(report, settings, credstore)
        rapyd_ok = _check_rapyd_settings(report, settings)
        _check_policy(report, settings)
        _check_sign_in(report, settings, credstore)
        _check(report, "data dir", 5, lambda: _check_data_dir(report, settings, service_user))
        _check(report, "journal", 20, lambda: _check_journal(report, settings, service_user))
        host_time: list[float] = []
        if not check_backend:
            report.line(SKIP, "back end", "not checked (asked not to)")
        elif not (keys_ok and rapyd_ok):
            report.line(SKIP, "back end", "not checked: the Rapyd settings above are incomplete")
        else:
            limit = min(settings.rapyd.timeout, 10.0) + min(settings.rapyd.connect_timeout, 5.0) + 5
            _check(report, "back end", limit, lambda: _check_backend(report, settings, host_time))
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


# --- configuration and secrets -----------------------------------------------------------------


def _check_config_file(report: Report, path: Path | None, service_user: str | None) -> None:
    if path is None:
        report.line(WARN, "config file", "none given", "use --config FILE or KIOSK_CONFIG (packaged: /etc/kiosk/kiosk.toml)")
        return
    try:
        st = path.stat()
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except (OSError, ValueError):  # not TOML, not UTF-8 (TOMLDecodeError is a ValueError), unreadable
        return  # already reported by the settings check
    mode = stat.S_IMODE(st.st_mode)
    rapyd = data.get("rapyd") if isinstance(data.get("rapyd"), dict) else {}
    secrets_inside = [k for k in SECRET_KEYS if rapyd.get(k)]
    if mode & 0o002:
        report.line(FAIL, "config file", f"{path} can be changed by anyone ({_owner(st)})", f"chmod o-w {path}")
    elif secrets_inside and mode & 0o004:
        report.line(
            FAIL,
            "config file",
            f"{path} holds rapyd.{' and rapyd.'.join(secrets_inside)} and anyone can read it ({_owner(st)})",
            f"move the keys to {CREDSTORE}/ (see the operations guide), or chmod 0640 {path}",
        )
    elif secrets_inside and mode & 0o040 and not _group_is_service(st, service_user):
        report.line(
            WARN,
            "config file",
            f"{path} holds secrets and group {_owner(st).split()[0].split(':')[1]} can read it",
            f"chgrp {service_user or 'kiosk'} {path}, or move the keys to {CREDSTORE}/",
        )
    elif secrets_inside:
        report.line(WARN, "config file", f"{path} holds the back-end keys ({_owner(st)})", f"prefer {CREDSTORE}/ (systemd credentials)")
    else:
        report.line(OK, "config file", f"{path} ({_owner(st)}), no secrets in it")


def _group_is_service(st: os.stat_result, service_user: str | None) -> bool:
    try:
        return grp.getgrgid(st.st_gid).gr_name in {service_user or SERVICE_USER, "root"}
    except KeyError:
        return False


def _check_credentials(report: Report, settings: Any, credstore: Path) -> bool:
    """The back-end keys: set, and their files (if any) readable by their owner only.

    From a shell, a key missing from the settings is taken from the credential store the
    service uses, so that the back-end check below tests the keys the service will get."""
    creds_dir = os.environ.get("CREDENTIALS_DIRECTORY")
    all_ok = True
    for key in SECRET_KEYS:
        name = credential_name(key)
        check = key.replace("_", " ")
        value = getattr(settings.rapyd, key)
        places = [Path(creds_dir) / name] if creds_dir else []
        places.append(credstore / name)
        file = next((p for p in places if p.exists()), None)
        if file is not None and not _credential_file_ok(report, check, file):
            all_ok = False
            continue
        if value is not None and value.get_secret_value():
            source = "systemd credential" if creds_dir and file and file.parent == Path(creds_dir) else _source_of(key)
            report.line(OK, check, f"set ({source}; not shown)")
            continue
        if file is not None:
            try:
                secret = file.read_text(encoding="utf-8").strip()
            except OSError as exc:
                report.line(
                    WARN, check, f"{file} cannot be read by this user ({exc.strerror})",
                    "run the doctor as root (sudo kiosk doctor) to check the back end with it",
                )
                all_ok = False
                continue
            if not secret:
                report.line(FAIL, check, f"{file} is empty", f"write rapyd.{key} into it")
                all_ok = False
                continue
            settings.rapyd = settings.rapyd.model_copy(update={key: SecretStr(secret)})
            report.line(OK, check, f"in {file} (as the service gets it; not shown)")
            continue
        report.line(
            FAIL,
            check,
            f"rapyd.{key} ({name}) is not set",
            f"write it to {credstore / name} (root, mode 0600; see the operations guide)",
        )
        all_ok = False
    return all_ok


def _credential_file_ok(report: Report, check: str, file: Path) -> bool:
    try:
        st = file.stat()
    except OSError as exc:
        report.line(FAIL, check, f"{file}: {exc.strerror}")
        return False
    if stat.S_IMODE(st.st_mode) & 0o077:
        report.line(
            FAIL, check, f"{file} can be read by others ({_owner(st)})", f"chown root:root {file} && chmod 0600 {file}"
        )
        return False
    return True


def _source_of(key: str) -> str:
    if os.environ.get(credential_name(key)):
        return "from the environment"
    return "from the config file or --set"


def _check_rapyd_settings(report: Report, settings: Any) -> bool:
    from urllib.parse import urlsplit

    rapyd = settings.rapyd
    url = urlsplit(rapyd.base_url)
    host = url.hostname or ""
    loopback = host in ("localhost", "127.0.0.1", "::1")
    if not rapyd.pos_id:
        report.line(FAIL, "pos id", "rapyd.pos_id (KIOSK_RAPYD__POS_ID) is not set", "set this point of sale's id from Rapyd in the config")
        pos_ok = False
    else:
        report.line(OK, "pos id", rapyd.pos_id)
        pos_ok = True
    if url.scheme not in ("http", "https") or not host:
        report.line(FAIL, "back-end url", f"rapyd.base_url {rapyd.base_url!r} is not an http(s) URL", "e.g. https://pos.rapyd.net")
        return False
    if url.scheme == "http" and not loopback:
        report.line(
            FAIL, "back-end url", f"{rapyd.base_url} is not HTTPS: customers' codes would travel in clear", "use https://"
        )
        return False
    if loopback:
        report.line(WARN, "back-end url", f"{rapyd.base_url} is on this machine (a simulator?)", "production: https://pos.rapyd.net")
    elif "sandbox" in host:
        report.line(WARN, "back-end url", f"{rapyd.base_url} is Rapyd's sandbox: no real money moves", "production: https://pos.rapyd.net")
    else:
        report.line(OK, "back-end url", rapyd.base_url)
    return pos_ok


def _check_sign_in(report: Report, settings: Any, credstore: Path) -> None:
    """With sign-in on: the PIN pepper is set (its credential file owner-only), and the
    accounts file (PIN hashes) is readable by its owner only."""
    if not settings.auth.required:
        return
    name = "KIOSK_AUTH__PEPPER"
    creds_dir = os.environ.get("CREDENTIALS_DIRECTORY")
    places = ([Path(creds_dir) / name] if creds_dir else []) + [credstore / name]
    file = next((p for p in places if p.exists()), None)
    pepper = settings.auth.pepper
    if file is not None and not _credential_file_ok(report, "pin pepper", file):
        pass
    elif pepper is not None and pepper.get_secret_value():
        if len(pepper.get_secret_value()) < 16:
            report.line(FAIL, "pin pepper", "auth.pepper is shorter than 16 characters", "write `openssl rand -hex 32` into it")
        else:
            report.line(OK, "pin pepper", "set (not shown)")
    elif file is not None:
        report.line(OK, "pin pepper", f"in {file} (as the service gets it; not shown)")
    else:
        report.line(
            FAIL, "pin pepper", f"auth.pepper ({name}) is not set: nobody can sign in",
            f"(umask 077; openssl rand -hex 32 >{credstore / name}) and add LoadCredential={name} (operations guide)",
        )
    accounts = Path(settings.data_dir) / "accounts.sqlite3"
    try:
        st = accounts.stat()
    except OSError:
        report.line(WARN, "users", f"no users yet ({accounts})", "add a supervisor: kiosk users add NAME --role supervisor")
        return
    if stat.S_IMODE(st.st_mode) & 0o077:
        report.line(FAIL, "users", f"{accounts} can be read by others ({_owner(st)})", f"chmod 0600 {accounts}")
    else:
        report.line(OK, "users", f"{accounts} ({_owner(st)})")


def _check_policy(report: Report, settings: Any) -> None:
    if not settings.auth.required:
        report.line(WARN, "sign-in", "auth.required is false: anyone at the till can move cash", "set auth.required = true (false is for the demo)")
    else:
        report.line(OK, "sign-in", "cashier sign-in required")
    if settings.ui.demo_panel:
        report.line(WARN, "demo panel", "ui.demo_panel is on", "set ui.demo_panel = false outside the demo")


# --- data dir, journal, log --------------------------------------------------------------------


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


# --- back end and clock --------------------------------------------------------------------------


def _check_backend(report: Report, settings: Any, host_time: list[float]) -> None:
    import email.utils

    import httpx

    from kiosk.backends.base import AuthenticationFailed, BackendError, HostUnreachable
    from kiosk.backends.rapyd import RapydClient

    class DateRecorder(httpx.HTTPTransport):
        """Keeps the host's Date header, to compare clocks: Rapyd refuses a request whose
        timestamp is ahead of its clock or more than 60 s behind it."""

        def handle_request(self, request: httpx.Request) -> httpx.Response:
            response = super().handle_request(request)
            try:
                host_time.append(email.utils.parsedate_to_datetime(response.headers["date"]).timestamp())
            except (KeyError, TypeError, ValueError, IndexError):
                pass
            return response

    rapyd = settings.rapyd
    try:
        client = RapydClient(
            rapyd.base_url,
            rapyd.access_key,
            rapyd.secret_key,
            rapyd.pos_id,
            timeout=min(rapyd.timeout, 10.0),
            connect_timeout=min(rapyd.connect_timeout, 5.0),
            transport=DateRecorder(),
        )
    except ValueError as exc:
        report.line(FAIL, "back end", f"Rapyd settings refused: {exc}", "fix the rapyd settings")
        return
    started = time.monotonic()
    try:
        client.echo()
    except HostUnreachable as exc:
        report.line(FAIL, "back end", str(exc), "check the network cable, DNS, proxy and firewall (HTTPS to the host)")
    except AuthenticationFailed as exc:
        report.line(FAIL, "back end", str(exc), "check the access key, secret key and rapyd.pos_id, and the clock")
    except BackendError as exc:
        report.line(FAIL, "back end", str(exc), "try again; if it persists, call the back end's support")
    else:
        host = httpx.URL(rapyd.base_url).host
        report.line(OK, "back end", f"{host} answered echo in {(time.monotonic() - started) * 1000:.0f} ms; keys accepted")
    finally:
        client.close()


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


# --- devices ---------------------------------------------------------------------------------------


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


# --- terminal -------------------------------------------------------------------------------------


def _check_terminal(report: Report, out: TextIO) -> None:
    _check_screen(report)
    try:
        fd = out.fileno()
    except (AttributeError, OSError, ValueError):
        fd = -1
    if fd < 0 or not os.isatty(fd):
        report.line(SKIP, "this terminal", "output is not a terminal")
        return
    size = os.get_terminal_size(fd)
    name = os.ttyname(fd)
    term = os.environ.get("TERM", "")
    colours = _colours(term) if term else None
    problems = []
    if size.columns < MIN_COLUMNS or size.lines < MIN_ROWS:
        problems.append(f"{size.columns}x{size.lines} is smaller than {MIN_COLUMNS}x{MIN_ROWS}")
    if not term or term == "dumb":
        problems.append(f"TERM is {term or 'not set'}")
    elif colours is not None and colours < 8:
        problems.append(f"TERM={term} has {colours} colours")
    # On a virtual console (where the kiosk itself runs) a problem is real; in an SSH window
    # it only concerns that window.
    on_console = name.startswith("/dev/tty") and name[8:].isdigit()
    if problems:
        report.line(FAIL if on_console else WARN, "this terminal", f"{name}: {'; '.join(problems)}", "the kiosk needs 80x24 and 8+ colours")
    else:
        report.line(OK, "this terminal", f"{name}: {size.columns}x{size.lines}, TERM={term}, {colours if colours is not None else '?'} colours")


def _check_screen(report: Report) -> None:
    """The console the service draws on (tty1, TERM=linux): its size and its colours."""
    import fcntl
    import struct
    import termios

    if not os.path.exists(KIOSK_SCREEN):
        report.line(SKIP, "screen", f"no {KIOSK_SCREEN} on this machine")
        return
    try:
        fd = os.open(KIOSK_SCREEN, os.O_RDONLY | os.O_NOCTTY | os.O_NONBLOCK)
    except OSError as exc:
        report.line(SKIP, "screen", f"{KIOSK_SCREEN}: {exc.strerror}", "run the doctor as root to check the kiosk's screen")
        return
    try:
        rows, columns = struct.unpack("hhhh", fcntl.ioctl(fd, termios.TIOCGWINSZ, b"\0" * 8))[:2]
    except OSError as exc:
        report.line(SKIP, "screen", f"{KIOSK_SCREEN}: size unknown ({exc.strerror})")
        return
    finally:
        os.close(fd)
    colours = _colours("linux")
    if colours is None:
        report.line(FAIL, "screen", "no terminfo entry for TERM=linux", "apt-get install ncurses-base")
    elif rows == 0 or columns == 0:
        report.line(SKIP, "screen", f"{KIOSK_SCREEN} reports no size (no console attached?)")
    elif columns < MIN_COLUMNS or rows < MIN_ROWS:
        report.line(FAIL, "screen", f"{KIOSK_SCREEN} is {columns}x{rows}, smaller than {MIN_COLUMNS}x{MIN_ROWS}", "use a larger console font or mode (dpkg-reconfigure console-setup)")
    else:
        report.line(OK, "screen", f"{KIOSK_SCREEN}: {columns}x{rows}, TERM=linux, {colours} colours")


def _colours(term: str) -> int | None:
    """Colours the terminfo entry declares, or None when there is no entry for `term`."""
    if shutil.which("tput") is None:
        return _colours_from_curses(term)
    try:
        done = subprocess.run(["tput", "-T", term, "colors"], capture_output=True, text=True, timeout=3, check=False)
    except (OSError, subprocess.SubprocessError):
        return _colours_from_curses(term)
    try:
        return int(done.stdout.strip()) if done.returncode == 0 else None
    except ValueError:
        return None


def _colours_from_curses(term: str) -> int | None:
    try:
        import curses

        with open(os.devnull, "wb") as devnull:
            curses.setupterm(term, devnull.fileno())
        return max(curses.tigetnum("colors"), 0)
    except Exception:  # no curses module, or no terminfo entry for this terminal
        return None
