"""One UI flow per back end: the Rapyd wallet (flows.wallet, started by StartVisit; its
screens post kiosk.ui.messages, which the app routes to it), gift cards, SDK.finance wallets,
Flexiti. The app holds the current flow (`app.flow`) and the visit (`app.visit`), and hands
every kiosk.ui.journey_messages.FlowMessage to the flow.

This package's own module is light on purpose: the ready screen asks it which back ends are
enabled at start-up, and each flow (with its screens) is imported only when a visit needs it."""

from __future__ import annotations

import importlib
from functools import partial
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kiosk.ui.flows.base import Flow
    from kiosk.ui.screens.journey import MenuScreen

# Each back end's flow (the wallet's is started by StartVisit), imported when its first visit starts.
FLOWS = {"pospointe": "giftcard.GiftCardFlow", "sdkfinance": "sdkwallet.SdkWalletFlow", "flexiti": "flexiti.FlexitiFlow"}


def flow_class(backend: str) -> type[Flow]:
    module, name = FLOWS[backend].split(".")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


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

    return flow_class(backend)(app, journeys.desk(app.teller, backend))


def chooser(backends: list[str]) -> MenuScreen:
    from rich.text import Text

    from kiosk.ui import messages as m
    from kiosk.ui.journey_messages import StartJourney
    from kiosk.ui.screens.journey import Key, MenuScreen

    body = Text("Choose the system that serves this customer.\n\n")
    for n in backends:
        body.append(f"{NAMES[n]}\n")
    keys = [Key(KEYS[n], SHORT[n], partial(StartJourney, n)) for n in backends]
    keys.append(Key("escape", "Back to ready", m.BackToReady))
    return MenuScreen("New visit · which back end?", body, keys)
