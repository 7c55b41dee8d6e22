"""The simulator's books across a restart, its fault catalogue and its control endpoints."""

from __future__ import annotations

import sqlite3
from decimal import Decimal

import httpx
import pytest

from kiosk.sim.sdkfinance import BASE_PATH, DEMO_ADMIN, DEMO_CASHPOINT, DEMO_USERS, OPERATIONS, PATH_PREFIXES, SdkFinanceSimulator

from .conftest import ANNA, CASH, TOM

WITHDRAWAL = "/bank-withdrawals"


def _pending_withdrawal(sim, api, amount=100):
    anna = api.token(sim, ANNA)
    serial = api.coin(anna, "EUR")["serial"]
    response = api.post(f"{WITHDRAWAL}/with-bank", {"coinSerial": serial, "amount": amount}, anna)
    return response.json()["requestIdentifier"], serial


def _pending_topup(sim, api, amount):
    anna = api.token(sim, ANNA)
    serial = api.coin(anna, "EUR")["serial"]
    response = api.post("/bank-top-ups/create-request", {"coinSerial": serial, "amount": amount}, anna)
    return response.json()["requestIdentifier"], serial


def _balance(sim, serial):
    coin = sim.coin(serial)
    return coin.amount, coin.held


# -- persistence ------------------------------------------------------------------------------


def test_books_survive_a_restart_with_wal_and_full_sync(make_sim, api, tmp_path, clock):
    path = tmp_path / "sdkfinance.sqlite"
    sim = make_sim(ledger_path=path)
    assert sim.books.pragma("journal_mode") == "wal"
    assert sim.books.pragma("synchronous") == 2  # FULL
    anna = api.token(sim, ANNA)
    request_id, serial = _pending_withdrawal(sim, api)
    sim.close()

    again = make_sim(ledger_path=path)
    assert _balance(again, serial) == (Decimal("420.00"), Decimal("101.50"))  # the hold is still there
    assert api.get("/coins", anna).status_code == 200  # tokens survive too
    cash = api.token(again, CASH)
    assert api.post(f"{WITHDRAWAL}/{request_id}/accept", None, cash).status_code == 200
    assert _balance(again, serial) == (Decimal("318.50"), Decimal("0.00"))
    next_id, _ = _pending_withdrawal(again, api, 1)
    assert next_id == request_id + 1
    assert len(again.books.users()) == 2 + len(DEMO_USERS)  # the demo (cash point, admin) is seeded once


def test_without_a_path_the_books_are_in_memory_and_fresh(make_sim):
    first = make_sim()
    assert first.books.path is None
    assert [c.amount for c in first.coins(ANNA["login"])] == [Decimal("420.00"), Decimal("75.50")]
    assert make_sim(seed_demo=False).books.users() == []


# -- faults -----------------------------------------------------------------------------------


def test_error_before_apply_is_a_gateway_503_and_nothing_moves(sim, api):
    request_id, serial = _pending_withdrawal(sim, api)
    cash = api.token(sim, CASH)
    sim.inject_fault("error_before_apply", operation="withdrawal_accept")
    response = api.post(f"{WITHDRAWAL}/{request_id}/accept", None, cash)
    assert response.status_code == 503 and "text/html" in response.headers["content-type"]
    assert sim.request(request_id).status == "PENDING"
    assert api.post(f"{WITHDRAWAL}/{request_id}/accept", None, cash).status_code == 200


def test_error_after_apply_answers_500_but_accepts_and_the_retry_says_409(sim, api):
    request_id, serial = _pending_withdrawal(sim, api)
    cash = api.token(sim, CASH)
    sim.inject_fault("error_after_apply", operation="withdrawal_accept")
    response = api.post(f"{WITHDRAWAL}/{request_id}/accept", None, cash)
    assert (response.status_code, response.json()["code"]) == (500, "INTERNAL_SERVER_ERROR")
    assert sim.request(request_id).status == "ACCEPTED"
    retry = api.post(f"{WITHDRAWAL}/{request_id}/accept", None, cash)
    assert (retry.status_code, retry.json()["status"]) == (409, "ACCEPTED")
    assert _balance(sim, serial) == (Decimal("318.50"), Decimal("0.00"))


