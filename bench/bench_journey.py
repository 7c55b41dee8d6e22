"""Where the cashier waits, measured against the loopback Rapyd simulator, each beside its floor.

1. One `kiosk txn withdraw` process (configured by config/demo.toml, simulated drawer closing
   after 0.05 s), beside a stdlib script making the same three signed calls as one process;
   and the fsyncs that process makes (strace, when present).
2. One whole headless withdrawal through the teller in process (login, withdraw, drawer,
   receipt, logout, journal), beside the three bare httpx calls it makes; and its journal rows,
   the commits they took and the fsyncs of those commits (strace attached to this process).
3. Enter on the OTP -> the accounts screen (Pilot, 80x24), beside the same login made with
   bare httpx (signed by hand): the floor the UI, client and teller add to.
4. Cold start of the configured `kiosk` and of `kiosk demo` on a pseudo-terminal, beside a
   minimal Textual app: to the first screen painted (the configured kiosk's says it is opening
   the journal), and to ready to serve (Enter on the ready screen taken); and the peak memory
   (VmHWM) of each. Beside them, the minimal app after loading the kiosk's settings
   (pydantic-settings, mandated): the part of the figures no change to the kiosk can remove.

The machine may be shared: every figure is measured beside its floor in the same run,
interleaved, and printed with the ratio of the medians.

Run: .venv/bin/python bench/bench_journey.py [process] [teller] [screens] [cold]
     (prints its figures; all four sections by default, a few minutes)
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import math
import os
import pty
import secrets
import select
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kiosk.sim import rapyd as sim  # noqa: E402
from kiosk.sim.server import start_in_thread  # noqa: E402
from kiosk.desks.base import PhoneLogin
from kiosk.desks.rapyd import wallet_desk

ROUNDS = 15


def signed_headers(method: str, path: str, body: str = "") -> dict[str, str]:
    salt, stamp = secrets.token_hex(6), str(int(time.time()))
    material = method.lower() + path + salt + stamp + sim.DEMO_ACCESS_KEY + sim.DEMO_SECRET_KEY + body
    digest = hmac.new(sim.DEMO_SECRET_KEY.encode(), material.encode(), hashlib.sha256).hexdigest()
    return {
        "access_key": sim.DEMO_ACCESS_KEY,
        "salt": salt,
        "timestamp": stamp,
        "signature": base64.b64encode(digest.encode()).decode(),
        "content-type": "application/json",
        "idempotency": secrets.token_hex(16),  # as the kiosk sends with each call (the host keeps it for replays)
    }


def fresh_phone(simulator, n: int) -> str:
    phone = f"+4477009{n:05d}"
    simulator.add_wallet(phone, {"GBP": "100000.00"})
    return phone


def bare_visit(client: httpx.Client, simulator, phone: str, *, withdraw: bool) -> float:
    """The floor: the same HTTP calls with bare httpx on a warm connection."""
    otp = simulator.current_otp(phone)
    started = time.perf_counter()
    path = f"/v1/pos/login/{sim.DEMO_POS_ID}/{otp}"
    login = client.post(path, headers={**signed_headers("post", path), "phone_number": phone}).json()["data"]
    if withdraw:
        session = {"token_id": login["token_id"], "operation_id": login["operation_id"], "phone_number": phone}
        account = login["accounts"][0]["account_id"]
        path = f"/v1/pos/withdraw/{account}/10"
        client.post(path, headers={**signed_headers("post", path), **session}).raise_for_status()
        client.post("/v1/pos/logout", headers={**signed_headers("post", "/v1/pos/logout"), **session}).raise_for_status()
    return time.perf_counter() - started


def summary(samples: list[float]) -> str:
    ms = sorted(s * 1000 for s in samples)
    return f"median {statistics.median(ms):7.1f} ms   p90 {ms[int(len(ms) * 0.9) - 1]:7.1f} ms   (n={len(ms)})"


def ratio(samples: list[float], floor: list[float]) -> str:
    return f"{statistics.median(samples) / statistics.median(floor):.2f}x the floor"


def excess(samples: list[float], floor: list[float]) -> str:
    return f"floor + {(statistics.median(samples) - statistics.median(floor)) * 1000:.1f} ms"


PROCESS_ROUNDS = 7

# The floor of a headless visit as a process: the same three signed calls (login, withdraw,
# logout, each with its idempotency key) by a stdlib-only script (http.client), in one fresh interpreter.
STDLIB_VISIT = """
import base64, hashlib, hmac, http.client, json, secrets, sys, time
host, port, access, secret, pos, phone, otp = sys.argv[1:8]
conn = http.client.HTTPConnection(host, int(port), timeout=5)
def call(path, extra):
    salt, stamp = secrets.token_hex(6), str(int(time.time()))
    material = "post" + path + salt + stamp + access + secret
    digest = hmac.new(secret.encode(), material.encode(), hashlib.sha256).hexdigest()
    headers = {"access_key": access, "salt": salt, "timestamp": stamp, "content-type": "application/json",
               "signature": base64.b64encode(digest.encode()).decode(), "idempotency": secrets.token_hex(16), **extra}
    conn.request("POST", path, body=b"", headers=headers)
    answer = conn.getresponse()
    body = json.loads(answer.read())
    if answer.status != 200 or body.get("status", {}).get("status") != "SUCCESS":
        sys.exit(f"{path}: {answer.status} {body}")
    return body.get("data")
