"""A visit stopped dead after every journal step, then recovered by a new teller on the same
journal: nothing acknowledged is lost, no withdrawal is applied twice, and every applied
withdrawal whose cash was not confirmed is reversed or held as suspect."""

from decimal import Decimal

import pytest

from kiosk.journal.store import ABANDONED, COMPLETED, DECLINED, PENDING, REVERSED, SUSPECT, Journal, crash_after
from kiosk.teller import TellerError
from kiosk.teller.recovery import escalations, recover, resolve_suspect, run_outbox
from kiosk.desks.base import PhoneLogin
from kiosk.desks.rapyd import wallet_desk
from tests.stack import JANE, OLIVER, build_stack


class Crash(BaseException):
    """Stands for the process dying: no code of the kiosk catches a BaseException."""


WITHDRAW_STEPS = [
    "SESSION_OPEN_SENT", "SESSION_OPENED", "INTENT", "HOST_SENT", "HOST_OK", "DRAWER_KICKED", "DRAWER_OPENED",
    "DRAWER_CLOSED", "CASH_CONFIRMED", "RECEIPT_SENT", "RECEIPT_PRINTED", "SESSION_CLOSED",
]
DEPOSIT_STEPS = WITHDRAW_STEPS


def serve(stack, kind: str, amount: str = "10"):
    teller = stack.teller
    visit = wallet_desk(teller).identify(PhoneLogin(JANE, stack.otp()))
    if kind == "withdraw":
        wallet_desk(teller).withdraw(visit, visit.session.account_for("GBP").account_id, amount)
    else:
        wallet_desk(teller).deposit(visit, "GBP", amount)
    stack.drawer.close_drawer()
    teller.wait_for_drawer_close(visit, 2.0)
    teller.confirm_cash(visit)
    wallet_desk(teller).complete(visit)
    return visit


def restart(stack, tmp_path, server, *, power_cut=None):
    """A new process: new teller, client and devices on the same journal and host (after
    `power_cut()` put the journal's files back as the disk held them, when given)."""
    stack.journal.close()
    if power_cut is not None:
        power_cut()
    return build_stack(tmp_path, server.handle.url, stack.simulator, floats=None, reuse_shift=True)


def host_withdrawals(simulator):
    txns = simulator.transactions()
    taken = [t for t in txns if t.kind == "withdraw"]
    reversed_ids = {t.reverses for t in txns if t.kind == "reversal"}
    return taken, reversed_ids


class DiskAtLastSync:
    """The journal's files as the disk holds them: copied after every commit that waited for
    the disk (an fsync), so a power cut can be played by putting the last copy back: what
    the kernel held (rows recorded with durable=False since) is lost."""

    NAMES = ("journal.sqlite3", "journal.sqlite3-wal", "journal.sqlite3.anchor")

    def __init__(self, journal: Journal, tmp_path) -> None:
        self.journal, self.folder, self.copy = journal, tmp_path / "disk", tmp_path / "disk-at-last-sync"
        self.folder.mkdir()
        self.take()

    def take(self) -> None:
        import shutil

        if self.journal.durable_seq != self.journal.head_seq:
            return  # this commit did not wait for the disk: the disk holds the last copy
        shutil.rmtree(self.copy, ignore_errors=True)
        self.copy.mkdir()
        for name in self.NAMES:
            if (self.journal.path.parent / name).exists():
                shutil.copy2(self.journal.path.parent / name, self.copy / name)

    def power_cut(self) -> None:
        """After the process died: the files go back to the last copy."""
        import shutil

        for name in (*self.NAMES, "journal.sqlite3-shm"):
            (self.journal.path.parent / name).unlink(missing_ok=True)
        for name in self.NAMES:
            if (self.copy / name).exists():
                shutil.copy2(self.copy / name, self.journal.path.parent / name)


