"""What a desk tells the recovery engine (kiosk.teller.recovery) about its visits: only what
differs between back ends. The engine owns the rest, the same for every desk: the drawer's
outcome (cash confirmed / not handed / suspect), the receipt's reprint, the session's close,
forgetting sealed details, and handing a visit to a supervisor or to a person at the host.

Read as a row of DESIGN.md's recovery table: after a stop, the last step known to have
happened decides; a desk names its own steps where they differ ("REQUEST_CREATED" is the
SDK.finance wallet's "HOST_OK"), the outbox actions that settle a lost answer or give an
applied withdrawal's money back, and the cashier's words for each outcome.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping

from kiosk.journal import store as states
from kiosk.teller.steps import Step

#: the cashier's words for each outcome, where a desk does not say its own
WORDS: Mapping[str, str] = {
    "completed": "cash confirmed before the stop: completed",
    "given_back": "already reversed",
    "giving_back": "money to be given back at the host",
    "not_handed": "withdrawal applied, cash never paid out: to be given back",
    "kept?": "deposit applied, drawer never opened: suspect",
    "settle": "host outcome unknown: settled with the host",
    "confirming": "cash moved: the host is told",
    "abandoned": "stopped before any money moved: abandoned",
    "cancel": "applied at the host, no cash handed over: escalated",
}


@dataclass(frozen=True)
class RecoveryTable:
    """One back end's rows of the recovery table."""

    cash_in: frozenset[str]  # journey kinds whose cash comes in: a count decides, never a give-back
    reprint: Callable[[str], None]  # print the visit's receipt again, marked COPY
    settle: str  # outbox action that learns a lost host answer
    give_back: str = ""  # outbox action giving an applied withdrawal's money back; "" none: a person
    applied: str = Step.HOST_OK  # the step that says the host applied the movement
    giving_back: tuple[str, ...] = ()  # steps that say the give-back is under way (beside CASH_NOT_HANDED)
    given_back: tuple[str, str] = (Step.REVERSED, states.REVERSED)  # the step saying it was given back, its state
    confirm_at_host: tuple[str, str] = ("", "")  # (step, action) the host must still do after the cash moved
    refused_by: frozenset[str] = frozenset()  # a last step answering HOST_SENT (a wrong PIN): nothing moved
    keyed: bool = False  # compensations carry the idempotency value of the call they repeat
    session: bool = False  # a host session to close at the end (the Rapyd wallet's)
    gives_back_deposits: bool = False  # a count of "not kept" gives a deposit back too (a request declined)
    cancel_with: str = ""  # who a person asks to cancel an applied payment with no give-back call
    not_kept: str = "cash not moved: the host must correct it"  # a count's words when nothing can be given back
    not_kept_action: str = "correction"  # the ESCALATED row's action for it
    ended_by: tuple[tuple[str, str, str], ...] = ()  # other visits' (step, words, final state): a card's status
    asked_by: tuple[tuple[str, str, str], ...] = ()  # other visits' (step sent, outbox action, words)
    words: Mapping[str, str] = field(default_factory=dict)

    def say(self, outcome: str) -> str:
        return self.words.get(outcome) or WORDS[outcome]
