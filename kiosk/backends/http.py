"""What the back-end clients share about httpx's own logging.

httpx logs every request at INFO ('HTTP Request: POST https://host/v1/pos/login/<pos>/<OTP>
...'), which would write a customer's one-time code or account number into the kiosk's logs.
Each client keeps httpx (and httpcore's connection tracing) at WARNING and adds its own
redaction of whatever they still emit, in case an operator turns them up again.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Callable

from kiosk.backends.base import BusinessError

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


def refuse_non_ascii(path: str, headers: Mapping[str, str] | None = None, params: Mapping[str, str] | None = None) -> None:
    """Defence in depth, before any request: what goes outside the JSON body (the path, a
    query, a header) is ASCII. httpx raises UnicodeEncodeError (a traceback, after the visit
    was journalled) for a header such as Rapyd's phone_number, and percent-encodes a path
    segment such as an amount or a card number that a host may then read as digits. Each
    client checks its own values first; this catches what a caller slipped past them.
    BusinessError: the tellers handle it as a refusal, and nothing was sent."""
    texts = [path, *(headers or {}).keys(), *(headers or {}).values(), *(params or {}).keys(), *(params or {}).values()]
    if not all(isinstance(t, str) and t.isascii() for t in texts):
        # The value itself is never repeated: it may be a phone number, a code or a card.
        raise BusinessError("The request holds a character other than ASCII (a digit not 0-9?): nothing was sent.")


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
