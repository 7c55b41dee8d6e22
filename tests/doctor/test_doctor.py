"""`kiosk doctor` tells a good terminal from a misconfigured one, one FAIL line per problem,
and never prints a secret."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import time
from pathlib import Path

import pytest

from kiosk.doctor import OK, _bounded, _TimedOut, run_doctor
from kiosk.journal.store import Journal
from kiosk.runtime import derive_journal_key
from kiosk.settings import load_settings
from kiosk.sim.rapyd import DEMO_ACCESS_KEY, DEMO_SECRET_KEY

TEST_MAC_KEY = derive_journal_key(DEMO_SECRET_KEY)  # what the kiosk derives from the demo secret

from .conftest import run


def _journal_with_rows(data_dir: Path) -> Path:
    journal = Journal(data_dir / "journal.sqlite3", mac_key=TEST_MAC_KEY)
    for step in ("SHIFT_OPENED", "FLOAT_COUNTED", "SHIFT_CLOSED"):
        journal.record(None, step, note=step.lower())
    journal.close()
    return data_dir / "journal.sqlite3"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_good_terminal_passes_and_no_secret_is_printed(tmp_path, good):
    _journal_with_rows(Path(good["data_dir"]))
    result = run(tmp_path, good)
    assert result.code == 0, result.text
    assert not result.failures
    assert "answered echo" in result.line(OK, "back end")
    assert "chain intact (3 rows)" in result.line(OK, "journal")
    assert "of the back end's" in result.line(OK, "clock")
    assert result.line(OK, "data dir") and result.line(OK, "access key") and result.line(OK, "secret key")
    assert DEMO_ACCESS_KEY not in result.text and DEMO_SECRET_KEY not in result.text
    assert DEMO_SECRET_KEY[:8] not in result.text  # not even masked prefixes
    assert "\n0 failed, " in result.text


def test_run_doctor_takes_loaded_settings(tmp_path, good):
    import io

    out = io.StringIO()
    code = run_doctor(load_settings(None, good), out=out, check_devices=False, check_terminal=False,
                      credstore=tmp_path / "none", service_user=None)
    assert code == 0, out.getvalue()
    assert "SKIP  devices" in out.getvalue()


def test_missing_secret_fails_and_skips_the_back_end(tmp_path, good):
    del good["rapyd"]["secret_key"]
    result = run(tmp_path, good)
    assert result.code == 1
    assert "rapyd.secret_key (KIOSK_RAPYD__SECRET_KEY) is not set" in result.line("FAIL", "secret key")
    assert str(tmp_path / "credstore" / "KIOSK_RAPYD__SECRET_KEY") in result.line("FAIL", "secret key")
    assert "incomplete" in result.line("SKIP", "back end")
    assert len(result.failures) == 1


def test_missing_pos_id_fails(tmp_path, good):
    del good["rapyd"]["pos_id"]
    result = run(tmp_path, good)
    assert result.code == 1
    assert "rapyd.pos_id" in result.line("FAIL", "pos id")


def test_a_world_readable_config_holding_a_secret_fails(tmp_path, good):
    config = tmp_path / "kiosk.toml"
    rapyd = good.pop("rapyd")
    config.write_text(
        "[rapyd]\n" + "".join(f"{key} = {json.dumps(value)}\n" for key, value in rapyd.items()), encoding="utf-8"
    )
    config.chmod(0o644)
    result = run(tmp_path, good, config)
    assert result.code == 1
    line = result.line("FAIL", "config file")
    assert "holds rapyd.access_key and rapyd.secret_key and anyone can read it" in line
    assert DEMO_SECRET_KEY not in result.text

    config.chmod(0o600)  # the same file, owner-only: works, with advice to use credentials
    result = run(tmp_path, good, config)
    assert result.code == 0, result.text
    assert "prefer" in result.line("WARN", "config file")


def test_a_world_writable_config_fails(tmp_path, good):
    config = tmp_path / "kiosk.toml"
    config.write_text('[store]\nname = "Corner shop"\n', encoding="utf-8")
    config.chmod(0o666)
    result = run(tmp_path, good, config)
    assert "can be changed by anyone" in result.line("FAIL", "config file")


def test_a_setting_error_is_a_fail_line_not_a_traceback(tmp_path, good):
    good["printer"]["baudrate"] = "fast"
    result = run(tmp_path, good)
    assert result.code == 1
    assert "printer.baudrate" in result.line("FAIL", "config")
    assert "Traceback" not in result.text


def test_a_missing_config_file_is_a_fail_line(tmp_path, good):
    result = run(tmp_path, good, tmp_path / "nowhere.toml")
    assert result.code == 1
    assert "does not exist" in result.line("FAIL", "config")


def test_an_unreachable_back_end_fails(tmp_path, good):
    good["rapyd"]["base_url"] = f"http://127.0.0.1:{_free_port()}"
    result = run(tmp_path, good)
    assert result.code == 1
    assert "Could not reach the wallet host" in result.line("FAIL", "back end")


def test_a_back_end_that_never_answers_is_bounded(tmp_path, good):
    # Accepts the connection (the kernel's backlog) but never answers.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        good["rapyd"].update(base_url=f"http://127.0.0.1:{silent.getsockname()[1]}", timeout=1.0)
        started = time.monotonic()
        result = run(tmp_path, good)
    assert time.monotonic() - started < 10
    assert result.code == 1
    assert result.line("FAIL", "back end")


def test_a_wrong_key_fails(tmp_path, good):
    good["rapyd"]["secret_key"] = "0" * 64
    result = run(tmp_path, good)
    assert result.code == 1
    line = result.line("FAIL", "back end")
    assert "signature" in line and "secret key" in line
    assert "0" * 16 not in result.text


def test_keys_are_taken_from_the_credential_store_like_the_service(tmp_path, good):
    store = tmp_path / "credstore"
    store.mkdir(mode=0o700)
    for key in ("access_key", "secret_key"):
        path = store / f"KIOSK_RAPYD__{key.upper()}"
        path.write_text(good["rapyd"].pop(key) + "\n", encoding="utf-8")
        path.chmod(0o600)
    result = run(tmp_path, good)
    assert result.code == 0, result.text
    assert "as the service gets it" in result.line(OK, "secret key")
    assert result.line(OK, "back end")

    (store / "KIOSK_RAPYD__SECRET_KEY").chmod(0o644)
    result = run(tmp_path, good)
    assert result.code == 1
    assert "can be read by others" in result.line("FAIL", "secret key")
    assert "chmod 0600" in result.line("FAIL", "secret key")


def test_systemd_credentials_directory_is_used(tmp_path, good, monkeypatch):
    creds = tmp_path / "creds"
    creds.mkdir()
    for key in ("access_key", "secret_key"):
        path = creds / f"KIOSK_RAPYD__{key.upper()}"
        path.write_text(good["rapyd"].pop(key), encoding="utf-8")
        path.chmod(0o400)
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(creds))
    result = run(tmp_path, good)
    assert result.code == 0, result.text
    assert result.line(OK, "access key") and result.line(OK, "back end")


def test_a_printer_port_that_does_not_exist_fails(tmp_path, good):
    good["printer"] = {"driver": "escpos", "port": str(tmp_path / "ttyUSB9")}
    good["drawer"] = {"driver": "printer"}
    result = run(tmp_path, good)
    assert result.code == 1
    assert f"port {tmp_path / 'ttyUSB9'} does not exist" in result.line("FAIL", "printer")
    assert result.line("SKIP", "drawer")


def test_a_serial_printer_that_is_ready_passes_and_one_with_its_cover_open_fails(tmp_path, good):
    from drivers.emulator import PrinterEmulator

    emulator = PrinterEmulator(115200).start()
    try:
        good["printer"] = {"driver": "escpos", "port": emulator.port, "baudrate": 115200, "flow_control": "none",
                           "status_timeout": 0.5}
        good["drawer"] = {"driver": "printer"}
        result = run(tmp_path, good)
        assert result.code == 0, result.text
        assert "ready" in result.line(OK, "printer")
        assert "closed (kicked through the printer" in result.line(OK, "drawer")

        emulator.inject("cover_open")
        result = run(tmp_path, good)
        assert result.code == 1
        line = result.line("FAIL", "printer")
        assert "cover is open" in line and "close the printer cover" in line
    finally:
        emulator.stop()


def test_a_data_dir_that_does_not_exist_fails(tmp_path, good):
    good["data_dir"] = str(tmp_path / "missing")
    result = run(tmp_path, good)
    assert result.code == 1
    assert "does not exist" in result.line("FAIL", "data dir")
    assert not (tmp_path / "missing").exists()  # the doctor creates nothing


@pytest.mark.skipif(os.geteuid() != 0, reason="judging another user's access needs root (as on a till)")
def test_a_data_dir_the_service_user_cannot_write_fails(tmp_path, good):
    # Root can write anywhere: what matters is the service's user. "nobody" stands in for it.
    Path(good["data_dir"]).chmod(0o755)
    result = run(tmp_path, good, service_user="nobody")
    assert result.code == 1
    line = result.line("FAIL", "data dir")
    assert "is not writable by user nobody" in line and "chown -R nobody:nobody" in line
    assert "access is judged for this user" in result.line(OK, "service user")


@pytest.mark.skipif(os.geteuid() != 0, reason="only root judges access for the service's user")
def test_a_missing_service_user_warns(tmp_path, good):
    result = run(tmp_path, good, service_user="no-such-kiosk-user")
    assert result.code == 0
    assert "there is no user no-such-kiosk-user" in result.line("WARN", "service user")


def test_a_data_dir_readable_by_everyone_warns(tmp_path, good):
    Path(good["data_dir"]).chmod(0o755)
    result = run(tmp_path, good)
    assert result.code == 0
    assert "can be read by everyone" in result.line("WARN", "data dir")


def _journal_with_an_edited_row(data_dir: Path) -> Path:
    path = _journal_with_rows(data_dir)
    db = sqlite3.connect(path)
    db.execute("""UPDATE rows SET data = '{"note":"edited"}' WHERE seq = 2""")
    db.commit()
    db.close()
    return path


def test_a_tampered_journal_fails(tmp_path, good):
    _journal_with_an_edited_row(Path(good["data_dir"]))
    result = run(tmp_path, good)
    assert result.code == 1
    line = result.line("FAIL", "journal")
    assert "journal failed its check: row 2 (FLOAT_COUNTED) was changed" in line
    assert "do not edit it" in line


def test_a_resealed_journal_warns_but_passes(tmp_path, good):
    path = _journal_with_an_edited_row(Path(good["data_dir"]))
    journal = Journal(path, mac_key=TEST_MAC_KEY)
    assert journal.broken
    journal.reseal("sam", "counted")
    journal.close()
    result = run(tmp_path, good)
    line = result.line("WARN", "journal")
    assert "supervisor's reseal" in line and "row 2 (FLOAT_COUNTED)" in line
    assert result.lines("FAIL", "journal") == []


def test_sign_in_off_warns_but_passes(tmp_path, good):
    good["auth"] = {"required": False}
    result = run(tmp_path, good)
    assert result.code == 0
    assert "auth.required is false" in result.line("WARN", "sign-in")


def test_the_terminal_checks_run_and_skip_a_non_terminal(tmp_path, good):
    result = run(tmp_path, good, check_terminal=True)
    assert result.line("SKIP", "this terminal")
    assert result.lines(OK, "screen") or result.lines("SKIP", "screen") or result.lines("FAIL", "screen")


def test_every_check_is_bounded():
    started = time.monotonic()
    with pytest.raises(_TimedOut):
        _bounded(0.2, lambda: time.sleep(5))
    assert time.monotonic() - started < 1
    assert _bounded(1, lambda: 42) == 42
    with pytest.raises(ZeroDivisionError):
        _bounded(1, lambda: 1 / 0)
