"""A journal that fails its check moves no money: every kind of tampering a person with the
data dir (but not the journal key) can do is caught when the till next opens it, the teller
refuses with JOURNAL_BROKEN before anything is sent, and a supervisor's reseal records what
was found and lets cash move again. Real teller, real client, simulator over loopback."""

from __future__ import annotations

import hashlib
import os
import sqlite3
from decimal import Decimal

import pytest

from kiosk.journal.store import RESEALED, Journal, RowMac
from kiosk.runtime import derive_journal_key
from kiosk.sim import rapyd as sim
from kiosk.teller import TellerError
from kiosk.teller.recovery import recover, resolve_suspect
from kiosk.desks.base import PhoneLogin
from kiosk.desks.rapyd import wallet_desk
from tests.stack import JANE, OLIVER, build_stack

KEY = derive_journal_key(sim.DEMO_SECRET_KEY)


def serve_withdrawal(stack, amount: str = "10", phone: str = JANE) -> str:
    teller = stack.teller
    visit = wallet_desk(teller).identify(PhoneLogin(phone, stack.otp(phone)))
    account = next(a for a in visit.accounts if a.currency == "GBP")
    wallet_desk(teller).withdraw(visit, account.account_id, amount)
    stack.drawer.close_drawer()
    teller.wait_for_drawer_close(visit, 2.0)
    teller.confirm_cash(visit)
    wallet_desk(teller).complete(visit)
    return visit.visit_id


def till_after_one_withdrawal(server, tmp_path):
    """A till that served one withdrawal and was closed; its simulator."""
    simulator = server.fresh(tmp_path / "ledger.sqlite3")
    stack = build_stack(tmp_path, server.handle.url, simulator)
    serve_withdrawal(stack)
    stack.journal.close()
    return simulator


def _sql(path, *statements, args=()):
    db = sqlite3.connect(path)
    for statement in statements:
        db.execute(statement, args)
    db.commit()
    db.close()


def _recompute_every_hash(path, key: bytes) -> None:
    """What an attacker who edited a row does next: re-sign every later row (here with a key
    of their own, since the till's key is not in the data dir)."""
    db = sqlite3.connect(path)
    mac, prev = RowMac(key), "0" * 64
    for seq, at, vid, step, data, summary in db.execute(
        "SELECT seq, at, visit_id, step, data, summary FROM rows ORDER BY seq"
    ).fetchall():
        digest = mac(prev, seq, at, vid, step, data, summary)
        db.execute("UPDATE rows SET prev_hash = ?, hash = ? WHERE seq = ?", (prev, digest, seq))
        prev = digest
    db.commit()
    db.close()


def _last_visit_rows_deleted(path):
    _sql(path, "DELETE FROM rows WHERE visit_id = (SELECT visit_id FROM rows ORDER BY seq DESC LIMIT 1)")


TAMPERING = {
    "an INTENT row edited": lambda p: _sql(p, "UPDATE rows SET data = replace(data, '10.00', '1.00') WHERE step = 'INTENT'"),
    "an edit with every hash recomputed": lambda p: (
        _sql(p, "UPDATE rows SET data = replace(data, '10.00', '1.00') WHERE step = 'INTENT'"),
        _recompute_every_hash(p, hashlib.sha256(b"not the till's key").digest()),
    ),
    "the last row deleted": lambda p: _sql(p, "DELETE FROM rows WHERE seq = (SELECT MAX(seq) FROM rows)"),
    "the last visit's rows deleted": _last_visit_rows_deleted,
    "every row deleted": lambda p: _sql(p, "DELETE FROM rows", "DELETE FROM visits"),
    "the visits summary edited": lambda p: _sql(p, "UPDATE visits SET amount = '28.00', cash_delta = '-28.00'"),
    "a visit's state edited": lambda p: _sql(p, "UPDATE visits SET state = 'reversed'"),
    "the file emptied": lambda p: [os.truncate(f, 0) for f in (p, p.with_name(p.name + "-wal")) if f.exists()],
    "the file deleted": lambda p: [f.unlink() for f in (p, p.with_name(p.name + "-wal"), p.with_name(p.name + "-shm")) if f.exists()],
    "the anchor deleted": lambda p: p.with_name(p.name + ".anchor").unlink(),
    "the anchor overwritten": lambda p: p.with_name(p.name + ".anchor").write_bytes(os.urandom(1024)),
}


