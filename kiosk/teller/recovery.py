"""Finishing what a crash, a power cut or a lost answer left open (DESIGN.md's recovery table).

On every start, and on `kiosk recover`, each visit that did not reach its end is read back
from the journal and resolved from the last step that is known to have happened:

| stopped at                              | action                                               |
| --------------------------------------- | ---------------------------------------------------- |
| session asked for, never confirmed      | abandoned (no session is known to close)             |
| session open / INTENT, nothing sent     | abandoned; session closed                            |
| HOST_SENT / HOST_UNKNOWN                | re-send with the same idempotency value ("settle")   |
|   -> applied withdrawal, no cash moved  |   Reverse Withdrawal through the outbox              |
|   -> applied deposit                    |   suspect: was the cash kept? a supervisor counts    |
|   -> refused                            |   declined; session closed                           |
| HOST_OK, drawer never kicked            | withdrawal: reversed; deposit: suspect                |
| drawer kicked, cash not confirmed       | suspect: cash movements locked until resolved        |
| cash not handed / reversal unanswered   | Reverse Withdrawal re-sent with the same value       |
| cash confirmed, receipt unknown         | receipt reprinted, marked COPY                       |
| session not closed                      | closed (a session the host no longer knows is closed)|

Compensations go through the outbox (journal table `outbox`), which re-sends each with
bounded exponential backoff and jitter until it is acknowledged, and escalates it (shown on
the ready screen) when it cannot be: e.g. the host session has expired, so a reversal needs
the wallet provider's help.
"""

from __future__ import annotations

import logging
import random
import time
from typing import TYPE_CHECKING, Any, Collection

from kiosk.backends.base import BackendError, HostUnreachable, OutcomeUnknown, SessionRejected, WalletSession
from kiosk.journal import store as states
from kiosk.money import Money, parse_amount
from kiosk.desks import base as desks
from kiosk.desks.base import NeedsAPerson, Resolution, forget_when_done
from kiosk.teller.visit import TellerError

if TYPE_CHECKING:
    from kiosk.teller.teller import Teller

log = logging.getLogger("kiosk.teller.recovery")

# Outbox pacing: first retry after BASE s, doubling to CAP, full jitter; escalate after
# MAX_ATTEMPTS failed sends (the item stays in the outbox and can be retried by hand).
BASE, CAP, MAX_ATTEMPTS = 2.0, 300.0, 12


def session_of(teller: Teller, visit_id: str) -> WalletSession | None:
    sealed = teller.journal.unseal(visit_id)
    if not sealed or "token_id" not in sealed:  # none, or another journey's details (kiosk.desks)
        return None
    return WalletSession(sealed["token_id"], sealed["operation_id"], sealed["phone"])


def close_session(teller: Teller, visit_id: str, session: WalletSession | None) -> bool:
    """Log out; True when the host has no open session under this token any more."""
    journal = teller.journal
    if session is None:
        session = session_of(teller, visit_id)
    if session is None:
        journal.record(visit_id, "SESSION_CLOSE_FAILED", code="NO_SESSION_HEADERS")
        return False
    try:
        teller.backend.close_session(session, idempotency=f"close-{visit_id}")
    except SessionRejected:
        pass  # closed or expired at the host already: nothing is open
    except BackendError as exc:
        journal.record(visit_id, "SESSION_CLOSE_FAILED", code=exc.code)
        log.warning("visit %s: session not closed (%s); queued", visit_id[:8], exc.code)
        if not desks.queued(teller, visit_id, "close_session"):
            journal.enqueue(visit_id, "close_session", {}, at=time.time() + BASE)
        return False
    journal.record(visit_id, "SESSION_CLOSED")
    forget_when_done(teller, visit_id)
    return True


def recover(teller: Teller) -> list[Resolution]:
    """Resolve every unfinished visit, then run the outbox once. Safe to run again. Refused
    (JOURNAL_BROKEN) on a journal that failed its check: its rows cannot be trusted to say
    what a visit did."""
    teller.require_trusted_journal()
    done: list[Resolution] = []
    for visit in teller.journal.visits(state=states.PENDING):
        try:
            done.append(_recover_visit(teller, visit.visit_id))
        except TellerError as exc:  # e.g. a reprint while the printer is out of paper
            done.append(Resolution(visit.visit_id, f"left pending: {exc.message}", states.PENDING))
    run_outbox(teller, force=True)
    _tidy_finished(teller)
    # Report each visit's state after the outbox ran (a settle may have resolved it).
    return [Resolution(r.visit_id, r.action, _state(teller, r.visit_id)) for r in done]


