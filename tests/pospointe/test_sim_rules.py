"""The simulator's API rules, checked with raw HTTP requests built from the documentation."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal

import pytest

from kiosk.sim.pospointe import DEMO_CARDS, PATH_PREFIXES
from tests.pospointe.conftest import ACTIVE, ACTIVE_250, BLOCKED, LOW, T0, UNSOLD, UNSOLD_2, basic, ok, refused

ROUTES = [
    ("PUT", "/Auth/verify"),
    ("POST", "/v1/Token"),
    ("POST", "/Transaction/balancecheck"),
    ("POST", "/Transaction/sellnewcard"),
    ("POST", "/Transaction/reload"),
    ("POST", "/Transaction/radeem"),
    ("PATCH", "/Transaction/changestatus"),
    ("GET", "/Batch/5150"),
    ("POST", "/Batch/batch/5150"),
]


# -- authentication and routing ------------------------------------------------------------------


def test_health_needs_no_credentials(sim, api):
    response = api.send("GET", "/Health", auth="")
    assert (response.status_code, response.text) == (200, "Healthy")


def test_verify_accepts_the_demo_credentials(sim, api):
    assert ok(api.send("PUT", "/Auth/verify"))["statuscode"] == "000000"


@pytest.mark.parametrize("header", [
    "",  # no header at all
    basic(password="wrong"),
    basic(user="nobody"),
    "Basic Og==",  # ":" as in the documentation's request sample
    "Basic not-base64!!",
    "Bearer abc",
    basic().replace("Basic ", "Basic  ") + "x",
])
def test_wrong_or_missing_credentials_get_401_with_an_empty_body(sim, api, header):
    response = api.send("PUT", "/Auth/verify", auth=header)
    assert response.status_code == 401 and response.content == b""
    assert response.headers["www-authenticate"].startswith("Basic")


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_every_api_path_needs_credentials(sim, api, method, path):
    assert api.send(method, path, {}, auth="").status_code == 401


@pytest.mark.parametrize(("method", "path"), ROUTES + [("GET", "/Health")])
def test_every_documented_path_is_under_a_served_prefix(method, path):
    assert any(path.startswith(prefix) for prefix in PATH_PREFIXES)


def test_unknown_path_is_404_and_wrong_method_405(sim, api):
    assert api.send("POST", "/Transaction/redeem", {}).status_code == 404  # the real path is /radeem
    response = api.send("GET", "/Transaction/reload")
    assert response.status_code == 405 and response.headers["allow"] == "POST"


# -- tokens ----------------------------------------------------------------------------------------


def test_token_answer_is_exactly_the_documented_shape(sim, api, clock):
    body = ok(api.token_answer(ACTIVE))
    assert set(body) == {"statuscode", "description", "token", "exp"}
    assert body["description"] == "Success"
    assert re.fullmatch(r"\d{16}", body["token"]) and body["token"] != ACTIVE[0]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}[+-]\d\d:\d\d", body["exp"])
    assert datetime.fromisoformat(body["exp"]).timestamp() == pytest.approx(T0 + 600, abs=0.001)


def test_a_token_lives_ten_minutes(sim, api, clock):
    token = api.token(ACTIVE)
    clock.advance(599.9)
    ok(api.balance(token))
    clock.advance(0.1)
    response = api.balance(token)
    assert refused(response) == "300002"
    assert "expired" in response.json()["description"].lower()
    assert refused(api.money("reload", token, "10")) == "300002"
    assert sim.card_balance(ACTIVE[0]) == Decimal("100.00")


def test_an_unknown_token_is_refused(sim, api):
    assert refused(api.balance("1234567890123456")) == "300001"


def test_unknown_card_and_wrong_security_code(sim, api):
    assert refused(api.token_answer(("7012340000009999", "1234"))) == "200001"
    response = api.token_answer((ACTIVE[0], "0000"))
    assert refused(response) == "200002"
    assert "4 attempts left" in response.json()["description"]


def test_five_wrong_codes_lock_the_card_for_thirty_minutes(sim, api, clock):
    for left in (4, 3, 2, 1):
        assert f"{left} attempt" in api.token_answer((ACTIVE[0], "0000")).json()["description"]
    assert refused(api.token_answer((ACTIVE[0], "0000"))) == "200003"
    assert refused(api.token_answer(ACTIVE)) == "200003"  # even the right code, while locked
    ok(api.token_answer(ACTIVE_250))  # other cards are not affected
    clock.advance(1799)
    assert refused(api.token_answer(ACTIVE)) == "200003"
    clock.advance(1)
    ok(api.token_answer(ACTIVE))


def test_a_right_code_resets_the_count(sim, api):
    for _ in range(4):
        refused(api.token_answer((ACTIVE[0], "0000")))
    ok(api.token_answer(ACTIVE))
    assert "4 attempts left" in api.token_answer((ACTIVE[0], "0000")).json()["description"]


def test_malformed_requests_are_400_with_a_statuscode(sim, api):
    assert refused(api.send("POST", "/v1/Token", {"cardnumber": ACTIVE[0]}), 400) == "100001"
    response = api.send("POST", "/v1/Token", content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 400 and response.json()["statuscode"] == "100001"
    assert refused(api.send("POST", "/Transaction/balancecheck", [1, 2]), 400) == "100001"
    token = api.token(ACTIVE)
    assert refused(api.money("reload", token, True), 400) == "100001"
    assert refused(api.money("reload", token, "ten"), 400) == "100001"
    assert refused(api.money("redeem", token, "1", acceptpartialamount="yes"), 400) == "100001"
    assert refused(api.money("reload", token, "1", pos_ref=""), 400) == "100001"


def test_property_names_are_case_insensitive_and_amounts_may_be_strings(sim, api):
    token = ok(api.send("POST", "/v1/Token", {"CardNumber": ACTIVE[0], "SecurityCode": ACTIVE[1]}))["token"]
    body = ok(api.send("POST", "/Transaction/reload",
                       {"CardToken": token, "Amount": "10.5", "FranchiseeId": "FR2718", "PosRef": "r"}))
    assert body["balance"] == 110.5


# -- balance, sale, reload -----------------------------------------------------------------------


def test_balancecheck_answers_exact_two_decimal_numbers(sim, api):
    response = api.balance(api.token(LOW))
    body = ok(response)
    assert (body["cardending"], body["cardstatus"], body["currency"]) == ("1027", "Active", "USD")
    assert '"balance": 7.35' in response.text
    assert '"balance": 100.00' in api.balance(api.token(ACTIVE)).text


def test_an_unsold_card_reports_inactive_with_zero(sim, api):
    body = ok(api.balance(api.token(UNSOLD)))
    assert (body["cardstatus"], body["balance"]) == ("Inactive", 0)


def test_sell_new_card_activates_it_with_the_amount(sim, api):
    token = api.token(UNSOLD)
    body = ok(api.money("sell", token, 25, pos_ref="sale-1"))
    assert body["cardno"] == "XXXXXXXXXXXX1035" and UNSOLD[0] not in api.money("sell", token, 1).text
    assert (body["balance"], body["amount"], body["posRef"]) == (25, 25, "sale-1")
    assert re.fullmatch(r"\d+", body["HostRef"])
    assert sim.card_status(UNSOLD[0]) == "active" and sim.card_balance(UNSOLD[0]) == 25
    assert refused(api.money("sell", token, 25)) == "400002"  # sold already
    assert refused(api.money("sell", api.token(BLOCKED), 25)) == "400003"


def test_reload_adds_and_needs_an_active_card(sim, api):
    body = ok(api.money("reload", api.token(ACTIVE), "20.00"))
    assert body["balance"] == 120
    assert refused(api.money("reload", api.token(UNSOLD_2), 20)) == "400001"
    assert refused(api.money("reload", api.token(BLOCKED), 20)) == "400003"


def test_there_is_no_idempotency_a_repeated_reload_applies_twice(sim, api):
    token = api.token(ACTIVE)
    first = ok(api.money("reload", token, 10, pos_ref="same"))
    second = ok(api.money("reload", token, 10, pos_ref="same"))
    assert first["HostRef"] != second["HostRef"]
    assert sim.card_balance(ACTIVE[0]) == Decimal("120.00")
    assert len(sim.transactions()) == 2


@pytest.mark.parametrize(("amount", "code"), [
    (0, "100002"), (-5, "100002"), ("10.005", "100002"),
    ("0.99", "400005"), ("500.01", "400005"),
])
def test_amount_rules(sim, api, amount, code):
    assert refused(api.money("reload", api.token(ACTIVE), amount)) == code
    assert sim.card_balance(ACTIVE[0]) == Decimal("100.00")


def test_limits_at_their_edges(sim, api):
    token = api.token(ACTIVE_250)
    ok(api.money("reload", token, "1.00"))
    ok(api.money("reload", token, "500.00"))  # 751.00
    assert refused(api.money("reload", token, "249.01")) == "400006"  # would pass 1000.00
    ok(api.money("reload", token, "249.00"))
    assert sim.card_balance(ACTIVE_250[0]) == Decimal("1000.00")


def test_a_foreign_franchisee_is_refused(sim, api):
    response = api.money("reload", api.token(ACTIVE), 10, franchiseeID="FR0001")
    assert refused(response) == "100003"


# -- redeem ------------------------------------------------------------------------------------------


def test_redeem_in_full(sim, api):
    body = ok(api.money("redeem", api.token(ACTIVE), "40.00", acceptpartialamount=False))
    assert (body["Approvedbalance"], body["Previousbalance"], body["Newbalance"]) == (40, 100, 60)
    assert body["description"] == "Success"


def test_redeem_is_partially_approved_when_accepted(sim, api):
    response = api.money("redeem", api.token(LOW), 10, acceptpartialamount=True)
    body = ok(response)
    assert body["description"] == "Partial Approval"
    assert '"Approvedbalance": 7.35' in response.text
    assert (body["Previousbalance"], body["Newbalance"]) == (7.35, 0)
    assert sim.card_balance(LOW[0]) == 0


def test_redeem_above_the_balance_is_refused_without_partial(sim, api):
    for extra in ({"acceptpartialamount": False}, {}):  # absent means false
        response = api.money("redeem", api.token(LOW), 10, **extra)
        assert refused(response) == "400004" and "7.35" in response.json()["description"]
    assert sim.card_balance(LOW[0]) == Decimal("7.35")


def test_a_zero_balance_refuses_even_a_partial_redeem(sim, api):
    token = api.token(LOW)
    ok(api.money("redeem", token, "7.35"))
    assert refused(api.money("redeem", token, 1, acceptpartialamount=True)) == "400004"


def test_redeem_needs_a_sold_unblocked_card(sim, api):
    assert refused(api.money("redeem", api.token(UNSOLD), 1)) == "400001"
    assert refused(api.money("redeem", api.token(BLOCKED), 1)) == "400003"


# -- block and unblock --------------------------------------------------------------------------------


def test_block_then_unblock(sim, api):
    token = api.token(ACTIVE)
    body = ok(api.change_status(token, "Blocked", "lost card"))
    assert (body["cardstatus"], body["cardending"]) == ("Blocked", "1001")
    assert refused(api.money("reload", token, 10)) == "400003"
    assert refused(api.money("redeem", token, 10)) == "400003"
    assert ok(api.balance(token))["cardstatus"] == "Blocked"  # still answers, for the supervisor
    assert refused(api.change_status(token, "blocked")) == "400007"
    assert ok(api.change_status(token, "ACTIVE", "found"))["cardstatus"] == "Active"
    ok(api.money("reload", token, 10))
    assert sim.card(ACTIVE[0]).reason == "found"


def test_status_changes_that_are_not_allowed(sim, api):
    assert refused(api.change_status(api.token(ACTIVE), "Lost")) == "400008"
    assert refused(api.change_status(api.token(UNSOLD), "Blocked")) == "400008"
    assert refused(api.change_status(api.token(ACTIVE), "Active")) == "400007"
    assert refused(api.change_status(api.token(ACTIVE), "Blocked", reason=""), 400) == "100001"


# -- batch ------------------------------------------------------------------------------------------------


def test_the_open_batch_lists_the_days_transactions_and_totals(sim, api):
    ok(api.money("sell", api.token(UNSOLD), 50, pos_ref="s"))
    ok(api.money("reload", api.token(ACTIVE), "20.50", pos_ref="r"))
    ok(api.money("redeem", api.token(LOW), 10, pos_ref="d", acceptpartialamount=True))
    body = ok(api.batch())
    assert body["batchstatus"] == "Open" and body["closedate"] is None
    assert [(t["type"], t["cardending"], t["amount"], t["posRef"]) for t in body["transactions"]] == [
        ("SELL", "1035", 50, "s"), ("RELOAD", "1001", 20.5, "r"), ("REDEEM", "1027", 7.35, "d"),
    ]
    assert body["totals"] == {
        "sellcount": 1, "sellamount": 50, "reloadcount": 1, "reloadamount": 20.5, "redeemcount": 1,
        "redeemamount": 7.35, "transactioncount": 3, "netamount": 63.15,
    }
    assert not any(card["number"] in api.batch().text for card in DEMO_CARDS)


def test_closing_the_batch_opens_a_new_one(sim, api, clock):
    ok(api.money("reload", api.token(ACTIVE), 10))
    opened = ok(api.batch())["batchid"]
    clock.advance(3600)
    closed = ok(api.close_batch())
    assert (closed["batchid"], closed["batchstatus"]) == (opened, "Closed")
    assert closed["closedate"] and closed["totals"]["reloadamount"] == 10
    fresh = ok(api.batch())
    assert fresh["batchid"] == closed["newbatchid"] != opened
    assert fresh["transactions"] == [] and fresh["totals"]["netamount"] == 0
    ok(api.money("reload", api.token(ACTIVE), 5))
    assert [t["amount"] for t in ok(api.batch())["transactions"]] == [5]


def test_another_stores_batch_is_refused(sim, api):
    assert refused(api.batch("9999")) == "100005"
    assert refused(api.close_batch("9999")) == "100005"
