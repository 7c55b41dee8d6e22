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


_PIN_HEX = "ab" * 32
_PIN_B64 = "q" * 43 + "="  # 32 bytes in base64
# Every list and per-currency table, in its simple form and as JSON (the same value).
TEXT_FORMS = [
    ("backends.enabled", " rapyd, pospointe,flexiti ", '["rapyd", "pospointe", "flexiti"]'),
    ("flexiti.verify_formats", "sms,email", '["sms", "email"]'),
    ("rapyd.pin_sha256", f"{_PIN_HEX},{_PIN_B64}", f'["{_PIN_HEX}", "{_PIN_B64}"]'),
    ("teller.opening_float", "GBP=500.00, EUR=300", '{"GBP": "500.00", "EUR": "300"}'),
    ("limits.per_visit", "GBP=250", '{"GBP": "250"}'),
    ("limits.per_shift", "GBP=2000,USD=1000.5", '{"GBP": "2000", "USD": "1000.50"}'),
]


def test_every_list_and_table_setting_has_a_simple_form_row():
    from typing import get_origin

    from kiosk.settings import Settings

    containers = {
        f"{section}.{name}"
        for section, info in Settings.model_fields.items()
        if hasattr(info.annotation, "model_fields")
        for name, field in info.annotation.model_fields.items()
        if get_origin(field.annotation) in (list, dict)
    }
    assert containers == {key for key, _, _ in TEXT_FORMS}, "add the new list or table to TEXT_FORMS"


@pytest.mark.parametrize("key, simple, as_json", TEXT_FORMS, ids=[row[0] for row in TEXT_FORMS])
def test_simple_forms_give_the_same_settings_as_json(key, simple, as_json, monkeypatch, tmp_path):
    import json

    section, name = key.split(".")
    env_name = f"KIOSK_{section.upper()}__{name.upper()}"

    def value(settings):
        return getattr(getattr(settings, section), name)

    monkeypatch.setenv(env_name, as_json)
    expected = value(load_settings())
    assert expected  # not the default: the value was read
    monkeypatch.setenv(env_name, simple)
    assert value(load_settings()) == expected
    monkeypatch.delenv(env_name)
    assert value(load_settings(None, parse_overrides([f"{key}={simple}"]))) == expected
    assert value(load_settings(None, parse_overrides([f"{key}={as_json}"]))) == expected
    creds = tmp_path / "creds"
    creds.mkdir()
    (creds / env_name).write_text(simple + "\n")
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(creds))
    assert value(load_settings()) == expected
    monkeypatch.delenv("CREDENTIALS_DIRECTORY")
    parsed = json.loads(as_json)  # and in the config file, as TOML's own array or inline table
    toml = json.dumps(parsed) if isinstance(parsed, list) else "{ " + ", ".join(f'{k} = "{v}"' for k, v in parsed.items()) + " }"
    config = tmp_path / "k.toml"
    config.write_text(f"[{section}]\n{name} = {toml}\n")
    assert value(load_settings(config)) == expected


def test_json_sections_and_nested_table_keys_still_work_from_the_environment(monkeypatch):
    monkeypatch.setenv("KIOSK_PRINTER", '{"driver": "simulated", "baudrate": 19200}')
    monkeypatch.setenv("KIOSK_TELLER__OPENING_FLOAT__GBP", "12.50")
    settings = load_settings()
    assert (settings.printer.driver, settings.printer.baudrate) == ("simulated", 19200)
    assert settings.teller.opening_float["GBP"].plain() == "12.50"


def test_empty_simple_forms_mean_none(monkeypatch):
    monkeypatch.setenv("KIOSK_RAPYD__PIN_SHA256", "")
    monkeypatch.setenv("KIOSK_TELLER__OPENING_FLOAT", " ")
    settings = load_settings()
    assert settings.rapyd.pin_sha256 == [] and settings.teller.opening_float == {}


def test_a_table_key_given_twice_is_refused(monkeypatch):
    monkeypatch.setenv("KIOSK_TELLER__OPENING_FLOAT", "GBP=1,GBP=2")
    with pytest.raises(SettingsError, match=r"teller.opening_float \(KIOSK_TELLER__OPENING_FLOAT\) from the environment: GBP is given twice"):
        load_settings()


def test_a_secret_value_is_never_echoed(tmp_path):
    config = tmp_path / "k.toml"
    config.write_text("[rapyd]\nsecret_key = 987654321\nsecret_kee = \"hunter2-secret\"\n")
    with pytest.raises(SettingsError) as caught:
        load_settings(config)
    message = str(caught.value)
    assert "rapyd.secret_key (KIOSK_RAPYD__SECRET_KEY)" in message and "rapyd.secret_kee" in message
    assert "987654321" not in message and "hunter2" not in message


def test_check_data_dir(tmp_path):
    from kiosk.settings import check_data_dir

    check_data_dir(tmp_path / "new" / "dir")  # created, as the kiosk always did
    assert (tmp_path / "new" / "dir").is_dir()
    check_data_dir(tmp_path / "other", write=False)  # read-only commands create nothing
    assert not (tmp_path / "other").exists()
    (tmp_path / "file").write_text("")
    for write in (True, False):
        with pytest.raises(SettingsError, match=r"^data_dir \(KIOSK_DATA_DIR, or --data-dir\): .* is a file"):
            check_data_dir(tmp_path / "file", write=write)
    with pytest.raises(SettingsError, match=r"^data_dir \(KIOSK_DATA_DIR, or --data-dir\): is empty"):
        check_data_dir("")
