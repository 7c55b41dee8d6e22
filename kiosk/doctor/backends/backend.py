"""What the doctor needs to know of one back end: each back end's module fills one in. A module
of its own, below the package's checks, so the back ends' modules need not import the package
that imports them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable


@dataclass(frozen=True)
class Backend:
    """What the doctor needs to know of one back end."""

    name: str  # its name in backends.enabled, and its settings section
    title: str  # in the report's messages
    check: str  # the report's check name for its connection
    url_check: str  # ... for its base URL
    required: tuple[str, ...]  # settings it cannot work without (besides its secrets)
    secrets: tuple[str, ...]  # its secret settings, also read from the credential store
    production: str  # its production base URL, for the advice
    clear_text_risk: str  # what travels in clear over http://
    credentials_fix: str  # what to do when its credentials are refused
    # (section settings, timeout, connect_timeout, transport) -> the back end's client
    make_client: Callable[[Any, float, float, Any], Any]
    probe: str = "its health check"  # what the OK line says answered
    accepted: str = "credentials accepted"
    health_checks_credentials: bool = False  # health() already signs the request (Rapyd's echo)
    checks: dict[str, str] = field(default_factory=dict)  # report names for settings (default: the back end's)
    required_ok: bool = False  # an OK line per required setting, with its value
