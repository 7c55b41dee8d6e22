"""Gift cards, SDK.finance and Flexiti through `kiosk txn`: a number typed with another script's
digits (amount, card, account, PIN, request id, one-time code) is refused with a message naming
0-9 before anything is journalled or sent, and nothing moves at the simulators."""

from __future__ import annotations

import io
import json

from kiosk.cli import main as kiosk_main
from tests.journeys.test_headless import running, txn  # noqa: F401 - running is a fixture

FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
DEVANAGARI = str.maketrans("0123456789", "०१२३४५६७८९")


def visits(capsys, config: str) -> list:
    assert kiosk_main(["journal", "export", "--json", "--config", config]) == 0
    return json.loads(capsys.readouterr().out)["visits"]


def refused(code: int, result: dict, error: str) -> None:
    assert code == 1 and result["status"] == "failed"
    assert result["error"]["code"] == error and "0-9" in result["error"]["message"]
    assert "visit_id" not in result


def test_gift_card_numbers_and_amounts(running, capsys, monkeypatch):  # noqa: F811
    sims, config = running
    card, code = "7012340000001001", "4821"
    for args, error in [
        (["--card", card, "--code", code, "--amount", "10".translate(FULL_WIDTH)], "AMOUNT_INVALID"),
        (["--card", card, "--code", code, "--amount", "10".translate(DEVANAGARI)], "AMOUNT_INVALID"),
        (["--card", card.translate(ARABIC_INDIC), "--code", code, "--amount", "10"], "CARD_FORMAT"),
        (["--card", card, "--code", code.translate(FULL_WIDTH), "--amount", "10"], "CARD_FORMAT"),
    ]:
        refused(*txn(capsys, monkeypatch, config, "giftcard-reload", *args), error)
    assert sims.pospointe.card_balance(card) == 100
    assert visits(capsys, config) == []


def test_flexiti_accounts_pins_and_request_ids(running, capsys, monkeypatch):  # noqa: F811
    sims, config = running
    account = "116574819"
    for args, error in [
        (["--account", account.translate(ARABIC_INDIC), "--verify", "sms", "--amount", "10"], "ACCOUNT_FORMAT"),
        (["--account", account, "--verify", "sms", "--request-id", "r-1", "--pin", "1234".translate(FULL_WIDTH),
          "--amount", "10"], "PIN_FORMAT"),
        (["--account", account, "--verify", "sms", "--request-id", "r-१", "--pin", "1234", "--amount", "10"],
         "REQUEST_ID_INVALID"),
        (["--account", account, "--verify", "security_question", "--answer", "Lagos",
          "--amount", "25".translate(ARABIC_INDIC)], "AMOUNT_INVALID"),
    ]:
        refused(*txn(capsys, monkeypatch, config, "flexiti-deposit", *args), error)
    assert visits(capsys, config) == []


def test_sdk_amounts_and_one_time_codes(running, capsys, monkeypatch):  # noqa: F811
    sims, config = running
    refused(*txn(capsys, monkeypatch, config, "sdk-deposit", "--login", "anna.kowalska@example.com",
                 "--password-stdin", "--currency", "EUR", "--amount", "10".translate(DEVANAGARI),
                 stdin="Wallet#2024a\n"), "AMOUNT_INVALID")
    assert visits(capsys, config) == []

    # The code comes on stdin once the sign-in sent it: refused before it is journalled or sent,
    # and the customer's real code is still unused.
    class Stdin(io.StringIO):
        def __init__(self):
            super().__init__()
            self.lines = ["Wallet#2024b\n"]

        def readline(self, *args):
            return self.lines.pop(0) if self.lines else sims.sdkfinance.pending_otp("+447700900777").translate(FULL_WIDTH) + "\n"

    monkeypatch.setattr("sys.stdin", Stdin())
    code = kiosk_main(["txn", "sdk-withdraw", "--config", config, "--json", "--login", "+447700900777",
                       "--password-stdin", "--otp-stdin", "--currency", "GBP", "--amount", "20"])
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert code == 1 and result["error"]["code"] == "OTP_FORMAT" and "0-9" in result["error"]["message"]
    (visit,) = visits(capsys, config)
    assert visit["state"] == "abandoned" and visit["amount"] in (None, "")  # cancelled: nothing left pending
    assert kiosk_main(["journal", "show", visit["visit_id"], "--json", "--config", config]) == 0
    steps = capsys.readouterr().out
    assert "SIGN_IN_SENT" in steps and "OTP_CONFIRM_SENT" not in steps
