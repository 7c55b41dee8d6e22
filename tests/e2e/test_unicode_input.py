"""Digits of other scripts are not money (issue 10, item 4): `kiosk txn` as a subprocess against
`kiosk sim` as a subprocess. Before the fix '١٠', '１０' and '१०' withdrew or deposited 10 (Python's
`\\d` and Decimal() read them), and a full-width phone crashed in httpx after the visit was
journalled. Each is refused with exit 1 and a message naming the digits 0-9, with a code that
was really current (so only the digits can be why), nothing moved at the simulator and no
visit in the journal, pending or otherwise."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.e2e.test_txn_cli import JANE, otp, run, sim_url  # noqa: F401 - sim_url is a fixture

FULL_WIDTH = str.maketrans("0123456789+", "０１２３４５６７８９＋")
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
DEVANAGARI = str.maketrans("0123456789", "०१२३४५६७८९")


def wallets(sim_url: str) -> list:  # noqa: F811
    return httpx.get(sim_url + "/_sim/ledger", timeout=5).json()["wallets"]


def journal_visits(tmp_path, sim_url) -> list:  # noqa: F811
    done = run(["journal", "export", "--json"], tmp_path, sim_url)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)["visits"]


def refused(done, code: str) -> dict:
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    result = json.loads(done.stdout)
    assert result["status"] == "failed" and result["error"]["code"] == code
    assert "0-9" in result["error"]["message"]
    return result


@pytest.mark.parametrize("kind, currency", [("withdraw", "GBP"), ("deposit", "GBP")])
@pytest.mark.parametrize("script", [ARABIC_INDIC, FULL_WIDTH, DEVANAGARI], ids=["arabic-indic", "full-width", "devanagari"])
def test_an_amount_in_another_scripts_digits_moves_nothing(sim_url, tmp_path, kind, currency, script):  # noqa: F811
    before = wallets(sim_url)
    amount = "10".translate(script)
    done = run(["txn", kind, "--phone", JANE, "--otp", otp(sim_url), "--currency", currency, "--amount", amount,
                "--json"], tmp_path, sim_url)
    result = refused(done, "AMOUNT_INVALID")
    assert "visit_id" not in result  # refused before a visit began
    assert wallets(sim_url) == before
    assert journal_visits(tmp_path, sim_url) == []


def test_a_full_width_phone_is_refused_before_the_visit(sim_url, tmp_path):  # noqa: F811
    before = wallets(sim_url)
    done = run(["txn", "withdraw", "--phone", JANE.translate(FULL_WIDTH), "--otp", otp(sim_url), "--currency", "GBP",
                "--amount", "10", "--json"], tmp_path, sim_url)
    refused(done, "INVALID_PHONE")
    assert wallets(sim_url) == before
    assert journal_visits(tmp_path, sim_url) == []
    recovered = run(["recover", "--json"], tmp_path, sim_url)  # nothing pending for recovery either
    assert recovered.returncode == 0, recovered.stdout + recovered.stderr


def test_a_national_number_with_the_till_region_is_served(sim_url, tmp_path):  # noqa: F811
    """teller.phone_region=GB: '07700 900123' is +447700900123, a demo wallet (Ofcom's drama range)."""
    oliver = "+447700900123"
    done = run(["txn", "deposit", "--phone", "07700 900123", "--otp", otp(sim_url, oliver), "--currency", "EUR",
                "--amount", "1", "--json"], tmp_path, sim_url, KIOSK_TELLER__PHONE_REGION="GB")
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(done.stdout)["status"] == "completed"
    done = run(["txn", "deposit", "--phone", "07700 900123", "--otp", "123456", "--currency", "EUR", "--amount", "1",
                "--json"], tmp_path, sim_url)  # no region: a national number is not enough
    assert done.returncode == 1 and json.loads(done.stdout)["error"]["code"] == "INVALID_PHONE"
