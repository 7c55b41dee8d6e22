"""The cashier's screens (Textual).

Textual draws a changed screen on its next frame, and a screen just shown settles a whole frame
after it was shown: at Textual's default of 60 frames a second, 17 ms of every step change.
The kiosk asks for 120 (TEXTUAL_FPS, Textual's own setting, read once when Textual is first
imported; a till's environment may still set another): a step settles and a typed key shows up
to 8 ms sooner (bench/bench_journey.py `screens`). A screen is drawn only when something on it
changed, so an idle till draws no more than before."""

import os

os.environ.setdefault("TEXTUAL_FPS", "120")
