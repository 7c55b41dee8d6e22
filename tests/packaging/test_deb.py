"""packaging/build-deb builds a .deb that installs a working kiosk: the package is built once
into a temporary folder (about half a minute), then inspected (contents, control data,
conffiles, maintainer scripts), its systemd unit checked by systemd-analyze, and the packaged
kiosk run from an unpacked copy."""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import tomllib
from pathlib import Path

import pytest

CHECKOUT = Path(__file__).resolve().parents[2]
BUILD = CHECKOUT / "packaging" / "build-deb"
VENV = "opt/kiosk/venv"
# The package is built on the system's Python (not necessarily the one running the tests).
SYSTEM_PYTHON = Path(os.environ.get("KIOSK_DEB_PYTHON", "/usr/bin/python3"))
PYVER = (
    subprocess.run([str(SYSTEM_PYTHON), "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                   capture_output=True, text=True).stdout.strip()
    if SYSTEM_PYTHON.exists() else ""
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("dpkg-deb") is None, reason="dpkg-deb is not installed (not a Debian system)"),
    pytest.mark.skipif(not PYVER, reason=f"no system Python at {SYSTEM_PYTHON} to build the package on"),
]


@pytest.fixture(scope="module")
def deb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("deb")
    done = subprocess.run([str(BUILD), str(out)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"build-deb failed:\n{done.stdout}\n{done.stderr}"
    (package,) = out.glob("*.deb")
    assert done.stdout.strip().splitlines()[-1] == str(package)
    return package


@pytest.fixture(scope="module")
def unpacked(deb: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("unpacked")
    subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
    subprocess.run(["dpkg-deb", "-e", str(deb), str(root / "DEBIAN")], check=True)
    return root


def _contents(deb: Path) -> dict[str, str]:
    """path -> 'owner/group mode' for every member of the package."""
    listing = subprocess.run(["dpkg-deb", "--contents", str(deb)], capture_output=True, text=True, check=True).stdout
    members = {}
    for line in listing.splitlines():
        mode, owner, _size, _date, _time, name, *_ = line.split()
        members[name.removeprefix("./").rstrip("/")] = f"{owner} {mode}"
    return members


def test_control_data(deb):
    field = lambda name: subprocess.run(  # noqa: E731
        ["dpkg-deb", "--field", str(deb), name], capture_output=True, text=True, check=True
    ).stdout.strip()
    version = tomllib.loads((CHECKOUT / "pyproject.toml").read_text())["project"]["version"]
    assert field("Package") == "cashpoint-kiosk"
    assert field("Version") == f"{version}-1"
    assert field("Architecture") == subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True).stdout.strip()
    # The venv links to the system's versioned interpreter: the package must depend on it.
    assert f"python{PYVER}" in field("Depends").replace(" ", "").split(",")
    assert int(field("Installed-Size")) > 10_000
    assert deb.name == f"cashpoint-kiosk_{version}-1_{field('Architecture')}.deb"


def test_files_are_where_the_unit_and_the_guide_say(deb):
    members = _contents(deb)
    for path in (
        f"{VENV}/bin/kiosk",
        f"{VENV}/bin/python",
        f"{VENV}/pyvenv.cfg",
        "opt/kiosk/requirements.lock",
        "usr/bin/kiosk",
        "lib/systemd/system/kiosk.service",
        "etc/udev/rules.d/99-kiosk-serial.rules",
        "etc/kiosk/kiosk.toml",
        "usr/share/doc/cashpoint-kiosk/operations.md",
        f"{VENV}/lib/python{PYVER}/site-packages/kiosk/cli.py",
        f"{VENV}/lib/python{PYVER}/site-packages/kiosk/doctor/__init__.py",  # sub-packages ship too
        f"{VENV}/lib/python{PYVER}/site-packages/kiosk/doctor/backends/pospointe.py",
        f"{VENV}/lib/python{PYVER}/site-packages/kiosk/backends/rapyd/client.py",
        f"{VENV}/lib/python{PYVER}/site-packages/drivers/escpos.py",
    ):
        assert path in members, f"{path} is not in the package"
    assert all(entry.startswith("root/root ") for entry in members.values())
    assert members["usr/bin/kiosk"].endswith("-rwxr-xr-x")
    # The kiosk's own tests and build leftovers stay out (other projects ship tests of theirs).
    assert not [name for name in members if "site-packages/tests/" in name or name.endswith(".egg-info")]
    # Byte-code is shipped (the service cannot write under /opt), and pip is not.
    assert f"{VENV}/lib/python{PYVER}/site-packages/kiosk/__pycache__/cli.cpython-{PYVER.replace('.', '')}.pyc" in members
    assert not [name for name in members if "site-packages/pip/" in name]


def test_conffiles_and_maintainer_scripts(unpacked):
    control = unpacked / "DEBIAN"
    assert (control / "conffiles").read_text().split() == ["/etc/kiosk/kiosk.toml", "/etc/udev/rules.d/99-kiosk-serial.rules"]
    for script in ("postinst", "prerm", "postrm"):
        path = control / script
        assert path.stat().st_mode & stat.S_IXUSR, f"{script} is not executable"
        assert path.read_text().startswith("#!/bin/sh\n")
        done = subprocess.run(["sh", "-n", str(path)], capture_output=True, text=True)
        assert done.returncode == 0, f"{script}: {done.stderr}"


def _stubs(tmp_path: Path, getent_finds: bool) -> tuple[dict[str, str], Path]:
    """Commands that would change this machine's users, services and udev: logged, not run."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    log = tmp_path / "calls.log"
    for name in ("getent", "groupadd", "useradd", "usermod", "chown", "systemctl", "udevadm"):
        rc = 0 if (name != "getent" or getent_finds) else 2
        (bin_dir / name).write_text(f'#!/bin/sh\necho "{name} $*" >>"{log}"\nexit {rc}\n')
        (bin_dir / name).chmod(0o755)
    env = {"PATH": f"{bin_dir}:/usr/sbin:/usr/bin:/sbin:/bin", "DPKG_ROOT": str(tmp_path / "root")}
    return env, log


def test_postinst_creates_the_user_and_state_and_is_idempotent(unpacked, tmp_path):
    root = tmp_path / "root"
    (root / "etc" / "kiosk").mkdir(parents=True)
    shutil.copy(unpacked / "etc/kiosk/kiosk.toml", root / "etc/kiosk/kiosk.toml")
    postinst = str(unpacked / "DEBIAN" / "postinst")

    env, log = _stubs(tmp_path, getent_finds=False)
    done = subprocess.run([postinst, "configure", ""], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    calls = log.read_text()
    assert "useradd --system --gid kiosk --home-dir /var/lib/kiosk --no-create-home --shell /usr/sbin/nologin" in calls
    assert "usermod --append --groups dialout kiosk" in calls
    assert f"chown kiosk:kiosk {root}/var/lib/kiosk" in calls
    assert f"chown root:kiosk {root}/etc/kiosk/kiosk.toml" in calls
    assert stat.S_IMODE((root / "var/lib/kiosk").stat().st_mode) == 0o750
    assert stat.S_IMODE((root / "etc/kiosk/kiosk.toml").stat().st_mode) == 0o640
    assert stat.S_IMODE((root / "etc/credstore").stat().st_mode) == 0o700
    pepper = root / "etc/credstore/KIOSK_AUTH__PEPPER"  # made once, random, root only
    assert stat.S_IMODE(pepper.stat().st_mode) == 0o600 and len(pepper.read_text()) == 64
    first_pepper = pepper.read_text()
    journal_key = root / "etc/credstore/KIOSK_JOURNAL__MAC_KEY"  # likewise, for the journal's MACs
    assert stat.S_IMODE(journal_key.stat().st_mode) == 0o600 and len(journal_key.read_text()) == 64
    first_journal_key = journal_key.read_text()
    assert "systemctl" not in calls  # never touches the host's services when DPKG_ROOT is set
    assert "next steps" in done.stdout

    log.unlink()
    env, log = _stubs(tmp_path, getent_finds=True)  # second run: the user exists
    done = subprocess.run([postinst, "configure", "0.1.0-1"], env=env, capture_output=True, text=True)
    assert pepper.read_text() == first_pepper  # an upgrade keeps it: a new one would void every PIN
    assert journal_key.read_text() == first_journal_key  # ... and would break the journal's check
    assert done.returncode == 0, done.stderr
    assert "useradd" not in log.read_text() and "groupadd" not in log.read_text()
    assert "next steps" not in done.stdout

    assert subprocess.run([postinst, "bogus"], env=env, capture_output=True).returncode == 1


def test_prerm_and_postrm_succeed_for_every_action(unpacked, tmp_path):
    env, _log = _stubs(tmp_path, getent_finds=True)
    for script, actions in (("prerm", ("remove", "upgrade", "deconfigure", "failed-upgrade")),
                            ("postrm", ("remove", "purge", "upgrade", "abort-install", "disappear"))):
        for action in actions:
            done = subprocess.run([str(unpacked / "DEBIAN" / script), action, "0.1.0-1"], env=env, capture_output=True, text=True)
            assert done.returncode == 0, f"{script} {action}: {done.stderr}"


def _unit(unpacked: Path) -> dict[str, list[str]]:
    settings: dict[str, list[str]] = {}
    for line in (unpacked / "lib/systemd/system/kiosk.service").read_text().splitlines():
        if "=" in line and not line.startswith("#"):
            key, _, value = line.partition("=")
            settings.setdefault(key, []).append(value)
    return settings


def test_the_unit_runs_the_kiosk_on_tty1_as_its_own_user(unpacked):
    unit = _unit(unpacked)
    one = {key: values[-1] for key, values in unit.items()}
    assert one["ExecStart"] == "/opt/kiosk/venv/bin/kiosk"
    assert (one["StandardInput"], one["StandardOutput"], one["StandardError"]) == ("tty-force", "tty", "tty")
    assert one["TTYPath"] == "/dev/tty1"
    assert one["TTYReset"] == one["TTYVHangup"] == one["TTYVTDisallocate"] == "yes"
    assert "TERM=linux" in unit["Environment"] and "KIOSK_CONFIG=/etc/kiosk/kiosk.toml" in unit["Environment"]
    assert one["User"] == "kiosk" and one["SupplementaryGroups"] == "dialout"
    assert one["Restart"] == "on-failure" and one["RestartSec"] == "5s"
    assert one["Conflicts"] == "getty@tty1.service"
    assert sorted(unit["LoadCredential"]) == [
        "KIOSK_AUTH__PEPPER:/etc/credstore/KIOSK_AUTH__PEPPER",
        "KIOSK_JOURNAL__MAC_KEY:/etc/credstore/KIOSK_JOURNAL__MAC_KEY",
        "KIOSK_RAPYD__ACCESS_KEY:/etc/credstore/KIOSK_RAPYD__ACCESS_KEY",
        "KIOSK_RAPYD__SECRET_KEY:/etc/credstore/KIOSK_RAPYD__SECRET_KEY",
    ]
    assert one["ProtectSystem"] == "strict" and one["ReadWritePaths"] == "/var/lib/kiosk"
    assert one["NoNewPrivileges"] == one["ProtectHome"] == one["PrivateTmp"] == "yes"
    # Each of these would cut the kiosk off from its tty or serial ports.
    for breaks_the_tty in ("PrivateDevices", "ProtectClock", "DevicePolicy", "DeviceAllow"):
        assert breaks_the_tty not in unit


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed (apt-get install systemd)")
def test_systemd_accepts_the_unit(unpacked, tmp_path):
    # systemd-analyze verify also checks that ExecStart= exists and is executable: point it at
    # the unpacked copy (the only line changed), since /opt/kiosk is not installed here.
    text = (unpacked / "lib/systemd/system/kiosk.service").read_text()
    unit = tmp_path / "kiosk.service"
    unit.write_text(text.replace("ExecStart=/opt/kiosk/", f"ExecStart={unpacked}/opt/kiosk/"))
    done = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", str(unit)], capture_output=True, text=True, timeout=60
    )
    # verify exits 0 even for unknown keys or bad values: it only warns, so no output is the test.
    assert done.returncode == 0 and not done.stderr.strip() and not done.stdout.strip(), done.stderr + done.stdout

    done = subprocess.run(
        ["systemd-analyze", "security", "--offline=yes", str(unit)], capture_output=True, text=True, timeout=60
    )
    found = re.search(r"Overall exposure level for kiosk.service: (\d+\.\d+)", done.stdout)
    assert found, done.stdout + done.stderr
    assert float(found.group(1)) < 4.0, done.stdout  # "OK" on systemd's scale; it is 2.4 today


def test_the_udev_rules_name_the_printer_and_drawer_for_group_dialout(unpacked):
    rules = [
        line for line in (unpacked / "etc/udev/rules.d/99-kiosk-serial.rules").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert {re.search(r'SYMLINK\+="([^"]+)"', rule).group(1) for rule in rules} == {"kiosk-printer", "kiosk-drawer"}
    for rule in rules:
        assert 'SUBSYSTEM=="tty"' in rule and 'GROUP="dialout"' in rule and 'MODE="0660"' in rule
        assert re.search(r'ATTRS\{idVendor\}=="[0-9a-f]{4}"', rule) and 'ATTRS{serial}=="CHANGE-ME-' in rule


def test_the_packaged_config_is_the_documented_one_with_the_service_data_dir(unpacked):
    packaged = (unpacked / "etc/kiosk/kiosk.toml").read_text()
    source = (CHECKOUT / "config/kiosk.toml").read_text()
    assert packaged == source.replace('# data_dir = "/var/lib/kiosk"', 'data_dir = "/var/lib/kiosk"')
    assert tomllib.loads(packaged)["data_dir"] == "/var/lib/kiosk"


def _clean_env() -> dict[str, str]:
    return {"PATH": "/usr/bin:/bin", "HOME": os.environ.get("HOME", "/root"), "LANG": "C.UTF-8"}


def test_the_packaged_kiosk_runs_from_an_unpacked_copy(unpacked, tmp_path):
    venv = unpacked / VENV
    # Scripts name their final interpreter, /opt/kiosk/venv/bin/python, which exists only once
    # installed. The venv's own python (a symlink to /usr/bin/python3.X) finds the venv from
    # its location, so the unpacked copy runs the same code through it.
    assert (venv / "bin/kiosk").read_text().startswith("#!/opt/kiosk/venv/bin/python\n")
    assert os.path.realpath(venv / "bin/python") == os.path.realpath(f"/usr/bin/python{PYVER}")
    python = str(venv / "bin/python")
    # cwd elsewhere, clean environment: nothing may come from the checkout or its editable install.
    where = subprocess.run(
        [python, "-c", "import kiosk, drivers, textual; print(kiosk.__file__); print(drivers.__file__)"],
        cwd=tmp_path, env=_clean_env(), capture_output=True, text=True, timeout=60,
    )
    assert where.returncode == 0, where.stderr
    assert all(line.startswith(str(venv)) for line in where.stdout.splitlines()), where.stdout
    for command in ([python, "-m", "kiosk.cli", "--help"], [python, str(venv / "bin/kiosk"), "--help"]):
        done = subprocess.run(command, cwd=tmp_path, env=_clean_env(), capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith("usage: kiosk") and "Cash-point kiosk" in done.stdout
    # The default config loads in the packaged kiosk, and its doctor module is there.
    config = unpacked / "etc/kiosk/kiosk.toml"
    done = subprocess.run(
        [python, "-c", "import sys; from kiosk.settings import load_settings; import kiosk.doctor; "
         "print(load_settings(sys.argv[1]).data_dir)", str(config)],
        cwd=tmp_path, env=_clean_env(), capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "/var/lib/kiosk"


def test_nothing_names_the_build_directory_and_the_wrapper_execs_the_venv(unpacked):
    leftovers = subprocess.run(
        ["grep", "-rlI", "kiosk-deb.", str(unpacked / "opt")], capture_output=True, text=True
    ).stdout
    assert not leftovers, leftovers
    cfg = (unpacked / VENV / "pyvenv.cfg").read_text()
    assert "/opt/kiosk/venv" in cfg and re.search(r"^home = /usr/bin$", cfg, re.M)
    wrapper = (unpacked / "usr/bin/kiosk").read_text()
    assert wrapper.startswith("#!/bin/sh\n") and 'exec /opt/kiosk/venv/bin/kiosk "$@"' in wrapper
    assert subprocess.run(["sh", "-n", str(unpacked / "usr/bin/kiosk")]).returncode == 0
    lock = (unpacked / "opt/kiosk/requirements.lock").read_text()
    assert "textual==" in lock and "cashpoint-kiosk==" in lock
