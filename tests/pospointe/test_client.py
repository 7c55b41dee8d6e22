"""PosPointeClient against the simulator over loopback: every documented error reaches a clean
error kind with plain words; tokens are re-made; a lost answer is settled by the balance."""

from __future__ import annotations

import logging
import time
import traceback
from decimal import Decimal

import httpx
import pytest

from kiosk.backends.base import (
    AuthenticationFailed,
    BackendError,
    BusinessError,
    HostUnreachable,
    InsufficientFunds,
    OutcomeUnknown,
)
from kiosk.backends.pospointe import (
    CardAlreadyActive,
    CardBlocked,
    CardLocked,
    CardNotActive,
    CardRejected,
    CardToken,
    CardTokenRejected,
    CardVisit,
    LimitExceeded,
    classify_refusal,
    mask_card,
    redeem_delta,
    settle_unknown,
)
from kiosk.money import Money, parse_amount
from kiosk.sim.pospointe import DEMO_PASSWORD
from tests.pospointe.conftest import ACTIVE, ACTIVE_250, BLOCKED, LOW, UNSOLD, basic
from tests.simserver import free_port


def usd(text: str) -> Money:
    return parse_amount(text, "USD")


# -- the happy paths -----------------------------------------------------------------------------------


def test_health_and_credentials(client):
    assert client.health() == "Healthy"
    client.verify_credentials()


def test_a_whole_day_of_gift_cards(sim, client):
    with CardVisit(client, "7012 3400 0000 1035", UNSOLD[1]) as card:  # spaces as a reader types them
        before = card.balance()
        assert (before.status, before.balance, before.last4) == ("inactive", Money.zero("USD"), "1035")
        sale = card.sell_new_card(usd("50"), "visit-1")
        assert (sale.amount, sale.balance, sale.last4) == (usd("50"), usd("50"), "1035")
        assert card.reload(usd("20.50"), "visit-2").balance == usd("70.50")
    with CardVisit(client, *LOW) as card:
        redemption = card.redeem(usd("10"), "visit-3")
        assert redemption.partial and redemption.approved == usd("7.35")
        assert (redemption.previous_balance, redemption.new_balance) == (usd("7.35"), Money.zero("USD"))
    with CardVisit(client, *ACTIVE) as card:
        full = card.redeem(usd("40"), "visit-4", accept_partial=False)
        assert not full.partial and full.new_balance == usd("60")
        assert card.change_status(True, "lost").status == "blocked"
        assert card.balance().status == "blocked"
        assert card.change_status(False, "found").status == "active"
    batch = client.batch()
    assert batch.status == "open" and [line.kind for line in batch.lines] == ["sell", "reload", "redeem", "redeem"]
    assert batch.totals.net == usd("50") + usd("20.50") - usd("47.35")
    closed = client.close_batch()
    assert closed.status == "closed" and closed.closed_at and closed.next_batch_id
    assert client.batch().batch_id == closed.next_batch_id and client.batch().lines == ()


def test_amounts_travel_as_exact_json_numbers(sim, make_client):
    seen: list[bytes] = []

    def spy(request: httpx.Request) -> httpx.Response:
        seen.append(request.content)
        return httpx.Response(200, json={"statuscode": "000000", "description": "Success", "status": True,
                                         "HostRef": "1", "balance": 110.1, "amount": "10.10"})

    client = make_client(base_url="http://127.0.0.1:1", transport=httpx.MockTransport(spy))
    token = CardToken("1234567890123456", time.time() + 600, "1001", time.time())
    assert client.reload(token, usd("10.10"), "r-1").balance == usd("110.10")
    assert b'"amount":10.10' in seen[0] and b'"franchiseeID":"FR2718"' in seen[0]


# -- every documented error, as a clean kind with plain words --------------------------------------


def _refusal(exc: BackendError) -> str:
    message = str(exc)
    assert message and message[0].isupper() and message.endswith("."), message
    assert exc.__cause__ is None and exc.__context__ is None
    return message