def test_drop_after_apply_breaks_the_answer_but_creates_the_request(sim, api):
    anna = api.token(sim, ANNA)
    serial = api.coin(anna, "EUR")["serial"]
    sim.inject_fault("drop_after_apply", operation="withdrawal_create")
    with pytest.raises(httpx.TransportError):
        api.post(f"{WITHDRAWAL}/with-bank", {"coinSerial": serial, "amount": 10, "description": "v1"}, anna)
    (made,) = sim.requests("withdrawal")
    assert made.description == "v1" and made.status == "PENDING"


def test_timeouts_before_and_after_apply(sim, api):
    request_id, _ = _pending_withdrawal(sim, api)
    cash = api.token(sim, CASH)
    sim.inject_fault("timeout_before_apply", operation="withdrawal_decline", seconds=0.2)
    with pytest.raises(httpx.TransportError):
        api.post(f"{WITHDRAWAL}/{request_id}/decline", None, cash)
    assert sim.request(request_id).status == "PENDING"
    sim.inject_fault("timeout_after_apply", operation="withdrawal_decline", seconds=0.2, answer=False)
    with pytest.raises(httpx.TransportError):
        api.post(f"{WITHDRAWAL}/{request_id}/decline", None, cash)
    assert sim.request(request_id).status == "DECLINED"


def test_faults_fire_only_after_authentication_and_count_down(sim, api):
    sim.inject_fault("error_before_apply", operation="coins", count=2)
    assert api.get("/coins", "bad-token").status_code == 401  # not counted
    anna = api.token(sim, ANNA)
    assert api.get("/coins", anna).status_code == 503
    assert api.get("/coins", anna).status_code == 503
    assert api.get("/coins", anna).status_code == 200


def test_sign_in_can_fail_too(sim, api):
    sim.inject_fault("error_before_apply", operation="authorization", status=502)
    response = api.post("/authorization", {"login": ANNA["login"], "password": ANNA["password"]})
    assert response.status_code == 502


def test_inject_fault_checks_its_arguments(sim):
    with pytest.raises(ValueError, match="unknown operation"):
        sim.inject_fault("slow", operation="withdraw")
    with pytest.raises(ValueError, match="unknown fault kind"):
        sim.inject_fault("explode")
    assert "withdrawal_accept" in OPERATIONS


def test_magic_amounts_fire_on_the_first_accept_only(sim, api):
    request_id, serial = _pending_topup(sim, api, amount="666.02")
    cash = api.token(sim, CASH)
    first = api.post(f"/bank-top-ups/{request_id}/accept", None, cash)
    assert first.status_code == 500 and sim.request(request_id).status == "ACCEPTED"
    assert api.post(f"/bank-top-ups/{request_id}/accept", None, cash).status_code == 409
    assert _balance(sim, serial) == (Decimal("1086.02"), Decimal("0.00"))


def test_magic_amounts_can_be_switched_off(make_sim, api):
    sim = make_sim(magic_amounts=False)
    request_id, _ = _pending_topup(sim, api, amount="666.01")
    cash = api.token(sim, CASH)
    assert api.post(f"/bank-top-ups/{request_id}/accept", None, cash).status_code == 200


# -- control endpoints ------------------------------------------------------------------------


def test_control_faults_arm_list_and_clear(sim, api):
    armed = api.control.post("/faults", json={"kind": "slow", "operation": "coins", "seconds": 0.01, "count": 2})
    assert armed.status_code == 201 and armed.json()["armed"]["operation"] == "coins"
    assert len(api.control.get("/faults").json()["faults"]) == 1
    assert api.control.post("/faults", json={"kind": "slow", "operation": "nope"}).status_code == 400
    assert api.control.post("/faults", json={"operation": "coins"}).status_code == 400
    assert api.control.post("/faults", json={"kind": "slow", "colour": 1}).status_code == 400
    assert api.control.delete("/faults").json() == {"faults": []}
    assert sim.faults.pending() == []


