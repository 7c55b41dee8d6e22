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
|   -> no call gives it back (Flexiti)    |   `<desk>_cancel` escalated: a person asks the host   |
| drawer kicked, cash not confirmed       | suspect: cash movements locked until resolved        |
| cash not handed / reversal unanswered   | Reverse Withdrawal re-sent with the same value       |
| cash confirmed, receipt unknown         | receipt reprinted, marked COPY                       |
| session not closed                      | closed (a session the host no longer knows is closed)|

This is the one engine for all four back ends: a desk gives only its rows (a RecoveryTable,
kiosk/desks/table.py: its step and compensation names and its words); the drawer's outcome,
the receipt, the session, the sealed details and the hand-off to a person are done here.

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
from kiosk.money import Money
from kiosk.desks import base as desks
from kiosk.desks.base import NeedsAPerson, Resolution, forget_when_done
from kiosk.desks.table import RecoveryTable
from kiosk.teller.steps import Step, WalletStep
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
    failure = log_out(teller, visit_id, session)
    with teller.journal.one_commit():  # the outcome and the sealed details erased
        closed = note_logout(teller, visit_id, failure)
        if closed:
            forget_when_done(teller, visit_id)
    return closed


NO_SESSION_HEADERS = "NO_SESSION_HEADERS"


def log_out(teller: Teller, visit_id: str, session: WalletSession | None) -> str:
    """Send the logout (nothing journalled): '' when the host has no open session under this
    token any more, else the code of why not."""
    if session is None:
        session = session_of(teller, visit_id)
    if session is None:
        return NO_SESSION_HEADERS
    try:
        teller.backend.close_session(session, idempotency=f"close-{visit_id}")
    except SessionRejected:
        pass  # closed or expired at the host already: nothing is open
    except BackendError as exc:
        log.warning("visit %s: session not closed (%s); queued", visit_id[:8], exc.code)
        return exc.code
    return ""


def note_logout(teller: Teller, visit_id: str, failure: str) -> bool:
    """Record what `log_out` answered (a session still open is queued to the outbox, which
    closes it later); rows only, so it may share a commit with the rows that end the visit."""
    journal = teller.journal
    if not failure:
        journal.record(visit_id, WalletStep.SESSION_CLOSED)
        return True
    journal.record(visit_id, WalletStep.SESSION_CLOSE_FAILED, code=failure)
    if failure != NO_SESSION_HEADERS and not desks.queued(teller, visit_id, "close_session"):
        journal.enqueue(visit_id, "close_session", {}, at=time.time() + BASE)
    return False


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
        if WalletStep.SESSION_CLOSED not in {row.step for row in journal.rows(visit_id)} and not desks.queued(teller, visit_id, "close_session"):
            close_session(teller, visit_id, None)
        forget_when_done(teller, visit_id)


def _state(teller: Teller, visit_id: str) -> str:
    visit = teller.journal.visit(visit_id)
    return visit.state if visit else "unknown"


def _recover_visit(teller: Teller, visit_id: str) -> Resolution:
    visit = teller.journal.visit(visit_id)
    assert visit is not None
    try:
        table = table_of(teller, visit.kind)
    except desks.BackendNotConfigured as exc:
        return Resolution(visit_id, f"left pending: {exc}", states.PENDING)
    return recover_visit(teller, visit_id, table)


def table_of(teller: Teller, kind: str | None) -> RecoveryTable:
    """The recovery table of the desk owning visits of `kind` (the Rapyd wallet's by default)."""
    prefix = desks.prefix_of(kind)
    if prefix is None:
        return wallet_table(teller)
    return desks.desk_for(teller, prefix).recovery


def wallet_table(teller: Teller) -> RecoveryTable:
    """The Rapyd wallet's rows (the module docstring's)."""
    return RecoveryTable(
        cash_in=frozenset({"deposit"}), reprint=lambda visit_id: _reprint(teller, visit_id), settle="settle",
        give_back="reverse", giving_back=(WalletStep.REVERSAL_SENT,), keyed=True, session=True,
        not_kept="cash not moved: wallet credited, needs the wallet provider",
        words={"giving_back": "reversal re-sent", "not_handed": "withdrawal applied, cash never paid out: reversal queued",
               "settle": "host outcome unknown: re-sent with the same key"},
    )


