"""Flexiti: the client id and secret; the POS API answering (a request without a token), then
one access token fetched (the client id and secret accepted). It moves no money."""

from __future__ import annotations

from typing import Any

from kiosk.doctor.backends.backend import Backend


def _client(s: Any, timeout: float, connect_timeout: float, transport: Any) -> Any:
    from kiosk.backends.flexiti import FlexitiClient

    return FlexitiClient(s.base_url, s.client_id or "", s.client_secret or "", timeout=timeout,
                         connect_timeout=connect_timeout, transport=transport, location_id=s.location_id or None,
                         employee_id=s.employee_id or None)


BACKEND = Backend(
    name="flexiti",
    title="Flexiti",
    check="flexiti",
    url_check="flexiti url",
    required=("client_id",),
    secrets=("client_secret",),
    production="https://posapi.flexiti.com/flexiti/pos-api/v2.5",
    clear_text_risk="the client secret and tokens would travel in clear",
    credentials_fix="check flexiti.client_id and flexiti.client_secret",
    make_client=_client,
)
