"""The POS API's response envelope and JSON text, with money as exact JSON numbers.

Every answer is {"status": {...}, "data": {...}}. The documentation itself is loose about
the status block, and the simulator reproduces that on purpose so clients parse tolerantly:
a successful Open Session answers error_code "0" and no response_code (seed 000), the other
calls answer error_code "" with response_code "" (seed 001). Errors carry the code in both
error_code and response_code.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

# Per operation: (error_code on success, whether response_code is present).
SUCCESS_STYLE: dict[str, tuple[str, bool]] = {
    "login": ("0", False),  # seed 000
    "echo": ("0", True),
    "deposit": ("0", True),
    "withdraw": ("", True),  # seed 001
    "reversal": ("", True),
    "logout": ("", True),  # seed 001
}


def decimal_text(value: Decimal) -> str:
    """Shortest exact plain notation: 189, 10.5, 0.05 (never 1E+2, never a float)."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


def dumps(payload: Any, number: Callable[[Decimal], str] = decimal_text) -> bytes:
    """JSON text where Decimal values become JSON numbers with their exact digits.

    `number` writes them (default: the shortest exact notation); the other simulators pass
    their host's own style, e.g. always two decimals. Never through a float.
    """
    numbers: dict[str, str] = {}

    def mark(value: Any) -> Any:
        if isinstance(value, Decimal):
            token = f"@@decimal{len(numbers)}@@"
            numbers[token] = number(value)
            return token
        if isinstance(value, dict):
            return {k: mark(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [mark(v) for v in value]
        return value

    text = json.dumps(mark(payload), ensure_ascii=False)
    for token, digits in numbers.items():
        text = text.replace(f'"{token}"', digits, 1)
    return text.encode()


def success(operation: str, data: dict[str, Any] | None) -> dict[str, Any]:
    error_code, with_response_code = SUCCESS_STYLE[operation]
    status: dict[str, Any] = {"error_code": error_code, "status": "SUCCESS", "message": ""}
    if with_response_code:
        status["response_code"] = ""
    status["operation_id"] = str(uuid.uuid4())
    body: dict[str, Any] = {"status": status}
    if data is not None:
        body["data"] = data
    return body


def error(error_code: str, message: str) -> dict[str, Any]:
    return {
        "status": {
            "error_code": error_code,
            "status": "ERROR",
            "message": message,
            "response_code": error_code,
            "operation_id": str(uuid.uuid4()),
        }
    }
