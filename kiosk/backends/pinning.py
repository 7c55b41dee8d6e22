"""Transport safety for the back-end clients: TLS verification that no setting turns off,
optional certificate pinning on top of it, and a clock check before anything is signed.

- `secure_transport(base_url, pins)` is the httpx transport every real back end gets: the
  system's CA store with hostname checking (ssl.create_default_context), and when pins are
  set the server's certificate must also match one of them, checked right after the TLS
  handshake, before a byte of the request is sent. A plain http:// base URL (the simulators
  on loopback) gets a context that trusts no certificate at all instead: loading the CA
  store costs tens of milliseconds at every start, and an https:// address reached from it
  anyway (a redirect) fails closed.
- `ClockGuard` refuses to sign a request when the clock is known to be wrong: a year before
  this build, or more than the 60 s signing window away from the server's Date header
  (measured against the monotonic clock, so that setting the clock right clears it at once).
"""

from __future__ import annotations

import functools
import hashlib
import ssl
import time
from typing import Any, Callable

from kiosk.backends.base import AuthenticationFailed
from kiosk.pins import normalise_pin

BUILD_YEAR = 2026  # a clock showing an earlier year is certainly wrong
SIGNING_WINDOW = 60.0  # seconds: Rapyd refuses a request timestamped further off than this
LOOPBACK = {"127.0.0.1", "::1", "localhost"}


def certificate_pins(der: bytes) -> set[str]:
    """The two pins a DER certificate matches: SHA-256 of its SubjectPublicKeyInfo and of itself."""
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    cert = x509.load_der_x509_certificate(der)
    spki = cert.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return {hashlib.sha256(spki).hexdigest(), hashlib.sha256(der).hexdigest()}


class PinMismatch(ssl.SSLError):
    """The server's certificate is valid but is not one of the pinned ones."""


@functools.lru_cache(maxsize=1)
def _verifying_context() -> ssl.SSLContext:
    # Loading the CA store costs tens of milliseconds: every back end without pins shares
    # one context (an SSLContext may serve many connections and threads).
    return ssl.create_default_context()


@functools.cache
def _trusting_nothing() -> ssl.SSLContext:
    """For a plain-HTTP back end: verification on, no CA loaded, so no TLS peer is ever trusted.
    One for the process (about 1 MiB each): it holds no state of a back end's."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    return context


def pinned_ssl_context(pins: list[str] | tuple[str, ...] = ()) -> ssl.SSLContext:
    """Verification always on (CA store, hostname); pins checked after every handshake."""
    if not pins:
        return _verifying_context()
    context = ssl.create_default_context()
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    wanted = {normalise_pin(p) for p in pins}
    if wanted:

        class PinnedSocket(ssl.SSLSocket):
            def do_handshake(self, *args: Any, **kwargs: Any) -> None:
                super().do_handshake(*args, **kwargs)
                der = self.getpeercert(binary_form=True)
                if not der or not (certificate_pins(der) & wanted):
                    self.close()
                    raise PinMismatch("the server's certificate is not the pinned one (rapyd.pin_sha256)")

        context.sslsocket_class = PinnedSocket
    return context


def is_loopback(base_url: str) -> bool:
    import httpx

    return (httpx.URL(base_url).host or "") in LOOPBACK


class ClockWrong(AuthenticationFailed):
    """The clock is known to be wrong: nothing was signed or sent (final, like a refused key)."""

    code = "CLOCK_WRONG"


class ClockGuard:
    def __init__(self, *, wall: Callable[[], float] = time.time, mono: Callable[[], float] = time.monotonic) -> None:
        self.wall = wall
        self.mono = mono
        self._host_minus_mono: float | None = None  # server time = monotonic + this

    def observe(self, date_header: str | None) -> None:
        """Learn the server's time from a response's Date header (1 s resolution)."""
        if not date_header:
            return
        import email.utils

        try:
            host = email.utils.parsedate_to_datetime(date_header).timestamp()
        except (TypeError, ValueError, IndexError, OverflowError):
            return
        self._host_minus_mono = host - self.mono()

    def skew(self) -> float | None:
        """Our clock minus the server's, as last measured; None before any answer."""
        if self._host_minus_mono is None:
            return None
        return self.wall() - (self.mono() + self._host_minus_mono)

    def problem(self) -> str:
        now = self.wall()
        year = time.gmtime(now).tm_year
        if year < BUILD_YEAR:
            return f"The terminal's clock says {year}: it is wrong."
        skew = self.skew()
        if skew is not None and abs(skew) > SIGNING_WINDOW - 1:  # the Date header is rounded to the second
            way = "ahead of" if skew > 0 else "behind"
            return f"The terminal's clock is {abs(skew):.0f} s {way} the wallet service's."
        return ""

    def now(self) -> float:
        """The clock the client signs with: refuses when the clock is known to be wrong."""
        problem = self.problem()
        if problem:
            raise ClockWrong(problem + " Requests would be refused, so none was sent. Set the clock (NTP), then try again.")
        return self.wall()


def secure_transport(base_url: str, pins: list[str] | tuple[str, ...] = (), *, clock_guard: ClockGuard | None = None, **kwargs: Any):
    """The httpx transport for a back end at `base_url` (see the module doc)."""
    import httpx

    https = httpx.URL(base_url).scheme == "https"
    if pins and not https:
        raise ValueError("certificate pinning needs an https:// base URL")
    context = pinned_ssl_context(pins) if https else _trusting_nothing()
    transport = httpx.HTTPTransport(verify=context, **kwargs)
    return observing(transport, clock_guard) if clock_guard is not None else transport


def observing(inner: Any, guard: ClockGuard):
    """Wrap a transport so that the ClockGuard reads every answer's Date header."""
    import httpx

    class ObservingTransport(httpx.BaseTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            response = inner.handle_request(request)
            guard.observe(response.headers.get("date"))
            return response

        def close(self) -> None:
            inner.close()

    return ObservingTransport()