login = call(f"/v1/pos/login/{pos}/{otp}", {"phone_number": phone})
session = {"token_id": login["token_id"], "operation_id": login["operation_id"], "phone_number": phone}
account = login["accounts"][0]["account_id"]  # the fresh wallet holds GBP only
call(f"/v1/pos/withdraw/{account}/10", session)
call("/v1/pos/logout", session)
"""


# Below the kiosk's own code: one interpreter that only imports the libraries a `kiosk txn
# withdraw` loads (its settings, HTTP client, phone numbers, the vault's cipher, the journal's
# database; `import kiosk` keeps httpx's command-line client out, as in the kiosk).
LIBRARIES_ONLY = ("import kiosk, pydantic_settings, httpx, phonenumbers, sqlite3; "
                  "from cryptography.hazmat.primitives.ciphers.aead import AESGCM")


def configured_toml(tmp: Path, url: str) -> Path:
    """config/demo.toml pointed at the bench's simulators: the configured kiosk of a till."""
    text = (ROOT / "config" / "demo.toml").read_text().replace("http://127.0.0.1:8700", url)
    path = tmp / "kiosk.toml"
    path.write_text(text)
    return path


def count_fsyncs(argv: list[str], env: dict[str, str], tmp: Path) -> int | None:
    """fsync + fdatasync calls of one process and its threads (strace), or None without strace."""
    import shutil

    if not shutil.which("strace"):
        return None
    out = tmp / "strace.txt"
    done = subprocess.run(
        ["strace", "-f", "-qq", "-e", "trace=fsync,fdatasync", "-o", str(out), *argv],
        env=env, capture_output=True, timeout=60,
    )
    if done.returncode != 0 or not out.exists():
        return None
    return sum(1 for line in out.read_text().splitlines() if "fsync(" in line or "fdatasync(" in line)


