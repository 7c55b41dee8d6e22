"""How long a cashier waits for their PIN to be checked (argon2id with the kiosk's real
parameters), beside the budget a till can afford at sign-in: 0.3 s.

    .venv/bin/python bench/bench_pin.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kiosk.auth.pins import MEMORY_KIB, TIME_COST, PinHasher  # noqa: E402

BUDGET = 0.3


def main() -> None:
    hasher = PinHasher("bench-pepper-0123456789")
    stored = hasher.hash("2580")
    timings = []
    for _ in range(9):
        started = time.perf_counter()
        assert hasher.verify(stored, "2580")
        timings.append(time.perf_counter() - started)
    median = statistics.median(timings)
    print(f"PIN check, argon2id t={TIME_COST} m={MEMORY_KIB} KiB: median {median * 1000:.0f} ms, "
          f"best {min(timings) * 1000:.0f} ms (budget {BUDGET * 1000:.0f} ms: {median / BUDGET:.2f}x of it)")


if __name__ == "__main__":
    main()
