"""The `kiosk` command: parse, build, call. Heavy modules are imported inside each command
so that `kiosk --help` and the first screen come up fast.

Exit status: 0 done, 1 the operation failed (a declined visit, a check that found a problem),
2 the command line or a setting is wrong.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import sys
from pathlib import Path
from typing import Any, Iterator, Sequence

DESCRIPTION = """\
Cash-point kiosk: a cashier serves customers who withdraw cash from, or deposit cash into,
their digital wallet (Rapyd POS API; also POSPointe gift cards, SDK.finance wallets and
Flexiti accounts), with a receipt printer and a cash drawer.

Without a command, starts the full-screen kiosk with the configured back end and devices.
Settings come from defaults < TOML file (--config or KIOSK_CONFIG) < environment
(KIOSK_SECTION__KEY) < --set section.key=value. See config/kiosk.toml for every key."""


def _common(parser: argparse.ArgumentParser, *, top: bool) -> None:
    default = None if top else argparse.SUPPRESS
    group = parser.add_argument_group("settings")
    group.add_argument("--config", metavar="FILE", default=default, help="TOML settings file (else $KIOSK_CONFIG)")
    group.add_argument(
        "--set",
        metavar="KEY=VALUE",
        action="append",
        dest="overrides",
        default=[] if top else argparse.SUPPRESS,
        help="override one setting, e.g. --set printer.driver=simulated (repeatable)",
    )
    group.add_argument("--data-dir", metavar="DIR", default=default, help="where the journal and local state live")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kiosk", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    _common(parser, top=True)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        _common(sub, top=False)
        return sub

    demo = command("demo", "the full-screen kiosk on the built-in simulators and simulated devices; no configuration")
    demo.add_argument("--otp-window", type=int, default=30, metavar="SECONDS", help="code window (default 30)")

    command("sim", "serve the back-end simulators over HTTP; `kiosk sim otp` prints a code (see `kiosk sim --help`)")
    command("fleet", "the journals at head office (PostgreSQL): init, push, status, report, reconcile (see `kiosk fleet --help`)")

    txn = command(
        "txn",
        "serve one visit headless: withdraw or deposit, through the same teller as the UI "
        "(other back ends: kiosk txn giftcard-…|sdk-…|flexiti-… --help)",
    )
    txn.add_argument("kind", choices=["withdraw", "deposit"])
    txn.add_argument("--phone", required=True, help="the customer's wallet phone, E.164 (+441632960123); national with teller.phone_region")
    txn.add_argument("--otp", required=True, help="the 6-digit code shown in the customer's app")
    txn.add_argument("--currency", required=True, help="ISO 4217 code, e.g. GBP")
    txn.add_argument("--amount", required=True, help="amount in the currency's units, e.g. 10 or 12.50")
    txn.add_argument("--json", action="store_true", help="print one JSON object with the outcome")
    txn.add_argument("--cashier", metavar="NAME", help="the cashier serving (needed with auth.required; PIN read from stdin)")

    devices = command("devices", "printer and drawer tools for the store's IT person")
    devices.add_argument(
        "action",
        choices=["status", "test-print", "kick", "emulate"],
        help="emulate: a printer + drawer emulator on a pseudo-terminal (see `kiosk devices emulate --help`)",
    )

    command("recover", "finish or escalate every visit a crash left unfinished (also done on every start)").add_argument(
        "--json", action="store_true", help="print what was done as JSON"
    )

    shift = command("shift", "open a shift with the counted float, show the X report, or close with a blind count (Z)")
    shift.add_argument("action", choices=["open", "report", "close"])
    shift.add_argument(
        "--float", dest="amounts", metavar="CCY=AMOUNT", action="append", default=[], help="open: counted float, e.g. GBP=500.00"
    )
    shift.add_argument(
        "--count", dest="counted", metavar="CCY=AMOUNT", action="append", default=[], help="close: counted cash per currency"
    )
    shift.add_argument("--supervisor", metavar="NAME", help="close: supervisor approving a variance")
    shift.add_argument(
        "--cashier", metavar="NAME", help="with auth.required: the cashier (PIN on stdin; then the supervisor's PIN)"
    )

    users = command("users", "cashiers and supervisors of this till: add, list, disable, enable, reset-pin")
    users.add_argument("action", choices=["add", "list", "disable", "enable", "reset-pin"])
    users.add_argument("name", nargs="?", help="user name (lower-case letters, digits, . _ -)")
    users.add_argument("--role", choices=["cashier", "supervisor"], help="add: the user's role")
    shift.add_argument("--print", dest="print_report", action="store_true", help="also print the report on the receipt printer")

    doctor = command("doctor", "check this terminal: config, keys, data dir, journal, clock, back end, devices, screen")
    doctor.add_argument("--no-devices", action="store_true", help="skip printer and drawer (the running kiosk holds their ports)")
    doctor.add_argument("--no-backend", action="store_true", help="skip the back-end echo call")

    journal = command(
        "journal",
        "read and check the journal of visits (read-only, beside a running kiosk); "
        "reseal: a supervisor accepts a journal that failed its check",
    )
    journal.add_argument("action", choices=["verify", "list", "show", "export", "reseal"])
    journal.add_argument("visit", nargs="?", help="visit id (or its first characters) for `show`")
    journal.add_argument("--supervisor", metavar="NAME", help="reseal: the supervisor who counted the drawer (PIN on stdin with sign-in on)")
    journal.add_argument("--reason", default="", help="reseal: what the supervisor found, for the record")
    fmt = journal.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="export as JSON")
    fmt.add_argument("--csv", action="store_true", help="export as CSV")
    return parser


class UsageError(Exception):
    pass


def _settings(args: argparse.Namespace, *, writes: bool = True, till: bool = False):
    """The settings of --config/--set/--data-dir and the environment, with the data dir checked
    (created when missing if the command `writes`) before anything touches it; for a command
    that serves the `till` (the runtime), what it cannot work without is checked first."""
    from kiosk.settings import check_data_dir, load_settings, parse_overrides

    overrides = parse_overrides(getattr(args, "overrides", None) or [])
    if getattr(args, "data_dir", None) is not None:
        overrides["data_dir"] = args.data_dir
    settings = load_settings(getattr(args, "config", None), overrides)
    if till:
        from kiosk.runtime import check_required

        check_required(settings)
    check_data_dir(settings.data_dir, write=writes)
    return settings


def _setup_logging(settings) -> None:
    from kiosk.logs import setup_logging
    from kiosk.settings import SettingsError

    try:
        setup_logging(settings)
    except OSError as exc:
        raise SettingsError(
            f"log.file (KIOSK_LOG__FILE): cannot write {settings.log_path()} ({exc.strerror or exc}): "
            "give a file name (under data_dir) or a path the kiosk's user can write."
        ) from None


# --- commands ---------------------------------------------------------------------------


def cmd_run(args: argparse.Namespace) -> int:
    """The kiosk's screens. Wrong settings and a second kiosk on the till are refused before
    any screen; the first screen is then drawn at once, saying the journal is being opened,
    while the runtime is built (the journal opened and checked, unfinished visits recovered)
    in a thread: what fails there ends the kiosk with the same message and status as ever."""
    settings = _settings(args, till=True)
    _setup_logging(settings)
    _hold_writer(settings)
    from kiosk.runtime import build_runtime
    from kiosk.ui.app import KioskApp

    app = KioskApp(None, settings=settings, opening=lambda: build_runtime(settings), first_screen_drawn=_collector_back)
    try:
        app.run()
    finally:
        runtime = app.opened()  # raises what the opening raised: _guarded reports it
        if runtime is not None:
            runtime.close()
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from kiosk.runtime import demo_runtime
    from kiosk.settings import check_data_dir

    data_dir = args.data_dir if getattr(args, "data_dir", None) is not None else _default_demo_dir()
    check_data_dir(data_dir)
    data_dir = Path(data_dir)
    runtime = demo_runtime(data_dir, otp_window=args.otp_window, simulators_later=True)
    _setup_logging(runtime.settings)
    code = _run_app(runtime)
    print(f"Demo receipts are in {runtime.receipt_dir}")
    return code


def _default_demo_dir() -> Path:
    from kiosk.settings import _default_data_dir

    return _default_data_dir().with_name("kiosk-demo")


def _run_app(runtime) -> int:
    from kiosk.ui.app import KioskApp

    try:
        KioskApp(runtime, first_screen_drawn=_collector_back).run()
    finally:
        runtime.close()
    return 0


def cmd_txn(args: argparse.Namespace) -> int:
    settings = _settings(args, till=True)
    _setup_logging(settings)
    from kiosk.runtime import build_runtime
    from kiosk.teller.headless import serve_visit

    runtime = build_runtime(settings)
    try:
        refused = _sign_in_headless(runtime, args)
        result = refused or serve_visit(
            runtime.teller,
            kind=args.kind,
            phone=args.phone,
            otp=args.otp,
            currency=args.currency,
            amount=args.amount,
            drawer_close_timeout=settings.teller.drawer_close_timeout,
        )
    finally:
        runtime.close()
    if args.json:
        print(json.dumps(result, separators=(",", ":")))
    elif result["status"] == "completed":
        print(f"Completed: {args.kind} {result['amount']} {result['currency']}, transaction {result['transaction_id']}")
    else:
        print(f"Failed ({result['error']['code']}): {result['error']['message']}", file=sys.stderr)
    return 0 if result["status"] == "completed" else 1


def _hold_writer(settings) -> None:
    from kiosk.datadir import hold_writer

    hold_writer(settings.data_dir)


def cmd_devices(args: argparse.Namespace) -> int:
    settings = _settings(args)
    _setup_logging(settings)
    _hold_writer(settings)  # a kick opens the drawer: never beside a serving kiosk
    from kiosk.devices import build_devices
    from kiosk.devtools import run_device_action

    printer, drawer = build_devices(settings)
    try:
        return run_device_action(args.action, printer, drawer, settings)
    finally:
        drawer.close()
        printer.close()


def cmd_recover(args: argparse.Namespace) -> int:
    settings = _settings(args, till=True)
    _setup_logging(settings)
    from kiosk.runtime import build_runtime
    from kiosk.teller.recovery import escalations, recover

    runtime = build_runtime(settings, recover_on_start=False, auto_shift=False)
    try:
        done = recover(runtime.teller)
        escalated = escalations(runtime.teller)
        suspects = runtime.teller.journal.unresolved_suspects()
    finally:
        runtime.close()
    if args.json:
        print(
            json.dumps(
                {
                    "recovered": [r.__dict__ for r in done],
                    "escalated": [{"visit_id": c.visit_id, "action": c.action, "error": c.last_error} for c in escalated],
                    "suspect": [v.visit_id for v in suspects],
                }
            )
        )
    else:
        for r in done:
            print(f"{r.visit_id[:8]}  {r.state:10}  {r.action}")
        for c in escalated:
            print(f"{c.visit_id[:8]}  ESCALATED   {c.action}: {c.last_error}")  # e.g. flexiti_cancel: a person asks the host
        for v in suspects:
            print(f"{v.visit_id[:8]}  SUSPECT     a supervisor must count the drawer and resolve it")
        if not (done or escalated or suspects):
            print("nothing to recover")
    return 1 if escalated else 0


def _amounts(pairs: list[str], option: str):
    from kiosk.money import MoneyError, parse_amount
    from kiosk.teller.visit import TellerError

    out = {}
    for pair in pairs:
        currency, sep, amount = pair.partition("=")
        try:
            if not sep:
                raise MoneyError("write it as CCY=AMOUNT, e.g. GBP=500.00")
            money = parse_amount(amount, currency, allow_zero=True)
        except MoneyError as exc:
            raise TellerError("BAD_AMOUNT", f"{option} {pair}: {exc}") from None
        out[money.currency] = money
    return out


def cmd_shift(args: argparse.Namespace) -> int:
    settings = _settings(args, till=True)
    _setup_logging(settings)
    from kiosk.runtime import build_runtime
    from kiosk.teller.visit import TellerError

    if args.action == "open" and not args.amounts:
        raise TellerError("BAD_AMOUNT", "Give the counted float: --float GBP=500.00 (one per currency).")
    if args.action == "close" and not args.counted:
        raise TellerError("BAD_AMOUNT", "Give the counted cash: --count GBP=490.00 (one per currency in the drawer).")
    runtime = build_runtime(settings, auto_shift=False)
    teller = runtime.teller
    try:
        refused = _sign_in_headless(runtime, args)
        if refused:
            raise TellerError(refused["error"]["code"], refused["error"]["message"])
        if args.action == "close" and args.supervisor and teller.guard is not None:
            _approve_headless(teller, args.supervisor)
        if args.action == "open":
            shift = teller.open_shift(_amounts(args.amounts, "--float"))
            print(f"shift opened by {shift.cashier}: " + ", ".join(str(m) for m in shift.float.values()))
            return 0
        if args.action == "report":
            report = teller.shifts.report()
        else:
            report = teller.shifts.close(_amounts(args.counted, "--count"), teller.cashier, supervisor=args.supervisor)
        print("\n".join(report.lines()))
        if args.print_report:
            document = report.document(settings.store.name, settings.store.terminal_id, teller.printer.columns)
            print(f"printed: {teller.printer.print_receipt(document).value}")
        return 0
    finally:
        runtime.close()


def _sign_in_headless(runtime, args: argparse.Namespace) -> dict[str, Any] | None:
    """With auth.required, sign the --cashier in (PIN on stdin); a refusal is the failed
    result to report (AUTH_FAILED, LOCKED_OUT, ...), never the PIN."""
    if runtime.teller.guard is None:
        return None
    from kiosk.auth.cli import sign_in_headless
    from kiosk.auth.guard import AuthError

    failed = {"status": "failed", "kind": getattr(args, "kind", None), "amount": getattr(args, "amount", None),
              "currency": (getattr(args, "currency", None) or "").upper(), "transaction_id": ""}
    if not args.cashier:
        failed["error"] = {"code": "AUTH_REQUIRED", "message": "Cashier sign-in is on: give --cashier NAME and the PIN on stdin."}
        return failed
    try:
        sign_in_headless(runtime, args.cashier)
    except AuthError as exc:
        failed["error"] = {"code": exc.code, "message": f"{exc.message} {exc.next_step}".strip()}
        return failed
    return None


def _approve_headless(teller, supervisor: str) -> None:
    """`kiosk shift close --supervisor NAME` with sign-in on: their PIN is the next stdin line."""
    from kiosk import auth
    from kiosk.auth.cli import PinInputError, read_pin
    from kiosk.teller.visit import TellerError

    try:
        pin = read_pin(f"Supervisor {supervisor}'s PIN: ")
    except PinInputError as exc:
        raise TellerError("AUTH_FAILED", f"{exc} (the supervisor's PIN follows the cashier's on stdin)") from None
    teller.guard.approve(auth.VARIANCE, supervisor, pin)


def cmd_users(args: argparse.Namespace) -> int:
    from kiosk.auth.cli import run_users, with_pepper
    from kiosk.auth.pins import pin_hasher
    from kiosk.settings import check_data_dir

    settings = _settings(args, writes=False)
    pin_hasher(with_pepper(settings))  # a missing pepper is named before the data dir is made
    check_data_dir(settings.data_dir)
    if args.action != "list":
        _hold_writer(settings)

    from kiosk.runtime import open_journal

    # Without the vault: user changes need no back-end secret. _hold_writer holds the writer lock.
    return run_users(settings, args.action, args.name, args.role, journal=lambda: open_journal(settings, with_vault=False))


def cmd_doctor(args: argparse.Namespace) -> int:
    # Not _settings(): a settings error is one of the doctor's FAIL lines; and no logging
    # set-up: the doctor creates no file (one made by root would lock the kiosk user out).
    from kiosk.doctor import run_doctor_from_args
    from kiosk.settings import parse_overrides

    overrides = parse_overrides(getattr(args, "overrides", None) or [])
    if getattr(args, "data_dir", None) is not None:
        overrides["data_dir"] = args.data_dir
    return run_doctor_from_args(
        getattr(args, "config", None), overrides, check_devices=not args.no_devices, check_backend=not args.no_backend
    )


def cmd_journal(args: argparse.Namespace) -> int:
    if args.action == "reseal":
        return _reseal(_settings(args, till=True), args)
    settings = _settings(args, writes=False)  # read-only: a missing data dir is "no journal"
    from kiosk.journal.audit import run_journal_action
    from kiosk.runtime import journal_key

    return run_journal_action(
        settings.data_dir / "journal.sqlite3", journal_key(settings), args.action, args.visit, args.json, args.csv
    )


def _reseal(settings, args: argparse.Namespace) -> int:
    """A supervisor, having counted the drawer, accepts a journal that failed its check."""
    _setup_logging(settings)
    from kiosk.runtime import build_runtime
    from kiosk.teller.visit import TellerError

    if not args.supervisor:
        raise TellerError("SUPERVISOR_REQUIRED", "Give the supervisor: kiosk journal reseal --supervisor NAME.")
    runtime = build_runtime(settings, recover_on_start=False, auto_shift=False)
    try:
        teller = runtime.teller
        if teller.guard is not None:
            from kiosk import auth
            from kiosk.auth.cli import PinInputError, read_pin

            try:
                pin = read_pin(f"Supervisor {args.supervisor}'s PIN: ")
            except PinInputError as exc:
                raise TellerError("AUTH_FAILED", str(exc)) from None
            teller.guard.approve(auth.RESEAL, args.supervisor, pin)
        found = teller.reseal_journal(args.supervisor, args.reason)
    finally:
        runtime.close()
    print(f"journal resealed by {args.supervisor}; recorded what was found: {found}")
    print("Start the kiosk: unfinished visits are recovered at start.")
    return 0


COMMANDS = {
    None: cmd_run,
    "demo": cmd_demo,
    "txn": cmd_txn,
    "devices": cmd_devices,
    "journal": cmd_journal,
    "recover": cmd_recover,
    "shift": cmd_shift,
    "users": cmd_users,
    "doctor": cmd_doctor,
}


def main(argv: Sequence[str] | None = None, *, exiting: bool = False) -> int:
    """Run one `kiosk` command; `exiting`: the process ends when it returns (run())."""
    argv = list(sys.argv[1:] if argv is None else argv)
    # The simulator and the emulator have options of their own: hand them over untouched.
    if argv[:1] == ["sim"]:
        from kiosk.sim.cli import main as sim_main

        if _sim_reads_data_dir(argv[1:]):
            return _guarded(_sim_data_dir_checked, sim_main, argv[1:])
        return sim_main(argv[1:])
    if argv[:1] == ["fleet"]:  # head office's PostgreSQL: kiosk.fleet
        from kiosk.fleet.cli import main as fleet_main

        return fleet_main(argv[1:])
    if argv[:1] == ["txn"] and len(argv) > 1 and argv[1].startswith(("giftcard-", "sdk-", "flexiti-")):
        from kiosk import datadir
        from kiosk.journeys_cli import TillCommand, main as journeys_main  # gift cards, SDK.finance, Flexiti

        datadir.process_name = f"kiosk txn {argv[1]}"
        with _collector_paused(exiting=exiting):
            return _guarded(journeys_main, argv[1:], TillCommand(_settings, _setup_logging, _sign_in_headless))
    if argv[:2] == ["devices", "emulate"]:
        from drivers.emulator import main as emulator_main

        return emulator_main(argv[2:], prog="kiosk devices emulate")
    args = build_parser().parse_args(argv)
    from kiosk import datadir

    datadir.process_name = " ".join(["kiosk", *(w for w in (args.command, getattr(args, "kind", None) or getattr(args, "action", None)) if w)])
    paused = _collector_paused_until_first_screen() if args.command in SCREENS else _collector_paused(exiting=exiting)
    with paused:
        return _guarded(COMMANDS[args.command], args)


# The commands that run the kiosk's screens until it is closed (the collector paused until the
# first screen only); every other one does one thing and ends (the simulators' server and the
# fleet are handed over before this), paused throughout.
SCREENS = {None, "demo"}

# Set while the collector is paused for the kiosk's start-up (_collector_paused_until_first_screen).
_start_up_pause = False


@contextlib.contextmanager
def _collector_paused_until_first_screen() -> Iterator[None]:
    """The kiosk's screens run for days, so their cycles (Textual's widgets, tasks) must be
    collected as they go; but its start-up makes the same long-lived objects as a one-shot
    command (settings' schemas, httpx, Textual's classes and styles: about 70,000 the collector
    tracks) and the collector walks them again and again meanwhile. So it is paused from here
    until visits can start (the ready screen drawn: _collector_back, called by the app); still
    paused when the command ends (settings refused, the till locked, the journal unreadable),
    it comes back here."""
    global _start_up_pause
    if not gc.isenabled():
        yield
        return
    gc.disable()
    _start_up_pause = True
    try:
        yield
    finally:
        _collector_back()


def _collector_back() -> None:
    """Visits can start: what start-up made (modules, classes, the settings, the runtime: kept
    for the process's life) is frozen out of the collector's sight, so that its walks over the
    kiosk's own cycles stay short for days, and the collector is turned back on. No collection
    first: it would walk every one of those objects once more (about 70 ms, on the UI thread,
    just as the cashier may press a key) to free the few thousand start-up left in cycles
    (measured: 4,000 objects, no resident memory given back). A no-op unless the start-up
    pause is on (the app built by a test, a second call)."""
    global _start_up_pause
    if not _start_up_pause:
        return
    _start_up_pause = False
    gc.freeze()
    gc.enable()


@contextlib.contextmanager
def _collector_paused(*, exiting: bool) -> Iterator[None]:
    """A one-shot command imports its libraries first (pydantic's schemas, httpx, typing objects:
    a few hundred thousand objects that live as long as the process), and the cyclic garbage
    collector walks them again and again while they are made (about 25 ms of a `kiosk txn`
    process), finding next to nothing. So it is paused for the command: memory is still freed
    the moment it is unused (reference counting), and the command's cycles are collected when
    it ends, in one walk (their finalizers run as usual).

    `exiting`: the process ends right after (run()). Its finalization would walk the survivors
    several times again (about 100 ms of a `kiosk txn` process) for memory the system takes back
    anyway: they are frozen out of the collector's sight instead. Still run at exit: atexit
    handlers (logging flushes and closes its files), the flush of stdout and stderr, and the
    clean-up of what reference counting frees. Not run: finalizers of objects still alive in a
    reference cycle (e.g. a file left open in a module's globals); so a command closes what it
    writes before it returns, as every one does (runtime.close(), `with open(...)`)."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.collect(0)  # everything made since the pause is still in the youngest generation
        if exiting:
            gc.freeze()
        gc.enable()


def _guarded(command, *args: Any) -> int:
    """Run a command; a wrong setting (or a till another process is writing) is one paragraph
    and exit 2, an expected failure one line and exit 1, never a traceback."""
    from kiosk.datadir import DataDirBusy
    from kiosk.settings import SettingsError

    try:
        return command(*args)
    except (SettingsError, DataDirBusy) as exc:
        print(f"kiosk: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except _expected_errors() as exc:
        next_step = getattr(exc, "next_step", "")
        code = getattr(exc, "code", "")
        print(f"kiosk: {exc}{' ' + next_step if next_step else ''}{f' ({code})' if code else ''}", file=sys.stderr)
        return 1


def _sim_reads_data_dir(argv: list[str]) -> bool:
    """`kiosk sim` (serving) keeps its ledger under $KIOSK_DATA_DIR unless --ledger is given."""
    serving = not argv or argv[0].startswith("-")
    return serving and "KIOSK_DATA_DIR" in os.environ and not any(a.startswith("--ledger") or a in ("-h", "--help") for a in argv)


def _sim_data_dir_checked(sim_main, argv: list[str]) -> int:
    from kiosk.settings import check_data_dir

    check_data_dir(os.environ["KIOSK_DATA_DIR"])
    return sim_main(argv)


def _expected_errors() -> tuple[type[BaseException], ...]:
    """Failures with a clear message of their own: shown as one line, never a traceback."""
    from kiosk.journal.store import JournalError
    from kiosk.teller.visit import TellerError

    from kiosk.auth.accounts import AccountError
    from kiosk.auth.guard import AuthError

    return (JournalError, TellerError, OSError, AccountError, AuthError)


def run() -> None:
    """The `kiosk` process (the console script, and python -m kiosk.cli)."""
    sys.exit(main(exiting=True))


if __name__ == "__main__":  # pragma: no cover
    run()
