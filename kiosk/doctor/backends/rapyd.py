"""Rapyd POS: the access key and secret key, the POS id, and the echo (signed, so it also says
whether the keys, the POS id and the clock are accepted; it opens no session)."""

from __future__ import annotations

from typing import Any

from kiosk.doctor.backends.backend import Backend


def _client(s: Any, timeout: float, connect_timeout: float, transport: Any) -> Any:
    from kiosk.backends.rapyd import RapydClient

    return RapydClient(s.base_url, s.access_key, s.secret_key, s.pos_id, timeout=timeout,
                       connect_timeout=connect_timeout, transport=transport)


BACKEND = Backend(
    name="rapyd",
    title="Rapyd",
    check="back end",
    url_check="back-end url",
    required=("pos_id",),
    secrets=("access_key", "secret_key"),
    production="https://pos.rapyd.net",
    clear_text_risk="customers' codes would travel in clear",
    credentials_fix="check the access key, secret key and rapyd.pos_id, and the clock",
    make_client=_client,
    probe="echo",
    accepted="keys accepted",
    health_checks_credentials=True,
    checks={"pos_id": "pos id"},
    required_ok=True,
)