def test_info_names_everything_a_demo_needs(sim, api):
    info = api.control.get("/info").json()
    assert info == sim.info()
    assert info["base_path"] == BASE_PATH and info["simulator"] == "sdkfinance"
    assert info["cash_point"]["login"] == DEMO_CASHPOINT["login"]
    assert info["cash_point"]["password"] == DEMO_CASHPOINT["password"]
    by_login = {c["login"]: c for c in info["customers"]}
    assert by_login[TOM["login"]]["otp_required"] is True
    assert by_login[ANNA["login"]]["password"] == ANNA["password"]
    assert by_login[ANNA["login"]]["coins"][0]["amount"] == "420.00"
    assert by_login[ANNA["login"]]["coins"][0]["currency"] == "EUR"
    assert info["commissions"]["withdrawal"]["EUR"] == {"percent": "1", "fixed": "0.50"}
    assert info["token_lifetime"] == 900 and "666.05" in info["magic_amounts"]
    assert PATH_PREFIXES == ("/api/v1", "/_sim/sdkfinance")


def test_control_otp_needs_a_login_and_a_pending_code(sim, api):
    assert api.control.get("/otp").status_code == 400
    assert api.control.get("/otp", params={"login": TOM["login"]}).status_code == 404
    api.post("/authorization", {"login": TOM["login"], "password": TOM["password"]})
    assert api.control.get("/otp", params={"login": TOM["login"]}).json()["otp"] == sim.pending_otp(TOM["login"])


def test_control_users_and_ledger(sim, api):
    made = api.control.post("/users", json={
        "login": "new.customer@example.com", "password": "New#pass1", "otp_required": False,
        "coins": [{"currency": "EUR", "amount": "12.34"}],
    })
    assert made.status_code == 201
    assert api.control.post("/users", json={"login": "new.customer@example.com", "password": "x"}).status_code == 400
    assert api.control.post("/users", json={"login": "z@example.com", "password": "x",
                                            "coins": [{"currency": "XXX", "amount": 1}]}).status_code == 400
    token = api.token(sim, {"login": "new.customer@example.com", "password": "New#pass1"})
    assert api.coin(token, "EUR")["amount"] == 12.34
    ledger = api.control.get("/ledger").json()
    assert any(c["owner"] == "new.customer@example.com" and c["amount"] == "12.34" for c in ledger["coins"])
    assert ledger["requests"] == []


def test_the_app_serves_only_its_two_prefixes(sim, api):
    assert api.http.get("/../../v1/pos/echo").status_code == 404


def test_the_simulator_logs_no_secrets(sim, api, caplog):
    caplog.set_level("DEBUG")
    api.token(sim, TOM)
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert TOM["password"] not in text and TOM["login"] not in text
    assert "/api/v1/authorization" in text


def test_sim_constructor_checks(tmp_path):
    with pytest.raises(ValueError):
        SdkFinanceSimulator(coin_field="serial")
    with pytest.raises(ValueError):
        SdkFinanceSimulator(token_lifetime=0)


def test_books_from_before_the_administrator_role_are_upgraded_in_place(make_sim, api, tmp_path):
    path = tmp_path / "sdkfinance.sqlite"
    sim = make_sim(ledger_path=path)
    request_id, serial = _pending_withdrawal(sim, api)
    sim.close()
    with sqlite3.connect(path) as db:  # write the books back as the older simulator left them
        db.execute("PRAGMA foreign_keys=OFF")
        db.execute("DELETE FROM users WHERE role = 'administrator'")
        db.execute("DELETE FROM meta WHERE key = 'demo_admin_seeded'")
        old = db.execute("SELECT sql FROM sqlite_master WHERE name = 'users'").fetchone()[0]
        db.execute(old.replace("users", "old_users", 1).replace(", 'administrator'", ""))
        db.execute("INSERT INTO old_users SELECT * FROM users")
        db.execute("DROP TABLE users")
        db.execute("ALTER TABLE old_users RENAME TO users")
    with sqlite3.connect(path) as db:
        assert "administrator" not in db.execute("SELECT sql FROM sqlite_master WHERE name = 'users'").fetchone()[0]

    again = make_sim(ledger_path=path)
    assert again.books.user_by_login(DEMO_ADMIN["login"]).role == "administrator"
    assert again.books._all("PRAGMA foreign_key_check") == []
    assert _balance(again, serial) == (Decimal("420.00"), Decimal("101.50"))
    cash = api.token(again, CASH)
    assert api.post(f"{WITHDRAWAL}/{request_id}/accept", None, cash).status_code == 200
