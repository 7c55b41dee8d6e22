"""Messages of the other back ends' journeys (gift cards, SDK.finance, Flexiti).

As with kiosk.ui.messages: screens post a request, the app (kiosk.ui.journeys, mixed into
KioskApp) runs the desk's call in a worker it owns and posts the result back."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from textual.message import Message


class ChooseBackend(Message):
    """Ready -> the back-end chooser."""


@dataclass(eq=False)
class StartJourney(Message):
    """Start a visit with this back end ("rapyd", "pospointe", "sdkfinance", "flexiti")."""

    backend: str


@dataclass(eq=False)
class JourneyRequest(Message):
    """A screen asks for a step of the current journey: `name` says which (e.g. "card",
    "action", "amount", "confirm", "verify"), `data` carries what the cashier typed."""

    name: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(eq=False)
class JourneyStep(Message):
    """A worker finished step `name`; `value` is what it returned."""

    name: str
    value: Any = None


@dataclass(eq=False)
class JourneyFailed(Message):
    name: str
    error: Any  # a TellerError
    visit: Any = None
