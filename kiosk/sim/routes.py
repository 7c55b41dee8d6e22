"""The POS API's endpoints: which (method, path) is which operation, and its path parameters.

Matching is exact (no trailing slash, method included): anything else is an API call the
gateway does not know, which it answers 401 UNAUTHORIZED_API_CALL, not 404.
"""

from __future__ import annotations

import re

_SEGMENT = r"[^/]+"
ROUTES: tuple[tuple[str, str, re.Pattern[str]], ...] = (
    ("echo", "GET", re.compile(r"^/v1/pos/echo$")),
    ("login", "POST", re.compile(rf"^/v1/pos/login/(?P<pos_id>{_SEGMENT})/(?P<otp_code>{_SEGMENT})$")),
    ("deposit", "POST", re.compile(rf"^/v1/pos/deposit/(?P<amount>{_SEGMENT})/(?P<currency>{_SEGMENT})$")),
    ("withdraw", "POST", re.compile(rf"^/v1/pos/withdraw/(?P<account_id>{_SEGMENT})/(?P<sum>{_SEGMENT})$")),
    (
        "reversal",
        "POST",
        re.compile(rf"^/v1/pos/reversal/(?P<account_id>{_SEGMENT})/(?P<reversed_amount>{_SEGMENT})$"),
    ),
    ("logout", "POST", re.compile(r"^/v1/pos/logout$")),
)

_LOGIN_OTP = re.compile(r"^(/v1/pos/login/[^/]+/)[^/]+$")


def match_route(method: str, path: str) -> tuple[str, dict[str, str]] | None:
    for operation, route_method, pattern in ROUTES:
        match = pattern.match(path)
        if match and method.upper() == route_method:
            return operation, match.groupdict()
    return None


def redacted_path(path: str) -> str:
    """The path fit for a log line: the OTP in Open Session's path is a secret."""
    return _LOGIN_OTP.sub(r"\1******", path)
