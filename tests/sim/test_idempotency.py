"""Idempotency: a repeated key answers the first response again, applies nothing twice, 24 h."""

from __future__ import annotations

from tests.sim.pos import error_code, ok_data

PHONE = "+12025550143"  # EUR 1500, USD 2750.50


def test_a_repeated_key_replays_the_first_answer_without_applying_twice(sim, pos):
    s = pos.open_session(sim, PHONE)
    first = pos.withdraw(s, s.account_id("EUR"), "100", idempotency="wd-1")
    again = pos.withdraw(s, s.account_id("EUR"), "100", idempotency="wd-1")  # freshly signed
    assert first.status_code == again.status_code == 200
    assert first.content == again.content  # the very same body, operation_id included
    assert sim.balance(PHONE, "EUR") == 1400
    assert len(sim.transactions()) == 1


def test_an_error_answer_is_replayed_too(sim, pos):
    s = pos.open_session(sim, PHONE)
    first = pos.withdraw(s, s.account_id("EUR"), "5000", idempotency="big")
    again = pos.withdraw(s, s.account_id("EUR"), "5000", idempotency="big")
    assert (first.status_code, error_code(first)) == (400, "NOT_ENOUGH_FUNDS")
    assert first.content == again.content
    # A new key is a new request; the session was not used up by the refusal.
    ok_data(pos.withdraw(s, s.account_id("EUR"), "50", idempotency="small"))


def test_requests_without_a_key_are_each_applied(sim, pos, clock):
    for _ in range(2):
        s = pos.open_session(sim, PHONE)
        ok_data(pos.deposit(s, "1", "USD"))
        clock.advance(30)
    assert len(sim.transactions()) == 2


def test_a_replayed_login_returns_the_same_session(sim, pos):
    code = sim.current_otp(PHONE)
    first = pos.login(PHONE, code, idempotency="login-1")
    again = pos.login(PHONE, code, idempotency="login-1")
    assert first.content == again.content and first.status_code == 200


def test_a_key_is_remembered_for_24_hours_only(make_sim, pos, clock):
    sim = make_sim(session_idle=3 * 24 * 3600)  # keep the session alive across the days
    s = pos.open_session(sim, PHONE)
    first = pos.deposit(s, "10", "EUR", idempotency="dep-1")
    ok_data(first)
    clock.advance(24 * 3600 - 1)
    assert pos.deposit(s, "10", "EUR", idempotency="dep-1").content == first.content
    assert sim.balance(PHONE, "EUR") == 1510
    clock.advance(2)
    # Forgotten: the request is processed afresh, and the session's one action is spent.
    late = pos.deposit(s, "10", "EUR", idempotency="dep-1")
    assert error_code(late) == "ERROR_SESSION_ALREADY_USED"
    assert sim.balance(PHONE, "EUR") == 1510
    # From now on the new answer is the one remembered.
    assert pos.deposit(s, "10", "EUR", idempotency="dep-1").content == late.content


# -- a value is bound to the request it first came with ------------------------------------------

JANE = "+14155559992"  # GBP 189


def reused(response) -> bool:
    return response.status_code == 400 and error_code(response) == "ERROR_IDEMPOTENCY_KEY_REUSED"


def test_a_key_reused_by_another_wallets_session_is_refused_not_answered(sim, pos):
    # The case: Jane's withdrawal answered under "k"; Maria's deposit under "k" must
    # neither get Jane's transaction id nor move any money.
    jane = pos.open_session(sim, JANE)
    first = ok_data(pos.withdraw(jane, jane.account_id("GBP"), "50", idempotency="k"))
    maria = pos.open_session(sim, PHONE)
    for attempt in (pos.deposit(maria, "50", "EUR", idempotency="k"),
                    pos.withdraw(maria, maria.account_id("EUR"), "50", idempotency="k")):
        assert reused(attempt) and first["transaction_id"] not in attempt.text
    assert sim.balance(JANE, "GBP") == 139 and sim.balance(PHONE, "EUR") == 1500
    assert len(sim.transactions()) == 1
    # Maria's session was not used up: a fresh key goes through.
    ok_data(pos.withdraw(maria, maria.account_id("EUR"), "50", idempotency="k2"))


