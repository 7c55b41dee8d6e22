"""Defence in depth (issue 10, item 4): every client refuses another script's digits in what it
would put in a path, a header or a body (phone, code, card, account, PIN) with its usual
validation error, before any request: no httpx traceback, and the host sees nothing.

The transport records what reached it; a refused call leaves it empty."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest

from kiosk.backends.base import BusinessError, OtpRejected
from kiosk.backends.flexiti import FlexitiClient, WrongVerificationCode
from kiosk.backends.http import refuse_non_ascii
from kiosk.backends.pospointe import CardRejected, PosPointeClient
from kiosk.backends.rapyd import RapydClient
from kiosk.backends.sdkfinance import SdkFinanceClient
from kiosk.money import Money

FULL_WIDTH = str.maketrans("0123456789+", "０１２３４５６７８９＋")
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


@pytest.fixture
def sent() -> list[httpx.Request]:
    return []


@pytest.fixture
def transport(sent) -> httpx.MockTransport:
    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(500)

    return httpx.MockTransport(answer)


def test_rapyd_refuses_a_phone_or_code_in_other_digits(transport, sent):
    client = RapydClient("http://127.0.0.1:9", "access", "secret", "pos-1", transport=transport)
    with pytest.raises(BusinessError, match="international format"):
        client.open_session("+14155559992".translate(FULL_WIDTH), "123456", idempotency="k1")
    with pytest.raises(BusinessError, match="international format"):
        client.open_session("+" + "14155559992".translate(ARABIC_INDIC), "123456", idempotency="k2")
    with pytest.raises(OtpRejected):
        client.open_session("+14155559992", "123456".translate(ARABIC_INDIC), idempotency="k3")
    assert sent == []


def test_pospointe_refuses_a_card_or_code_in_other_digits(transport, sent):
    client = PosPointeClient("http://127.0.0.1:9", "user", "password", store_id="1", franchisee_id="F1",
                             transport=transport)
    with pytest.raises(CardRejected, match="0-9"):
        client.tokenize("7012340000001001".translate(FULL_WIDTH), "4821")
    with pytest.raises(CardRejected, match="security code"):
        client.tokenize("7012340000001001", "4821".translate(ARABIC_INDIC))
    assert sent == []


def test_flexiti_refuses_an_account_or_pin_in_other_digits(transport, sent):
    client = FlexitiClient("http://127.0.0.1:9", "client", "secret", transport=transport)
    with pytest.raises(ValueError, match="1 to 14 digits"):
        client.lookup_by_account("116574819".translate(ARABIC_INDIC))
    with pytest.raises(WrongVerificationCode):
        client.transaction("deposit", "116574819", Money(Decimal("10.00"), "CAD"), "1234".translate(FULL_WIDTH),
                           "req-1", "key-1")
    with pytest.raises(ValueError, match="1 to 14 digits"):
        client.transaction("deposit", "１１６５７４８１９", Money(Decimal("10.00"), "CAD"), "1234", "req-1", "key-1")
    assert sent == []


def test_sdkfinance_refuses_a_code_in_other_digits(transport, sent):
    client = SdkFinanceClient("http://127.0.0.1:9/api/v1", transport=transport)
    with pytest.raises(OtpRejected):
        client.confirm_otp("+447700900777", "123456".translate(ARABIC_INDIC))
    assert sent == []


@pytest.mark.parametrize("path, headers, params", [
    ("/v1/pos/withdraw/١٠", None, None),
    ("/v1/pos/echo", {"phone_number": "+１４１５５５５９９９２"}, None),
    ("lookup", None, {"account_number": "१२३"}),
])
def test_the_last_line_refuses_any_non_ascii_path_header_or_query(path, headers, params):
    with pytest.raises(BusinessError, match="nothing was sent") as caught:
        refuse_non_ascii(path, headers, params)
    assert "१" not in str(caught.value) and "１" not in str(caught.value)  # the value is never repeated
    refuse_non_ascii("/v1/pos/withdraw/10", {"phone_number": "+14155559992"}, {"a": "1"})  # ASCII passes
