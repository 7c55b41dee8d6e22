"""The journal steps every desk shares, and the Rapyd wallet's own.

A step is what the journal's `step` column says happened (kiosk.journal.store.record). The
names are a contract: the journal export, `kiosk txn --json`, recovery's decision tables and the
crash tests read them. Each is a `StrEnum`, so a member *is* its string: it is stored, compared and
exported exactly as the plain name was.

The steps only one back end writes live beside that back end's desk (GiftCardStep in
kiosk.desks.giftcards, SdkStep in kiosk.desks.sdkwallet, FlexitiStep in kiosk.desks.flexiti);
the ones here are written by the till's own services (intent, drawer, cash, receipt, suspect)
or by more than one desk.
"""

from __future__ import annotations

from enum import StrEnum


class Step(StrEnum):
    """Steps of any visit, whatever its back end."""

    INTENT = "INTENT"  # what the visit is about to do, before anything is sent
    HOST_SENT = "HOST_SENT"
    HOST_RESENT = "HOST_RESENT"
    HOST_OK = "HOST_OK"
    HOST_DECLINED = "HOST_DECLINED"
    HOST_UNKNOWN = "HOST_UNKNOWN"
    DRAWER_KICKED = "DRAWER_KICKED"
    DRAWER_OPENED = "DRAWER_OPENED"
    DRAWER_UNCONFIRMED = "DRAWER_UNCONFIRMED"
    DRAWER_NOT_OPENED = "DRAWER_NOT_OPENED"
    DRAWER_CLOSED = "DRAWER_CLOSED"
    DRAWER_LEFT_OPEN = "DRAWER_LEFT_OPEN"
    CASH_CONFIRMED = "CASH_CONFIRMED"  # carries cash_delta into the shift
    CASH_NOT_HANDED = "CASH_NOT_HANDED"
    RECEIPT_SENT = "RECEIPT_SENT"
    RECEIPT_PRINTED = "RECEIPT_PRINTED"
    RECEIPT_NOT_PRINTED = "RECEIPT_NOT_PRINTED"
    RECEIPT_UNKNOWN = "RECEIPT_UNKNOWN"
    SUSPECT = "SUSPECT"
    SUSPECT_RESOLVED = "SUSPECT_RESOLVED"
    ESCALATED = "ESCALATED"  # handed to a person
    REVERSED = "REVERSED"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"
    RECOVERED = "RECOVERED"  # recovery's note of what it did after a stop


class WalletStep(StrEnum):
    """Steps only the Rapyd wallet's visit writes (its session and its reversal)."""

    SESSION_OPEN_SENT = "SESSION_OPEN_SENT"
    SESSION_OPENED = "SESSION_OPENED"
    SESSION_REFUSED = "SESSION_REFUSED"
    SESSION_CLOSED = "SESSION_CLOSED"
    SESSION_CLOSE_FAILED = "SESSION_CLOSE_FAILED"
    REVERSAL_SENT = "REVERSAL_SENT"
    REVERSAL_FAILED = "REVERSAL_FAILED"
