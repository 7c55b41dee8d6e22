"""What the four back-end clients share about the bytes on the wire: reading JSON answers
(every fraction a Decimal, never a float), writing JSON bodies with exact amounts, taking host
text loosely (ids and codes arrive as strings, numbers or null) and making host text fit for a
cashier's screen, a receipt and a log.
"""

from __future__ import annotations

import json
import re
import secrets
import unicodedata
from collections.abc import Mapping
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, SecretStr

LOOPBACK = {"localhost", "127.0.0.1", "::1"}  # the only hosts spoken to in clear text without a warning
REDACTED = "******"


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_json(content: bytes) -> Any:
    """The body as JSON with every fraction a Decimal; None when it is not JSON (garbled,
    not UTF-8, NaN/Infinity, nested beyond recursion)."""
    try:
        return json.loads(content.decode("utf-8"), parse_float=Decimal, parse_constant=_refuse_constant)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None


def exact_json(payload: Mapping[str, Any], *, normalize: bool = False) -> bytes:
    """Compact ASCII JSON in which every Decimal (at any depth) is a JSON number with its exact
    digits, never passed through float. `normalize` drops trailing zeros ("50.00" -> 50).

    The stand-ins for the numbers carry a fresh random part, so that no text in the payload
    (a password, a description) can be mistaken for one."""
    numbers: dict[str, str] = {}
    nonce = secrets.token_hex(8)

    def mark(value: Any) -> Any:
        if isinstance(value, Decimal):
            marker = f"@@{nonce}n{len(numbers)}@@"
            numbers[marker] = format(value.normalize() if normalize else value, "f")
            return marker
        if isinstance(value, Mapping):
            return {k: mark(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [mark(v) for v in value]
        return value

    text = json.dumps(mark(payload), separators=(",", ":"), ensure_ascii=True, allow_nan=False)
    for marker, number in numbers.items():
        text = text.replace(f'"{marker}"', number, 1)
    return text.encode("ascii")


def loose_text(value: object) -> str:
    """Hosts send codes and ids as strings, numbers or null: take them all as text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        raise ValueError("a boolean is not text")
    if isinstance(value, (str, int, Decimal)):
        return str(value).strip()
    raise ValueError("not text")


LooseText = Annotated[str, BeforeValidator(loose_text)]


class WireModel(BaseModel):
    """Base of the answer models: unknown fields ignored, values frozen. Built on first use:
    a command validates a few of these answers, never all (start-up time)."""

    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)


def printable(text: str, limit: int = 1000) -> str:
    """Host text made fit for a screen, a receipt printer and a log file: terminal escapes and
    every control or format character (bidi overrides included) removed, one line."""
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text or "")
    text = "".join(" " if unicodedata.category(ch).startswith("C") else ch for ch in text)
    return " ".join(text.split())[:limit]


def safe_code(code: object, limit: int = 64) -> str:
    """A host error code as we keep it: an identifier of at most `limit` characters."""
    return re.sub(r"[^A-Za-z0-9_.-]", "", code if isinstance(code, str) else "")[:limit]


def words(text: str) -> str:
    """Upper case, every run of non-alphanumerics one space, padded: 'ERROR_INVALID_OTP' ->
    ' ERROR INVALID OTP ', so that patterns can match whole words with ' WORD '."""
    return " " + re.sub(r"[^A-Z0-9]+", " ", text.upper()).strip() + " "


def last4(text: str) -> str:
    """The last 4 digits of a number (card, phone, account), or '' when it has fewer."""
    digits = re.sub(r"\D", "", text or "")
    return digits[-4:] if len(digits) >= 4 else ""


def reveal(value: str | SecretStr | None) -> str:
    """A secret's text, stripped: a key read from a secrets file often ends with a newline."""
    return (value.get_secret_value() if isinstance(value, SecretStr) else str(value or "")).strip()
