"""Every back end's `health()` says whether its host answers without signing in: the status
panel asks every 15 s, and a sign-in each time (SDK.finance's was) fills the host with sessions
and tokens. Checked against the four simulators over loopback HTTP, on their own books: the
number of sessions and tokens there before and after a run of health checks."""

from __future__ import annotations

import socket
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kiosk.backends.base import AuthenticationFailed, BusinessError, HostUnreachable
from kiosk.sim.composite import CompositeSimulator
from kiosk.sim.server import start_in_thread

ROOT = Path(__file__).resolve().parents[2]
DEMO = tomllib.loads((ROOT / "config" / "demo.toml").read_text())


@pytest.fixture(scope="module")
def sims() -> Iterator[tuple[CompositeSimulator, str]]:
    composite = CompositeSimulator(None)
    server = start_in_thread(composite)
    try:
        yield composite, server.url
    finally:
        server.stop()
        composite.close()


def _url(section: str, url: str) -> str:
    return DEMO[section]["base_url"].replace("http://127.0.0.1:8700", url)


def rapyd(url: str, **changes: Any):
    from kiosk.backends.rapyd import RapydClient

    s = {**DEMO["rapyd"], **changes}
    return RapydClient(changes.get("base_url", _url("rapyd", url)), s["access_key"], s["secret_key"], s["pos_id"],
                       timeout=2, connect_timeout=1)


def pospointe(url: str, **changes: Any):
    from kiosk.backends.pospointe import PosPointeClient

    s = {**DEMO["pospointe"], **changes}
    return PosPointeClient(changes.get("base_url", _url("pospointe", url)), s["user"], s["password"],
                           store_id=s["store_id"], franchisee_id=s["franchisee_id"], timeout=2, connect_timeout=1)


def sdkfinance(url: str, **changes: Any):
    from kiosk.backends.sdkfinance import SdkFinanceClient

    s = {**DEMO["sdkfinance"], **changes}
    return SdkFinanceClient(changes.get("base_url", _url("sdkfinance", url)), cash_point_login=s["cash_point_login"],
                            cash_point_password=s["cash_point_password"], timeout=2, connect_timeout=1)


def flexiti(url: str, **changes: Any):
    from kiosk.backends.flexiti import FlexitiClient

    s = {**DEMO["flexiti"], **changes}
    return FlexitiClient(changes.get("base_url", _url("flexiti", url)), s["client_id"], s["client_secret"],
                         timeout=2, connect_timeout=1)


CLIENTS = {"rapyd": rapyd, "pospointe": pospointe, "sdkfinance": sdkfinance, "flexiti": flexiti}


def sign_ins(sims: CompositeSimulator) -> dict[str, int]:
    """What signing in leaves at each host: Rapyd sessions, SDK.finance and Flexiti tokens."""
    sdk_tokens = sims.sdkfinance.books._one("SELECT COUNT(*) AS n FROM tokens")["n"]
    return {"rapyd": len(sims.rapyd.ledger.sessions()), "sdkfinance": sdk_tokens,
            "flexiti": len(sims.flexiti.books.tokens())}


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("name", sorted(CLIENTS))
def test_health_answers_and_signs_nobody_in(sims, name):
    composite, url = sims
    before = sign_ins(composite)
    with CLIENTS[name](url) as client:
        for _ in range(5):  # a minute and more of the status panel
            client.health()
    assert sign_ins(composite) == before


@pytest.mark.parametrize("name", sorted(CLIENTS))
def test_health_of_a_host_that_is_down_is_host_unreachable(name):
    with CLIENTS[name]("", base_url=f"http://127.0.0.1:{_closed_port()}/api") as client:
        with pytest.raises(HostUnreachable):
            client.health()


@pytest.mark.parametrize("name", ["sdkfinance", "flexiti"])
def test_health_of_an_address_that_is_not_the_api_says_so(sims, name):
    # The POSPointe simulator's /Health is not SDK.finance's or Flexiti's API: a wrong base_url.
    _, url = sims
    with CLIENTS[name](url, base_url=url + "/nothing-here") as client:
        with pytest.raises(BusinessError) as refused:
            client.health()
    assert "base_url" in refused.value.message


def test_sdkfinance_credentials_are_checked_by_verify_credentials_not_health(sims):
    composite, url = sims
    with sdkfinance(url, cash_point_password="Wrong#2024pass") as client:
        client.health()  # the host answers: health cannot tell the password is wrong
        with pytest.raises(AuthenticationFailed):
            client.verify_credentials()
    before = sign_ins(composite)["sdkfinance"]
    with sdkfinance(url) as client:
        assert client.verify_credentials().role == "merchant"
    assert sign_ins(composite)["sdkfinance"] == before + 1  # what the doctor's one check costs


def test_flexiti_credentials_are_checked_by_verify_credentials_not_health(sims):
    _, url = sims
    with flexiti(url, client_secret="not-the-secret") as client:
        client.health()
        with pytest.raises(AuthenticationFailed):
            client.verify_credentials()
