"""What a back end says happened in a day: the other side of reconciliation.

A real back end feeds this from its settlement report (a file or an API each acquirer or
wallet provider publishes per day); a `SettlementSource` only has to list one day's host
transactions as `HostTransaction`s. The simulators' sources read each simulator's ledger
export (GET /_sim/.../ledger, loopback, no credentials) and keep the transactions whose host
time falls on that UTC day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

#: Journal visit kinds (fleet.visits.kind) that move money, by the back end that serves them.
BACKEND_OF_KIND = {
    "withdraw": "rapyd", "deposit": "rapyd",
    "giftcard_sell": "pospointe", "giftcard_reload": "pospointe", "giftcard_redeem": "pospointe",
    "sdk_topup": "sdkfinance", "sdk_withdrawal": "sdkfinance",
    "flexiti_deposit": "flexiti", "flexiti_instore_payment": "flexiti",
}


class SettlementError(Exception):
    pass


@dataclass(frozen=True)
class HostTransaction:
    backend: str  # "rapyd" | "pospointe" | "sdkfinance" | "flexiti"
    transaction_id: str  # as the till's journal records it (visits.transaction_id)
    kind: str  # the back end's own word: withdraw, redeem, topup, instore_payment, ...
    amount: Decimal  # the cash that changed hands at the till (a fee the customer paid included)
    currency: str
    reversed: bool  # undone at the host (a reversal, a refund) the same day or later
    at: datetime


class SettlementSource(Protocol):
    backend: str

    def transactions(self, day: date) -> list[HostTransaction]:
        """Every money movement the back end applied for this merchant on `day` (UTC)."""
        ...


def _day_of(epoch: float) -> date:
    return datetime.fromtimestamp(epoch, timezone.utc).date()


def _decimal(text: Any) -> Decimal:
    try:
        return Decimal(str(text))
    except (InvalidOperation, ValueError):
        raise SettlementError(f"the ledger holds an amount that is not a number: {text!r}") from None


class SimulatorLedger:
    """The simulators' ledger exports, on one server (`kiosk sim` or the demo): `backend`
    is one of rapyd, pospointe, sdkfinance, flexiti."""

    PATHS = {"rapyd": "/_sim/ledger", "pospointe": "/_sim/pospointe/ledger",
             "sdkfinance": "/_sim/sdkfinance/ledger", "flexiti": "/_sim/flexiti/ledger"}

    def __init__(self, base_url: str, backend: str, *, timeout: float = 10.0) -> None:
        if backend not in self.PATHS:
            raise SettlementError(f"no simulator ledger for back end {backend!r}")
        self.base_url, self.backend, self.timeout = base_url.rstrip("/"), backend, timeout

    def _export(self) -> dict[str, Any]:
        import httpx

        url = self.base_url + self.PATHS[self.backend]
        try:
            response = httpx.get(url, timeout=self.timeout)
            response.raise_for_status()
            document = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise SettlementError(f"cannot read the {self.backend} ledger export at {url}: {exc}") from None
        if not isinstance(document, dict):
            raise SettlementError(f"the {self.backend} ledger export at {url} is not a JSON object")
        return document

    def transactions(self, day: date) -> list[HostTransaction]:
        document = self._export()
        return [t for t in getattr(self, "_" + self.backend)(document) if t.at.date() == day]

    def _rapyd(self, doc: dict[str, Any]) -> list[HostTransaction]:
        return [
            HostTransaction("rapyd", t["transaction_id"], t["kind"], _decimal(t["amount"]), t["currency"],
                            bool(t.get("reversed_by")), datetime.fromtimestamp(t["created_at"], timezone.utc))
            for t in doc.get("transactions", []) if t.get("kind") != "reversal"
        ]

    def _pospointe(self, doc: dict[str, Any]) -> list[HostTransaction]:
        currency = {c["number"]: c.get("currency", "USD") for c in doc.get("cards", [])}
        moves = doc.get("transactions", [])
        # The till refunds a redemption it could not pay out as reloads "<visit>-refund-<n>".
        refunded = {str(m.get("pos_ref", "")).split("-refund-")[0] for m in moves if "-refund-" in str(m.get("pos_ref", ""))}
        out = []
        for m in moves:
            pos_ref = str(m.get("pos_ref", ""))
            if "-refund-" in pos_ref or m.get("kind") not in ("sell", "reload", "redeem"):
                continue
            out.append(HostTransaction("pospointe", str(m["host_ref"]), m["kind"], _decimal(m["amount"]),
                                       currency.get(m.get("card_number"), "USD"), pos_ref.split("-")[0] in refunded,
                                       datetime.fromtimestamp(m["created_at"], timezone.utc)))
        return out

    def _sdkfinance(self, doc: dict[str, Any]) -> list[HostTransaction]:
        # The cash that changed hands: a top-up's total (amount + commission), a withdrawal's amount.
        return [
            HostTransaction("sdkfinance", str(r["requestIdentifier"]), r["kind"],
                            _decimal(r["totalAmount"] if r["kind"] == "topup" else r["amount"]), r["currency"],
                            False, datetime.fromtimestamp(r.get("processedAt") or r["createdAt"], timezone.utc))
            for r in doc.get("requests", []) if r.get("status") == "ACCEPTED"
        ]

    def _flexiti(self, doc: dict[str, Any]) -> list[HostTransaction]:
        return [
            HostTransaction("flexiti", str(t["transaction_id"]), t["transaction_type"], _decimal(t["amount"]), "CAD",
                            False, datetime.fromtimestamp(t["created_at"], timezone.utc))
            for t in doc.get("transactions", [])
        ]


def simulator_sources(base_url: str) -> list[SettlementSource]:
    return [SimulatorLedger(base_url, name) for name in SimulatorLedger.PATHS]