def recover_visit(teller: Teller, visit_id: str, table: RecoveryTable) -> Resolution:
    """The one engine: what to do after a visit's last known step. The desk's table answers
    only the back-end questions (which step says the host applied it, which compensation
    settles or gives back); the drawer, the receipt, the session and the hand-off to a person
    are done here, alike for every desk."""
    journal = teller.journal
    rows = list(journal.rows(visit_id))
    steps = [row.step for row in rows]
    has = set(steps).__contains__
    visit = journal.visit(visit_id)
    assert visit is not None
    say = table.say

    def end(action: str, state: str, step: str = Step.RECOVERED, close: bool = True) -> Resolution:
        if close and table.session and not has(WalletStep.SESSION_CLOSED):
            close_session(teller, visit_id, None)
        return desks.finish(teller, visit_id, action, state, step)

    if has(Step.COMPLETED):
        return desks.finish(teller, visit_id, "already completed", states.COMPLETED)
    if has(Step.CASH_CONFIRMED):
        confirm_step, confirm_action = table.confirm_at_host
        if confirm_step and not has(confirm_step):
            _queue(teller, visit_id, confirm_action, None, keyed=table.keyed)
            return Resolution(visit_id, say("confirming"), states.PENDING)
        after_cash = set(steps[steps.index(Step.CASH_CONFIRMED) :])
        if not {Step.RECEIPT_PRINTED, Step.RECEIPT_NOT_PRINTED} & after_cash or Step.RECEIPT_UNKNOWN in after_cash:
            table.reprint(visit_id)
        return end(say("completed"), states.COMPLETED, Step.COMPLETED)
    given_back, given_back_state = table.given_back
    if has(given_back):
        return end(say("given_back"), given_back_state)
    if has(Step.CASH_NOT_HANDED) or any(map(has, table.giving_back)):
        if not table.give_back:
            return _cancel_at_host(teller, visit_id, table, "stopped before the drawer opened")
        key = _last(rows, table.giving_back[0], "idempotency") if table.giving_back else None
        _queue(teller, visit_id, table.give_back, key, keyed=table.keyed)
        return Resolution(visit_id, say("giving_back"), states.PENDING)
    if has(Step.SUSPECT):
        return desks.finish(teller, visit_id, "already suspect", states.SUSPECT)
    if has(Step.DRAWER_KICKED):
        return desks.finish(teller, visit_id, "drawer opened but cash not confirmed: suspect", states.SUSPECT, Step.SUSPECT)
    if has(table.applied):
        return applied_after_visit(teller, visit_id, table, "stopped before the drawer opened")
    if has(Step.HOST_DECLINED):
        return end("declined", states.DECLINED)
    if has(Step.HOST_SENT) and steps[-1] not in table.refused_by:
        _queue(teller, visit_id, table.settle, _last(rows, Step.INTENT, "idempotency"), keyed=table.keyed)
        return Resolution(visit_id, say("settle"), states.PENDING)
    for step, words, state in table.ended_by:
        if has(step):
            return desks.finish(teller, visit_id, words, state)
    for step, action, words in table.asked_by:
        if has(step):
            _queue(teller, visit_id, action, None, keyed=False)
            return Resolution(visit_id, words, states.PENDING)
    if table.session and not has(WalletStep.SESSION_OPENED):
        return end("session never confirmed: abandoned", states.ABANDONED, Step.CANCELLED, close=False)
    return end(say("abandoned"), states.ABANDONED, Step.CANCELLED)


def applied_after_visit(teller: Teller, visit_id: str, table: RecoveryTable, reason: str) -> Resolution:
    """The host applied the movement and no drawer opened for it (a stop, or an answer that
    came after the visit ended): a withdrawal's cash never left the drawer, so its money is
    given back (or, with no call for it, a person asks the host); a deposit's cash may or may
    not have been kept, so a supervisor counts."""
    journal = teller.journal
    visit = journal.visit(visit_id)
    assert visit is not None
    steps = {row.step for row in journal.rows(visit_id)}
    if visit.kind not in table.cash_in:
        if not table.give_back:
            if visit.state != states.PENDING:  # handed to a person already
                return Resolution(visit_id, table.say("cancel"), visit.state)
            return _cancel_at_host(teller, visit_id, table, reason)
        if table.given_back[0] not in steps and Step.CASH_NOT_HANDED not in steps:
            desks.promise(teller, visit_id, Step.CASH_NOT_HANDED, table.give_back,
                          {"idempotency": f"{table.give_back}-{visit_id}"} if table.keyed else None, reason=reason)
        return Resolution(visit_id, table.say("not_handed"), states.PENDING)
    if visit.state == states.PENDING:
        journal.record(visit_id, Step.SUSPECT, action=table.say("kept?"), reason=f"{reason}: was the cash kept?",
                       summary={"state": states.SUSPECT})
        if not table.give_back and not table.session:  # nothing sealed is needed to resolve it
            journal.erase(visit_id)
    return Resolution(visit_id, table.say("kept?"), states.SUSPECT)


