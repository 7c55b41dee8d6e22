"""The one-time codes a customer's wallet app shows for one point of sale.

Rapyd documents the code as valid for an *absolute* 30 s window (generated at 11:42:25, it
expires at 11:42:30): that is a time-step OTP, RFC 6238 TOTP. Each (wallet phone, POS) pair
gets its own TOTP key, derived from the simulator's master key, so a code shown for one POS
does not open a session at another, and two customers never share codes.

This module only computes codes and windows; remembering which codes were used belongs to
the ledger (a code is single-use, and that must survive a restart).
"""

from __future__ import annotations

import hashlib
import hmac
import struct
from dataclasses import dataclass

DIGITS = 6


def hotp(key: bytes, counter: int, digits: int = DIGITS) -> str:
    """RFC 4226 HOTP (HMAC-SHA1, dynamic truncation)."""
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    value = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**digits).zfill(digits)


@dataclass(frozen=True)
class OtpVerdict:
    """How a submitted code compares with the pair's codes at a moment."""

    ok: bool
    counter: int  # the time step the code belongs to (the current one when ok)
    reason: str = ""  # "" when ok, else "invalid" or "expired"


class OtpIssuer:
    """Codes per (phone, pos_id) for windows of `window` seconds, aligned on the Unix epoch."""

    def __init__(self, master_key: bytes, window: int = 30) -> None:
        if window < 1:
            raise ValueError("otp window must be at least 1 second")
        self._master = master_key
        self.window = int(window)

    def _pair_key(self, phone: str, pos_id: str) -> bytes:
        # A separator that cannot occur in an E.164 number keeps ("+1", "23...") distinct.
        return hmac.new(self._master, f"totp|{phone}|{pos_id}".encode(), hashlib.sha256).digest()

    def counter(self, now: float) -> int:
        return int(now // self.window)

    def expires_at(self, now: float) -> float:
        """The end of the window `now` falls in: the first instant the current code is refused."""
        return float((self.counter(now) + 1) * self.window)

    def code(self, phone: str, pos_id: str, now: float) -> str:
        return hotp(self._pair_key(phone, pos_id), self.counter(now))

    def check(self, phone: str, pos_id: str, submitted: str, now: float) -> OtpVerdict:
        """Accept only the current window's code; the previous window's is reported as expired.

        No look-back tolerance: the documented validity is absolute, and a kiosk that counts
        down the window for the cashier must be able to rely on the edge.
        """
        current = self.counter(now)
        if not (len(submitted) == DIGITS and submitted.isascii() and submitted.isdigit()):
            return OtpVerdict(False, current, "invalid")
        key = self._pair_key(phone, pos_id)
        if hmac.compare_digest(submitted, hotp(key, current)):
            return OtpVerdict(True, current)
        if hmac.compare_digest(submitted, hotp(key, current - 1)):
            return OtpVerdict(False, current - 1, "expired")
        return OtpVerdict(False, current, "invalid")
