"""The fault catalogue: what the network or the host does wrong, on demand.

A fault is armed for an operation (or "any") and fires on the next `count` matching API
requests that passed authentication. Each kind is one of the outcomes a client must survive:

    kind                  applied?  what the client sees
    timeout_before_apply  no*       nothing for `seconds`; then the connection is cut
                                    (*answer=true: the change is applied late and answered)
    timeout_after_apply   yes       nothing for `seconds`; then the normal answer
                                    (answer=false: the connection is cut instead)
    error_before_apply    no        HTTP `status` (default 503) at once
    error_after_apply     yes       HTTP `status` (default 500) at once
    drop_before_apply     no        response headers, then the connection is cut
    drop_after_apply      yes       response headers, then the connection is cut
    slow                  yes       the normal answer after `seconds`

A "cut" connection has sent its status line and headers (with a Content-Length) but not the
body: an HTTP client reports a broken / incomplete response, never a clean answer.

Every simulator uses this catalogue with its own operation names (OPERATIONS here are the
Rapyd simulator's); kiosk.sim.pipeline turns a fault into what goes on the wire.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from decimal import Decimal
from typing import Any

KINDS = (
    "timeout_before_apply",
    "timeout_after_apply",
    "error_before_apply",
    "error_after_apply",
    "drop_before_apply",
    "drop_after_apply",
    "slow",
)
BEFORE_APPLY = frozenset({"timeout_before_apply", "error_before_apply", "drop_before_apply"})
OPERATIONS = ("login", "deposit", "withdraw", "reversal", "logout", "echo", "any")

# Defaults chosen against a client with a 10 s read timeout: a default timeout outlasts it.
_DEFAULT_SECONDS = {"timeout_before_apply": 15.0, "timeout_after_apply": 15.0, "slow": 2.0}
_DEFAULT_STATUS = {"error_before_apply": 503, "error_after_apply": 500}
_DEFAULT_ANSWER = {"timeout_before_apply": False, "timeout_after_apply": True}
MAX_SECONDS = 600.0


@dataclass(frozen=True)
class Fault:
    kind: str
    operation: str = "any"
    count: int = 1
    seconds: float = 0.0  # how long to hang (timeouts) or delay (slow)
    status: int = 0  # HTTP status for error_* kinds
    answer: bool = False  # timeouts: answer normally after the hang, or cut the connection

    @property
    def before_apply(self) -> bool:
        return self.kind in BEFORE_APPLY

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def make_fault(
    kind: str,
    operation: str = "any",
    count: int = 1,
    seconds: float | None = None,
    status: int | None = None,
    answer: bool | None = None,
    *,
    operations: tuple[str, ...] = OPERATIONS,
) -> Fault:
    """A validated fault with the kind's defaults filled in; ValueError names what is wrong.

    `operations` are the names the simulator's requests are taken under (with "any").
    """
    if kind not in KINDS:
        raise ValueError(f"unknown fault kind {kind!r}; one of {', '.join(KINDS)}")
    if operation not in operations:
        raise ValueError(f"unknown operation {operation!r}; one of {', '.join(operations)}")
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        raise ValueError("count must be a positive integer")
    secs = _DEFAULT_SECONDS.get(kind, 0.0) if seconds is None else float(seconds)
    if not 0 <= secs <= MAX_SECONDS:
        raise ValueError(f"seconds must be between 0 and {MAX_SECONDS:g}")
    code = _DEFAULT_STATUS.get(kind, 0) if status is None else int(status)
    if kind.startswith("error_") and not 500 <= code <= 599:
        raise ValueError("status must be a 5xx HTTP status")
    reply = _DEFAULT_ANSWER.get(kind, False) if answer is None else bool(answer)
    return Fault(kind, operation, count, secs, code, reply)


def fault_from_json(data: Mapping[str, Any], operations: tuple[str, ...] = OPERATIONS) -> Fault:
    """The fault a control endpoint's JSON document describes; ValueError names what is wrong."""
    if not isinstance(data, Mapping):
        raise ValueError("expected a JSON object")
    unknown = set(data) - {"kind", "operation", "count", "seconds", "status", "answer"}
    if unknown:
        raise ValueError(f"unknown field(s): {', '.join(sorted(unknown))}")
    if "kind" not in data:
        raise ValueError(f"'kind' is required; one of {', '.join(KINDS)}")
    try:
        return make_fault(
            data["kind"],
            data.get("operation", "any"),
            data.get("count", 1),
            data.get("seconds"),
            data.get("status"),
            data.get("answer"),
            operations=operations,
        )
    except TypeError as exc:
        raise ValueError(str(exc)) from None


def magic_amounts(whole: str) -> dict[Decimal, Fault]:
    """The faults a trainer provokes from the kiosk's own screen by typing an amount:

        {whole}.01  error_before_apply, HTTP 503      {whole}.04  timeout_before_apply, 30 s, no answer
        {whole}.02  error_after_apply, HTTP 500       {whole}.05  timeout_after_apply, 30 s, then answers
        {whole}.03  drop_after_apply                  {whole}.06  slow, 5 s

    The same six in every simulator, so a trainer learns one table; only `whole` differs (an
    amount the simulated host accepts). Each fault is for the request carrying the amount.
    """
    faults = (
        make_fault("error_before_apply", status=503),
        make_fault("error_after_apply", status=500),
        make_fault("drop_after_apply"),
        make_fault("timeout_before_apply", seconds=30, answer=False),
        make_fault("timeout_after_apply", seconds=30, answer=True),
        make_fault("slow", seconds=5),
    )
    return {Decimal(f"{whole}.{cents:02d}"): fault for cents, fault in enumerate(faults, start=1)}


class FaultPlan:
    """Armed faults in arming order; thread-safe (tests arm them from outside the server).

    `operations` are the simulator's operation names, which inject_fault and the control
    endpoint accept.
    """

    def __init__(self, operations: tuple[str, ...] = OPERATIONS) -> None:
        self.operations = operations
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def arm(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def pending(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def take(self, operation: str) -> Fault | None:
        """The first armed fault matching `operation`, using up one of its count."""
        with self._lock:
            for index, fault in enumerate(self._faults):
                if fault.operation in (operation, "any"):
                    if fault.count <= 1:
                        del self._faults[index]
                    else:
                        self._faults[index] = replace(fault, count=fault.count - 1)
                    return replace(fault, count=1)
            return None


class FaultSwitchboard:
    """inject_fault / clear_faults: the in-process half of a simulator's fault switchboard (the
    HTTP half is kiosk.sim.pipeline.fault_route). The simulator sets `self.faults`."""

    faults: FaultPlan

    def inject_fault(
        self,
        kind: str,
        operation: str = "any",
        count: int = 1,
        seconds: float | None = None,
        status: int | None = None,
        answer: bool | None = None,
    ) -> Fault:
        fault = make_fault(kind, operation, count, seconds, status, answer, operations=self.faults.operations)
        self.faults.arm(fault)
        return fault

    def clear_faults(self) -> None:
        self.faults.clear()
