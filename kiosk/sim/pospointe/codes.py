"""The simulator's status-code table.

POSPointe documents only success ("000000", description "Success") and HTTP 401. The rest of
this table is the simulator's own, chosen to be coherent: six digits, the first digit names
the area (1 request, 2 card identity, 3 card token, 4 card state and money rules, 9 server).
Every refusal answers {"statuscode", "description", "status": false}; HTTP 200 unless shown.

    statuscode  HTTP  description                                   when
    000000      200   Success / Partial Approval                    (redeem: approved < asked)
    100001      400   Invalid request: <field> ...                  body not JSON, field missing / wrong type
    100002      200   Invalid amount                                not a number, <= 0, more than 2 decimals
    100003      200   Invalid franchisee ID                         not the API user's franchisee
    100005      200   Invalid store ID                              batch calls for another store
    100006      413   Request body too large                        over the simulator's max_body_bytes
    200001      200   Card not found                                no card with that number
    200002      200   Invalid security code (N attempts left)       wrong security code
    200003      200   Card locked: too many invalid security codes  5 wrong codes in a row: 30 min
    300001      200   Invalid card token                            unknown token, or another user's
    300002      200   Card token expired                            older than 10 minutes
    400001      200   Card is not active                            reload / redeem on an unsold card
    400002      200   Card is already active                        sellnewcard on a sold card
    400003      200   Card is blocked                               sell / reload / redeem on a blocked card
    400004      200   Insufficient balance                          redeem > balance, partial not accepted
    400005      200   Amount out of range (1.00 - 500.00)           sell / reload amount per transaction
    400006      200   Card balance limit exceeded (1000.00)         sell / reload would pass the maximum
    400007      200   Card is already <status>                      changestatus to the status it has
    400008      200   Invalid status change                         status not Active/Blocked, or an unsold card
    999999      500   Internal server error                         fault catalogue: error_*_apply with 500

HTTP 401 (empty body, WWW-Authenticate: Basic) for a missing or wrong Authorization header;
HTTP 404 / 405 (empty body) for a path or method the server does not have; HTTP 502/503/504
from the gateway (an HTML page) in the fault catalogue.
"""

from __future__ import annotations

SUCCESS = "000000"
INVALID_REQUEST = "100001"
INVALID_AMOUNT = "100002"
INVALID_FRANCHISEE = "100003"
INVALID_STORE = "100005"
BODY_TOO_LARGE = "100006"
CARD_NOT_FOUND = "200001"
INVALID_SECURITY_CODE = "200002"
CARD_LOCKED = "200003"
INVALID_TOKEN = "300001"
TOKEN_EXPIRED = "300002"
CARD_NOT_ACTIVE = "400001"
CARD_ALREADY_ACTIVE = "400002"
CARD_BLOCKED = "400003"
INSUFFICIENT_BALANCE = "400004"
AMOUNT_OUT_OF_RANGE = "400005"
BALANCE_LIMIT = "400006"
STATUS_UNCHANGED = "400007"
INVALID_STATUS_CHANGE = "400008"
INTERNAL_ERROR = "999999"

# statuscode -> (HTTP status, description without details)
TABLE: dict[str, tuple[int, str]] = {
    SUCCESS: (200, "Success"),
    INVALID_REQUEST: (400, "Invalid request"),
    INVALID_AMOUNT: (200, "Invalid amount"),
    INVALID_FRANCHISEE: (200, "Invalid franchisee ID"),
    INVALID_STORE: (200, "Invalid store ID"),
    BODY_TOO_LARGE: (413, "Request body too large"),
    CARD_NOT_FOUND: (200, "Card not found"),
    INVALID_SECURITY_CODE: (200, "Invalid security code"),
    CARD_LOCKED: (200, "Card locked: too many invalid security code attempts"),
    INVALID_TOKEN: (200, "Invalid card token"),
    TOKEN_EXPIRED: (200, "Card token expired"),
    CARD_NOT_ACTIVE: (200, "Card is not active"),
    CARD_ALREADY_ACTIVE: (200, "Card is already active"),
    CARD_BLOCKED: (200, "Card is blocked"),
    INSUFFICIENT_BALANCE: (200, "Insufficient balance"),
    AMOUNT_OUT_OF_RANGE: (200, "Amount out of range"),
    BALANCE_LIMIT: (200, "Card balance limit exceeded"),
    STATUS_UNCHANGED: (200, "Card status unchanged"),
    INVALID_STATUS_CHANGE: (200, "Invalid status change"),
    INTERNAL_ERROR: (500, "Internal server error"),
}


class Refusal(Exception):
    """A business refusal: its statuscode, HTTP status and description for the answer."""

    def __init__(self, code: str, detail: str = "") -> None:
        http_status, description = TABLE[code]
        super().__init__(code)
        self.code = code
        self.http_status = http_status
        self.description = detail or description

    def body(self) -> dict[str, object]:
        return {"statuscode": self.code, "description": self.description, "status": False}
