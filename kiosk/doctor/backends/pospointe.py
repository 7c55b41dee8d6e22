"""POSPointe gift cards: user and password, store and franchisee ids; /Health (no sign-in) and
/Auth/verify (the user and password accepted; no card token is made)."""

from __future__ import annotations

from typing import Any

from kiosk.doctor.backends.backend import Backend


def _client(s: Any, timeout: float, connect_timeout: float, transport: Any) -> Any:
    from kiosk.backends.pospointe import PosPointeClient

    return PosPointeClient(s.base_url, s.user or "", s.password or "", store_id=s.store_id or "",
                           franchisee_id=s.franchisee_id or "", currency=s.currency, timeout=timeout,
                           connect_timeout=connect_timeout, transport=transport)


BACKEND = Backend(
    name="pospointe",
    title="POSPointe gift cards",
    check="gift cards",
    url_check="gift card url",
    required=("user", "store_id", "franchisee_id"),
    secrets=("password",),
    production="https://giftcard.myposerver.com",
    clear_text_risk="the password would travel in clear",
    credentials_fix="check pospointe.user and pospointe.password",
    make_client=_client,
    checks={"password": "gift card pw"},
)
