import subprocess
import sys

import pytest

from kiosk.settings import SettingsError, load_settings, parse_overrides, require


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    import os

    for name in list(os.environ):
        if name.startswith("KIOSK_"):
            monkeypatch.delenv(name)


def test_layers_defaults_file_env_cli(tmp_path, monkeypatch):
    config = tmp_path / "k.toml"
    config.write_text('[rapyd]\npos_id = "from-file"\nbase_url = "http://file"\n[printer]\nbaudrate = 19200\n')
    settings = load_settings(config)
    assert settings.rapyd.pos_id == "from-file" and settings.printer.baudrate == 19200
    assert settings.printer.driver == "escpos"  # default kept
    monkeypatch.setenv("KIOSK_RAPYD__POS_ID", "from-env")
    assert load_settings(config).rapyd.pos_id == "from-env"
    assert load_settings(config).rapyd.base_url == "http://file"
    cli = parse_overrides(["rapyd.pos_id=from-cli"])
    assert load_settings(config, cli).rapyd.pos_id == "from-cli"


def test_config_file_from_environment(tmp_path, monkeypatch):
    config = tmp_path / "k.toml"
    config.write_text('[store]\nname = "Corner Shop"\n')
    monkeypatch.setenv("KIOSK_CONFIG", str(config))
    assert load_settings().store.name == "Corner Shop"


def test_contract_environment_names(monkeypatch, tmp_path):
    monkeypatch.setenv("KIOSK_DATA_DIR", str(tmp_path / "d"))
    monkeypatch.setenv("KIOSK_PRINTER__DRIVER", "simulated")
    monkeypatch.setenv("KIOSK_DRAWER__DRIVER", "simulated")
    monkeypatch.setenv("KIOSK_TELLER__OPENING_FLOAT", '{"GBP": "500.00", "EUR": "20"}')
    monkeypatch.setenv("KIOSK_AUTH__REQUIRED", "false")
    monkeypatch.setenv("KIOSK_RAPYD__SECRET_KEY", "s3cr3t")
    settings = load_settings()
    assert settings.data_dir == tmp_path / "d"
    assert settings.printer.driver == settings.drawer.driver == "simulated"
    assert {c: m.plain() for c, m in settings.teller.opening_float.items()} == {"GBP": "500.00", "EUR": "20.00"}
    assert settings.auth.required is False
    assert "s3cr3t" not in repr(settings) and "s3cr3t" not in str(settings.model_dump())


@pytest.mark.parametrize(
    "env, key, words",
    [
        ({"KIOSK_PRINTER__DRIVER": "laser"}, "printer.driver (KIOSK_PRINTER__DRIVER)", "escpos"),
        ({"KIOSK_PRINTER__BAUDRATE": "fast"}, "printer.baudrate (KIOSK_PRINTER__BAUDRATE)", "integer"),
        ({"KIOSK_TELLER__OPENING_FLOAT": '{"GBP": "1.234"}'}, "teller.opening_float", "2 decimal places"),
        ({"KIOSK_TELLER__OPENING_FLOAT": '{"XYZ": "1"}'}, "teller.opening_float", "ISO 4217"),
    ],
)
def test_a_wrong_setting_names_its_key(monkeypatch, env, key, words):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert key in str(caught.value) and words in str(caught.value)


def test_misspelt_key_in_file_is_refused(tmp_path):
    config = tmp_path / "k.toml"
    config.write_text('[rapyd]\npos_idd = "x"\n')
    with pytest.raises(SettingsError, match=r"rapyd.pos_idd .*not a known setting"):
        load_settings(config)


def test_float_in_toml_is_refused_for_money(tmp_path):
    config = tmp_path / "k.toml"
    config.write_text("[teller]\nopening_float = { GBP = 500.10 }\n")
    with pytest.raises(SettingsError, match="as text"):
        load_settings(config)


def test_missing_or_broken_file(tmp_path):
    with pytest.raises(SettingsError, match="does not exist"):
        load_settings(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[rapyd\n")
    with pytest.raises(SettingsError, match="not valid TOML"):
        load_settings(bad)


def test_required_settings_are_named():
    with pytest.raises(SettingsError) as caught:
        require(load_settings(), "rapyd.access_key", "rapyd.pos_id")
    assert "KIOSK_RAPYD__ACCESS_KEY" in str(caught.value) and "KIOSK_RAPYD__POS_ID" in str(caught.value)


def test_bad_override_syntax():
    with pytest.raises(SettingsError, match="section.key=value"):
        parse_overrides(["printer.driver"])


def test_command_line_prints_one_paragraph_not_a_traceback(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "KIOSK_PRINTER__DRIVER": "laser"}
    done = subprocess.run(
        [sys.executable, "-m", "kiosk.cli", "devices", "status"], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert "printer.driver (KIOSK_PRINTER__DRIVER)" in done.stderr
    assert "Traceback" not in done.stderr


def test_systemd_credentials_sit_between_environment_and_file(tmp_path, monkeypatch):
    creds = tmp_path / "creds"
    creds.mkdir()
    (creds / "KIOSK_RAPYD__SECRET_KEY").write_text("from-credential\n")
    (creds / "KIOSK_RAPYD__ACCESS_KEY").write_text("access-from-credential")
    config = tmp_path / "k.toml"
    config.write_text('[rapyd]\nsecret_key = "from-file"\naccess_key = "access-from-file"\n')
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(creds))
    settings = load_settings(config)
    assert settings.rapyd.secret_key.get_secret_value() == "from-credential"
    assert settings.rapyd.access_key.get_secret_value() == "access-from-credential"
    monkeypatch.setenv("KIOSK_RAPYD__SECRET_KEY", "from-env")
    assert load_settings(config).rapyd.secret_key.get_secret_value() == "from-env"