def test_wrong_password_is_authentication_failed(sim, make_client):
    client = make_client(password="wrong")
    with pytest.raises(AuthenticationFailed) as caught:
        client.verify_credentials()
    assert "pospointe.password" in _refusal(caught.value) and caught.value.host_code == "HTTP_401"
    with pytest.raises(AuthenticationFailed):
        client.tokenize(*ACTIVE)


def test_wrong_franchisee_and_store_name_their_setting(sim, make_client):
    client = make_client(franchisee_id="FR0001", store_id="9999")
    token = client.tokenize(*ACTIVE)
    with pytest.raises(AuthenticationFailed, match="pospointe.franchisee_id"):
        client.reload(token, usd("5"), "r")
    with pytest.raises(AuthenticationFailed, match="pospointe.store_id"):
        client.batch()
    with pytest.raises(AuthenticationFailed, match="pospointe.store_id"):
        client.close_batch()


@pytest.mark.parametrize(("card", "kind", "words"), [
    (("7012340000009999", "1234"), CardRejected, "No gift card has this number"),
    ((ACTIVE[0], "0000"), CardRejected, "security code is wrong"),
])
def test_card_look_up_refusals(sim, client, card, kind, words):
    with pytest.raises(kind) as caught:
        client.tokenize(*card)
    assert words in _refusal(caught.value)


def test_lockout_is_shown_plainly(sim, client):
    for left in (4, 3, 2, 1):
        with pytest.raises(CardRejected, match=f"{left} tries left"):
            client.tokenize(ACTIVE[0], "0000")
    with pytest.raises(CardLocked, match="locked after too many wrong security codes"):
        client.tokenize(ACTIVE[0], "0000")
    with pytest.raises(CardLocked):
        client.tokenize(*ACTIVE)


@pytest.mark.parametrize(("number", "code"), [("1234", "4821"), ("7012-3400-0000-1001", "12"), ("", "")])
def test_malformed_card_entry_is_refused_before_sending(make_client, number, code):
    client = make_client(base_url="http://127.0.0.1:1", transport=httpx.MockTransport(lambda r: pytest.fail("sent")))
    with pytest.raises(CardRejected):
        client.tokenize(number, code)


def test_card_state_refusals(sim, client):
    sold = client.tokenize(*ACTIVE)
    with pytest.raises(CardAlreadyActive, match="already been sold"):
        client.sell_new_card(sold, usd("10"), "s")
    with pytest.raises(CardNotActive, match="not been sold"):
        client.reload(client.tokenize(*UNSOLD), usd("10"), "r")
    with pytest.raises(CardNotActive):
        client.redeem(client.tokenize(*UNSOLD), usd("10"), "r")
    blocked = client.tokenize(*BLOCKED)
    for call in (lambda: client.reload(blocked, usd("5"), "r"), lambda: client.redeem(blocked, usd("5"), "r"),
                 lambda: client.sell_new_card(blocked, usd("5"), "r")):
        with pytest.raises(CardBlocked, match="supervisor must unblock"):
            call()
    with pytest.raises(BusinessError, match="already Blocked"):
        client.change_status(blocked, True, "again")
    with pytest.raises(BusinessError, match="not been sold"):
        client.change_status(client.tokenize(*UNSOLD), True, "x")


def test_money_refusals(sim, client):
    low = client.tokenize(*LOW)
    with pytest.raises(InsufficientFunds, match="balance is too low"):
        client.redeem(low, usd("10"), "r", accept_partial=False)
    with pytest.raises(LimitExceeded, match="limits"):
        client.reload(client.tokenize(*ACTIVE), usd("500.01"), "r")
    fuller = client.tokenize(*ACTIVE_250)
    assert client.reload(fuller, usd("500"), "r").balance == usd("750")
    with pytest.raises(LimitExceeded, match="1000.00"):
        client.reload(fuller, usd("300"), "r")
    assert sim.card_balance(LOW[0]) == Decimal("7.35")


