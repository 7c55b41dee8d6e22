"""Messages of the other back ends' journeys (gift cards, SDK.finance, Flexiti).

As with kiosk.ui.messages: a screen posts what the cashier asked for, the app hands it to the
current visit's flow (kiosk.ui.flows), which runs the desk's call in a worker the app owns
and turns the answer into the next screen. Every message is a typed dataclass: a flow
matches on its type, never on a name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from textual.message import Message


class ChooseBackend(Message):
    """Ready -> the back-end chooser."""


@dataclass(eq=False)
class StartJourney(Message):
    """Start a visit with this back end ("rapyd", "pospointe", "sdkfinance", "flexiti")."""

    backend: str


# --- what a flow's screens ask for (the app passes each to the current flow) -----------------


@dataclass(eq=False)
class FlowMessage(Message):
    """Base of every request a flow's screens post."""


@dataclass(eq=False)
class EndVisit(FlowMessage):
    """Leave the visit (its session closed first) and go back to ready."""


@dataclass(eq=False)
class StartAgain(FlowMessage):
    """The same back end from its first screen (after a look-up that found nothing)."""


@dataclass(eq=False)
class BackToMenu(FlowMessage):
    """The visit's menu (or its first screen when nobody is identified yet)."""


@dataclass(eq=False)
class AmountTyped(FlowMessage):
    text: str


@dataclass(eq=False)
class Confirmed(FlowMessage):
    """The confirm screen's Enter: move the money."""


@dataclass(eq=False)
class ActionChosen(FlowMessage):
    """One of the desk's actions: a gift card's sell / reload / redeem, an SDK.finance coin's
    topup / withdrawal, a Flexiti deposit / instore_payment."""

    action: str


# gift cards
@dataclass(eq=False)
class CardTyped(FlowMessage):
    card: str
    code: str


@dataclass(eq=False)
class ShowBatch(FlowMessage):
    pass


@dataclass(eq=False)
class CloseBatch(FlowMessage):
    pass


@dataclass(eq=False)
class ChangeCardStatus(FlowMessage):
    blocked: bool


@dataclass(eq=False)
class CardStatusTyped(FlowMessage):
    supervisor: str
    reason: str


# SDK.finance
@dataclass(eq=False)
class WalletSignIn(FlowMessage):
    login: str
    password: str


@dataclass(eq=False)
class WalletCode(FlowMessage):
    otp: str


@dataclass(eq=False)
class CoinChosen(FlowMessage):
    serial: str


# Flexiti
@dataclass(eq=False)
class FindAccount(FlowMessage):
    account: str


@dataclass(eq=False)
class ScanLicence(FlowMessage):
    """Show the licence form."""


@dataclass(eq=False)
class LicenceScanned(FlowMessage):
    scan: str


@dataclass(eq=False)
class AccountChosen(FlowMessage):
    account: str


@dataclass(eq=False)
class VerifyWith(FlowMessage):
    format: str


@dataclass(eq=False)
class VerifyTyped(FlowMessage):
    answer: str = ""
    supervisor: str = ""


@dataclass(eq=False)
class PinTyped(FlowMessage):
    pin: str


@dataclass(eq=False)
class PinAgain(FlowMessage):
    pass


# --- what the app's workers report back ---------------------------------------------------------


@dataclass(eq=False)
class DeskAnswered(Message):
    """A desk call finished: `then(value)` shows what comes next (on the UI thread)."""

    step: str
    value: Any
    then: Callable[[Any], None]


@dataclass(eq=False)
class DeskFailed(Message):
    step: str
    error: Any  # a TellerError
    visit: Any = None
