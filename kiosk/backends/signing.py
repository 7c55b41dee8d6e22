"""Rapyd request signing, as pure functions (the client and the tests both call these).

    to_sign   = method.lower() + url_path + salt + str(timestamp) + access_key + secret_key + body
    signature = base64(hex_lowercase(HMAC_SHA256(key=secret_key, msg=to_sign)))

`url_path` starts at `/v1` and includes any query string; `body` is the exact JSON text sent,
or "" when nothing is sent. The hex digest (64 ASCII characters), not the raw digest, is what
gets Base64-encoded: Rapyd's own samples do it that way, so the result is 88 characters.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import string
from typing import Any

SALT_LENGTH = 12  # Rapyd accepts 8-16 characters
_SALT_ALPHABET = string.ascii_letters + string.digits
_ALPHABET_SIZE = len(_SALT_ALPHABET)  # 62
_UNBIASED = 256 - 256 % _ALPHABET_SIZE  # 248: the bytes that map onto the alphabet evenly


def new_salt(length: int = SALT_LENGTH) -> str:
    """A fresh random salt for one request (from `secrets`: it must not be predictable)."""
    if not 8 <= length <= 16:
        raise ValueError("a Rapyd salt has 8 to 16 characters")
    # One read of the system's random source per salt (secrets.choice reads once per
    # character); bytes of 248 and above are dropped so that every character is equally likely.
    picked: list[str] = []
    while len(picked) < length:
        picked += [_SALT_ALPHABET[byte % _ALPHABET_SIZE] for byte in secrets.token_bytes(2 * length) if byte < _UNBIASED]
    return "".join(picked[:length])


def compact_json(payload: Any) -> str:
    """The body text to send and to sign: compact, so there is no whitespace to disagree on.

    ASCII-only output means the bytes on the wire are the same whatever encoding a proxy or
    the host assumes; NaN/Infinity are refused because they are not JSON.
    """
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=True, allow_nan=False)


def sign_request(
    method: str,
    url_path: str,
    salt: str,
    timestamp: int,
    access_key: str,
    secret_key: str,
    body: str = "",
) -> str:
    """The `signature` header for one request."""
    if not url_path.startswith("/v1"):
        raise ValueError("the signed path starts at /v1")
    to_sign = f"{method.lower()}{url_path}{salt}{int(timestamp)}{access_key}{secret_key}{body}"
    hex_digest = hmac.new(
        secret_key.encode("utf-8"), to_sign.encode("utf-8"), hashlib.sha256
    ).hexdigest()
    return base64.b64encode(hex_digest.encode("ascii")).decode("ascii")
