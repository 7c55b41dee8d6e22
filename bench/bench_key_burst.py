"""Keys at scanner speed: how long the kiosk takes to apply a burst delivered all at once
(as a terminal delivers a stripe reader's or barcode scanner's keys), one key out at a time
(kiosk.ui.keyorder). Prints, per burst: the keys, the time until the last key was applied,
and the time per key. A reader types about 100-300 keys per second; a key that takes longer
than that to settle only delays the screen, never reorders it.

Run: .venv/bin/python bench/bench_key_burst.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from textual import events  # noqa: E402

from kiosk.ui.app import KioskApp  # noqa: E402
from kiosk.ui.screens.journey import FormScreen  # noqa: E402
from tests.ui.helpers import wait_for_screen, wait_until  # noqa: E402
from tests.ui.journey import at_ready  # noqa: E402

SWIPE = "%B7012340000001027^GIFT/CARD^2812101000000000?;7012340000001027=28121010000000000?"
BURSTS = {
    "number Tab code (20 keys)": ["7", "0", "1", "2", "3", "4", "0", "0", "0", "0", "0", "0", "1", "0", "2", "7",
                                  "tab", "2", "6", "9"],
    "stripe swipe + Enter (83 keys)": [*SWIPE, "enter"],
}


async def one(name: str, keys: list[str]) -> float:
    from kiosk.runtime import demo_runtime

    runtime = demo_runtime(Path(tempfile.mkdtemp()), otp_window=300)
    app = KioskApp(runtime)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await at_ready(pilot)
            await pilot.press("g")
            await wait_for_screen(pilot, FormScreen)
            start = time.perf_counter()
            for key in keys:
                event = events.Key(key, key if len(key) == 1 else None)
                event.set_sender(app)
                app._driver.send_message(event)
            field, want = ("#card", "7012340000001027") if "swipe" in name else ("#code", "269")
            await wait_until(pilot, lambda: app.screen.query_one(field).value == want, timeout=60, what="burst applied")
            return time.perf_counter() - start
    finally:
        runtime.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    for name, keys in BURSTS.items():
        times = [asyncio.run(one(name, keys)) for _ in range(args.repeat)]
        median = statistics.median(times)
        print(f"{name:32} median {median * 1000:7.1f} ms   {median / len(keys) * 1000:5.2f} ms/key   "
              f"max {max(times) * 1000:7.1f} ms   ({args.repeat} runs)")


if __name__ == "__main__":
    main()
