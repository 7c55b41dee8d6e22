"""Nothing secret in exceptions or logs, even with every logger at DEBUG: not the client
secret, not the access or refresh tokens, not a PIN, a security answer or a licence scan."""

from __future__ import annotations

from decimal import Decimal


from kiosk.backends.base import BackendError
from kiosk.backends.flexiti import FlexitiClient
from kiosk.money import Money
from kiosk.sim.flexiti import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_CUSTOMERS

from .conftest import JANE, SAM, debug_everything, exception_text, log_text

RIGHT_ANSWER = "Biscuit"
WRONG_ANSWER = "Rex-the-dog"


def cad(text: str) -> Money:
    return Money(Decimal(text), "CAD")


def test_no_secret_in_any_exception_or_log_line(sim, make_client, clock, caplog):
    debug_everything(caplog)
    client = make_client()
    errors: list[BackendError] = []
    pins: list[str] = []

    def attempt(call) -> None:
        try:
            call()
        except BackendError as exc:
            errors.append(exc)

    flow = client.new_flow()
    inline = client.verify(JANE, "security_question", request_id=flow.request_id, security_qid="1",
                           security_answer=RIGHT_ANSWER, flow=flow)
    pins.append(inline.pin or "")
    client.transaction("deposit", JANE, cad("10.00"), inline.pin or "", flow.request_id, "k-1", flow=flow)
    client.verify(SAM, "sms", request_id=flow.request_id, flow=flow)
    pins.append(sim.last_pin(SAM) or "")
    attempt(lambda: client.transaction("instore_payment", SAM, cad("99.00"), pins[-1], flow.request_id, "k-2"))
    attempt(lambda: client.transaction("deposit", SAM, cad("1.00"), "99999999", flow.request_id, "k-3"))
    sim.inject_fault("drop_after_apply", operation="transaction")
    attempt(lambda: client.transaction("deposit", SAM, cad("1.00"), pins[-1], flow.request_id, "k-4"))
    for _ in range(4):
        attempt(lambda: client.verify(JANE, "security_question", request_id="r", security_qid="1",
                                      security_answer=WRONG_ANSWER))
    scan = DEMO_CUSTOMERS[1].licence_scan
    client.lookup_by_licence(scan)
    attempt(lambda: client.lookup_by_licence(scan.replace("DBB", "XXX")))
    clock.advance(290)  # refresh inside the margin, then a token the host no longer knows
    client.lookup_by_account(JANE)
    clock.advance(400)
    client.lookup_by_account(JANE)
    bad = FlexitiClient(client._display_url, DEMO_CLIENT_ID, "Wrong-Secret-123", clock=clock)
    attempt(lambda: bad.lookup_by_account(JANE))
    bad.close()

    kinds = {type(e).__name__ for e in errors}
    assert {"NotEnoughCredit", "WrongVerificationCode", "OutcomeUnknown", "WrongSecurityAnswer", "TriesExceeded",
            "InvalidRequest", "AuthenticationFailed"} <= kinds, kinds
    tokens = [value for t in sim.books.tokens() for value in (t.access_token, t.refresh_token) if value]
    assert len(tokens) >= 6
    secrets = [DEMO_CLIENT_SECRET, "Wrong-Secret-123", RIGHT_ANSWER, WRONG_ANSWER, *pins, *tokens,
               DEMO_CUSTOMERS[1].licence_number, scan.strip()]
    texts = [exception_text(e) for e in errors] + [log_text(caplog)]
    assert "flexiti transaction -> 409" in texts[-1]  # the client did log at DEBUG
    for text in texts:
        for secret in secrets:
            assert secret not in text, f"{secret!r} leaked into: {text[:300]}"
    for error in errors:
        assert error.message and error.message == str(error) and "\n" not in error.message