def test_an_expired_token_is_refused_plainly(sim, client, clock):
    token = client.tokenize(*ACTIVE)
    clock.advance(600)
    with pytest.raises(CardTokenRejected, match="enter the card again"):
        client.balance(token)


def test_unknown_codes_are_classified_by_their_words():
    assert classify_refusal("redeem", "77", "Not enough balance on card") is InsufficientFunds
    assert classify_refusal("reload", "77", "Insufficient balance") is BusinessError  # only a redeem lacks money
    assert classify_refusal("balance", "12", "Token has expired") is CardTokenRejected
    assert classify_refusal("token", "12", "Wrong PIN") is CardRejected
    assert classify_refusal("reload", "12", "Daily load limit exceeded") is LimitExceeded
    assert classify_refusal("reload", "12", "Something odd") is BusinessError


# -- transport failures and unreadable answers -------------------------------------------------------


def test_an_unhealthy_server(sim, client):
    sim.inject_fault("error_before_apply", operation="health")
    with pytest.raises(HostUnreachable, match="not healthy"):
        client.health()


def test_cards_are_shown_by_their_last_4():
    assert mask_card("7012 3400 0000 1001") == "****1001" and mask_card("12") == "****"


def test_nothing_listening_is_host_unreachable(make_client):
    client = make_client(base_url=f"http://127.0.0.1:{free_port()}")
    with pytest.raises(HostUnreachable, match="was not sent"):
        client.reload(CardToken("1234567890123456", 0, "1001"), usd("5"), "r")
    with pytest.raises(HostUnreachable):
        client.health()


@pytest.mark.parametrize(("kind", "call"), [
    ("error_before_apply", "reload"), ("error_after_apply", "redeem"), ("drop_after_apply", "sell"),
    ("drop_before_apply", "changestatus"), ("error_before_apply", "closebatch"),
])
def test_lost_answers_to_changes_are_outcome_unknown(sim, client, kind, call):
    token = client.tokenize(*(UNSOLD if call == "sell" else ACTIVE))
    sim.inject_fault(kind, operation=call)
    actions = {
        "reload": lambda: client.reload(token, usd("5"), "r"),
        "redeem": lambda: client.redeem(token, usd("5"), "r"),
        "sell": lambda: client.sell_new_card(token, usd("5"), "r"),
        "changestatus": lambda: client.change_status(token, True, "x"),
        "closebatch": client.close_batch,
    }
    with pytest.raises(OutcomeUnknown) as caught:
        actions[call]()
    assert "may have been applied" in _refusal(caught.value)


def test_a_read_timeout_is_outcome_unknown(sim, make_client):
    client = make_client(timeout=0.2)
    token = client.tokenize(*ACTIVE)
    sim.inject_fault("timeout_after_apply", operation="reload", seconds=0.5)
    with pytest.raises(OutcomeUnknown, match="within 0.2 s"):
        client.reload(token, usd("5"), "r")
    time.sleep(0.4)


@pytest.mark.parametrize("call", ["balance", "token", "batch", "verify"])
def test_lost_answers_to_reads_are_host_unreachable(sim, client, call):
    token = client.tokenize(*ACTIVE)
    sim.inject_fault("error_before_apply", operation=call)
    actions = {"balance": lambda: client.balance(token), "token": lambda: client.tokenize(*ACTIVE),
               "batch": client.batch, "verify": client.verify_credentials}
    with pytest.raises(HostUnreachable, match="Nothing was changed"):
        actions[call]()