def fsyncs_in_process(action, file_name: str, tmp: Path) -> int | None:
    """fsync + fdatasync calls on the files named `file_name*` while `action` runs in this
    process (strace attached to it and its threads: the simulator's own ledger is left out), or
    None without strace or when it may not attach."""
    import shutil
    import signal

    if not shutil.which("strace"):
        return None
    out = tmp / "strace-teller.txt"
    tracer = subprocess.Popen(
        ["strace", "-f", "-y", "-e", "trace=fsync,fdatasync", "-o", str(out), "-p", str(os.getpid())],
        stderr=subprocess.PIPE, text=True,
    )
    assert tracer.stderr is not None
    if "attached" not in tracer.stderr.readline():  # e.g. ptrace not permitted here
        tracer.kill()
        tracer.wait()
        return None
    time.sleep(0.2)  # every thread attached
    action()
    tracer.send_signal(signal.SIGINT)  # detach
    tracer.wait(10)
    lines = out.read_text().splitlines() if out.exists() else []
    return sum(1 for line in lines if "sync(" in line and f"/{file_name}" in line)


def bench_headless_process(tmp: Path) -> None:
    from kiosk.sim.composite import CompositeSimulator

    tmp.mkdir(parents=True, exist_ok=True)
    simulators = CompositeSimulator(tmp / "ledger.sqlite3", otp_window=3600)
    simulator = simulators.rapyd
    server = start_in_thread(simulators)
    config = configured_toml(tmp, server.url)
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp), "LANG": "C.UTF-8"}
    host, port = server.url.removeprefix("http://").split(":")

    def kiosk_argv(phone: str) -> list[str]:
        return [sys.executable, "-m", "kiosk.cli", "--config", str(config), "--data-dir", str(tmp / "data"),
                "--set", "drawer.simulated_close_after=0.05", "txn", "withdraw", "--phone", phone,
                "--otp", simulator.current_otp(phone), "--currency", "GBP", "--amount", "10", "--json"]

    def timed(argv: list[str]) -> float:
        started = time.perf_counter()
        done = subprocess.run(argv, env=env, capture_output=True, timeout=60)
        elapsed = time.perf_counter() - started
        if done.returncode != 0:
            raise RuntimeError(f"{argv[:4]} failed: {done.stdout.decode()} {done.stderr.decode()}")
        return elapsed

    subprocess.run(kiosk_argv(fresh_phone(simulator, 20000)), env=env, capture_output=True, timeout=60)  # opens the shift
    kiosk, floor, libraries = [], [], []
    for n in range(PROCESS_ROUNDS):
        phone = fresh_phone(simulator, 20001 + 2 * n)
        floor.append(timed([sys.executable, "-c", STDLIB_VISIT, host, port, sim.DEMO_ACCESS_KEY, sim.DEMO_SECRET_KEY,
                            sim.DEMO_POS_ID, phone, simulator.current_otp(phone)]))
        kiosk.append(timed(kiosk_argv(fresh_phone(simulator, 20002 + 2 * n))))
        libraries.append(timed([sys.executable, "-c", LIBRARIES_ONLY]))
    fsyncs = count_fsyncs(kiosk_argv(fresh_phone(simulator, 29999)), env, tmp)
    print("Headless visit as a process: `kiosk txn withdraw` (config/demo.toml, drawer closes after 0.05 s)")
    print(f"  kiosk txn withdraw  {summary(kiosk)}   {ratio(kiosk, floor)}")
    print(f"  stdlib script floor {summary(floor)}   (the same 3 signed calls, one process)")
    print(f"  its libraries alone {summary(libraries)}   {ratio(libraries, floor)} (importing pydantic-settings, httpx, "
          "phonenumbers, cryptography, sqlite3; no call)")
    if fsyncs is not None:
        print(f"  fsyncs in one `kiosk txn withdraw` process (one visit, shift already open): {fsyncs}")
    server.stop()
    simulators.close()


