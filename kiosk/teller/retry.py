"""Re-sending a host call whose answer did not come, without ever applying it twice.

- a connection that failed before anything was sent is retried: nothing was applied;
- a timeout, a dropped connection or a 5xx is settled by re-sending with the *same*
  idempotency value: the host answers with its first response if it had applied it;
- any other refusal is final.

Pauses grow exponentially with full jitter (so tills that lost the host together do not
return together), bounded in count and in total time, and the wait can be stopped by the
cashier: the visit is then left for the outbox to settle, never forgotten.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass
from typing import Callable, TypeVar

from kiosk.backends.base import BackendError, HostUnreachable, OutcomeUnknown

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4  # sends in all, the first included
    base: float = 0.5  # first pause before jitter, seconds
    cap: float = 4.0  # longest single pause
    deadline: float = 30.0  # no new send starts after this many seconds

    def pause(self, retry: int, rng: random.Random) -> float:
        return rng.uniform(0, min(self.cap, self.base * (2**retry)))


class StoppedWaiting(OutcomeUnknown):
    """The cashier stopped waiting while the outcome was still unknown."""

    code = "STOPPED_WAITING"


# (attempt number about to be sent, pause before it, the error that caused it)
ProgressCallback = Callable[[int, float, BackendError], None]


def send_settling(
    call: Callable[[], T],
    policy: RetryPolicy,
    *,
    cancel: threading.Event | None = None,
    on_retry: ProgressCallback | None = None,
    rng: random.Random | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> T:
    """Run `call` (which must re-use one idempotency value) until it answers, a final refusal
    comes, or the policy's bound or the cashier stops it. Raises the last error; once any
    send went unanswered the error is an OutcomeUnknown, never "nothing happened"."""
    rng = rng or random.Random()
    started = clock()
    unknown: OutcomeUnknown | None = None
    for attempt in range(1, policy.attempts + 1):
        try:
            return call()
        except OutcomeUnknown as exc:
            unknown = exc
            error: BackendError = exc
        except HostUnreachable as exc:
            error = exc
        if attempt == policy.attempts:
            break
        pause = policy.pause(attempt - 1, rng)
        if clock() - started + pause > policy.deadline:
            break
        if on_retry is not None:
            on_retry(attempt + 1, pause, error)
        if cancel is not None and cancel.wait(pause):
            raise StoppedWaiting("The cashier stopped waiting for the wallet service.") from None
        if cancel is None:
            time.sleep(pause)
    if unknown is not None:
        raise unknown
    raise error