def declined_after_visit(teller: Teller, visit_id: str, table: RecoveryTable, code: str) -> None:
    """A re-sent or looked-up call says the host did not apply it: nothing moved."""
    teller.journal.record(visit_id, Step.HOST_DECLINED, code=code, summary={"state": states.DECLINED})
    if table.session:
        close_session(teller, visit_id, None)
    else:
        teller.journal.erase(visit_id)


def _cancel_at_host(teller: Teller, visit_id: str, table: RecoveryTable, reason: str) -> Resolution:
    """A withdrawal the host applied, no cash handed over, and no call that gives it back:
    a person must ask the host to cancel it. One commit says so and queues the named
    compensation `<prefix>_cancel`, escalated at once (nothing can send it), so `kiosk
    recover`, the ready screen and the fleet list it until the host's help is had."""
    cancel_at_host(teller, visit_id, table.cancel_with, reason)
    return Resolution(visit_id, table.say("cancel"), states.SUSPECT)


def cancel_at_host(teller: Teller, visit_id: str, host: str, reason: str) -> None:
    journal = teller.journal
    visit = journal.visit(visit_id)
    assert visit is not None
    action = f"{desks.prefix_of(visit.kind) or 'wallet'}_cancel"
    steps = {row.step for row in journal.rows(visit_id)}
    if Step.CASH_NOT_HANDED not in steps:
        journal.record(visit_id, Step.CASH_NOT_HANDED, reason=reason)
    what = f"transaction {visit.transaction_id}, {visit.amount} {visit.currency}"
    desks.promise(teller, visit_id, Step.SUSPECT, action, {"transaction_id": visit.transaction_id or ""},
                  reason="applied at the host, no cash handed over",
                  summary={"state": states.SUSPECT, "resolution": f"cash not moved: {host} must cancel it"})
    journal.erase(visit_id)
    for item in journal.compensations():
        if item.visit_id == visit_id and item.action == action:
            _escalate(teller, item, f"applied but no cash handed over: ask {host} to cancel {what}")


def _last(rows, step: str, key: str):
    for row in reversed(rows):
        if row.step == step and key in row.data:
            return row.data[key]
    return None


def _queue(teller: Teller, visit_id: str, action: str, key: str | None, *, keyed: bool = True) -> None:
    if not desks.queued(teller, visit_id, action):
        teller.journal.enqueue(visit_id, action, {"idempotency": key or f"{action}-{visit_id}"} if keyed else {})