def bench_headless(tmp: Path) -> None:
    from tests.stack import build_stack

    simulator = sim.RapydSimulator(tmp / "ledger.sqlite3", otp_window=3600)
    server = start_in_thread(simulator.app)
    stack = build_stack(tmp, server.url, simulator, floats={"GBP": "1000000.00"})
    # The drawer is pushed shut by the bench as soon as it has opened (a timer of 0 s would shut
    # it before the kick's own status read, and every visit would take the not-opened path).
    stack.drawer.auto_close_after = None
    teller = stack.teller
    floor, whole, login_floor = [], [], []

    def withdrawal(phone: str) -> str:
        otp = simulator.current_otp(phone)
        visit = wallet_desk(teller).identify(PhoneLogin(phone, otp))
        wallet_desk(teller).withdraw(visit, visit.session.account_for("GBP").account_id, "10")
        stack.drawer.close_drawer()
        teller.wait_for_drawer_close(visit, 5.0)
        wallet_desk(teller).finish(visit)  # the cash confirmed, the receipt, the logout (as `kiosk txn`)
        return visit.visit_id

    with httpx.Client(base_url=server.url) as client:
        for n in range(ROUNDS):
            floor.append(bare_visit(client, simulator, fresh_phone(simulator, 2 * n), withdraw=True))
            login_floor.append(bare_visit(client, simulator, fresh_phone(simulator, 5000 + n), withdraw=False))
            phone = fresh_phone(simulator, 2 * n + 1)
            started = time.perf_counter()
            withdrawal(phone)
            whole.append(time.perf_counter() - started)
    commits, durable = stack.journal.commits, stack.journal.durable_commits
    rows = len(list(stack.journal.rows(withdrawal(fresh_phone(simulator, 7000)))))
    commits, durable = stack.journal.commits - commits, stack.journal.durable_commits - durable
    fsyncs = fsyncs_in_process(lambda: withdrawal(fresh_phone(simulator, 7001)), stack.journal.path.name, tmp)
    print(f"Headless withdrawal (teller: login, withdraw, drawer, receipt, logout, {rows} journal rows)")
    print(f"  kiosk teller        {summary(whole)}   {ratio(whole, floor)}")
    print(f"  bare httpx floor    {summary(floor)}   (3 signed calls, no journal)")
    print(f"  journal of one withdrawal: {rows} rows in {commits} commits ({durable} waiting for the disk), "
          + ("fsyncs not counted (no strace)" if fsyncs is None else f"{fsyncs} fsyncs (strace)"))
    stack.client.close()
    stack.journal.close()
    server.stop()
    return login_floor


def bench_otp_to_accounts(tmp: Path, login_floor: list[float]) -> None:
    from kiosk.runtime import demo_runtime
    from kiosk.ui.app import KioskApp
    from kiosk.ui.screens.accounts import AccountsScreen
    from kiosk.ui.screens.customer import CustomerScreen

    runtime = demo_runtime(tmp / "ui", otp_window=300)
    simulator = runtime.simulator
    samples: list[float] = []
    # The same bare login against the demo's own simulators (the four behind one server), for
    # reading the figure: the floor above is the Rapyd simulator served alone.
    demo_floor: list[float] = []
    demo_client = httpx.Client(base_url=str(runtime.settings.rapyd.base_url))

    marks: dict[str, float] = {}
    mount = AccountsScreen.on_mount

    def on_mount(self) -> None:  # timestamps: mounted, then its first refresh on screen
        marks["mounted"] = time.perf_counter()
        self.call_after_refresh(lambda: marks.__setitem__("painted", time.perf_counter()))
        return mount(self)

    AccountsScreen.on_mount = on_mount

    async def run() -> None:
        app = KioskApp(runtime, status_interval=3600)
        async with app.run_test(size=(80, 24)) as pilot:
            for n in range(ROUNDS):
                demo_floor.append(bare_visit(demo_client, simulator, fresh_phone(simulator, 9500 + n), withdraw=False))
                phone = fresh_phone(simulator, 9000 + n)
                await pilot.press("enter")
                while not isinstance(app.screen, CustomerScreen):
                    await pilot.pause(0.005)
                await pilot.pause()
                app.screen.query_one("#phone").value = phone
                app.screen.query_one("#otp").value = simulator.current_otp(phone)
                app.screen.query_one("#otp").focus()
                await pilot.pause()
                marks.clear()
                started = time.perf_counter()
                # Pilot's press() also waits for the app to go idle: the figure is taken
                # from the screen's own first refresh, not from press() returning.
                await pilot.press("enter")
                while "painted" not in marks:
                    await pilot.pause(0.001)
                samples.append(marks["painted"] - started)
                await pilot.press("escape")  # cancel the visit: closes the session
                while app.visit is not None or app.busy:
                    await pilot.pause(0.005)

    asyncio.run(run())
    demo_client.close()
    runtime.close()
    print("Enter on the OTP -> accounts screen painted (Pilot, 80x24)")
    print(f"  kiosk UI            {summary(samples)}   {excess(samples, login_floor)}")
    print(f"  bare httpx login    {summary(login_floor)}")
    print(f"  (same, demo server  {summary(demo_floor)}   kiosk UI {excess(samples, demo_floor)})")