def _tidy_finished(teller: Teller) -> None:
    """A visit whose final row was written just before a stop may still hold an open host
    session and its sealed details: close the one, erase the other."""
    journal = teller.journal
    for visit_id in journal.sealed_visits():
        visit = journal.visit(visit_id)
        if visit is None or visit.state == states.PENDING or (visit.state == states.SUSPECT and visit.resolution is None):
            continue
        if desks.owns_kind(visit.kind):  # a gift card token or a Flexiti PIN: no session to close
            forget_when_done(teller, visit_id)
            continue
        if "SESSION_CLOSED" not in {row.step for row in journal.rows(visit_id)} and not desks.queued(teller, visit_id, "close_session"):
            close_session(teller, visit_id, None)
        forget_when_done(teller, visit_id)


def _state(teller: Teller, visit_id: str) -> str:
    visit = teller.journal.visit(visit_id)
    return visit.state if visit else "unknown"


def _recover_visit(teller: Teller, visit_id: str) -> Resolution:
    visit = teller.journal.visit(visit_id)
    assert visit is not None
    handled = _desk_recovers(teller, visit_id, visit.kind)  # gift card, SDK.finance, Flexiti: their desk's table
    return handled if handled is not None else recover_wallet_visit(teller, visit_id)


def recover_wallet_visit(teller: Teller, visit_id: str) -> Resolution:
    """The Rapyd wallet's table (the module docstring's): what to do after its last step."""
    journal = teller.journal
    rows = list(journal.rows(visit_id))
    steps = [row.step for row in rows]
    has = set(steps).__contains__
    visit = journal.visit(visit_id)
    assert visit is not None

    def finish(action: str, state: str | None = None, step: str = "RECOVERED") -> Resolution:
        summary = {"state": state} if state else {}
        journal.record(visit_id, step, action=action, summary=summary)
        forget_when_done(teller, visit_id)
        return Resolution(visit_id, action, state or visit.state)

    if has("COMPLETED"):
        return finish("already completed", states.COMPLETED)
    if has("CASH_CONFIRMED"):
        after_cash = steps[steps.index("CASH_CONFIRMED") :]
        if not {"RECEIPT_PRINTED", "RECEIPT_UNKNOWN", "RECEIPT_NOT_PRINTED"} & set(after_cash) or "RECEIPT_UNKNOWN" in after_cash:
            _reprint(teller, visit_id)
        if not has("SESSION_CLOSED"):
            close_session(teller, visit_id, None)
        return finish("cash confirmed before the stop: completed", states.COMPLETED, "COMPLETED")
    if has("REVERSED"):
        if not has("SESSION_CLOSED"):
            close_session(teller, visit_id, None)
        return finish("already reversed", states.REVERSED)
    if has("CASH_NOT_HANDED") or has("REVERSAL_SENT"):
        key = _last(rows, "REVERSAL_SENT", "idempotency")
        _queue(teller, visit_id, "reverse", key)
        return Resolution(visit_id, "reversal re-sent", states.PENDING)
    if has("SUSPECT"):
        return finish("already suspect", states.SUSPECT)
    if has("DRAWER_KICKED"):
        return finish("drawer opened but cash not confirmed: suspect", states.SUSPECT, "SUSPECT")
    if has("HOST_OK"):
        if visit.kind == "withdraw":
            _not_handed(teller, visit_id, "stopped before the drawer opened")
            return Resolution(visit_id, "withdrawal applied, cash never paid out: reversal queued", states.PENDING)
        return finish("deposit applied, drawer never opened: suspect", states.SUSPECT, "SUSPECT")
    if has("HOST_DECLINED"):
        if not has("SESSION_CLOSED"):
            close_session(teller, visit_id, None)
        return finish("declined", states.DECLINED)
    if has("HOST_SENT"):
        _queue(teller, visit_id, "settle", _last(rows, "INTENT", "idempotency"))
        return Resolution(visit_id, "host outcome unknown: re-sent with the same key", states.PENDING)
    if has("SESSION_OPENED"):
        close_session(teller, visit_id, None)
        return finish("stopped before any money moved: abandoned", states.ABANDONED, "CANCELLED")
    return finish("session never confirmed: abandoned", states.ABANDONED, "CANCELLED")


