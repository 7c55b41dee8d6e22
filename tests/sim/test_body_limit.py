"""Request bodies over the limit (default 1 MiB) are refused with 413 in the POS envelope, before
they are read, with and without a Content-Length; nothing reaches the ledger."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kiosk.sim.bodylimit import MAX_BODY_BYTES
from tests.sim.pos import error_code, ok_data
from tests.sim.wire import MIB, chunked_body, declared_only, unfinished_chunks

JANE = "+14155559992"  # GBP 189


def too_large(status: int, document: dict) -> bool:
    return status == 413 and document["status"]["status"] == "ERROR" and \
        document["status"]["error_code"] == "ERROR_REQUEST_BODY_TOO_LARGE"


def test_the_default_limit_is_one_mebibyte():
    assert MAX_BODY_BYTES == MIB


def test_a_signed_50_mb_deposit_is_refused_and_applies_nothing(sim, pos):
    # Blank space is an empty deposit body: without the limit this deposit would be applied.
    s = pos.open_session(sim, JANE)
    response = pos.deposit(s, "10", "GBP", body=b" " * (50 * MIB))
    assert too_large(response.status_code, response.json())
    assert response.headers["connection"] == "close"  # the rest is not read and discarded either
    assert sim.balance(JANE, "GBP") == Decimal("189") and sim.transactions() == []
    ok_data(pos.deposit(s, "10", "GBP"))  # the session was not touched: a normal deposit still goes


def test_a_chunked_body_over_the_limit_is_refused_and_applies_nothing(sim, pos):
    s = pos.open_session(sim, JANE)
    path = "/v1/pos/deposit/10/GBP"
    headers = {**pos.auth_headers("POST", path, b" " * (2 * MIB)), **s.headers}
    response = pos.http.post(path, headers=headers, content=chunked_body(2 * MIB))
    assert "content-length" not in response.request.headers  # it really went chunked
    assert too_large(response.status_code, response.json())
    assert sim.balance(JANE, "GBP") == Decimal("189") and sim.transactions() == []


def test_a_declared_50_mb_body_is_refused_without_waiting_for_it(sim, server):
    assert too_large(*declared_only(server.url, "POST", "/v1/pos/deposit/10/GBP", 50 * MIB))


def test_an_endless_chunked_body_is_refused_once_past_the_limit(sim, server):
    assert too_large(*unfinished_chunks(server.url, "POST", "/v1/pos/deposit/10/GBP", MIB + 16384))


def test_the_limit_is_configurable_and_exact(make_sim, pos):
    sim = make_sim(max_body_bytes=200)
    s = pos.open_session(sim, JANE)
    head = b'{"metadata":{"note":"'
    fits = head + b"x" * (200 - len(head) - 3) + b'"}}'
    assert len(fits) == 200
    ok_data(pos.deposit(s, "10", "GBP", body=fits))
    over = head + b"x" * (201 - len(head) - 3) + b'"}}'
    response = pos.deposit(s, "5", "GBP", body=over)
    assert too_large(response.status_code, response.json())
    assert sim.balance(JANE, "GBP") == Decimal("199")


@pytest.mark.parametrize("path", ["/_sim/wallets", "/_sim/faults"])
def test_control_endpoints_are_limited_too(sim, pos, path):
    response = pos.http.post(path, content=b" " * (2 * MIB))
    assert too_large(response.status_code, response.json())
    assert sim.faults.pending() == [] and len(sim.ledger.wallets()) == 5


def test_a_small_body_still_reaches_the_api_unchanged(sim, pos):
    s = pos.open_session(sim, JANE)
    assert error_code(pos.deposit(s, "10", "GBP", body=b"not json")) == "ERROR_INVALID_REQUEST_BODY"
