"""SDK.finance wallets: the cash point's login and password; the platform answering (a request
without a token, no sign-in), then one sign-in of the cash point (its login accepted, and a
cash point's rather than a customer's). It moves no money."""

from __future__ import annotations

from typing import Any

from kiosk.doctor.backends.backend import Backend


def _client(s: Any, timeout: float, connect_timeout: float, transport: Any) -> Any:
    from kiosk.backends.sdkfinance import SdkFinanceClient

    return SdkFinanceClient(s.base_url, cash_point_login=s.cash_point_login, cash_point_password=s.cash_point_password,
                            coin_field=s.coin_field, timeout=timeout, connect_timeout=connect_timeout, transport=transport)


BACKEND = Backend(
    name="sdkfinance",
    title="SDK.finance",
    check="sdk.finance",
    url_check="sdk url",
    required=("cash_point_login",),
    secrets=("cash_point_password",),
    production="https://api.sdk.finance/api/v1",
    clear_text_risk="passwords and tokens would travel in clear",
    credentials_fix="check sdkfinance.cash_point_login and cash_point_password (a merchant user of the store)",
    make_client=_client,
    checks={"cash_point_password": "cash point pw"},
)
