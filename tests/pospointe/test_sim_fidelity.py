"""What the gift card server refuses like a real host: bodies over the limit (413, statuscode
100006, before they are read) and digits other than 0-9 in card numbers, security codes and
amounts (100001 Invalid request). The card's books never move."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from kiosk.sim.pospointe import DEMO_FRANCHISEE_ID
from tests.pospointe.conftest import ACTIVE, UNSOLD, basic, ok, refused
from tests.sim.wire import MIB, declared_only, unfinished_chunks


def reload_body(token: str, amount: object = 10, padding: int = 0) -> bytes:
    """A reload the server would apply: the padding is a property it ignores."""
    document = {"cardtoken": token, "amount": amount, "franchiseeID": DEMO_FRANCHISEE_ID, "posRef": "r-1",
                "note": "x" * padding}
    return json.dumps(document).encode()


def too_large(status: int, document: dict) -> bool:
    return status == 413 and document["statuscode"] == "100006" and document["status"] is False


def test_a_50_mb_reload_is_refused_and_applies_nothing(sim, api):
    token = api.token(ACTIVE)
    response = api.send("POST", "/Transaction/reload", content=reload_body(token, padding=50 * MIB),
                        headers={"Content-Type": "application/json"})
    assert too_large(response.status_code, response.json())
    assert sim.card_balance(ACTIVE[0]) == Decimal("100.00") and sim.transactions() == []
    ok(api.money("reload", token, 10))  # the token still works: only the oversized call was refused


def test_a_chunked_reload_over_the_limit_is_refused_and_applies_nothing(sim, api):
    token = api.token(ACTIVE)
    body = reload_body(token, padding=2 * MIB)
    response = api.send("POST", "/Transaction/reload", content=(body[i:i + 65536] for i in range(0, len(body), 65536)),
                        headers={"Content-Type": "application/json"})
    assert "content-length" not in response.request.headers
    assert too_large(response.status_code, response.json())
    assert sim.card_balance(ACTIVE[0]) == Decimal("100.00") and sim.transactions() == []


def test_a_declared_50_mb_body_is_refused_without_waiting_for_it(sim, server):
    assert too_large(*declared_only(server.url, "POST", "/Transaction/reload", 50 * MIB, {"Authorization": basic()}))


def test_an_endless_chunked_body_is_refused_once_past_the_limit(sim, server):
    assert too_large(*unfinished_chunks(server.url, "POST", "/Transaction/radeem", MIB + 16384))


def test_the_limit_is_configurable(make_sim, api):
    sim = make_sim(max_body_bytes=4096)
    token = api.token(ACTIVE)
    ok(api.send("POST", "/Transaction/reload", content=reload_body(token, padding=3000)))
    response = api.send("POST", "/Transaction/reload", content=reload_body(token, padding=4096))
    assert too_large(response.status_code, response.json())
    assert sim.card_balance(ACTIVE[0]) == Decimal("110.00")


def test_a_chunked_body_within_the_limit_is_served(sim, api):
    token = api.token(ACTIVE)
    body = reload_body(token)
    ok(api.send("POST", "/Transaction/reload", content=iter([body[:10], body[10:]])))
    assert sim.card_balance(ACTIVE[0]) == Decimal("110.00")


# -- only ASCII digits ---------------------------------------------------------------------------

OTHER_DIGITS = {
    "arabic-indic": str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"),
    "full-width": str.maketrans("0123456789", "０１２３４５６７８９"),
    "devanagari": str.maketrans("0123456789", "०१२३४५६७८९"),
}


@pytest.mark.parametrize("script", OTHER_DIGITS)
def test_a_card_number_in_other_digits_is_an_invalid_request(sim, api, script):
    response = api.token_answer((ACTIVE[0].translate(OTHER_DIGITS[script]), ACTIVE[1]))
    assert refused(response, 400) == "100001"


@pytest.mark.parametrize("script", OTHER_DIGITS)
def test_a_security_code_in_other_digits_is_an_invalid_request_not_a_wrong_code(sim, api, script):
    # The right code, in other digits: refused as malformed, and no step towards the lockout.
    response = api.token_answer((ACTIVE[0], ACTIVE[1].translate(OTHER_DIGITS[script])))
    assert refused(response, 400) == "100001"
    card = sim.card(ACTIVE[0])
    assert card is not None and card.failed_codes == 0 and card.locked_until == 0


@pytest.mark.parametrize("operation,card", [("sell", UNSOLD), ("reload", ACTIVE), ("redeem", ACTIVE)])
@pytest.mark.parametrize("amount", ["١٠", "１０.００", "१०", "1٠", "٦٦.٠١"])
def test_an_amount_in_other_digits_is_an_invalid_request_and_moves_nothing(sim, api, operation, card, amount):
    before = sim.card_balance(card[0])
    token = api.token(card)
    assert refused(api.money(operation, token, amount), 400) == "100001"  # "٦٦.٠١" arms no fault either
    assert sim.card_balance(card[0]) == before and sim.transactions() == []
    assert sim.card_status(card[0]) == ("inactive" if card is UNSOLD else "active")


def test_a_store_id_in_other_digits_closes_no_batch(sim, api):
    ok(api.money("reload", api.token(ACTIVE), 10))
    assert refused(api.close_batch("５１５０")) == "100005"
    assert ok(api.batch())["batchstatus"] == "Open" and len(ok(api.batch())["transactions"]) == 1


def test_the_card_control_endpoint_takes_only_ascii_digits(sim, api):
    for document in ({"number": "٧٠١٢٣٤٠٠٠٠٠٠٩٩٩٩", "security_code": "1234"},
                     {"number": "7012340000009999", "security_code": "１２３４"},
                     {"number": "7012340000009999", "security_code": "1234", "balance": "١٠"}):
        assert api.send("POST", "/_sim/pospointe/cards", document, auth="").status_code == 400
    assert sim.card("7012340000009999") is None