def _last(rows, step: str, key: str):
    for row in reversed(rows):
        if row.step == step and key in row.data:
            return row.data[key]
    return None


def _not_handed(teller: Teller, visit_id: str, reason: str, **data) -> None:
    """The withdrawal was applied and its cash never left the drawer: say so and queue the
    reversal in one durable step (a stop between the two would forget the reversal)."""
    outbox = [] if desks.queued(teller, visit_id, "reverse") else [("reverse", {"idempotency": f"reverse-{visit_id}"})]
    teller.journal.record(visit_id, "CASH_NOT_HANDED", reason=reason, outbox=outbox, **data)


def _queue(teller: Teller, visit_id: str, action: str, key: str | None) -> None:
    if not desks.queued(teller, visit_id, action):
        teller.journal.enqueue(visit_id, action, {"idempotency": key or f"{action}-{visit_id}"})


def _reprint(teller: Teller, visit_id: str) -> None:
    """The receipt of a completed visit may not have printed: print it again as a COPY."""
    from drivers.base import PrintOutcome

    from kiosk.teller.visit import Stage, Visit, VisitKind

    summary = teller.journal.visit(visit_id)
    if summary is None or not summary.amount or not summary.kind or not summary.currency:
        return
    last4 = _last(list(teller.journal.rows(visit_id)), "SESSION_OPEN_SENT", "phone_last4") or "????"
    visit = Visit(
        visit_id=visit_id,
        phone_masked="•••• " + last4,
        kind=VisitKind(summary.kind),
        amount=parse_amount(summary.amount, summary.currency),
        transaction_id=summary.transaction_id or "",
        stage=Stage.CASH_DONE,
    )
    if teller.printer_ready():
        outcome = teller.print_visit_receipt(visit, copy=True)
        if outcome is PrintOutcome.PRINTED:
            teller.last_receipt_visit = visit


# --- the outbox --------------------------------------------------------------------------------


def run_outbox(
    teller: Teller, *, force: bool = False, now: float | None = None, backends: Collection[str] | None = None
) -> int:
    """Send every due compensation once (and those that sending them queued, e.g. a reversal
    after a settle); returns how many are still pending. With `backends`, only the items of
    those back ends are sent (the ones that answer: the others' wait, they stall nobody).
    Nothing is sent while the journal is untrusted: the compensations wait for the
    supervisor's reseal."""
    if teller.journal.broken or teller.journal.changed_behind_our_back():
        return len(teller.journal.compensations())
    tried: set[int] = set()
    while True:
        due_by = None if force else (time.time() if now is None else now)
        items = [
            c for c in teller.journal.compensations(due_by=due_by)
            if c.id not in tried and (backends is None or desks.backend_of(c.action) in backends)
        ]
        if not items:
            return len(teller.journal.compensations())
        for item in items:
            tried.add(item.id)
            try:
                _send(teller, item)
            except (OutcomeUnknown, HostUnreachable) as exc:
                _postpone(teller, item, exc.message)
            except BackendError as exc:
                _escalate(teller, item, exc.message)
            else:
                teller.journal.update_compensation(item.id, state="done", attempts=item.attempts + 1, next_at=time.time())
                forget_when_done(teller, item.visit_id)


def _postpone(teller: Teller, item, error: str) -> None:
    attempts = item.attempts + 1
    if attempts >= MAX_ATTEMPTS:
        _escalate(teller, item, error)
        return
    pause = random.uniform(0, min(CAP, BASE * 2**attempts))
    teller.journal.update_compensation(item.id, state="pending", attempts=attempts, next_at=time.time() + pause, error=error)


def _escalate(teller: Teller, item, error: str) -> None:
    teller.journal.update_compensation(item.id, state="escalated", attempts=item.attempts + 1, next_at=time.time(), error=error)
    teller.journal.record(item.visit_id, "ESCALATED", action=item.action, reason=error)
    log.error("visit %s: %s could not be completed and needs a person: %s", item.visit_id[:8], item.action, error)


def escalations(teller: Teller) -> list:
    return teller.journal.compensations(states=("escalated",))


