"""The Rapyd POS API's answers as the client reads them: the envelope every answer comes in,
and the data of Open Session and of a money movement. Tolerant of the documented looseness
(error_code "0" or "", numbers as strings), strict about what matters (ids that go back into
paths and headers must be plain tokens)."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator

from kiosk.backends.wire import LooseText, WireModel, loose_text, parse_json

# Ids the host gave us (account, token, operation, transaction) go back into paths and headers,
# so they must be plain tokens: no '/', '?', spaces, CR/LF. Rapyd's are UUID-like.
HOST_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")


def _check_id(value: str) -> str:
    if not HOST_ID.match(value):
        raise ValueError("not a plain identifier")
    return value


HostId = Annotated[str, BeforeValidator(loose_text), AfterValidator(_check_id)]


class HostStatus(WireModel):
    error_code: LooseText = ""  # "0", "" or missing on success
    status: LooseText = ""  # "SUCCESS" / "ERROR"
    message: LooseText = ""
    response_code: LooseText = ""
    operation_id: LooseText = ""

    @property
    def outcome(self) -> Literal["success", "error", "unclear"]:
        word = self.status.upper()
        code_ok = self.error_code in ("", "0")
        if word in ("ERROR", "FAILED", "FAILURE"):
            return "error"
        if word in ("SUCCESS", "") and code_ok:
            return "success"
        if word == "" and not code_ok:
            return "error"
        return "unclear"  # e.g. SUCCESS with an error code: contradictory, trust neither


class Envelope(WireModel):
    status: HostStatus
    data: Any = None


class HostAccount(WireModel):
    account_id: HostId
    account_currency: LooseText
    account_alias: LooseText = ""
    account_balance: Any  # JSON number (read as Decimal) or numeric string; see parse_host_amount
    account_currency_symbol: LooseText = ""


class LoginData(WireModel):
    token_id: HostId
    operation_id: HostId
    accounts: list[dict[str, Any]] | None = None  # parsed one by one: see RapydClient._accounts


class MoneyData(WireModel):
    transaction_id: HostId
    operation_id: LooseText = ""
    metadata: Any = None


def parse_envelope(content: bytes) -> Envelope | None:
    """The response envelope, or None when the body is not one (garbled, not JSON, wrong shape).

    JSON numbers with a fraction are read as Decimal, never float.
    """
    document = parse_json(content)
    if document is None:
        return None
    try:
        return Envelope.model_validate(document)
    except (ValueError, RecursionError):  # ValidationError is a ValueError
        return None
