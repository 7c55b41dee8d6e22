"""The back ends a till serves (settings `backends.enabled`), and only those: each one's
settings present (its secrets from the credential store as the service gets them), its base URL
fit for money, its host answering, and its credentials accepted where a check can say so
without moving money. One module per back end says what is particular to it."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from kiosk.doctor.backends.backend import Backend
from kiosk.doctor.config import _check_credentials, _check_url, credential_name
from kiosk.doctor.report import FAIL, OK, SKIP, Report, _check


def backends(settings: Any) -> list[Backend]:
    """The enabled back ends' checks, in a fixed order."""
    from kiosk.doctor.backends import flexiti, pospointe, rapyd, sdkfinance

    enabled = set(getattr(getattr(settings, "backends", None), "enabled", None) or ["rapyd"])
    return [module.BACKEND for module in (rapyd, pospointe, sdkfinance, flexiti) if module.BACKEND.name in enabled]


def check_settings(report: Report, settings: Any, credstore: Path, backend: Backend) -> bool:
    """Its secrets, required settings and base URL; True when a connection check can run."""
    ready = _check_credentials(report, settings, credstore, backend.name, backend.secrets, backend.checks)
    section = getattr(settings, backend.name)
    for key in backend.required:
        check = backend.checks.get(key, backend.check)
        value = getattr(section, key)
        if not value:
            env = credential_name(backend.name, key)
            report.line(FAIL, check, f"{backend.name}.{key} ({env}) is not set",
                        f"set {backend.title}'s {key.replace('_', ' ')} in the config (see config/kiosk.toml)")
            ready = False
        elif backend.required_ok:
            report.line(OK, check, str(value))
    url_ok = _check_url(report, backend.url_check, backend.title, f"{backend.name}.base_url", section.base_url,
                        backend.clear_text_risk, backend.production)
    return ready and url_ok


def check_connection(report: Report, settings: Any, backend: Backend, ready: bool, host_time: list[float]) -> None:
    """The host answers and, where a check can say so, takes the credentials; bounded in time."""
    if not ready:
        report.line(SKIP, backend.check, f"not checked: the {backend.title} settings above are incomplete")
        return
    section = getattr(settings, backend.name)
    timeout, connect = min(section.timeout, 10.0), min(section.connect_timeout, 5.0)
    calls = 1 if backend.health_checks_credentials else 2
    _check(report, backend.check, calls * (timeout + connect) + 5,
           lambda: _connect(report, backend, section, timeout, connect, host_time))


def _connect(report: Report, backend: Backend, section: Any, timeout: float, connect: float,
             host_time: list[float]) -> None:
    import httpx

    from kiosk.backends.base import AuthenticationFailed, BackendError, HostUnreachable

    title = backend.title
    try:
        client = backend.make_client(section, timeout, connect, DateRecorder(host_time))
    except ValueError as exc:
        report.line(FAIL, backend.check, f"{title} settings refused: {exc}", f"fix the {backend.name} settings")
        return
    started = time.monotonic()
    try:
        client.health()
        if not backend.health_checks_credentials:
            client.verify_credentials()
    except HostUnreachable as exc:
        report.line(FAIL, backend.check, f"{title}: {exc}", "check the network cable, DNS, proxy and firewall (HTTPS to the host)")
    except AuthenticationFailed as exc:
        report.line(FAIL, backend.check, f"{title}: {exc}", backend.credentials_fix)
    except BackendError as exc:
        report.line(FAIL, backend.check, f"{title}: {exc}", f"check {backend.name}.base_url; if it is right, try again "
                    "and call the back end's support if it persists")
    else:
        host = httpx.URL(section.base_url).host
        report.line(OK, backend.check, f"{title}: {host} answered {backend.probe} in "
                    f"{(time.monotonic() - started) * 1000:.0f} ms; {backend.accepted}")
    finally:
        client.close()


def DateRecorder(host_time: list[float]) -> Any:
    """An httpx transport that keeps the host's Date header, to compare clocks: Rapyd refuses a
    request whose timestamp is ahead of its clock or more than 60 s behind it."""
    import email.utils

    import httpx

    class Recorder(httpx.HTTPTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            response = super().handle_request(request)
            try:
                host_time.append(email.utils.parsedate_to_datetime(response.headers["date"]).timestamp())
            except (KeyError, TypeError, ValueError, IndexError):
                pass
            return response

    return Recorder()
