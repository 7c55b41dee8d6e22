"""`kiosk doctor` checks each enabled back end, and only those: a gift-card-only till gets no
FAIL line for Rapyd keys it does not need, and its own back end is checked (settings present,
host answering, credentials accepted). Against the four simulators over loopback HTTP."""

from __future__ import annotations

import copy
import socket
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kiosk.sim.composite import CompositeSimulator
from kiosk.sim.server import start_in_thread

from .conftest import run

ROOT = Path(__file__).resolve().parents[2]
DEMO = tomllib.loads((ROOT / "config" / "demo.toml").read_text())
SECRETS = [DEMO["rapyd"]["access_key"], DEMO["rapyd"]["secret_key"], DEMO["pospointe"]["password"],
           DEMO["sdkfinance"]["cash_point_password"], DEMO["flexiti"]["client_secret"]]
CHECK = {"rapyd": "back end", "pospointe": "gift cards", "sdkfinance": "sdk.finance", "flexiti": "flexiti"}


@pytest.fixture(scope="module")
def sims_url() -> Iterator[str]:
    composite = CompositeSimulator(None)
    server = start_in_thread(composite)
    try:
        yield server.url
    finally:
        server.stop()
        composite.close()


def till(tmp_path: Path, url: str, *enabled: str) -> dict[str, Any]:
    """Overrides for a till serving `enabled` only: only those back ends' settings are given."""
    data = tmp_path / "data"
    data.mkdir(mode=0o750, exist_ok=True)
    overrides: dict[str, Any] = {
        "data_dir": str(data), "backends": {"enabled": list(enabled)},
        "printer": {"driver": "simulated"}, "drawer": {"driver": "simulated"},
        "auth": {"pepper": "doctor-test-pepper-0123456789"},
    }
    for name in enabled:
        section = copy.deepcopy(DEMO[name])
        section["base_url"] = section["base_url"].replace("http://127.0.0.1:8700", url)
        section["timeout"] = 3.0
        overrides[name] = section
    return overrides


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def assert_no_secret(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text and secret[:12] not in text  # nor a prefix of one


@pytest.mark.parametrize("name", ["pospointe", "sdkfinance", "flexiti"])
def test_a_till_with_one_other_back_end_checks_it_and_not_rapyd(tmp_path, sims_url, name):
    result = run(tmp_path, till(tmp_path, sims_url, name), check_devices=False)
    assert result.code == 0, result.text
    assert not result.failures
    line = result.line("OK", CHECK[name])
    assert "answered its health check" in line and "credentials accepted" in line
    # Nothing about Rapyd: no key lines, no pos id, no echo.
    for check in ("access key", "secret key", "pos id", "back-end url", "back end"):
        assert not [l for l in result.text.splitlines() if l[6:].startswith(f"{check:<13}")], (check, result.text)
    assert "Rapyd" not in result.text
    assert_no_secret(result.text)


def test_a_till_with_all_four_checks_all_four(tmp_path, sims_url):
    result = run(tmp_path, till(tmp_path, sims_url, "rapyd", "pospointe", "sdkfinance", "flexiti"), check_devices=False)
    assert result.code == 0, result.text
    assert "answered echo" in result.line("OK", "back end")
    for name in ("pospointe", "sdkfinance", "flexiti"):
        assert "credentials accepted" in result.line("OK", CHECK[name])
    assert_no_secret(result.text)


@pytest.mark.parametrize("name", ["rapyd", "pospointe", "sdkfinance", "flexiti"])
def test_a_back_end_that_is_down_is_a_fail_naming_it(tmp_path, sims_url, name):
    overrides = till(tmp_path, sims_url, "rapyd", "pospointe", "sdkfinance", "flexiti")
    overrides[name]["base_url"] = f"http://127.0.0.1:{_closed_port()}/api"
    result = run(tmp_path, overrides, check_devices=False)
    assert result.code == 1
    assert len(result.failures) == 1, result.text
    title = {"rapyd": "Rapyd", "pospointe": "POSPointe gift cards", "sdkfinance": "SDK.finance", "flexiti": "Flexiti"}[name]
    line = result.line("FAIL", CHECK[name])
    assert f"{title}: Could not reach" in line and "firewall" in line
    assert_no_secret(result.text)


@pytest.mark.parametrize(("name", "key"), [("pospointe", "password"), ("sdkfinance", "cash_point_password"),
                                           ("flexiti", "client_secret")])
def test_refused_credentials_are_a_fail_and_never_printed(tmp_path, sims_url, name, key):
    overrides = till(tmp_path, sims_url, name)
    overrides[name][key] = "Wrong#Secret-4242"
    result = run(tmp_path, overrides, check_devices=False)
    assert result.code == 1
    line = result.line("FAIL", CHECK[name])
    assert key.split("_")[-1] in line  # the advice names the setting to check
    assert "Wrong#Secret-4242" not in result.text and "4242" not in result.text


@pytest.mark.parametrize(("name", "key"), [("pospointe", "password"), ("sdkfinance", "cash_point_password"),
                                           ("flexiti", "client_secret")])
def test_a_missing_secret_fails_names_its_credential_and_skips_the_connection(tmp_path, sims_url, name, key):
    overrides = till(tmp_path, sims_url, name)
    del overrides[name][key]
    result = run(tmp_path, overrides, check_devices=False)
    assert result.code == 1
    assert len(result.failures) == 1, result.text
    env = f"KIOSK_{name.upper()}__{key.upper()}"
    assert f"{name}.{key} ({env}) is not set" in result.failures[0]
    assert "incomplete" in result.line("SKIP", CHECK[name])


def test_a_gift_card_secret_in_the_credential_store_is_used_like_the_service(tmp_path, sims_url):
    overrides = till(tmp_path, sims_url, "pospointe")
    store = tmp_path / "credstore"
    store.mkdir(mode=0o700)
    secret = store / "KIOSK_POSPOINTE__PASSWORD"
    secret.write_text(overrides["pospointe"].pop("password") + "\n")
    secret.chmod(0o600)
    result = run(tmp_path, overrides, check_devices=False)
    assert result.code == 0, result.text
    assert "as the service gets it" in result.line("OK", "gift card pw")
    assert result.line("OK", "gift cards")


def test_a_world_readable_config_with_a_gift_card_password_fails(tmp_path, sims_url):
    overrides = till(tmp_path, sims_url, "pospointe")
    config = tmp_path / "kiosk.toml"
    config.write_text(f'[pospointe]\npassword = "{overrides["pospointe"].pop("password")}"\n')
    config.chmod(0o644)
    result = run(tmp_path, overrides, config, check_devices=False)
    assert "holds pospointe.password and anyone can read it" in result.line("FAIL", "config file")
    assert_no_secret(result.text)


def test_a_gift_card_url_in_clear_text_to_another_machine_fails(tmp_path, sims_url):
    overrides = till(tmp_path, sims_url, "pospointe")
    overrides["pospointe"]["base_url"] = "http://giftcards.example.com"
    result = run(tmp_path, overrides, check_devices=False)
    assert "is not HTTPS" in result.line("FAIL", "gift card url")
    assert "incomplete" in result.line("SKIP", "gift cards")