def time_to_screen(argv: list[str], marker: bytes, env: dict[str, str], quit_keys: bytes,
                   serve: tuple[bytes, bytes, bytes] | None = None) -> tuple[float, float, int]:
    """Start `argv` on a pty (80x24, TERM=linux); seconds until `marker` is drawn (the first
    screen painted); with `serve` = (ready marker, key, next marker): seconds until the ready
    marker is drawn, the key typed then and taken (the next screen's marker drawn): ready to
    serve; without, the first figure again; and the process's peak resident memory in kB (VmHWM) read just before it is asked
    to quit."""
    import fcntl
    import struct
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    started = time.perf_counter()
    process = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True)
    os.close(slave)
    seen = b""

    def wait_for(what: bytes) -> float:
        nonlocal seen
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if what in seen:
                return time.perf_counter() - started
            ready, _, _ = select.select([master], [], [], 0.05)
            if ready:
                try:
                    seen += os.read(master, 65536)
                except OSError:
                    break
        return float("nan")

    painted = wait_for(marker)
    serving = painted
    if serve is not None:
        ready_marker, key, next_marker = serve
        serving = wait_for(ready_marker)
        if not math.isnan(serving):
            seen = b""
            os.write(master, key)
            serving = wait_for(next_marker)
    time.sleep(0.3)
    peak = 0
    try:
        for line in Path(f"/proc/{process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                peak = int(line.split()[1])
    except OSError:
        pass
    # One key at a time, reading what the app draws meanwhile: an undrained pty blocks the
    # app's next write, and a key sent before its dialog is drawn goes to the screen beneath.
    for key in ([quit_keys[:-1], quit_keys[-1:]] if quit_keys.endswith(b"y") else [quit_keys]):
        os.write(master, key)
        drain_until = time.perf_counter() + 0.5
        while time.perf_counter() < drain_until and process.poll() is None:
            if select.select([master], [], [], 0.05)[0]:
                try:
                    os.read(master, 65536)
                except OSError:
                    break
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    os.close(master)
    return painted, serving, peak


MINIMAL_APP = """
from textual.app import App
from textual.widgets import Static
class Minimal(App):
    BINDINGS = [("q", "quit", "Quit")]
    def compose(self):
        yield Static("READY-MARKER")
Minimal().run()
"""


# The same minimal app, after loading the configured kiosk's settings as the kiosk does
# (kiosk.settings: pydantic-settings, mandated): what the kiosk cannot start below.
SETTINGS_FLOOR = """
import sys
from kiosk.settings import load_settings
load_settings(sys.argv[1], {"data_dir": sys.argv[2]})
""" + MINIMAL_APP

COLD_ROUNDS = 5


def bench_cold_start(tmp: Path) -> None:
    from kiosk.sim.composite import CompositeSimulator

    tmp.mkdir(parents=True, exist_ok=True)
    simulators = CompositeSimulator(tmp / "ledger.sqlite3", otp_window=3600)
    server = start_in_thread(simulators)  # what the configured kiosk talks to
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp), "TERM": "linux", "LANG": "C.UTF-8"}
    configured = [sys.executable, "-m", "kiosk.cli", "--config", str(configured_toml(tmp, server.url)),
                  "--data-dir", str(tmp / "kiosk")]
    demo = [sys.executable, "-m", "kiosk.cli", "demo", "--data-dir", str(tmp / "demo")]
    minimal = [sys.executable, "-c", MINIMAL_APP]
    with_settings = [sys.executable, "-c", SETTINGS_FLOOR, configured[4], str(tmp / "floor")]
    quit_kiosk = b"\x1b[21~y"  # F10, then y
    # First screen painted: the configured kiosk's first screen says it is opening the journal
    # (the runtime is built after it); the demo's is the ready screen. Ready to serve: the ready
    # screen's key bar is drawn and Enter is taken (the customer screen is drawn). The minimal
    # app has one screen: both figures are its first paint.
    start_visit = (b"New visit", b"\r", b"Customer's phone number")
    names = ("kiosk", "demo", "minimal", "settings")
    times: dict[str, list[float]] = {name: [] for name in names}
    serving: dict[str, list[float]] = {name: [] for name in names}
    peaks: dict[str, list[int]] = {name: [] for name in names}
    for _ in range(COLD_ROUNDS):
        for name, argv, marker, keys, serve in (
            ("minimal", minimal, b"READY-MARKER", b"q", None),
            ("settings", with_settings, b"READY-MARKER", b"q", None),
            ("kiosk", configured, b"Opening the journal", quit_kiosk, start_visit),
            ("demo", demo, b"New visit", quit_kiosk, start_visit),
        ):
            painted, served, peak = time_to_screen(argv, marker, env, keys, serve)
            times[name].append(painted)
            serving[name].append(served)
            peaks[name].append(peak)
    server.stop()
    simulators.close()
    print("Cold start (pty, 80x24, TERM=linux): first screen painted")
    print(f"  kiosk (configured)  {summary(times['kiosk'])}   {ratio(times['kiosk'], times['minimal'])}   (config/demo.toml; 'Opening the journal')")
    print(f"  kiosk demo          {summary(times['demo'])}   {ratio(times['demo'], times['minimal'])}   (four simulators embedded)")
    print(f"  minimal Textual app {summary(times['minimal'])}")
    print(f"  minimal + settings  {summary(times['settings'])}   {ratio(times['settings'], times['minimal'])}   "
          "(the same app after loading the kiosk's settings: pydantic-settings, mandated)")
    print(f"  kiosk (configured) over minimal + settings: {ratio(times['kiosk'], times['settings'])}")
    print("Cold start: ready to serve (the ready screen drawn and Enter taken: the customer screen drawn)")
    print(f"  kiosk (configured)  {summary(serving['kiosk'])}   {ratio(serving['kiosk'], times['minimal'])}")
    print(f"  kiosk demo          {summary(serving['demo'])}   {ratio(serving['demo'], times['minimal'])}")
    print(f"  minimal Textual app {summary(times['minimal'])}   (its first paint)")
    print("Peak memory (VmHWM, largest of the runs)")
    for name, label in (("kiosk", "kiosk (configured)"), ("demo", "kiosk demo"), ("minimal", "minimal Textual app"),
                        ("settings", "minimal + settings")):
        print(f"  {label:19} {max(peaks[name]) / 1024:6.1f} MiB")


def main() -> None:
    # Optional arguments choose sections: process, teller, screens, cold (default: all).
    chosen = set(sys.argv[1:]) or {"process", "teller", "screens", "cold"}
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        if "process" in chosen:
            bench_headless_process(base / "process")
        if chosen & {"teller", "screens"}:
            login_floor = bench_headless(base / "headless")
        if "screens" in chosen:
            bench_otp_to_accounts(base, login_floor)
        if "cold" in chosen:
            bench_cold_start(base / "cold")


if __name__ == "__main__":
    main()
