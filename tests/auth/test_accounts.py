"""PIN form, hashing with the pepper, the accounts file."""

import stat

import pytest

from kiosk.auth.accounts import AccountError, Accounts
from kiosk.auth.pins import PinFormError, PinHasher, check_name, check_pin_form
from tests.auth.helpers import PEPPER, cheap_hasher


@pytest.mark.parametrize("pin", ["", "123", "123456789", "12a4", " 2580", "2580\n", "١٢٣٤", "0000", "1234", "98765"])
def test_a_pin_of_the_wrong_form_is_refused_without_repeating_it(pin):
    with pytest.raises(PinFormError) as caught:
        check_pin_form(pin)
    assert not pin.strip() or pin.strip() not in str(caught.value)


def test_good_pins_and_names():
    assert check_pin_form("2580") == "2580" and check_pin_form("90210735") == "90210735"
    assert check_name(" ann.lee ") == "ann.lee"
    for bad in ("a", "Ann", "1ann", "ann lee", "x" * 40, "ann;drop"):
        with pytest.raises(PinFormError):
            check_name(bad)


def test_hash_is_argon2id_and_needs_the_pepper():
    hasher = cheap_hasher()
    stored = hasher.hash("2580")
    assert stored.startswith("$argon2id$") and "2580" not in stored
    assert hasher.verify(stored, "2580") and not hasher.verify(stored, "2581")
    assert not cheap_hasher("another-pepper-0123456789").verify(stored, "2580")
    assert "pepper" not in repr(hasher) or "hidden" in repr(hasher)
    with pytest.raises(ValueError):
        PinHasher("short")


def test_real_parameters_are_memory_hard_argon2id():
    """The stored hash says what a stolen accounts file costs to attack: argon2id, 32 MiB,
    2 passes (how long a check takes at the till is bench/bench_pin.py's business)."""
    stored = PinHasher(PEPPER).hash("2580")
    assert stored.startswith("$argon2id$") and "m=32768,t=2,p=1" in stored


def test_accounts_file_is_owner_only_and_holds_no_pin(tmp_path):
    accounts = Accounts(tmp_path / "accounts.sqlite3", cheap_hasher())
    accounts.add("ann", "cashier", "2580")
    accounts.add("sue", "supervisor", "7391")
    assert stat.S_IMODE((tmp_path / "accounts.sqlite3").stat().st_mode) == 0o600
    assert [(u.name, u.role) for u in accounts.list()] == [("ann", "cashier"), ("sue", "supervisor")]
    with pytest.raises(AccountError):
        accounts.add("ann", "cashier", "2468")
    with pytest.raises(AccountError):
        accounts.add("joe", "manager", "2468")
    accounts.reset_pin("ann", "8642")
    assert accounts.check_pin("ann", "8642") and not accounts.check_pin("ann", "2580")
    assert accounts.set_disabled("ann", True).disabled
    accounts.close()
    raw = (tmp_path / "accounts.sqlite3").read_bytes()
    assert b"2580" not in raw and b"8642" not in raw and b"7391" not in raw


def test_doctor_reports_the_pepper_and_an_accounts_file_others_can_read(tmp_path, monkeypatch):
    import io

    from kiosk.doctor import _check_sign_in, Report
    from kiosk.settings import load_settings

    monkeypatch.delenv("CREDENTIALS_DIRECTORY", raising=False)
    settings = load_settings(None, {"data_dir": str(tmp_path)}, config_from_env=False)
    out = io.StringIO()
    _check_sign_in(Report(out), settings, tmp_path / "credstore")
    assert "FAIL  pin pepper" in out.getvalue()
    settings = load_settings(None, {"data_dir": str(tmp_path), "auth": {"pepper": PEPPER}}, config_from_env=False)
    Accounts(tmp_path / "accounts.sqlite3", cheap_hasher()).close()
    (tmp_path / "accounts.sqlite3").chmod(0o644)
    out = io.StringIO()
    _check_sign_in(Report(out), settings, tmp_path / "credstore")
    assert "OK    pin pepper" in out.getvalue() and "FAIL  users" in out.getvalue() and PEPPER not in out.getvalue()


def test_pepper_from_a_systemd_credential(tmp_path, monkeypatch):
    from kiosk.settings import load_settings

    (tmp_path / "KIOSK_AUTH__PEPPER").write_text(PEPPER + "\n")
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(tmp_path))
    settings = load_settings(None, {}, config_from_env=False)
    assert settings.auth.pepper is not None and settings.auth.pepper.get_secret_value().strip() == PEPPER
    assert PEPPER not in repr(settings) and PEPPER not in str(settings.model_dump())


def test_a_trailing_newline_in_the_pepper_file_does_not_change_the_hashes():
    stored = cheap_hasher(PEPPER).hash("2580")
    assert cheap_hasher(PEPPER + "\n").verify(stored, "2580")
