"""Every bad setting, through every layer and every command, is one paragraph on stderr naming
the key as in TOML and in the environment, with exit status 2, no traceback, and nothing written.

One real `kiosk` process per case (python -m kiosk.cli); the commands are spread over the cases
so that each of them is seen refusing at least once.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

KIOSK = [sys.executable, "-m", "kiosk.cli"]
ROOT = Path(__file__).resolve().parents[2]

WITHDRAW = ["txn", "withdraw", "--phone", "+14155559992", "--otp", "123456", "--currency", "GBP", "--amount", "10"]
DEPOSIT = [*WITHDRAW[:1], "deposit", *WITHDRAW[2:]]
GIFTCARD = ["txn", "giftcard-balance", "--card", "6001", "--code", "1234", "--set", "backends.enabled=pospointe"]
SDK = ["txn", "sdk-deposit", "--login", "a", "--password-stdin", "--currency", "EUR", "--amount", "5"]
FLEXITI = ["txn", "flexiti-verify", "--account", "1", "--verify", "sms"]


# Everything a till needs, so that the data dir cases get as far as the data dir.
TILL = {
    "KIOSK_RAPYD__ACCESS_KEY": "access", "KIOSK_RAPYD__SECRET_KEY": "secret", "KIOSK_RAPYD__POS_ID": "pos",
    "KIOSK_POSPOINTE__USER": "u", "KIOSK_POSPOINTE__PASSWORD": "p", "KIOSK_POSPOINTE__STORE_ID": "s",
    "KIOSK_POSPOINTE__FRANCHISEE_ID": "f", "KIOSK_AUTH__PEPPER": "pepper-of-sixteen-chars",
}


@dataclass
class Case:
    id: str
    argv: list[str]
    key: str  # as it must appear: "section.key (KIOSK_SECTION__KEY)"
    words: str  # what is wrong / expected, as it must appear
    env: dict[str, str] = field(default_factory=dict)
    toml: str | bytes | None = None  # written to config.toml and given with --config
    credentials: dict[str, str | bytes | None] | None = None  # None value: a directory
    data_dir: str | None = "data"  # --data-dir, under the case's tmp dir ("<file>": a file there)
    set: list[str] = field(default_factory=list)  # --set KEY=VALUE ...
    exit: int = 2


CASES = [
    # --- the environment -----------------------------------------------------------------------
    Case("env-float-not-json", [], "teller.opening_float (KIOSK_TELLER__OPENING_FLOAT)", "not valid JSON",
         env={"KIOSK_TELLER__OPENING_FLOAT": "{bad"}),
    Case("env-float-bad-currency", WITHDRAW, "teller.opening_float (KIOSK_TELLER__OPENING_FLOAT)", "ISO 4217",
         env={"KIOSK_TELLER__OPENING_FLOAT": "XYZ=10"}),
    Case("env-float-bad-amount", DEPOSIT, "teller.opening_float (KIOSK_TELLER__OPENING_FLOAT)", "2 decimal places",
         env={"KIOSK_TELLER__OPENING_FLOAT": "GBP=1.234"}),
    Case("env-limit-not-pairs", ["recover"], "limits.per_visit (KIOSK_LIMITS__PER_VISIT)", "KEY=VALUE",
         env={"KIOSK_LIMITS__PER_VISIT": "GBP"}),
    Case("env-backends-bad-name", ["shift", "report"], "backends.enabled (KIOSK_BACKENDS__ENABLED)", "'nope'",
         env={"KIOSK_BACKENDS__ENABLED": "rapyd,nope"}),
    Case("env-backends-empty", ["users", "list"], "backends.enabled (KIOSK_BACKENDS__ENABLED)", "at least one",
         env={"KIOSK_BACKENDS__ENABLED": ""}),
    Case("env-pin-not-a-pin", ["devices", "status"], "rapyd.pin_sha256 (KIOSK_RAPYD__PIN_SHA256)", "64 hex digits",
         env={"KIOSK_RAPYD__PIN_SHA256": "abc"}),
    Case("env-pin-bad-json", ["journal", "list"], "rapyd.pin_sha256 (KIOSK_RAPYD__PIN_SHA256)", "not valid JSON",
         env={"KIOSK_RAPYD__PIN_SHA256": "[abc"}),
    Case("env-verify-formats", FLEXITI, "flexiti.verify_formats (KIOSK_FLEXITI__VERIFY_FORMATS)", "'bogus'",
         env={"KIOSK_FLEXITI__VERIFY_FORMATS": "sms,bogus", "KIOSK_BACKENDS__ENABLED": "flexiti"}),
    Case("env-bad-enum", GIFTCARD, "printer.driver (KIOSK_PRINTER__DRIVER)", "'escpos' or 'simulated'",
         env={"KIOSK_PRINTER__DRIVER": "laser"}),
    Case("env-wrong-type", SDK, "printer.baudrate (KIOSK_PRINTER__BAUDRATE)", "integer",
         env={"KIOSK_PRINTER__BAUDRATE": "fast", "KIOSK_BACKENDS__ENABLED": "sdkfinance"}),
    Case("env-out-of-range", ["journal", "verify"], "rapyd.timeout (KIOSK_RAPYD__TIMEOUT)", "greater than 0",
         env={"KIOSK_RAPYD__TIMEOUT": "0"}),
    Case("env-bad-bool", ["recover", "--json"], "auth.required (KIOSK_AUTH__REQUIRED)", "boolean",
         env={"KIOSK_AUTH__REQUIRED": "maybe"}),
    Case("env-unknown-key", ["shift", "open", "--float", "GBP=1"], "printer.colour (KIOSK_PRINTER__COLOUR)",
         "not a known setting", env={"KIOSK_PRINTER__COLOUR": "red"}),
    Case("env-unknown-section", WITHDRAW, "nope.x (KIOSK_NOPE__X)", "not a known section",
         env={"KIOSK_NOPE__X": "1"}),
    Case("env-section-given-a-value", [], "teller (KIOSK_TELLER)", "is a section", env={"KIOSK_TELLER": "5"}),
    Case("env-not-utf8", ["devices", "test-print"], "store.name (KIOSK_STORE__NAME)", "not UTF-8",
         env={"KIOSK_STORE__NAME": "Corner \udcff"}),  # the byte 0xff, as os.environ keeps it
    Case("env-empty-data-dir", ["recover"], "data_dir (KIOSK_DATA_DIR)", "is empty",
         env={"KIOSK_DATA_DIR": ""}, data_dir=None),
    Case("env-config-missing", ["recover"], "KIOSK_CONFIG", "does not exist", env={"KIOSK_CONFIG": "missing.toml"}),
    # --- the TOML file ---------------------------------------------------------------------------
    Case("toml-not-utf8", ["recover"], "--config or KIOSK_CONFIG", "not UTF-8", toml=b'[store]\nname = "\xff"\n'),
    Case("toml-syntax", GIFTCARD, "--config or KIOSK_CONFIG", "not valid TOML", toml="[rapyd\n"),
    Case("toml-directory", ["journal", "list"], "--config or KIOSK_CONFIG", "is a directory", toml="<dir>"),
    Case("toml-wrong-type", ["devices", "status"], "printer.baudrate (KIOSK_PRINTER__BAUDRATE)", "'fast'",
         toml='[printer]\nbaudrate = "fast"\n'),
    Case("toml-float-money", DEPOSIT, "teller.opening_float (KIOSK_TELLER__OPENING_FLOAT)", "as text",
         toml="[teller]\nopening_float = { GBP = 500.10 }\n"),
    Case("toml-unknown-section", ["users", "list"], "nope.x (KIOSK_NOPE__X)", "not a known section",
         toml="[nope]\nx = 1\n"),
    Case("toml-unknown-key", FLEXITI, "flexiti.clientid (KIOSK_FLEXITI__CLIENTID)", "not a known setting of [flexiti]",
         toml='[flexiti]\nclientid = "x"\n'),
    Case("toml-pins-not-text", ["shift", "report"], "rapyd.pin_sha256 (KIOSK_RAPYD__PIN_SHA256)", "list of pins",
         toml="[rapyd]\npin_sha256 = [1]\n"),
    Case("toml-secret-not-text", ["recover"], "rapyd.secret_key (KIOSK_RAPYD__SECRET_KEY)", "valid string",
         toml="[rapyd]\nsecret_key = 12345678\n"),
    Case("toml-empty-data-dir", WITHDRAW, "data_dir (KIOSK_DATA_DIR)", "is empty", toml='data_dir = ""\n', data_dir=None),
    Case("toml-nul-data-dir", ["journal", "list"], "data_dir (KIOSK_DATA_DIR)", "NUL",
         toml='data_dir = "a\\u0000b"\n', data_dir=None),
    # --- systemd credentials --------------------------------------------------------------------
    Case("cred-directory", WITHDRAW, "rapyd.secret_key (KIOSK_RAPYD__SECRET_KEY)", "not a file",
         credentials={"KIOSK_RAPYD__SECRET_KEY": None}),
    Case("cred-not-utf8", ["users", "list"], "auth.pepper (KIOSK_AUTH__PEPPER)", "not UTF-8",
         credentials={"KIOSK_AUTH__PEPPER": b"\xff\xfe pepper"}),
    Case("cred-out-of-range", ["recover"], "auth.max_failures (KIOSK_AUTH__MAX_FAILURES)", "less than or equal to 10",
         credentials={"KIOSK_AUTH__MAX_FAILURES": "99"}),
    Case("cred-unknown-section", SDK, "foo.bar (KIOSK_FOO__BAR)", "not a known section",
         credentials={"KIOSK_FOO__BAR": "1"}),
    # --- the command line -----------------------------------------------------------------------
    Case("set-unknown-section", ["recover"], "nope.x (KIOSK_NOPE__X)", "not a known section", set=["nope.x=1"]),
    Case("set-bad-enum", ["devices", "kick"], "drawer.kick_pin (KIOSK_DRAWER__KICK_PIN)", "2 or 5",
         set=["drawer.kick_pin=3"]),
    Case("set-bad-amount", ["shift", "close", "--count", "GBP=1"], "limits.per_shift (KIOSK_LIMITS__PER_SHIFT)",
         "is not an amount", set=["limits.per_shift=GBP=12x"]),
    Case("set-not-finite", ["recover"], "drawer.simulated_close_after (KIOSK_DRAWER__SIMULATED_CLOSE_AFTER)",
         "finite number", set=["drawer.simulated_close_after=inf"]),
    Case("set-section-and-key", ["journal", "export"], "--set 'printer.driver=x'", "already given a value",
         set=["printer=x", "printer.driver=x"]),
    Case("set-no-equals", WITHDRAW, "--set 'printer.driver'", "section.key=value", set=["printer.driver"]),
    Case("set-empty-data-dir", [], "data_dir (KIOSK_DATA_DIR)", "--data-dir", data_dir=""),
    # --- the data dir and the log ---------------------------------------------------------------
    Case("data-dir-is-a-file", ["recover"], "data_dir (KIOSK_DATA_DIR, or --data-dir)", "is a file",
         env=TILL, data_dir="<file>"),
    Case("data-dir-file-uncreatable", WITHDRAW, "data_dir (KIOSK_DATA_DIR, or --data-dir)", "cannot be created",
         env=TILL, data_dir="<file>/data"),
    Case("data-dir-file-journeys", GIFTCARD, "data_dir (KIOSK_DATA_DIR, or --data-dir)", "is a file",
         env=TILL, data_dir="<file>"),
    Case("data-dir-file-users", ["users", "list"], "data_dir (KIOSK_DATA_DIR, or --data-dir)", "is a file",
         env=TILL, data_dir="<file>"),
    # --- a missing setting: named before the data dir, journal or log is made ----------------------
    Case("missing-rapyd-keys", DEPOSIT, "rapyd.secret_key (KIOSK_RAPYD__SECRET_KEY)", "is not set",
         env={"KIOSK_RAPYD__ACCESS_KEY": "a"}),
    Case("missing-pepper", ["recover"], "auth.pepper (KIOSK_AUTH__PEPPER)", "is not set",
         env={**TILL, "KIOSK_AUTH__PEPPER": ""}),
    Case("short-pepper", ["shift", "report"], "auth.pepper (KIOSK_AUTH__PEPPER)", "at least 16 characters",
         env={**TILL, "KIOSK_AUTH__PEPPER": "short"}),
    Case("missing-giftcard-keys", GIFTCARD, "pospointe.store_id (KIOSK_POSPOINTE__STORE_ID)", "is not set",
         env={**TILL, "KIOSK_POSPOINTE__STORE_ID": ""}),
    Case("data-dir-file-journal", ["journal", "verify"], "data_dir (KIOSK_DATA_DIR, or --data-dir)", "is a file",
         data_dir="<file>"),
    Case("data-dir-file-sim", ["sim", "--port", "0"], "data_dir (KIOSK_DATA_DIR", "is a file",
         env={"KIOSK_DATA_DIR": "<file>"}, data_dir=None),
    Case("data-dir-empty-sim", ["sim", "--port", "0"], "data_dir (KIOSK_DATA_DIR", "is empty",
         env={"KIOSK_DATA_DIR": ""}, data_dir=None),
    Case("log-file-unwritable", ["devices", "status"], "log.file (KIOSK_LOG__FILE)", "cannot write",
         set=["log.file=/proc/no-such-dir/kiosk.log"], data_dir="home"),  # a data dir that exists
    # --- the doctor reports a bad setting as a FAIL line (exit 1), still without a traceback -----
    Case("doctor-env", ["doctor", "--no-devices", "--no-backend"],
         "teller.opening_float (KIOSK_TELLER__OPENING_FLOAT)", "FAIL", env={"KIOSK_TELLER__OPENING_FLOAT": "{bad"},
         exit=1),
    Case("doctor-toml-not-utf8", ["doctor", "--no-devices", "--no-backend"], "--config or KIOSK_CONFIG", "not UTF-8",
         toml=b"[store]\nname = '\xc3\x28'\n", exit=1),
]

def _clean_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIOSK_") and k != "CREDENTIALS_DIRECTORY"}
    env.update(HOME=str(home), XDG_DATA_HOME=str(home / "share"), PYTHONPATH=str(ROOT))
    return env


def _tree(path: Path) -> list[str]:
    return sorted(str(p.relative_to(path)) for p in path.rglob("*"))


def _assert_one_paragraph(done: subprocess.CompletedProcess, *needles: str) -> None:
    err = done.stderr
    assert "Traceback" not in err and "Traceback" not in done.stdout, err
    for needle in needles:
        assert needle in err, f"{needle!r} not in: {err}"
    assert err.startswith("kiosk: ") and err.strip() and "\n\n" not in err.strip(), err


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_a_bad_setting_is_one_paragraph_and_changes_nothing(case: Case, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (tmp_path / "file").write_text("not a directory\n")
    env = _clean_env(home)
    args: list[str] = []
    for name, value in case.env.items():
        env[name] = value.replace("<file>", str(tmp_path / "file"))
    if case.toml == "<dir>":
        args += ["--config", str(tmp_path)]
    elif case.toml is not None:
        config = tmp_path / "config.toml"
        config.write_bytes(case.toml if isinstance(case.toml, bytes) else case.toml.encode())
        args += ["--config", str(config)]
    if case.credentials is not None:
        creds = tmp_path / "credentials"
        creds.mkdir()
        for name, value in case.credentials.items():
            if value is None:
                (creds / name).mkdir()
            else:
                (creds / name).write_bytes(value if isinstance(value, bytes) else value.encode())
        env["CREDENTIALS_DIRECTORY"] = str(creds)
    if case.data_dir is not None:
        args += ["--data-dir", str(tmp_path / case.data_dir.replace("<file>", "file")) if case.data_dir else ""]
    for pair in case.set:
        args += ["--set", pair]
    before = _tree(tmp_path)
    # Every command takes the settings options after its own arguments.
    done = subprocess.run([*KIOSK, *case.argv, *args], env=env, cwd=tmp_path, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=60)
    assert done.returncode == case.exit, (done.returncode, done.stdout, done.stderr)
    if case.exit == 1:  # the doctor: its report on stdout, the setting named in the FAIL line
        assert "Traceback" not in done.stdout + done.stderr
        fail = [line for line in done.stdout.splitlines() if line.startswith("FAIL  config")]
        assert fail and case.key in fail[0] and case.words in done.stdout, done.stdout
    else:
        assert done.stdout == ""
        _assert_one_paragraph(done, case.key, case.words)
    # Nothing written: no data dir, journal, log or key appeared anywhere (the default data dir
    # is under home/share).
    assert _tree(tmp_path) == before


def test_an_unwritable_data_dir_is_named_before_anything_is_written(tmp_path: Path) -> None:
    """Root ignores permission bits, so as root the commands run without CAP_DAC_OVERRIDE and
    CAP_DAC_READ_SEARCH (setpriv): root then obeys the bits like the kiosk's own user."""
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv: cannot make a directory unwritable for this process")
        prefix = [setpriv, "--bounding-set=-dac_override,-dac_read_search", "--"]
    else:
        prefix = []
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    env = {**_clean_env(tmp_path), **TILL}
    try:
        runs = [
            (["recover", "--data-dir", str(locked)], "is not writable by user"),
            ([*WITHDRAW, "--data-dir", str(locked / "data")], "cannot be created (Permission denied)"),
            (["users", "list", "--data-dir", str(locked)], "is not writable by user"),
        ]
        for argv, words in runs:
            done = subprocess.run([*prefix, *KIOSK, *argv], env=env, capture_output=True, text=True,
                                  stdin=subprocess.DEVNULL, timeout=60)
            assert done.returncode == 2, (done.stdout, done.stderr)
            _assert_one_paragraph(done, "data_dir (KIOSK_DATA_DIR, or --data-dir)", words)
            assert list(locked.iterdir()) == []
    finally:
        locked.chmod(0o755)