def _reprint(teller: Teller, visit_id: str) -> None:
    """The receipt of a completed visit may not have printed: print it again as a COPY."""
    from drivers.base import PrintOutcome

    from kiosk.teller.visit import Stage, Visit, VisitKind

    summary = teller.journal.visit(visit_id)
    if summary is None or not summary.amount or not summary.kind or not summary.currency:
        return
    last4 = _last(list(teller.journal.rows(visit_id)), WalletStep.SESSION_OPEN_SENT, "phone_last4") or "????"
    visit = Visit(
        visit_id=visit_id,
        phone_masked="•••• " + last4,
        kind=VisitKind(summary.kind),
        amount=summary.money(),
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
    teller.journal.record(item.visit_id, Step.ESCALATED, action=item.action, reason=error)
    log.error("visit %s: %s could not be completed and needs a person: %s", item.visit_id[:8], item.action, error)


def escalations(teller: Teller) -> list:
    return teller.journal.compensations(states=("escalated",))


def _send(teller: Teller, item) -> None:
    """Send one compensation; raises a BackendError when it was not acknowledged."""
    if item.action.endswith("_cancel"):  # no call exists for it (cancel_at_host): a person asks the host
        raise NeedsAPerson(f"no cancel call exists: ask the host to cancel transaction {item.payload.get('transaction_id')}")
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
            journal.record(item.visit_id, WalletStep.SESSION_CLOSED)
        return
    if session is None or visit is None:
        raise NeedsAPerson("The session details for this visit are gone; it needs a person.")
    amount = visit.money()
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
    if Step.HOST_OK in steps or Step.HOST_DECLINED in steps:
        # An earlier run learned the outcome and stopped before marking this item done.
        if Step.HOST_OK in steps:
            applied_after_visit(teller, visit_id, wallet_table(teller), "host answer came after the visit ended")
        return
    journal.record(visit_id, Step.HOST_RESENT, attempt="outbox")
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
        declined_after_visit(teller, visit_id, wallet_table(teller), exc.code)
        return
    journal.record(visit_id, Step.HOST_OK, transaction_id=receipt.transaction_id, summary={"transaction_id": receipt.transaction_id})
    applied_after_visit(teller, visit_id, wallet_table(teller), "host answer came after the visit ended")


def _reverse(teller: Teller, visit_id: str, visit, session: WalletSession, amount: Money, key: str) -> None:
    journal = teller.journal
    if not visit.transaction_id:
        raise NeedsAPerson("The withdrawal's transaction id is unknown; it needs a person.")
    if any(row.step == Step.REVERSED for row in journal.rows(visit_id)):
        # Acknowledged before a stop that came ahead of marking this item done.
        if visit.state == states.REVERSED:
            close_session(teller, visit_id, session)
        return
    journal.record(visit_id, WalletStep.REVERSAL_SENT, idempotency=key, transaction_id=visit.transaction_id)
    receipt = teller.backend.reverse_withdrawal(session, visit.account_id, amount, visit.transaction_id, idempotency=key)
    journal.record(visit_id, Step.REVERSED, reversal_id=receipt.transaction_id, summary={"state": states.REVERSED})
    teller.shifts.note_reversal(amount)
    close_session(teller, visit_id, session)


# --- the desks' compensations ------------------------------------------------------------------


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
    try:
        table = table_of(teller, visit.kind)
    except desks.BackendNotConfigured as exc:
        raise TellerError("BACKEND_NOT_ENABLED", str(exc)) from None
    return count(teller, visit_id, table, cash_moved=cash_moved, supervisor=supervisor)


def count(teller: Teller, visit_id: str, table: RecoveryTable, *, cash_moved: bool, supervisor: str) -> str:
    """A supervisor's count of a suspect visit (checked as suspect by the caller), the same for
    every desk. Each resolution is one row that carries its whole effect (the cash counted
    into the shift, or the compensation queued), so a stop right after it loses nothing."""
    journal = teller.journal
    visit = journal.visit(visit_id)
    assert visit is not None and visit.amount and visit.currency
    amount = visit.money()
    paid_in = visit.kind in table.cash_in

    def done() -> None:  # the host session closed, the sealed details forgotten
        if table.session:
            close_session(teller, visit_id, None)
        else:
            journal.erase(visit_id)

    if cash_moved:
        then = table.confirm_at_host[1]  # what the host must still do now the cash moved
        delta = amount.amount if paid_in else -amount.amount
        journal.record(
            visit_id, Step.SUSPECT_RESOLVED, counted="cash moved", supervisor=supervisor, cash_delta=f"{delta:f}",
            summary={"resolution": "cash moved", "cash_delta": f"{delta:f}", "state": states.COMPLETED},
            outbox=[(then, {})] if then and not desks.queued(teller, visit_id, then) else [],
        )
        teller.shifts.note_cash(amount.currency, amount, paid_in=paid_in)
        done()
        if then:
            run_outbox(teller, force=True)
            return _state(teller, visit_id)
        return states.COMPLETED
    if table.give_back and (not paid_in or table.gives_back_deposits) and visit.transaction_id:
        payload = {"idempotency": f"{table.give_back}-{visit_id}"} if table.keyed else {}
        journal.record(
            visit_id, Step.SUSPECT_RESOLVED, counted="cash not moved", supervisor=supervisor,
            summary={"resolution": "cash not moved"},
            outbox=[] if desks.queued(teller, visit_id, table.give_back) else [(table.give_back, payload)],
        )
        run_outbox(teller, force=True)
        return _state(teller, visit_id)
    # Applied at the host, the cash not kept, and no call that undoes it: a person corrects it.
    journal.record(
        visit_id, Step.SUSPECT_RESOLVED, counted="cash not moved", supervisor=supervisor, escalated=table.not_kept,
        summary={"resolution": table.not_kept},
    )
    journal.record(visit_id, Step.ESCALATED, action=table.not_kept_action, reason=table.not_kept)
    done()
    return states.SUSPECT