@pytest.mark.parametrize("how", sorted(TAMPERING))
def test_a_tampered_journal_moves_no_money(server, tmp_path, how):
    simulator = till_after_one_withdrawal(server, tmp_path)
    path = tmp_path / "journal.sqlite3"
    TAMPERING[how](path)

    if path.exists():  # the audit (`kiosk journal verify`, a read-only snapshot) sees it too
        reader = Journal.reader(path, mac_key=KEY)
        assert not reader.verify()[0], f"{how}: the audit missed it"
        reader.close()
    again = build_stack(tmp_path, server.handle.url, simulator, reuse_shift=True)
    try:
        assert again.journal.broken, f"{how}: not caught"
        before = simulator.balance(JANE, "GBP")
        with pytest.raises(TellerError) as refused:
            wallet_desk(again.teller).identify(PhoneLogin(JANE, again.otp()))
        assert refused.value.code == "JOURNAL_BROKEN"
        with pytest.raises(TellerError) as refused:
            recover(again.teller)
        assert refused.value.code == "JOURNAL_BROKEN"
        with pytest.raises(TellerError) as refused:  # a supervisor's count sends compensations too
            resolve_suspect(again.teller, "any-visit", cash_moved=False, supervisor="sam")
        assert refused.value.code == "JOURNAL_BROKEN"
        assert simulator.balance(JANE, "GBP") == before  # nothing was sent
    finally:
        again.client.close()
        again.journal.close()


def test_an_untouched_journal_opens_without_a_full_walk(server, tmp_path, monkeypatch):
    simulator = till_after_one_withdrawal(server, tmp_path)
    walked = []
    monkeypatch.setattr(Journal, "verify_report", lambda self, **kw: walked.append(1))
    again = Journal(tmp_path / "journal.sqlite3", mac_key=KEY)
    assert again.broken is None and walked == []  # the anchor and the files agreed
    again.close()


def test_a_crash_between_commit_and_anchor_is_checked_in_full_and_passes(server, tmp_path):
    simulator = server.fresh(tmp_path / "ledger.sqlite3")
    stack = build_stack(tmp_path, server.handle.url, simulator)
    serve_withdrawal(stack)
    anchor = tmp_path / "journal.sqlite3.anchor"
    old = anchor.read_bytes()
    stack.journal.record(None, "NOTE", text="the anchor of this row is lost in a power cut")
    anchor.write_bytes(old)  # the anchor one commit behind: the database is ahead of it
    again = Journal(tmp_path / "journal.sqlite3", mac_key=KEY)
    assert again.broken is None
    again.close()
    stack.journal._db.close()


def test_an_edit_while_the_kiosk_runs_locks_cash(stack):
    serve_withdrawal(stack)
    _sql(stack.journal.path, "UPDATE visits SET state = 'reversed'")
    with pytest.raises(TellerError) as refused:
        wallet_desk(stack.teller).identify(PhoneLogin(JANE, stack.otp()))
    assert refused.value.code == "JOURNAL_BROKEN"
    assert "changed by another program" in refused.value.message


def test_a_supervisor_reseal_records_the_break_and_unlocks_cash(server, tmp_path):
    simulator = till_after_one_withdrawal(server, tmp_path)
    path = tmp_path / "journal.sqlite3"
    _sql(path, "UPDATE visits SET amount = '28.00', cash_delta = '-28.00'")  # the expected cash lies

    again = build_stack(tmp_path, server.handle.url, simulator, reuse_shift=True)
    assert again.journal.broken
    found = again.teller.reseal_journal("sam", "drawer counted: 490.00")
    assert "summary does not match" in found
    # The summary was rebuilt from the rows: the drawer expects what really left it.
    assert again.teller.cash_in_drawer("GBP").amount == Decimal("490.00")
    resealed = again.journal.last_row(RESEALED)
    assert resealed.data["supervisor"] == "sam" and resealed.data["breaks"]
    serve_withdrawal(again, "5", OLIVER)  # cash moves again (another customer: codes are single-use)
    assert again.teller.cash_in_drawer("GBP").amount == Decimal("485.00")
    again.journal.close()
    # The audit still tells the truth: the chain was intact, the summary had been edited and
    # rebuilt; a later start finds nothing open.
    third = Journal(path, mac_key=KEY)
    assert third.broken is None
    third.close()


def test_a_resealed_row_edit_stays_visible_to_audits(server, tmp_path):
    simulator = till_after_one_withdrawal(server, tmp_path)
    path = tmp_path / "journal.sqlite3"
    TAMPERING["an INTENT row edited"](path)
    again = Journal(path, mac_key=KEY)
    assert again.broken and "was changed after it was written" in again.broken
    again.reseal("sam")
    again.close()
    later = Journal(path, mac_key=KEY)
    assert later.broken is None  # acknowledged: the till serves
    intact, detail = later.verify()
    assert not intact and "resealed by a supervisor" in detail  # the audit still reports it
    later.close()


def test_the_wrong_key_cannot_open_a_till_journal(server, tmp_path):
    simulator = till_after_one_withdrawal(server, tmp_path)
    stranger = Journal(tmp_path / "journal.sqlite3", mac_key=b"k" * 32)
    assert stranger.broken and "anchor" in stranger.broken
    stranger.close()