@pytest.mark.parametrize("stop", ["kill", "power cut"])
@pytest.mark.parametrize("kind", ["withdraw", "deposit"])
@pytest.mark.parametrize("step", WITHDRAW_STEPS)
def test_crash_after_every_step_is_recovered(stack, server, tmp_path, kind, step, stop):
    """A kill keeps every committed row; a power cut keeps the rows up to the last commit that
    waited for the disk (a row recorded with durable=False after it is lost)."""
    disk = DiskAtLastSync(stack.journal, tmp_path)
    crash = crash_after(step, lambda: (_ for _ in ()).throw(Crash()))

    def hook(step_done: str) -> None:
        disk.take()
        kept[:] = [stack.journal.head_seq if stop == "kill" else stack.journal.durable_seq]
        crash(step_done)

    kept: list[int] = []

    stack.journal.crash_hook = hook
    with pytest.raises(Crash):
        serve(stack, kind)

    after = restart(stack, tmp_path, server, power_cut=disk.power_cut if stop == "power cut" else None)
    assert after.journal.broken is None and after.journal.head_seq == kept[0]
    recover(after.teller)
    visits = after.journal.visits()
    assert len(visits) == 1
    visit = visits[0]
    assert visit.state != PENDING, after.steps(visit.visit_id)

    balance = after.simulator.balance(JANE, "GBP")
    taken, reversed_ids = host_withdrawals(after.simulator)
    assert len(taken) <= 1  # never applied twice
    if kind == "withdraw":
        net_applied = len(taken) - len(reversed_ids & {t.transaction_id for t in taken})
        assert balance == Decimal("189.00") - 10 * net_applied
        if visit.state == COMPLETED:
            assert net_applied == 1 and after.teller.cash_in_drawer("GBP").plain() == "490.00"
        elif visit.state in (REVERSED, ABANDONED, DECLINED):
            assert net_applied == 0 and after.teller.cash_in_drawer("GBP").plain() == "500.00"
        else:
            assert visit.state == SUSPECT and net_applied == 1
    else:
        credited = balance - Decimal("189.00")
        assert credited in (0, 10)
        if visit.state == COMPLETED:
            assert credited == 10 and after.teller.cash_in_drawer("GBP").plain() == "510.00"
        elif visit.state in (ABANDONED, DECLINED):
            assert credited == 0
        else:
            assert visit.state == SUSPECT and credited == 10

    if visit.state == SUSPECT:  # cash movements stay locked until a supervisor counts
        with pytest.raises(TellerError, match="locked"):
            wallet_desk(after.teller).identify(PhoneLogin(JANE, after.otp()))
    # Every session known to be open was closed (one whose opening was never confirmed has
    # no token to close it with; the host expires it), and no sealed session headers
    # outlive a finished visit.
    if visit.state != SUSPECT:
        steps = after.steps(visit.visit_id)
        assert "SESSION_CLOSED" in steps or "SESSION_OPENED" not in steps
        assert after.journal.unseal(visit.visit_id) is None
    assert recover(after.teller) == []  # nothing left: recovery is idempotent
    assert after.journal.verify()[0]


def test_suspect_withdrawal_counted_not_paid_is_reversed(stack, server, tmp_path):
    stack.journal.crash_hook = crash_after("DRAWER_OPENED", lambda: (_ for _ in ()).throw(Crash()))
    with pytest.raises(Crash):
        serve(stack, "withdraw")
    after = restart(stack, tmp_path, server)
    (resolution,) = recover(after.teller)
    assert resolution.state == SUSPECT
    assert after.simulator.balance(JANE, "GBP") == Decimal("179.00")
    state = resolve_suspect(after.teller, resolution.visit_id, cash_moved=False, supervisor="sam")
    assert state == REVERSED
    assert after.simulator.balance(JANE, "GBP") == Decimal("189.00")
    assert after.teller.cash_in_drawer("GBP").plain() == "500.00"
    rows = [r for r in after.journal.rows(resolution.visit_id) if r.step == "SUSPECT_RESOLVED"]
    assert rows[0].data["supervisor"] == "sam" and rows[0].data["counted"] == "cash not moved"
    wallet_desk(after.teller).cancel(wallet_desk(after.teller).identify(PhoneLogin(OLIVER, after.otp(OLIVER))))  # unlocked


def test_unanswered_withdrawal_is_settled_by_the_outbox(stack):
    teller = stack.teller
    visit = wallet_desk(teller).identify(PhoneLogin(JANE, stack.otp()))
    stack.simulator.inject_fault("timeout_after_apply", operation="withdraw", count=10, seconds=0.5, answer=False)
    stack.client._timeout = None
    with pytest.raises(TellerError):
        wallet_desk(teller).withdraw(visit, visit.session.account_for("GBP").account_id, "30")
    assert stack.journal.visit(visit.visit_id).state == PENDING
    assert stack.simulator.balance(JANE, "GBP") == Decimal("159.00")  # applied; answer lost
    stack.simulator.clear_faults()
    assert run_outbox(teller, force=True) == 0
    assert stack.journal.visit(visit.visit_id).state == REVERSED
    assert stack.simulator.balance(JANE, "GBP") == Decimal("189.00")
    taken, reversed_ids = host_withdrawals(stack.simulator)
    assert len(taken) == 1 and taken[0].transaction_id in reversed_ids


def test_a_compensation_that_keeps_failing_escalates(stack, monkeypatch):
    import kiosk.teller.recovery as recovery

    teller = stack.teller
    stack.drawer.inject("drawer_jammed")
    visit = wallet_desk(teller).identify(PhoneLogin(JANE, stack.otp()))
    wallet_desk(teller).withdraw(visit, visit.session.account_for("GBP").account_id, "10")
    stack.simulator.inject_fault("error_before_apply", operation="reversal", count=100)
    with pytest.raises(TellerError) as caught:
        wallet_desk(teller).undo(visit)
    assert caught.value.code == "REVERSAL_FAILED"
    monkeypatch.setattr(recovery, "MAX_ATTEMPTS", 3)
    for _ in range(3):
        run_outbox(teller, force=True)
    (item,) = escalations(teller)
    assert item.action == "reverse" and item.visit_id == visit.visit_id
    assert "ESCALATED" in stack.steps(visit.visit_id)
