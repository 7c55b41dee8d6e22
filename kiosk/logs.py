"""Logging to a rotating file under the data dir, never to stderr (the UI draws there).

Every record passes a redaction filter as a last line of defence: code already avoids
logging secrets, but a URL with a code in it, or a phone number, must not reach the disk
even if some library logs it.
"""

from __future__ import annotations

import logging
import logging.handlers
import re

_PATTERNS = [
    # Rapyd Open Session carries the OTP in the path: /v1/pos/login/{pos_id}/{otp}
    (re.compile(r"(/pos/login/[^/\s]+/)[^/\s?\"']+"), r"\1******"),
    # E.164 phone numbers: keep the last four digits.
    (re.compile(r"\+\d{4,11}(\d{4})\b"), r"+••••\1"),
]


def redact(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def setup_logging(settings) -> None:
    path = settings.log_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.handlers.RotatingFileHandler(path, maxBytes=5_000_000, backupCount=5, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(settings.log.level)
    # httpx logs every request URL at INFO; the Rapyd login URL holds the customer's code.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