@pytest.mark.parametrize(("status", "body", "kind"), [
    (200, {"statuscode": "000000", "description": "Success", "status": False}, OutcomeUnknown),
    (200, {"statuscode": "400003", "description": "Card is blocked", "status": True}, OutcomeUnknown),
    (200, {"statuscode": "000000", "status": True}, OutcomeUnknown),  # no HostRef / balance
    (200, b"<html>maintenance</html>", OutcomeUnknown),
    (200, {"statuscode": "000000", "status": True, "HostRef": "1", "balance": "lots"}, OutcomeUnknown),
    (302, b"", OutcomeUnknown),
    (404, b"", BusinessError),
    (429, b"", HostUnreachable),
    (400, {"statuscode": "100001", "description": "Invalid request: amount is required", "status": False},
     BusinessError),
])
def test_unusable_answers(make_client, status, body, kind):
    def host(request: httpx.Request) -> httpx.Response:
        if isinstance(body, bytes):
            return httpx.Response(status, content=body)
        return httpx.Response(status, json=body)

    client = make_client(base_url="http://127.0.0.1:1", transport=httpx.MockTransport(host))
    with pytest.raises(kind) as caught:
        client.reload(CardToken("1234567890123456", 0, "1001"), usd("5"), "r")
    assert type(caught.value) is kind
    _refusal(caught.value)


def test_the_token_answer_needs_no_status_field_but_a_token(make_client):
    answers = iter([
        {"statuscode": "000000", "description": "Success", "token": "4827466716824759",
         "exp": "2024-09-04T02:23:34.0541675-04:00"},  # the documented example
        {"statuscode": "000000", "description": "Success"},
    ])
    client = make_client(base_url="http://127.0.0.1:1",
                         transport=httpx.MockTransport(lambda r: httpx.Response(200, json=next(answers))))
    token = client.tokenize(*ACTIVE)
    assert (token.token, token.last4, token.host_exp) == ("4827466716824759", "1001", "2024-09-04T02:23:34.0541675-04:00")
    with pytest.raises(HostUnreachable, match="could not be read"):
        client.tokenize(*ACTIVE)


# -- tokens re-made ---------------------------------------------------------------------------------------


def test_card_visit_re_makes_its_token_before_ten_minutes(sim, client, clock):
    card = CardVisit(client, *ACTIVE)
    first = card.token()
    clock.advance(569)
    assert card.token() is first
    clock.advance(1)
    second = card.token()
    assert second.token != first.token
    assert card.balance().balance == usd("100")


def test_card_visit_renews_once_when_the_host_refuses_its_token(sim, make_client, clock):
    client = make_client(clock=lambda: clock.now - 300)  # the terminal's clock runs 5 minutes late
    card = CardVisit(client, *ACTIVE)
    card.token()
    clock.advance(601)  # the host sees the token expired; the terminal thinks it has 5 min left
    assert card.reload(usd("5"), "r").balance == usd("105")
    assert len(sim.transactions()) == 1


def test_card_visit_forgets_the_card(sim, client):
    card = CardVisit(client, *ACTIVE)
    with card:
        card.balance()
    with pytest.raises(BusinessError, match="enter the card again"):
        card.balance()


# -- settle_unknown ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "expected"), [
    ("error_after_apply", "applied"), ("drop_after_apply", "applied"),
    ("error_before_apply", "not_applied"), ("drop_before_apply", "not_applied"),
])
def test_settle_a_lost_reload(sim, client, kind, expected):
    card = CardVisit(client, *ACTIVE)
    before = card.balance().balance
    sim.inject_fault(kind, operation="reload")
    with pytest.raises(OutcomeUnknown):
        card.reload(usd("25"), "r-1")
    assert settle_unknown(client, card, before, usd("25")) == expected
    assert len(sim.transactions()) == (1 if expected == "applied" else 0)  # nothing was re-sent


@pytest.mark.parametrize(("kind", "expected"), [("error_after_apply", "applied"), ("error_before_apply", "not_applied")])
def test_settle_a_lost_partial_redeem(sim, client, kind, expected):
    token = client.tokenize(*LOW)
    before = client.balance(token).balance
    sim.inject_fault(kind, operation="redeem")
    with pytest.raises(OutcomeUnknown):
        client.redeem(token, usd("10"), "r-1", accept_partial=True)
    delta = redeem_delta(before, usd("10"), accept_partial=True)
    assert delta == Money.zero("USD") - usd("7.35")
    assert settle_unknown(client, token, before, delta) == expected


