"""What the back-end clients share about HTTP: checking the base URL, one httpx client per
back end, sending a request so that an httpx exception never leaves the client, and how a
transport failure, a 5xx, a busy host or an unreadable answer become error kinds.

httpx logs every request at INFO ('HTTP Request: POST https://host/v1/pos/login/<pos>/<OTP>
...'), which would write a customer's one-time code or account number into the kiosk's logs.
Each client keeps httpx (and httpcore's connection tracing) at WARNING and adds its own
redaction of whatever they still emit, in case an operator turns them up again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any, Callable, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from kiosk.backends.base import BackendError, BusinessError, HostUnreachable
from kiosk.backends.wire import LOOPBACK

#: httpx exceptions raised before a byte of the request left: nothing can have been applied.
UNSENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.ProxyError, httpx.UnsupportedProtocol)

_M = TypeVar("_M", bound=BaseModel)

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


def quiet_library_loggers(redact: Callable[[str], str] | None = None) -> None:
    """httpx and httpcore at WARNING, and `redact` applied to whatever they still log (a client
    whose paths carry no secret passes none)."""
    for name in LIBRARY_LOGGERS:
        library_log = logging.getLogger(name)
        library_log.setLevel(max(library_log.level, logging.WARNING))
        if redact is not None and not any(isinstance(f, RedactingFilter) and f.redact is redact for f in library_log.filters):
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


def checked_url(base_url: str, label: str, log: logging.Logger, risk: str) -> httpx.URL:
    """The base URL, or ValueError: http(s) with a host, no user, password, query or fragment.
    Clear text to anything but this machine is allowed (a test host) but logged with `risk`."""
    url = httpx.URL(base_url)
    if url.scheme not in ("http", "https") or not url.host:
        raise ValueError(f"the {label} base URL must be an http(s) URL with a host")
    if url.userinfo or url.query or url.fragment:
        raise ValueError(f"the {label} base URL must not carry a user, password, query or fragment")
    if url.scheme == "http" and url.host not in LOOPBACK:
        log.warning("%s base URL %s is not HTTPS: %s", label, url.host, risk)
    return url


def check_timeouts(*timeouts: float) -> None:
    if any(t <= 0 for t in timeouts):
        raise ValueError("timeouts must be positive")


def new_http(base_url: str, timeout: float, connect_timeout: float, transport: httpx.BaseTransport | None,
             *, accept_json: bool = True) -> httpx.Client:
    """The httpx client of one back end: every call bounded, redirects never followed (a
    redirected POST is not an answer, and a signed request must never be re-sent blindly)."""
    headers = {"User-Agent": "cashpoint-kiosk"}
    if accept_json:
        headers["Accept"] = "application/json"
    return httpx.Client(
        base_url=base_url,
        timeout=httpx.Timeout(timeout, connect=connect_timeout),
        transport=transport,
        follow_redirects=False,
        headers=headers,
    )


class HttpClientBase:
    """The part every back-end client shares: it owns one httpx.Client (`self._http`), closes
    it when done, and is a context manager. Its repr and str are the subclass's __repr__, which
    names the host and never a secret.

    A subclass names its host in words (`host_words`, "the wallet host"; `reach_words` with the
    host name for "could not reach ..."), its calls (`what`: call -> "deposit") and its logger,
    and says what a lost answer means for each call (`_no_answer`)."""

    _http: Any
    _timeout: float
    _display_url: str
    _log: logging.Logger
    host_words = "the host"
    reach_words = "{host_words} {host}"
    what: Mapping[str, str] = {}

    def _no_answer(self, call: str, message: str, *, host_code: str = "") -> BackendError:
        """Sent, but no usable answer: what that means depends on the call."""
        raise NotImplementedError

    @property
    def _host(self) -> str:
        return httpx.URL(self._display_url).host

    def _exchange(self, call: str, method: str, path: str, shown: str, note: str = "", **request: Any) -> httpx.Response:
        """Send one request; an httpx exception becomes our own error kind, raised outside the
        `except` block so that no traceback carries the original (its text holds the URL).
        `shown` names the request in the debug log line: never a secret, never a raw path that
        holds one; `note` follows the timing."""
        started = time.monotonic()
        failure: BackendError | None = None
        response: httpx.Response | None = None
        try:
            response = self._http.request(method, path, **request)
        except httpx.HTTPError as exc:
            failure = self._transport_failure(call, exc)
            outcome = type(exc).__name__
        else:
            outcome = str(response.status_code)
        self._log.debug("%s -> %s in %.0f ms%s", shown, outcome, (time.monotonic() - started) * 1000, note)
        if failure is not None:
            raise failure
        assert response is not None
        return response

    def _transport_failure(self, call: str, exc: httpx.HTTPError) -> BackendError:
        """Our own message for an httpx exception (whose str() would hold the URL)."""
        what, kind = self.what[call], type(exc).__name__
        if isinstance(exc, UNSENT):
            reach = self.reach_words.format(host_words=self.host_words, host=self._host)
            return HostUnreachable(f"Could not reach {reach} ({kind}); the {what} was not sent.")
        if isinstance(exc, httpx.TimeoutException):  # read / write timeout: it went out
            return self._no_answer(call, f"No answer from {self.host_words} within {self._timeout:g} s to the {what} ({kind}).")
        # RemoteProtocolError, ReadError, WriteError, DecodingError and anything else after
        # the request started going out: the host may have acted on it.
        return self._no_answer(call, f"The connection to {self.host_words} broke during the {what} ({kind}).")

    def _failed(self, call: str, status: int, host_code: str) -> BackendError:
        """HTTP 5xx: the host may have applied the request before failing."""
        return self._no_answer(call, f"{_capital(self.host_words)} failed (HTTP {status}) during the {self.what[call]}.",
                               host_code=host_code)

    def _busy(self, call: str, status: int, host_code: str) -> BackendError:
        """HTTP 408 / 429: the host turned the request away unread, so nothing was applied."""
        return HostUnreachable(
            f"{_capital(self.host_words)} is busy (HTTP {status}) and did not take the {self.what[call]}; "
            "try again in a moment.", host_code=host_code,
        )

    def _garbled(self, call: str, what_came: str, host_code: str = "") -> BackendError:
        return self._no_answer(
            call, f"{_capital(self.host_words)}'s answer to the {self.what[call]} could not be read ({what_came}).",
            host_code=host_code,
        )

    def _answered_without_token(self, response: httpx.Response, setting: str) -> None:
        """The health check of an API that refuses a request without a token with HTTP 401 before
        reading it: that 401 (or a 2xx, or 403) is the API answering. A 5xx or a busy host is
        HostUnreachable; anything else means something else answers at that address."""
        status = response.status_code
        if status in (401, 403) or 200 <= status < 300:
            return
        if status >= 500:
            raise self._failed("health", status, f"HTTP_{status}")
        if status in (408, 429):
            raise self._busy("health", status, f"HTTP_{status}")
        raise BusinessError(
            f"{_capital(self.host_words)} at {self._host} did not answer as the API does (HTTP {status} where a "
            f"request without a token gets 401): check the {setting} setting.", host_code=f"HTTP_{status}",
        )

    def _validated(self, call: str, model: type[_M], value: Any, what_came: str) -> _M:
        """`value` read as `model`, or the call's "answer could not be read" error."""
        try:
            return model.model_validate(value)
        except ValidationError:
            failure = self._garbled(call, what_came)
        raise failure  # outside the except block: ValidationError text may echo host data

    def __str__(self) -> str:
        return repr(self)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]