def test_a_key_reused_for_another_amount_path_is_refused(sim, pos):
    s = pos.open_session(sim, PHONE)
    first = ok_data(pos.withdraw(s, s.account_id("EUR"), "100", idempotency="wd"))
    for amount in ("50", "100.00"):  # another amount, or the same amount written another way
        attempt = pos.withdraw(s, s.account_id("EUR"), amount, idempotency="wd")
        assert reused(attempt) and first["transaction_id"] not in attempt.text
    assert sim.balance(PHONE, "EUR") == 1400 and len(sim.transactions()) == 1


def test_a_key_reused_with_another_body_is_refused(sim, pos):
    s = pos.open_session(sim, PHONE)
    first = ok_data(pos.deposit(s, "10", "EUR", body=b'{"metadata":{"till":1}}', idempotency="dep"))
    attempt = pos.deposit(s, "10", "EUR", body=b'{"metadata":{"till":2}}', idempotency="dep")
    assert reused(attempt) and first["transaction_id"] not in attempt.text
    assert sim.balance(PHONE, "EUR") == 1510 and len(sim.transactions()) == 1


def test_a_key_reused_with_another_method_is_refused(sim, pos):
    ok_data(pos.echo(idempotency="e"))
    s = pos.open_session(sim, PHONE)
    assert reused(pos.deposit(s, "10", "EUR", idempotency="e"))
    assert sim.balance(PHONE, "EUR") == 1500 and sim.transactions() == []


def test_a_key_reused_for_another_reversal_is_refused(sim, pos):
    s = pos.open_session(sim, PHONE)
    withdrawal = ok_data(pos.withdraw(s, s.account_id("EUR"), "100"))
    ok_data(pos.reversal(s, s.account_id("EUR"), "40", withdrawal["transaction_id"], idempotency="rv"))
    # The same key naming another withdrawal (header transaction_id) is another request.
    assert reused(pos.reversal(s, s.account_id("EUR"), "40", "another-withdrawal", idempotency="rv"))
    assert sim.balance(PHONE, "EUR") == 1440 and len(sim.transactions()) == 2


def test_the_first_request_still_gets_its_answer_after_a_refused_reuse(sim, pos):
    s = pos.open_session(sim, PHONE)
    first = pos.withdraw(s, s.account_id("EUR"), "100", idempotency="wd")
    other = pos.open_session(sim, JANE)
    assert reused(pos.withdraw(other, other.account_id("GBP"), "100", idempotency="wd"))
    again = pos.withdraw(s, s.account_id("EUR"), "100", idempotency="wd")
    assert again.status_code == 200 and again.content == first.content
    assert sim.balance(PHONE, "EUR") == 1400 and sim.balance(JANE, "GBP") == 189


def test_the_binding_survives_a_restart(make_sim, pos, clock, tmp_path):
    ledger = tmp_path / "rapyd.sqlite"
    sim = make_sim(ledger_path=ledger)
    s = pos.open_session(sim, PHONE)
    first = pos.withdraw(s, s.account_id("EUR"), "100", idempotency="wd")
    sim = make_sim(ledger_path=ledger)  # the server now serves a new simulator on the same books
    assert pos.withdraw(s, s.account_id("EUR"), "100", idempotency="wd").content == first.content
    assert reused(pos.withdraw(s, s.account_id("EUR"), "99", idempotency="wd"))
    assert sim.balance(PHONE, "EUR") == 1400


def test_replies_in_books_from_before_the_binding_answer_no_request(make_sim, pos, tmp_path):
    # Books written by an older simulator have no fingerprint column: it is added on opening,
    # and a reply it cannot tie to a request is never handed out.
    ledger = tmp_path / "old.sqlite"
    old = make_sim(ledger_path=ledger)
    s = pos.open_session(old, PHONE)
    ok_data(pos.withdraw(s, s.account_id("EUR"), "100", idempotency="wd"))
    old.ledger._db.execute("ALTER TABLE idempotency DROP COLUMN fingerprint")
    sim = make_sim(ledger_path=ledger)
    assert "fingerprint" in {r["name"] for r in sim.ledger._all("PRAGMA table_info(idempotency)")}
    assert reused(pos.withdraw(s, s.account_id("EUR"), "100", idempotency="wd"))
    assert sim.balance(PHONE, "EUR") == 1400 and len(sim.transactions()) == 1
