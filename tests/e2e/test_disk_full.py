"""A full disk under the journal: the data dir is a small tmpfs (in a private mount namespace,
so nothing outlives the test), filled to leave a little room, and a real `kiosk txn withdraw`
runs out of space at some step. Whatever step that is: a plain message (no traceback), an
answer that is done / not done / unknown, and once space is freed `kiosk recover` leaves no
visit pending and the wallet's movement at the host equals what the journal holds."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
from decimal import Decimal

import httpx
import pytest

from tests.e2e.test_one_writer import KEY, balance, code, new_wallet
from tests.e2e.test_txn_cli import KIOSK, ROOT, sim_url  # noqa: F401  (module-scoped `kiosk sim`)

ROOM = [0, 65_536, 131_072, 196_608, 262_144, 393_216]  # bytes left free after filling the disk


def _can_mount() -> bool:
    if os.geteuid() != 0 or not shutil.which("unshare"):
        return False
    probe = subprocess.run(["unshare", "-m", "sh", "-c", "mount -t tmpfs -o size=64k tmpfs /mnt"], capture_output=True)
    return probe.returncode == 0


pytestmark = [pytest.mark.slow, pytest.mark.skipif(not _can_mount(), reason="needs root and mount namespaces (unshare -m) for a small tmpfs")]


@pytest.mark.parametrize("room", ROOM)
def test_a_full_disk_is_said_plainly_and_loses_no_money(sim_url, tmp_path, room):
    data, out = tmp_path / "data", tmp_path / "out"
    data.mkdir()
    out.mkdir()
    phone_a, phone_b = new_wallet(sim_url), new_wallet(sim_url)
    kiosk = " ".join(shlex.quote(part) for part in [*KIOSK, "--config", str(ROOT / "config" / "demo.toml")])
    script = f"""
set -u
mount -t tmpfs -o size=1m tmpfs {data}
cd {tmp_path}
# A first visit makes the journal and its files; then the disk is filled to leave {room} bytes.
{kiosk} txn deposit --phone {phone_a} --otp {code(sim_url, phone_a)} --currency GBP --amount 5 --json >{out}/first.out 2>{out}/first.err
free=$(( $(stat -f -c '%a * %S' {data}) ))
head -c $(( free > {room} ? free - {room} : 0 )) /dev/zero >{data}/filler 2>/dev/null
{kiosk} txn withdraw --phone {phone_b} --otp {code(sim_url, phone_b)} --currency GBP --amount 5 --json >{out}/full.out 2>{out}/full.err
echo $? >{out}/full.code
rm -f {data}/filler
{kiosk} recover --json >{out}/recover.out 2>{out}/recover.err
{kiosk} journal export --json >{out}/export.out 2>{out}/export.err
{kiosk} journal verify >{out}/verify.out 2>&1
echo $? >{out}/verify.code
cp {data}/journal.sqlite3* {data}/journal.key {out}/ 2>/dev/null
"""
    env = {
        "PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), "KIOSK_DATA_DIR": str(data),
        "KIOSK_RAPYD__BASE_URL": sim_url, "KIOSK_TELLER__OPENING_FLOAT": '{"GBP": "15.00"}',
        "KIOSK_DRAWER__SIMULATED_CLOSE_AFTER": "0.05",
    }
    subprocess.run(["unshare", "-m", "--propagation", "private", "bash", "-c", script], env=env, timeout=240, check=True)

    def read(name: str) -> str:
        return (out / name).read_text()

    for name in ("first.err", "full.err", "recover.err", "export.err", "verify.out"):
        assert "Traceback" not in read(name), (name, read(name))
    assert json.loads(read("first.out"))["status"] == "completed"
    code_ = int(read("full.code"))
    result = json.loads(read("full.out")) if read("full.out").strip() else None
    if code_ == 0:
        assert result["status"] == "completed"
    else:
        # Refused plainly: the disk is named, and what to do.
        assert code_ in (1, 2), (code_, read("full.out"), read("full.err"))
        said = (result or {}).get("error", {}).get("message", "") + read("full.err")
        assert "full" in said and "Traceback" not in said, said
    assert int(read("verify.code")) == 0, read("verify.out")
    visits = json.loads(read("export.out"))["visits"]
    assert not [v for v in visits if v["state"] == "pending"], visits
    # Conservation: what left the customer's wallet at the host is what the journal says
    # was paid out (completed) or may have been (suspect: a supervisor counts).
    host = balance(sim_url, phone_b) - Decimal("100.00")
    withdrawals = [v for v in visits if v["kind"] == "withdraw"]
    journal = -sum((Decimal(v["amount"]) for v in withdrawals if v["state"] in ("completed", "suspect")), Decimal(0))
    assert host == journal, (room, host, withdrawals)
    print(f"room {room}: exit {code_}, {[(v['state'], v['last_step']) for v in withdrawals]}")