def test_settle_a_lost_sale(sim, client, make_client):
    token = client.tokenize(*UNSOLD)
    before = client.balance(token).balance
    sim.inject_fault("timeout_after_apply", operation="sell", seconds=0.4)
    slow = make_client(timeout=0.15)
    with pytest.raises(OutcomeUnknown):
        slow.sell_new_card(token, usd("30"), "s-1")
    assert settle_unknown(client, token, before, usd("30")) == "applied"


def test_a_request_that_lands_late_is_caught_by_the_confirmation(sim, client, make_client):
    token = client.tokenize(*ACTIVE)
    sim.inject_fault("timeout_before_apply", operation="reload", seconds=0.4, answer=True)
    slow = make_client(timeout=0.1)
    with pytest.raises(OutcomeUnknown):
        slow.reload(token, usd("10"), "r")
    # Read at once, the balance has not moved yet; the confirmation after a pause sees it land.
    assert settle_unknown(client, token, usd("100"), usd("10"), confirm_after=0.8) == "applied"


def test_settle_says_unknown_when_the_balance_moved_otherwise_or_cannot_be_read(sim, client):
    token = client.tokenize(*ACTIVE)
    client.reload(token, usd("3"), "another-till")
    assert settle_unknown(client, token, usd("100"), usd("25")) == "unknown"
    sim.inject_fault("error_before_apply", operation="balance", count=3)
    pauses: list[float] = []
    assert settle_unknown(client, token, usd("103"), usd("25"), sleep=pauses.append) == "unknown"
    assert pauses == [0.25, 0.5]
    sim.inject_fault("error_before_apply", operation="balance", count=2)
    assert settle_unknown(client, token, usd("103"), usd("25"), sleep=pauses.append) == "not_applied"


# -- nothing secret leaks -------------------------------------------------------------------------------


SECRETS = (ACTIVE[0], ACTIVE[1], DEMO_PASSWORD, basic().split()[1])


def _exception_text(exc: BaseException) -> str:
    return "\n".join([str(exc), repr(exc), repr(exc.args), *traceback.format_exception(exc)])


def test_no_secret_in_errors_reprs_or_debug_logs(sim, make_client, clock, caplog):
    caplog.set_level(logging.DEBUG)
    client = make_client(timeout=0.2)
    texts = [repr(client), str(client)]
    card = CardVisit(client, *ACTIVE)
    token = card.token()
    texts += [repr(card), str(card), repr(token), str(token), repr(card.balance())]
    failures: list[BackendError] = []

    def expect(action):
        try:
            action()
        except BackendError as exc:
            failures.append(exc)
        else:
            pytest.fail("no error")

    expect(lambda: client.tokenize(ACTIVE[0], "0000"))
    expect(lambda: client.tokenize("7012340000009999", ACTIVE[1]))
    expect(lambda: client.tokenize("70123400", ACTIVE[1]))
    sim.inject_fault("error_after_apply", operation="reload")
    expect(lambda: card.reload(usd("5"), "r"))
    sim.inject_fault("drop_after_apply", operation="redeem")
    expect(lambda: card.redeem(usd("5"), "r"))
    sim.inject_fault("timeout_after_apply", operation="balance", seconds=0.4)
    expect(card.balance)
    time.sleep(0.3)
    expect(lambda: make_client(password="wrong").tokenize(*ACTIVE))
    expect(lambda: make_client(base_url=f"http://127.0.0.1:{free_port()}").tokenize(*ACTIVE))
    clock.advance(601)
    expect(lambda: client.balance(token))
    settle_unknown(client, card, usd("100"), usd("5"))
    texts += [_exception_text(exc) for exc in failures]
    texts += [f"{r.name} {r.getMessage()}" for r in caplog.records]
    for text in texts:
        for secret in (*SECRETS, token.token):
            assert secret not in text, f"{secret!r} leaked into: {text}"
    assert all(exc.__context__ is None and exc.__cause__ is None for exc in failures)
    assert any("1001" in f"{r.getMessage()}" for r in caplog.records)  # shown as its last 4
