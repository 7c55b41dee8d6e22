"""The app's side of sign-in: the gate (sign-in screen) at start and after a sign-out, the
idle lock, and keeping the journey going behind the gate.

While the gate is up, the app's workers carry on (a visit in flight is never abandoned):
the screens they would show are held (`hold`) and the latest is shown once someone signs
in; the visit's cashier resumes it, or a supervisor takes it over (the Guard decides who may).
Nothing here runs unless the teller has a Guard (auth.required)."""

from __future__ import annotations

import time
from typing import Any

from textual.screen import Screen

# The sign-in and approval screens are imported when first shown: a till without sign-in
# (auth.required off) never loads them, and none is needed before the first screen.
_HELD = "_auth_held_screen"


def guard_of(app: Any):
    return getattr(getattr(app, "teller", None), "guard", None)


def gate_up(app: Any) -> bool:
    from kiosk.ui.screens.signin import SignInScreen

    return any(isinstance(s, SignInScreen) for s in app.screen_stack)


def install(app: Any) -> None:
    """On mount: with sign-in on, the gate goes up first and the idle timer starts."""
    guard = guard_of(app)
    app.last_activity = time.monotonic()
    if guard is None:
        return
    settings = getattr(app.runtime, "settings", None)
    idle_minutes = float(getattr(getattr(settings, "auth", None), "idle_minutes", 5.0) or 5.0)
    app.idle_seconds = idle_minutes * 60
    if guard.user is None:
        _raise_gate(app, "start")
    app.set_interval(max(0.5, min(15.0, app.idle_seconds / 10)), lambda: check_idle(app))


def note_activity(app: Any) -> None:
    app.last_activity = time.monotonic()


def check_idle(app: Any, now: float | None = None) -> bool:
    """Lock the screen when nobody pressed a key for auth.idle_minutes. True when it locked."""
    guard = guard_of(app)
    if guard is None or guard.user is None or gate_up(app):
        return False
    now = time.monotonic() if now is None else now
    if now - getattr(app, "last_activity", now) < getattr(app, "idle_seconds", 300.0):
        return False
    lock(app)
    return True


def lock(app: Any) -> None:
    guard = guard_of(app)
    if guard is None or guard.user is None or gate_up(app):
        return
    visit_id = visit_in_flight(app)
    guard.lock(visit_id=visit_id)
    _raise_gate(app, "locked", owner=guard.user.name, visit_id=visit_id)


def sign_out(app: Any) -> None:
    """From the ready screen: only between visits."""
    guard = guard_of(app)
    if guard is None or gate_up(app):
        return
    if getattr(app, "visit", None) is not None or bool(getattr(app, "busy", "")):
        app.notify("Finish the visit first.", severity="warning")
        return
    guard.sign_out()
    _raise_gate(app, "signed-out")


def hold(app: Any, screen: Screen) -> bool:
    """Called by app.show(): while the gate is up, keep the next step's screen for later."""
    if not gate_up(app):
        return False
    setattr(app, _HELD, screen)
    return True


def step_screen(app: Any) -> Screen:
    """The journey's current screen, even behind the gate (the held one if any)."""
    from kiosk.ui.screens.signin import SignInScreen

    held = getattr(app, _HELD, None)
    if held is not None:
        return held
    for screen in reversed(app.screen_stack):
        if not isinstance(screen, SignInScreen):
            return screen
    return app.screen


def visit_in_flight(app: Any) -> str | None:
    """The id of the visit in flight (`app.visit`, whatever its back end)."""
    visit = getattr(app, "visit", None)
    if visit is not None and _in_flight(visit):
        return visit.visit_id
    return None


def _in_flight(visit: Any) -> bool:
    stage = getattr(getattr(visit, "stage", None), "value", "")
    return stage not in ("completed", "failed", "cancelled", "reversed")


def _raise_gate(app: Any, mode: str, *, owner: str = "", visit_id: str | None = None) -> None:
    from kiosk.ui.screens.signin import SignInScreen

    guard = guard_of(app)
    settings = getattr(app.runtime, "settings", None)
    store = str(getattr(getattr(settings, "store", None), "name", "") or "")
    app.push_screen(SignInScreen(guard, mode=mode, owner=owner, visit_id=visit_id, store=store), lambda name: _signed_in(app, name))


def _signed_in(app: Any, name: str | None) -> None:
    note_activity(app)
    held = getattr(app, _HELD, None)
    setattr(app, _HELD, None)
    if held is not None:
        app.show(held)
    refresh_title(app)
    if name:
        app.notify(f"Signed in: {name}.")
    if hasattr(app, "refresh_status"):
        app.refresh_status()


def cashier_label(app: Any) -> str:
    guard = guard_of(app)
    if guard is None or guard.user is None:
        return ""
    return f"{guard.user.name} (L: sign out) · "  # first: a long till id may be cut at 80 columns


def refresh_title(app: Any) -> None:
    """Screens that show who is signed in (the ready screen's `show_title`) say it again. By
    duck type: the ready screen imports this module, not the other way round."""
    for screen in app.screen_stack:
        show_title = getattr(screen, "show_title", None)
        if callable(show_title):
            show_title()
