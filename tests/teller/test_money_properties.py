"""Property-based stateful test of the teller's money handling (REFERENCE §4, DESIGN's
recovery table): visits, cancels, crashes at any journal step, host faults and device faults
in random order, with conservation checked after every step.

One simulator server for the module; each example gets a fresh simulator (in-memory ledger,
a fake clock shared with the client so that every visit gets a fresh single-use OTP without
sleeping) and a fresh journal in its own temporary folder.

The model is what the cashier did, kept here and never read back from the teller:
- which visits' cash changed hands (the cashier confirmed it, or a supervisor counted it as
  moved), from which the expected drawer cash per currency follows;
- the customers' opening balances, from which the host's ledger must follow transaction by
  transaction.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from drivers.simulated import SimulatedDrawer, SimulatedPrinter
from kiosk.backends.rapyd import RapydClient
from kiosk.journal.store import ABANDONED, COMPLETED, DECLINED, PENDING, REVERSED, SUSPECT, Journal, crash_after
from kiosk.money import parse_amount
from kiosk.runtime import derive_journal_key, vault_key
from kiosk.sim import rapyd as sim
from kiosk.teller import Teller, TellerError
from kiosk.teller.recovery import escalations, recover, resolve_suspect, run_outbox
from kiosk.teller.retry import RetryPolicy
from kiosk.teller.visit import Stage
from kiosk.desks.base import PhoneLogin
from kiosk.desks.rapyd import wallet_desk
from tests.stack import JANE, OLIVER, Stack

pytestmark = pytest.mark.slow

MARIA = "+12025550143"  # EUR 1500.00 (and USD, not in the drawer)
AMELIA = "+447700900456"  # EUR 0.00
NOOR = "+447700900777"  # added per example: GBP 1000.00, EUR 1000.00
CUSTOMERS = (JANE, OLIVER, MARIA, AMELIA, NOOR)
CURRENCIES = ("GBP", "EUR")
FLOATS = {"GBP": Decimal("500.00"), "EUR": Decimal("300.00")}

# The read timeout of the kiosk's client in this test. The model says "no fault armed: the host
# answers", so this must hold on a loaded machine too: at 0.5 s, a session open under `-n 2` on
# two shared cores sometimes went unanswered in time (HOST_NO_ANSWER with no fault armed, or a
# close timed out yet applied, so the reversal queued behind it met a closed session and was
# escalated), failing the test for the machine's load, not the kiosk's behaviour.
CLIENT_TIMEOUT = 2.0
HANG = 2.1  # how long a timeout_after_apply fault holds its answer: past the client's timeout

# Drawer / printer situations a visit can meet, and what the cashier does about them.
DRAWER_MODES = ("normal", "normal", "normal", "jammed_reverse", "jammed_by_hand", "left_open", "no_sensor", "paper_out_mid_receipt")

# Journal steps a visit can stop dead after, per kind of visit.
BEGIN_STEPS = ["SESSION_OPEN_SENT", "SESSION_OPENED"]
MONEY_STEPS = ["INTENT", "HOST_SENT", "HOST_OK", "DRAWER_KICKED"]
CRASH_STEPS = {
    "normal": BEGIN_STEPS + MONEY_STEPS + ["DRAWER_OPENED", "DRAWER_CLOSED", "CASH_CONFIRMED", "RECEIPT_SENT",
                                           "RECEIPT_PRINTED", "SESSION_CLOSED", "COMPLETED"],
    "jammed_reverse": BEGIN_STEPS + MONEY_STEPS + ["DRAWER_NOT_OPENED", "CASH_NOT_HANDED", "REVERSAL_SENT", "REVERSED",
                                                   "SESSION_CLOSED"],
    "jammed_by_hand": BEGIN_STEPS + MONEY_STEPS + ["DRAWER_NOT_OPENED", "CASH_CONFIRMED", "RECEIPT_PRINTED", "COMPLETED"],
    "left_open": BEGIN_STEPS + MONEY_STEPS + ["DRAWER_OPENED", "DRAWER_LEFT_OPEN", "SUSPECT"],
    "no_sensor": BEGIN_STEPS + MONEY_STEPS + ["DRAWER_UNCONFIRMED", "CASH_CONFIRMED", "SESSION_CLOSED"],
    "paper_out_mid_receipt": BEGIN_STEPS + MONEY_STEPS + ["CASH_CONFIRMED", "RECEIPT_SENT", "RECEIPT_UNKNOWN",
                                                          "SESSION_CLOSED", "COMPLETED"],
    "cancel": BEGIN_STEPS + ["CANCELLED", "SESSION_CLOSED"],
    "over": BEGIN_STEPS + ["CANCELLED", "SESSION_CLOSED"],
}
# Host faults (kind, status) the simulator can be armed with before a visit.
HOST_FAULTS = (
    ("drop_after_apply", None),
    ("error_before_apply", 503),
    ("error_after_apply", 500),
    ("timeout_after_apply", None),
)
FAULT_OPERATIONS = ("withdraw", "deposit", "reversal", "logout", "login", "any")


class Crash(BaseException):
    """Stands for the process dying: no code of the kiosk catches a BaseException."""


def _crash() -> None:
    raise Crash()


class FakeClock:
    """Seconds since the epoch, moved only by the test; the simulator and the client share
    it, so the signature timestamps stay fresh while the OTP window moves on."""

    def __init__(self, start: float) -> None:
        self.now = float(int(start))

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float = 1.0) -> None:
        self.now += seconds


@dataclass
class ModelVisit:
    """What the cashier knows about one visit."""

    visit_id: str
    kind: str  # withdraw | deposit | cancel
    phone: str
    currency: str
    amount: Decimal
    cash_moved: bool = False  # the cashier confirmed it, or a supervisor counted it as moved
    supervisor: str | None = None  # "cash moved" / "cash not moved" once resolved


def cents(value: int) -> Decimal:
    return (Decimal(value) / 100).quantize(Decimal("0.01"))


class KioskMachine(RuleBasedStateMachine):
    server = None  # the module's SimulatorServer, set by the test

    def __init__(self) -> None:
        super().__init__()
        self.tmp = Path(tempfile.mkdtemp(prefix="kiosk-money-"))
        import time

        self.clock = FakeClock(time.time())
        self.sim = self.server.fresh(None, otp_window=1, clock=self.clock, magic_amounts=False)
        self.sim.add_wallet(NOOR, {"GBP": "1000.00", "EUR": "1000.00"})
        self.initial = {(p, c): self.sim.balance(p, c) for p in CUSTOMERS for c in CURRENCIES}
        self.visits: dict[str, ModelVisit] = {}
        self.otps: set[str] = set()
        self.stack = self._build(reuse_shift=False)
        self.trace: list[str] = []  # what happened, for a failure's report

    # --- plumbing -----------------------------------------------------------------------

    def _build(self, *, reuse_shift: bool) -> Stack:
        """tests.stack.build_stack, but with the client on the fake clock and a short read
        timeout (so that timeout faults cost little)."""
        client = RapydClient(
            self.server.handle.url, sim.DEMO_ACCESS_KEY, sim.DEMO_SECRET_KEY, sim.DEMO_POS_ID,
            timeout=CLIENT_TIMEOUT, clock=self.clock,
        )
        printer, drawer = SimulatedPrinter(), SimulatedDrawer()
        printer.open()
        drawer.open()
        journal = Journal(self.tmp / "journal.sqlite3", mac_key=derive_journal_key(sim.DEMO_SECRET_KEY), vault_key=vault_key(sim.DEMO_SECRET_KEY))
        teller = Teller(
            backend=client, printer=printer, drawer=drawer, journal=journal, store_name="Test Shop",
            terminal_id="T-1", cashier="alice", retry=RetryPolicy(attempts=3, base=0.01, cap=0.05, deadline=5.0),
        )
        if not reuse_shift:
            teller.open_shift({c: parse_amount(f"{a:f}", c) for c, a in FLOATS.items()})
        return Stack(self.sim, self.server.handle.url, client, printer, drawer, journal, teller)

    def _shutdown(self) -> None:
        self.stack.client.close()
        self.stack.journal.close()
        self.stack.printer.close()
        self.stack.drawer.close()

    def teardown(self) -> None:
        try:
            self._shutdown()
        finally:
            self.sim.close()
            shutil.rmtree(self.tmp, ignore_errors=True)

    @property
    def teller(self) -> Teller:
        return self.stack.teller

    @property
    def journal(self) -> Journal:
        return self.stack.journal

    def faults_armed(self) -> bool:
        return bool(self.sim.faults.pending())

    def model_cash(self, currency: str) -> Decimal:
        cash = FLOATS[currency]
        for v in self.visits.values():
            if v.cash_moved and v.currency == currency:
                cash += v.amount if v.kind == "deposit" else -v.amount
        return cash

    def host_balance(self, phone: str, currency: str) -> Decimal:
        return self.sim.balance(phone, currency) or Decimal(0)

    def _new_visit_ids(self, before: set[str]) -> list[str]:
        return [v.visit_id for v in self.journal.visits() if v.visit_id not in before]

    def restart(self) -> None:
        """A new process on the same journal and host, then recovery."""
        self._shutdown()
        self.stack = self._build(reuse_shift=True)
        resolutions = recover(self.teller)
        self.trace.append(f"restart: {[(r.action, r.state) for r in resolutions]}")

    # --- one visit, as the cashier goes through it ----------------------------------------

    def serve(self, kind: str, phone: str, currency: str, amount: Decimal, mode: str, crash_step: str | None) -> None:
        """kind: withdraw | deposit | cancel. mode: a DRAWER_MODES entry, 'cancel' or 'over'."""
        self.trace.append(f"visit {kind} {phone[-4:]} {amount} {currency} mode={mode} crash={crash_step} faults={self.sim.faults.pending()}")
        faults_before = self.faults_armed()
        suspects_before = bool(self.journal.unresolved_suspects())
        before = {v.visit_id for v in self.journal.visits()}
        record: ModelVisit | None = None
        self.clock.advance(1.0)  # a new OTP window: the customer reads a fresh code
        otp = self.sim.current_otp(phone, sim.DEMO_POS_ID)
        self.otps.add(otp)
        if crash_step is not None:
            self.journal.crash_hook = crash_after(crash_step, _crash)
        drawer, printer = self.stack.drawer, self.stack.printer
        if mode in ("jammed_reverse", "jammed_by_hand"):
            drawer.inject("drawer_jammed")
        elif mode == "left_open":
            drawer.inject("drawer_left_open")
        elif mode == "no_sensor":
            drawer.inject("no_sensor")
        crashed = False
        try:
            try:
                visit = wallet_desk(self.teller).identify(PhoneLogin(phone, otp))
            except TellerError as exc:
                if suspects_before:
                    assert exc.code == "CASH_LOCKED", exc.code
                else:
                    # Only a host fault can refuse a fresh, correct code.
                    assert faults_before, (exc.code, exc.message)
                    assert exc.code in ("HOST_NO_ANSWER", "DECLINED", "OTP_REJECTED"), exc.code
                return
            assert not suspects_before, "a visit began while a suspect visit locks cash movements"
            record = ModelVisit(visit.visit_id, kind, phone, currency, amount)
            self.visits[visit.visit_id] = record

            if kind == "cancel" or mode == "cancel":
                wallet_desk(self.teller).cancel(visit)
                assert visit.stage is Stage.CANCELLED
                return
            amount_text = f"{amount:f}"
            if kind == "withdraw":
                account = visit.session.account_for(currency)
                assert account is not None, "the test only withdraws from accounts the host has"
                assert account.balance.amount == self.host_balance(phone, currency)
                over_balance = amount > account.balance.amount
                over_drawer = amount > self.model_cash(currency)
                try:
                    wallet_desk(self.teller).withdraw(visit, account.account_id, amount_text)
                except TellerError as exc:
                    if exc.code in ("INSUFFICIENT_FUNDS", "NOT_ENOUGH_CASH") and visit.stage is Stage.SESSION_OPEN:
                        assert exc.code == ("INSUFFICIENT_FUNDS" if over_balance else "NOT_ENOUGH_CASH")
                        assert over_balance or over_drawer
                        wallet_desk(self.teller).cancel(visit)  # the customer leaves
                        return
                    assert faults_before, (exc.code, exc.message)
                    assert visit.stage in (Stage.FAILED, Stage.UNRESOLVED), visit.stage
                    return  # "Do not hand over or take cash."
                assert not (over_balance or over_drawer), "an over-limit withdrawal was sent to the host"
            else:
                try:
                    wallet_desk(self.teller).deposit(visit, currency, amount_text)
                except TellerError as exc:
                    assert faults_before, (exc.code, exc.message)
                    assert visit.stage in (Stage.FAILED, Stage.UNRESOLVED), visit.stage
                    return  # the cashier gives the cash back
            assert visit.stage is Stage.CASH_PENDING

            # The drawer, and what the cashier does with the cash.
            if mode == "jammed_reverse" and kind == "withdraw":
                try:
                    wallet_desk(self.teller).undo(visit)
                except TellerError as exc:
                    assert exc.code == "REVERSAL_FAILED" and faults_before, exc.code
                    assert visit.stage is Stage.UNRESOLVED
                    return
                assert visit.stage is Stage.REVERSED
                return
            if mode in ("jammed_reverse", "jammed_by_hand"):
                record.cash_moved = True  # set before: a crash inside comes after the row
                self.teller.confirm_cash(visit, by_hand=True)
            elif mode == "left_open":
                assert self.teller.wait_for_drawer_close(visit, 0.02) is False
                self.teller.mark_suspect(visit, "drawer left open")
                assert visit.stage is Stage.SUSPECT
                return
            else:
                drawer.close_drawer()
                closed = self.teller.wait_for_drawer_close(visit, 1.0)
                assert closed is (None if mode == "no_sensor" else True)
                record.cash_moved = True
                self.teller.confirm_cash(visit)
            if mode == "paper_out_mid_receipt":
                printer.inject("paper_out_mid_receipt")
            wallet_desk(self.teller).complete(visit)
            assert visit.stage is Stage.COMPLETED
        except Crash:
            crashed = True
        finally:
            self.journal.crash_hook = None
            # The cashier sorts the devices out before the next customer.
            drawer.clear()
            drawer.close_drawer()
            printer.clear()
            if not crashed:
                self.teller.device_health()  # the cashier looks at the ready screen: a shut drawer ends its alert
        if not crashed:
            event(f"{kind} {mode}: " + ("refused/ended early" if record is None or not (record.cash_moved or visit.stage in (Stage.REVERSED, Stage.SUSPECT)) else visit.stage.value))
            return

        # --- the process died after `crash_step`: restart and recover ------------------------
        new = self._new_visit_ids(before)
        assert len(new) == 1, new
        if record is None:  # begin_visit never returned
            record = ModelVisit(new[0], kind, phone, currency, amount)
            self.visits[new[0]] = record
        assert record.visit_id == new[0]
        self.restart()
        state = self.journal.visit(record.visit_id).state
        event(f"crash after {crash_step} -> {state}")
        if faults_before or self.faults_armed():
            return
        # No fault anywhere: the recovery table says exactly where the visit ends.
        if record.cash_moved:
            expected = COMPLETED
        elif crash_step in ("CASH_NOT_HANDED", "REVERSAL_SENT", "REVERSED") or (
            mode == "jammed_reverse" and crash_step == "SESSION_CLOSED"
        ):
            expected = REVERSED
        elif crash_step in BEGIN_STEPS + ["CANCELLED"] or mode in ("cancel", "over") or kind == "cancel":
            expected = ABANDONED
        elif crash_step in ("INTENT", "HOST_SENT", "HOST_OK"):  # INTENT and HOST_SENT are one commit
            expected = REVERSED if kind == "withdraw" else SUSPECT
        else:
            expected = SUSPECT
        assert state == expected, (crash_step, mode, kind, state, [r.step for r in self.journal.rows(record.visit_id)])

    # --- rules ------------------------------------------------------------------------------

    def _withdrawal_params(self, data, phone: str):
        held = [c for c in CURRENCIES if self.sim.balance(phone, c) is not None]
        if not held:
            return None
        currency = data.draw(st.sampled_from(held), label="currency")
        limit = int(min(self.host_balance(phone, currency), self.model_cash(currency)) * 100)
        if limit >= 1 and data.draw(st.integers(0, 4), label="within") > 0:
            value = data.draw(st.integers(1, limit), label="cents")
        else:
            value = data.draw(st.integers(limit + 1, limit + 100_000), label="cents over")
        return currency, cents(value)

    @rule(data=st.data(), phone=st.sampled_from(CUSTOMERS), mode=st.sampled_from(DRAWER_MODES))
    def withdrawal_visit(self, data, phone, mode):
        params = self._withdrawal_params(data, phone)
        if params is None:
            return
        currency, amount = params
        self.serve("withdraw", phone, currency, amount, mode, None)

    @rule(
        phone=st.sampled_from(CUSTOMERS), currency=st.sampled_from(CURRENCIES),
        value=st.integers(1, 100_000), mode=st.sampled_from(DRAWER_MODES),
    )
    def deposit_visit(self, phone, currency, value, mode):
        if mode == "jammed_reverse":
            mode = "jammed_by_hand"  # a deposit cannot be reversed: the cashier takes it by hand
        self.serve("deposit", phone, currency, cents(value), mode, None)

    @rule(phone=st.sampled_from(CUSTOMERS))
    def cancelled_visit(self, phone):
        self.serve("cancel", phone, "GBP", Decimal(0), "cancel", None)

    @rule(data=st.data(), phone=st.sampled_from(CUSTOMERS), kind=st.sampled_from(["withdraw", "deposit", "cancel"]))
    def visit_that_crashes(self, data, phone, kind):
        if kind == "cancel":
            mode = "cancel"
            currency, amount = "GBP", Decimal(0)
        else:
            mode = data.draw(st.sampled_from(DRAWER_MODES), label="mode")
            if kind == "withdraw":
                params = self._withdrawal_params(data, phone)
                if params is None:
                    return
                currency, amount = params
                if amount > min(self.host_balance(phone, currency), self.model_cash(currency)):
                    mode = "over"
            else:
                mode = "jammed_by_hand" if mode == "jammed_reverse" else mode
                currency = data.draw(st.sampled_from(CURRENCIES), label="currency")
                amount = cents(data.draw(st.integers(1, 100_000), label="cents"))
        step = data.draw(st.sampled_from(CRASH_STEPS[mode]), label="crash after")
        self.serve(kind, phone, currency, amount, mode, step)

    @rule(
        fault=st.sampled_from(HOST_FAULTS), operation=st.sampled_from(FAULT_OPERATIONS), count=st.integers(1, 4),
        answer=st.booleans(),
    )
    def host_fault(self, fault, operation, count, answer):
        kind, status = fault
        if kind == "timeout_after_apply":
            count = min(count, 2)  # each one holds for HANG seconds
            self.sim.inject_fault(kind, operation=operation, count=count, seconds=HANG, answer=answer)
        else:
            self.sim.inject_fault(kind, operation=operation, count=count, status=status)
        self.trace.append(f"fault {kind} {operation} x{count}")

    @rule()
    def host_heals(self):
        self.sim.clear_faults()
        self.trace.append("faults cleared")

    @rule()
    def outbox(self):
        clean = not self.faults_armed()
        left = run_outbox(self.teller, force=True)
        self.trace.append(f"outbox: {left} left")
        if clean:
            self.check_settled()

    @rule()
    def crash_and_restart_idle(self):
        """A restart between visits: recovery must find nothing to undo."""
        clean = not self.faults_armed()
        self.restart()
        if clean:
            self.check_settled()

    @precondition(lambda self: bool(self.journal.unresolved_suspects()))
    @rule(data=st.data(), cash_moved=st.booleans())
    def supervisor_resolves(self, data, cash_moved):
        suspects = sorted(v.visit_id for v in self.journal.unresolved_suspects())
        visit_id = data.draw(st.sampled_from(suspects), label="suspect")
        record = self.visits[visit_id]
        assert not record.cash_moved, "a visit whose cash the cashier confirmed is suspect"
        kind = self.journal.visit(visit_id).kind
        state = resolve_suspect(self.teller, visit_id, cash_moved=cash_moved, supervisor="sam")
        record.cash_moved = cash_moved
        record.supervisor = "cash moved" if cash_moved else "cash not moved"
        self.trace.append(f"supervisor {visit_id[:8]} {kind} {record.supervisor} -> {state}")
        event(f"supervisor: {kind} {record.supervisor} -> {state}")
        if cash_moved:
            assert state == COMPLETED
        elif kind == "withdraw":
            assert state in (REVERSED, SUSPECT, PENDING) if self.faults_armed() else state == REVERSED, state
        else:
            assert state == SUSPECT  # a deposit credited but not kept: escalated to the provider

    @precondition(lambda self: bool(self.journal.unresolved_suspects()))
    @rule(data=st.data(), cash_moved=st.booleans())
    def supervisor_resolves_then_crash(self, data, cash_moved):
        """The process dies right after the supervisor's count is written: the count's
        effect (cash into the shift, or the reversal) must survive the restart."""
        suspects = sorted(v.visit_id for v in self.journal.unresolved_suspects())
        visit_id = data.draw(st.sampled_from(suspects), label="suspect")
        self.journal.crash_hook = crash_after("SUSPECT_RESOLVED", _crash)
        try:
            resolve_suspect(self.teller, visit_id, cash_moved=cash_moved, supervisor="sam")
        except Crash:
            pass
        finally:
            self.journal.crash_hook = None
        self.visits[visit_id].cash_moved = cash_moved
        self.visits[visit_id].supervisor = "cash moved" if cash_moved else "cash not moved"
        self.trace.append(f"supervisor {visit_id[:8]} {self.visits[visit_id].supervisor}, then crash")
        clean = not self.faults_armed()
        self.restart()
        if clean:
            self.check_settled()

    @precondition(lambda self: bool(self.journal.compensations()))
    @rule(step=st.sampled_from(["HOST_RESENT", "HOST_OK", "CASH_NOT_HANDED", "SUSPECT", "REVERSAL_SENT", "REVERSED", "SESSION_CLOSED"]))
    def outbox_crashes(self, step):
        """The process dies in the middle of sending the compensations."""
        self.journal.crash_hook = crash_after(step, _crash)
        try:
            run_outbox(self.teller, force=True)
        except Crash:
            self.trace.append(f"outbox crashed after {step}")
        finally:
            self.journal.crash_hook = None
        clean = not self.faults_armed()
        self.restart()
        if clean:
            self.check_settled()

    # --- checks -------------------------------------------------------------------------------

    def check_settled(self) -> None:
        """After recovery / the outbox ran with the host answering: nothing is left pending."""
        pending = [(v.visit_id[:8], v.last_step) for v in self.journal.visits(state=PENDING)]
        assert not pending, pending
        assert self.journal.compensations() == []
        assert escalations(self.teller) == []
        # No sealed session headers outlive a finished visit.
        for v in self.journal.visits():
            if v.state == SUSPECT and v.resolution is None:
                continue
            assert self.journal.unseal(v.visit_id) is None, (v.visit_id[:8], v.state, [r.step for r in self.journal.rows(v.visit_id)])

    @invariant()
    def cash_is_conserved(self):
        report = self.teller.shifts.report()
        for currency in CURRENCIES:
            expected = self.model_cash(currency)
            assert self.teller.cash_in_drawer(currency).amount == expected, (currency, self.trace)
            totals = report.totals[currency]
            assert totals.expected == expected
            deposits = sum((v.amount for v in self.visits.values() if v.cash_moved and v.currency == currency and v.kind == "deposit"), Decimal(0))
            withdrawals = sum((v.amount for v in self.visits.values() if v.cash_moved and v.currency == currency and v.kind == "withdraw"), Decimal(0))
            assert (totals.float, totals.deposits, totals.withdrawals) == (FLOATS[currency], deposits, withdrawals)

    @invariant()
    def host_ledger_agrees(self):
        txns = self.sim.transactions()
        ids = [t.transaction_id for t in txns]
        assert len(ids) == len(set(ids))
        by_id = {t.transaction_id: t for t in txns}
        for phone in CUSTOMERS:
            for currency in CURRENCIES:
                mine = [t for t in txns if t.phone == phone and t.currency == currency]
                balance = (self.initial[(phone, currency)] or Decimal(0)) + sum(
                    (t.amount if t.kind in ("deposit", "reversal") else -t.amount for t in mine), Decimal(0)
                )
                assert balance == self.host_balance(phone, currency), (phone, currency)
        reversals_of: dict[str, int] = {}
        for t in txns:
            if t.kind == "reversal":
                reversals_of[t.reverses] = reversals_of.get(t.reverses, 0) + 1
                assert by_id[t.reverses].kind == "withdraw"
                assert t.amount == by_id[t.reverses].amount
        assert all(n == 1 for n in reversals_of.values()), "a withdrawal was reversed twice"

        # Transaction by transaction: the journal and the host agree.
        journal_visits = {v.visit_id: v for v in self.journal.visits()}
        claimed: dict[str, str] = {}
        for v in journal_visits.values():
            if v.transaction_id:
                assert v.transaction_id not in claimed, "two visits claim one host transaction"
                claimed[v.transaction_id] = v.visit_id
        unmatched = []
        for t in txns:
            if t.kind == "reversal":
                continue
            visit_id = claimed.get(t.transaction_id)
            if visit_id is None:
                unmatched.append(t)
                continue
            summary, record = journal_visits[visit_id], self.visits[visit_id]
            assert (t.kind, t.phone, t.currency, t.amount) == (record.kind, record.phone, record.currency, record.amount)
            unresolved = summary.state in (PENDING, SUSPECT)
            reversed_ = t.transaction_id in reversals_of
            if t.kind == "withdraw":
                if record.cash_moved:
                    assert not reversed_, "a withdrawal paid out was also reversed"
                else:
                    assert reversed_ or unresolved, ("a withdrawal not paid out is neither reversed nor held", summary)
                if reversed_:
                    assert summary.state in (REVERSED, PENDING, SUSPECT), summary.state
            else:
                assert record.cash_moved or summary.state in (PENDING, SUSPECT), ("a deposit credited, cash not kept", summary)
        # A host transaction the journal does not know yet belongs to a visit still settling.
        settling = [v for v in journal_visits.values() if v.state == PENDING and not v.transaction_id]
        assert len(unmatched) <= len(settling), (unmatched, settling)
        for t in unmatched:
            assert any(self.visits[v.visit_id].phone == t.phone for v in settling)
        # Every visit whose cash moved is applied at the host, and not reversed.
        for record in self.visits.values():
            if record.cash_moved:
                tid = journal_visits[record.visit_id].transaction_id
                assert tid and tid in by_id, record
                assert tid not in reversals_of

    @invariant()
    def journal_is_intact_and_private(self):
        ok, detail = self.journal.verify()
        assert ok, detail
        texts = [json.dumps(r.data) + r.step for r in self.journal.rows()]
        texts += [json.dumps(v.as_dict()) for v in self.journal.visits()]
        texts += [json.dumps(c.payload) for c in self.journal.compensations(states=("pending", "done", "escalated"))]
        text = "\n".join(texts)
        for phone in CUSTOMERS:
            assert phone[1:] not in text, phone
        for otp in self.otps:
            # Whole tokens only: a 6-digit run inside a hex hash or id is not the code.
            assert not re.search(rf"(?<![0-9A-Za-z]){otp}(?![0-9A-Za-z])", text), otp
        raw = b"".join(
            p.read_bytes() for p in self.tmp.glob("journal.sqlite3*") if p.is_file()
        )
        for phone in CUSTOMERS:
            assert phone.encode() not in raw and phone[1:].encode() not in raw, phone

    @invariant()
    def suspects_lock_only_unconfirmed_visits(self):
        for v in self.journal.unresolved_suspects():
            assert not self.visits[v.visit_id].cash_moved


def test_money_is_conserved_through_faults_and_crashes(server):
    KioskMachine.server = server
    run_state_machine_as_test(
        KioskMachine,
        settings=settings(
            max_examples=30,
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
