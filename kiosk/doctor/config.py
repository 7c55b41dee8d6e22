"""The configuration: the config file (who may read and change it, secrets in it), each back
end's secrets (set; their credential files owner-only), cashier sign-in and its PIN pepper.

When the kiosk runs as a systemd service its back-end keys come from LoadCredential=
($CREDENTIALS_DIRECTORY); from a shell they are not there, so the doctor reads the same files
from /etc/credstore (root only) to test what the service will get."""

from __future__ import annotations

import grp
import os
import stat
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from kiosk.doctor.access import SERVICE_USER, _owner
from kiosk.doctor.report import FAIL, OK, WARN, Report

CREDSTORE = Path("/etc/credstore")  # where the unit's LoadCredential= reads the keys
#: Every back end's secret settings: none of them belongs in a config file others can read.
SECRET_KEYS: dict[str, tuple[str, ...]] = {
    "rapyd": ("access_key", "secret_key"),
    "pospointe": ("password",),
    "sdkfinance": ("cash_point_password",),
    "flexiti": ("client_secret",),
}
LOOPBACK = ("localhost", "127.0.0.1", "::1")


def credential_name(section: str, key: str) -> str:
    """The credential (file) name for <section>.<key>: the environment variable's name."""
    return f"KIOSK_{section.upper()}__{key.upper()}"


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
    secrets_inside = [
        f"{section}.{key}" for section, keys in SECRET_KEYS.items() for key in keys
        if isinstance(data.get(section), dict) and data[section].get(key)
    ]
    if mode & 0o002:
        report.line(FAIL, "config file", f"{path} can be changed by anyone ({_owner(st)})", f"chmod o-w {path}")
    elif secrets_inside and mode & 0o004:
        report.line(
            FAIL,
            "config file",
            f"{path} holds {' and '.join(secrets_inside)} and anyone can read it ({_owner(st)})",
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



def _check_credentials(report: Report, settings: Any, credstore: Path, section: str, keys: tuple[str, ...],
                       checks: dict[str, str] | None = None) -> bool:
    """A back end's secrets (`section`.`keys`): set, and their files (if any) readable by their
    owner only. `checks` names a key's report line (default: the key in words).

    From a shell, a key missing from the settings is taken from the credential store the
    service uses, so that the back-end check below tests the keys the service will get."""
    creds_dir = os.environ.get("CREDENTIALS_DIRECTORY")
    all_ok = True
    for key in keys:
        name = credential_name(section, key)
        check = (checks or {}).get(key) or key.replace("_", " ")
        value = getattr(getattr(settings, section), key)
        places = [Path(creds_dir) / name] if creds_dir else []
        places.append(credstore / name)
        file = next((p for p in places if p.exists()), None)
        if file is not None and not _credential_file_ok(report, check, file):
            all_ok = False
            continue
        if value is not None and value.get_secret_value():
            source = "systemd credential" if creds_dir and file and file.parent == Path(creds_dir) else _source_of(section, key)
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
                report.line(FAIL, check, f"{file} is empty", f"write {section}.{key} into it")
                all_ok = False
                continue
            from pydantic import SecretStr  # here: most runs read no credential file

            setattr(settings, section, getattr(settings, section).model_copy(update={key: SecretStr(secret)}))
            report.line(OK, check, f"in {file} (as the service gets it; not shown)")
            continue
        report.line(
            FAIL,
            check,
            f"{section}.{key} ({name}) is not set",
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



def _source_of(section: str, key: str) -> str:
    if os.environ.get(credential_name(section, key)):
        return "from the environment"
    return "from the config file or --set"



def _check_url(report: Report, check: str, title: str, key: str, url_text: str, risk: str, production: str) -> bool:
    """A back end's base URL: http(s) with a host; clear text only to this machine (a simulator)."""
    url = urlsplit(url_text)
    host = url.hostname or ""
    loopback = host in LOOPBACK
    if url.scheme not in ("http", "https") or not host:
        report.line(FAIL, check, f"{key} {url_text!r} is not an http(s) URL", f"e.g. {production}")
        return False
    if url.scheme == "http" and not loopback:
        report.line(FAIL, check, f"{url_text} is not HTTPS: {risk}", "use https://")
        return False
    if loopback:
        report.line(WARN, check, f"{url_text} is on this machine (a simulator?)", f"production: {production}")
    elif "sandbox" in host:
        report.line(WARN, check, f"{url_text} is {title}'s sandbox: no real money moves", f"production: {production}")
    else:
        report.line(OK, check, url_text)
    return True



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