def _send(teller: Teller, item) -> None:
    """Send one compensation; raises a BackendError when it was not acknowledged."""
    if not _desk_sends(teller, item):  # an item of another journey is sent by its desk
        send_wallet_item(teller, item)


def send_wallet_item(teller: Teller, item: Any) -> None:
    """Send one of the Rapyd wallet's compensations (settle, reverse, close_session)."""
    journal = teller.journal
    visit = journal.visit(item.visit_id)
    session = session_of(teller, item.visit_id)
    if item.action == "close_session":
        if session is not None:
            try:
                teller.backend.close_session(session, idempotency=f"close-{item.visit_id}")
            except SessionRejected:
                pass  # the host has nothing open under this token
            journal.record(item.visit_id, "SESSION_CLOSED")
        return
    if session is None:
        raise NeedsAPerson("The session details for this visit are gone; it needs a person.")
    amount = parse_amount(visit.amount, visit.currency)
    key = item.payload["idempotency"]
    if item.action == "settle":
        _settle(teller, item.visit_id, visit, session, amount, key)
    elif item.action == "reverse":
        _reverse(teller, item.visit_id, visit, session, amount, key)
    else:  # pragma: no cover - only the three actions are ever queued
        raise ValueError(item.action)


def _settle(teller: Teller, visit_id: str, visit, session: WalletSession, amount: Money, key: str) -> None:
    """Learn whether the host applied a money call whose answer was lost, by re-sending it
    with the same idempotency value."""
    journal = teller.journal
    steps = {row.step for row in journal.rows(visit_id)}
    if "HOST_OK" in steps or "HOST_DECLINED" in steps:
        # An earlier run learned the outcome and stopped before marking this item done.
        if "HOST_OK" in steps:
            _after_late_success(teller, visit_id, visit, steps)
        return
    journal.record(visit_id, "HOST_RESENT", attempt="outbox")
    try:
        if visit.kind == "withdraw":
            receipt = teller.backend.withdraw(session, visit.account_id, amount, idempotency=key)
        else:
            receipt = teller.backend.deposit(session, amount, idempotency=key)
    except (OutcomeUnknown, HostUnreachable):
        raise
    except BackendError as exc:
        # A refusal of the re-sent call: the first one was never applied (else the host
        # would have replayed its success).
        journal.record(visit_id, "HOST_DECLINED", code=exc.code, summary={"state": states.DECLINED})
        close_session(teller, visit_id, session)
        return
    journal.record(visit_id, "HOST_OK", transaction_id=receipt.transaction_id, summary={"transaction_id": receipt.transaction_id})
    _after_late_success(teller, visit_id, journal.visit(visit_id), {"HOST_OK"})


def _after_late_success(teller: Teller, visit_id: str, visit, steps: set[str]) -> None:
    """The host applied a call whose answer came after the visit ended: a withdrawal's cash
    never left the drawer (give the money back); a deposit's cash may or may not have been
    kept (a supervisor counts)."""
    if visit.kind == "withdraw":
        if "REVERSED" not in steps and "CASH_NOT_HANDED" not in steps:
            _not_handed(teller, visit_id, "host answer came after the visit ended")
    elif visit.state == states.PENDING:
        teller.journal.record(
            visit_id, "SUSPECT", reason="deposit applied after the visit ended", summary={"state": states.SUSPECT}
        )


def _reverse(teller: Teller, visit_id: str, visit, session: WalletSession, amount: Money, key: str) -> None:
    journal = teller.journal
    if not visit.transaction_id:
        raise NeedsAPerson("The withdrawal's transaction id is unknown; it needs a person.")
    if any(row.step == "REVERSED" for row in journal.rows(visit_id)):
        # Acknowledged before a stop that came ahead of marking this item done.
        if visit.state == states.REVERSED:
            close_session(teller, visit_id, session)
        return
    journal.record(visit_id, "REVERSAL_SENT", idempotency=key, transaction_id=visit.transaction_id)
    receipt = teller.backend.reverse_withdrawal(session, visit.account_id, amount, visit.transaction_id, idempotency=key)
    journal.record(visit_id, "REVERSED", reversal_id=receipt.transaction_id, summary={"state": states.REVERSED})
    teller.shifts.note_reversal(amount)
    close_session(teller, visit_id, session)


# --- the desks' own tables and compensations -------------------------------------------------------


