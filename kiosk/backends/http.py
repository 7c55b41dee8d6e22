"""What the back-end clients share about httpx's own logging.

httpx logs every request at INFO ('HTTP Request: POST https://host/v1/pos/login/<pos>/<OTP>
...'), which would write a customer's one-time code or account number into the kiosk's logs.
Each client keeps httpx (and httpcore's connection tracing) at WARNING and adds its own
redaction of whatever they still emit, in case an operator turns them up again.
"""

from __future__ import annotations

import logging
from typing import Any, Callable

LIBRARY_LOGGERS = ("httpx", "httpcore")


class RedactingFilter(logging.Filter):
    def __init__(self, redact: Callable[[str], str]) -> None:
        super().__init__()
        self.redact = redact

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            text = record.getMessage()
        except Exception:  # a malformed record is the library's problem, not ours
            return True
        redacted = self.redact(text)
        if redacted != text:
            record.msg, record.args = redacted, ()
        return True


def quiet_library_loggers(redact: Callable[[str], str]) -> None:
    for name in LIBRARY_LOGGERS:
        library_log = logging.getLogger(name)
        library_log.setLevel(logging.WARNING)
        if not any(isinstance(f, RedactingFilter) and f.redact is redact for f in library_log.filters):
            library_log.addFilter(RedactingFilter(redact))


class HttpClientBase:
    """The part every back-end client shares: it owns one httpx.Client (`self._http`), closes
    it when done, and is a context manager. Its repr and str are the subclass's __repr__, which
    names the host and never a secret."""

    _http: Any

    def __str__(self) -> str:
        return repr(self)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()
