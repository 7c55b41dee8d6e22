"""Request authentication as the POS API gateway performs it (REFERENCE §1).

    to_sign   = method.lower() + path_from_v1_with_query + salt + timestamp + access_key
                + secret_key + raw_body
    signature = base64(hex_lowercase(HMAC_SHA256(secret_key, to_sign)))

The body is taken as the exact bytes received, so a client that signs a differently
serialised JSON than it sends fails here, as it would against the real gateway.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
from collections.abc import Mapping
from dataclasses import dataclass

REQUIRED_HEADERS = ("access_key", "salt", "timestamp", "signature")
MAX_AGE_SECONDS = 60  # documented: "at most 60 s in the past"
# The documentation forbids a client clock ahead of the server's. Real clocks are never in
# perfect agreement, so a few seconds of skew are tolerated; anything more is refused.
FUTURE_SKEW_SECONDS = 5
SALT_MIN, SALT_MAX = 8, 16


@dataclass(frozen=True)
class AuthFailure:
    http_status: int
    error_code: str
    message: str


def compute_signature(
    method: str, path: str, salt: str, timestamp: str, access_key: str, secret_key: str, body: bytes
) -> str:
    to_sign = (method.lower() + path + salt + timestamp + access_key + secret_key).encode() + body
    digest = hmac.new(secret_key.encode(), to_sign, hashlib.sha256).hexdigest()
    return base64.b64encode(digest.encode()).decode()


class Authenticator:
    """Checks the authentication headers against the known key pairs.

    A (access_key, salt, timestamp) triple is accepted once: a captured request replayed
    within its 60 s lifetime is refused, which is what the per-request salt exists for. The
    memory of seen salts is in-process only; after 60 s a replay is stale anyway.
    """

    def __init__(self, keys: Mapping[str, str], *, reject_replays: bool = True) -> None:
        self._keys = dict(keys)  # access_key -> secret_key
        self._reject_replays = reject_replays
        self._seen: dict[tuple[str, str, str], float] = {}
        self._lock = threading.Lock()

    def check(
        self, method: str, path: str, headers: Mapping[str, str], body: bytes, now: float
    ) -> str | AuthFailure:
        """The access key when the request is authentic, else why it is refused."""
        values = {name: headers.get(name, "") for name in REQUIRED_HEADERS}
        missing = [name for name, value in values.items() if not value]
        if missing:
            return AuthFailure(
                400, "MISSING_AUTHENTICATION_HEADERS", f"Missing authentication header(s): {', '.join(missing)}"
            )
        timestamp = values["timestamp"]
        if not (timestamp.isascii() and timestamp.isdigit()):
            return AuthFailure(400, "MISSING_AUTHENTICATION_HEADERS", "The timestamp header is not a number")

        refused = AuthFailure(401, "UNAUTHENTICATED_API_CALL", "The request could not be authenticated")
        access_key, salt = values["access_key"], values["salt"]
        secret = self._keys.get(access_key)
        if secret is None:
            return refused
        if not SALT_MIN <= len(salt) <= SALT_MAX:
            return AuthFailure(401, "UNAUTHENTICATED_API_CALL", "The salt must be 8 to 16 characters")
        # Length bound first: int() of thousands of digits is refused by Python itself.
        age = now - int(timestamp) if len(timestamp) <= 15 else float("-inf")
        if age > MAX_AGE_SECONDS or age < -FUTURE_SKEW_SECONDS:
            return AuthFailure(
                401, "UNAUTHENTICATED_API_CALL", "The timestamp is outside the accepted window"
            )
        expected = compute_signature(method, path, salt, timestamp, access_key, secret, body)
        if not hmac.compare_digest(expected.encode(), values["signature"].encode()):
            return refused
        if self._reject_replays and not self._first_use((access_key, salt, timestamp), now):
            return AuthFailure(401, "UNAUTHENTICATED_API_CALL", "The request was already received")
        return access_key

    def _first_use(self, triple: tuple[str, str, str], now: float) -> bool:
        with self._lock:
            horizon = now - MAX_AGE_SECONDS - FUTURE_SKEW_SECONDS - 1
            if len(self._seen) > 1000:
                self._seen = {k: t for k, t in self._seen.items() if t >= horizon}
            if triple in self._seen:
                return False
            self._seen[triple] = now
            return True
