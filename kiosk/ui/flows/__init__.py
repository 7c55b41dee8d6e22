"""One UI flow per back end: the Rapyd wallet (flows.wallet, started by StartVisit; its
screens post kiosk.ui.messages, which the app routes to it), gift cards, SDK.finance wallets,
Flexiti. The app holds the current flow (`app.flow`) and the visit (`app.visit`), and hands
every kiosk.ui.journey_messages.FlowMessage to the flow."""

from __future__ import annotations

from functools import partial
from typing import Any

from rich.text import Text

from kiosk.ui import messages as m
from kiosk.ui.flows.base import Flow
from kiosk.ui.flows.flexiti import FlexitiFlow
from kiosk.ui.flows.giftcard import GiftCardFlow
from kiosk.ui.flows.sdkwallet import SdkWalletFlow
from kiosk.ui.journey_messages import StartJourney
from kiosk.ui.screens.journey import Key, MenuScreen

FLOWS: dict[str, type[Flow]] = {f.backend: f for f in (GiftCardFlow, SdkWalletFlow, FlexitiFlow)}

NAMES = {
    "rapyd": "Wallet (Rapyd): withdraw or deposit",
    "pospointe": "Gift card: balance, sell, reload, redeem",
    "sdkfinance": "SDK.finance wallet: top up or withdraw",
    "flexiti": "Flexiti account: deposit or in-store payment",
}
SHORT = {"rapyd": "Wallet", "pospointe": "Gift card", "sdkfinance": "SDK.finance", "flexiti": "Flexiti"}
KEYS = {"rapyd": "w", "pospointe": "g", "sdkfinance": "k", "flexiti": "f"}
TITLES = {"pospointe": "Gift card", "sdkfinance": "SDK.finance wallet", "flexiti": "Flexiti"}


def enabled_backends(app: Any) -> list[str]:
    """The back ends this till serves (backends.enabled), those whose desk could be built."""
    from kiosk.desks import base as journeys

    settings = getattr(app.runtime, "settings", None)
    wanted = list(getattr(getattr(settings, "backends", None), "enabled", None) or ["rapyd"])
    return [n for n in wanted if n == "rapyd" or journeys.desk(app.teller, n) is not None]


def new_flow(app: Any, backend: str) -> Flow:
    from kiosk.desks import base as journeys

    return FLOWS[backend](app, journeys.desk(app.teller, backend))


def chooser(backends: list[str]) -> MenuScreen:
    body = Text("Choose the system that serves this customer.\n\n")
    for n in backends:
        body.append(f"{NAMES[n]}\n")
    keys = [Key(KEYS[n], SHORT[n], partial(StartJourney, n)) for n in backends]
    keys.append(Key("escape", "Back to ready", m.BackToReady))
    return MenuScreen("New visit · which back end?", body, keys)