def _desk_recovers(teller: Teller, visit_id: str, kind: str | None) -> Resolution | None:
    """None when the visit is Rapyd's; else what the journey's desk did with it."""
    prefix = desks.prefix_of(kind)
    if prefix is None:
        return None
    try:
        return desks.desk_for(teller, prefix).recover_visit(visit_id)
    except desks.BackendNotConfigured as exc:
        return Resolution(visit_id, f"left pending: {exc}", states.PENDING)


def _desk_sends(teller: Teller, item: Any) -> bool:
    """Send one outbox item of a journey; False when the item is Rapyd's. Raises a BackendError
    when it was not acknowledged (the outbox postpones or escalates it)."""
    prefix = desks.prefix_of(item.action)
    if prefix is None:
        return False
    try:
        desk_ = desks.desk_for(teller, prefix)
    except desks.BackendNotConfigured as exc:
        raise NeedsAPerson(str(exc)) from None
    desk_.send(item)
    return True


def _desk_resolves(teller: Teller, visit_id: str, kind: str | None, *, cash_moved: bool, supervisor: str) -> str | None:
    prefix = desks.prefix_of(kind)
    if prefix is None:
        return None
    try:
        return desks.desk_for(teller, prefix).resolve_suspect(visit_id, cash_moved=cash_moved, supervisor=supervisor)
    except desks.BackendNotConfigured as exc:
        raise TellerError("BACKEND_NOT_ENABLED", str(exc)) from None


# --- a supervisor resolves a suspect visit ------------------------------------------------------


def resolve_suspect(teller: Teller, visit_id: str, *, cash_moved: bool, supervisor: str) -> str:
    """After counting the drawer, a supervisor says whether the cash of a suspect visit
    moved (paid out / put in). Returns the visit's state afterwards. For every back end: its
    compensation moves money, so not on an untrusted journal."""
    teller.require_trusted_journal()
    journal = teller.journal
    visit = journal.visit(visit_id)
    if visit is None or visit.state != states.SUSPECT or visit.resolution is not None:
        raise TellerError("NOT_SUSPECT", "That visit is not waiting for a supervisor.")
    other = _desk_resolves(teller, visit_id, visit.kind, cash_moved=cash_moved, supervisor=supervisor)
    if other is not None:
        return other
    return resolve_wallet_suspect(teller, visit_id, cash_moved=cash_moved, supervisor=supervisor)


def resolve_wallet_suspect(teller: Teller, visit_id: str, *, cash_moved: bool, supervisor: str) -> str:
    """A supervisor's count of a suspect Rapyd wallet visit (checked as suspect by the caller)."""
    journal = teller.journal
    visit = journal.visit(visit_id)
    assert visit is not None
    amount = parse_amount(visit.amount, visit.currency)
    applied = bool(visit.transaction_id)
    # Each resolution is one row that carries its whole effect (the cash counted into the
    # shift, or the reversal queued), so a stop right after it loses nothing.
    if cash_moved:
        delta = amount.amount if visit.kind == "deposit" else -amount.amount
        journal.record(
            visit_id,
            "SUSPECT_RESOLVED",
            counted="cash moved",
            supervisor=supervisor,
            cash_delta=f"{delta:f}",
            summary={"resolution": "cash moved", "cash_delta": f"{delta:f}", "state": states.COMPLETED},
        )
        teller.shifts.note_cash(amount.currency, amount, paid_in=visit.kind == "deposit")
        close_session(teller, visit_id, None)
        return states.COMPLETED
    if visit.kind == "withdraw" and applied:
        journal.record(
            visit_id,
            "SUSPECT_RESOLVED",
            counted="cash not moved",
            supervisor=supervisor,
            summary={"resolution": "cash not moved"},
            outbox=[] if desks.queued(teller, visit_id, "reverse") else [("reverse", {"idempotency": f"reverse-{visit_id}"})],
        )
        run_outbox(teller, force=True)
        return _state(teller, visit_id)
    # A deposit credited whose cash was not kept cannot be undone through this API.
    journal.record(
        visit_id,
        "SUSPECT_RESOLVED",
        counted="cash not moved",
        supervisor=supervisor,
        escalated="deposit credited but the cash was not kept: needs the wallet provider",
        summary={"resolution": "cash not moved: wallet credited, needs the wallet provider"},
    )
    close_session(teller, visit_id, None)
    return states.SUSPECT
