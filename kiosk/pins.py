"""Certificate pins as text: the one spelling (64 lower-case hex digits) that settings store and
kiosk.backends.pinning compares. Pure text work, below settings, so that settings can
validate a pin without importing the back ends."""

from __future__ import annotations

import base64
import binascii


def normalise_pin(text: str) -> str:
    """A pin as 64 lower-case hex digits, from hex (colons allowed) or base64."""
    raw = (text or "").strip().removeprefix("sha256/").replace(":", "")
    if len(raw) == 64:
        try:
            bytes.fromhex(raw)
            return raw.lower()
        except ValueError:
            pass
    try:
        digest = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        digest = b""
    if len(digest) == 32:
        return digest.hex()
    raise ValueError("a pin is the SHA-256 of the certificate's public key (or the certificate): 64 hex digits or base64")
