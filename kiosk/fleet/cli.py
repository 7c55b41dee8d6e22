"""`kiosk fleet`: the till's journal at head office (PostgreSQL, fleet.dsn).

Exit status: 0 done; 1 problems found (a broken chain, a mismatch) or the server could not be
reached; 2 the command line or a setting is wrong.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from datetime import date, datetime, timedelta, timezone
from typing import Any, Callable

DESCRIPTION = """\
Every till's journal at head office, in PostgreSQL (fleet.dsn, a credential: KIOSK_FLEET__DSN).

  init                     create or migrate the fleet schema, roles fleet_till and
                           fleet_head_office (run once at head office, with an owner's DSN)
  push                     ship this till's journal rows the server has not acknowledged
                           (the kiosk also does this in the background and after `kiosk txn`)
  status [--json]          per till: last seen, last row and head, open shift, unresolved
                           suspect visits, escalated reversals, chain state (exit 1: a chain broke)
  report --date D [--store S] [--json|--csv]
                           one day per store, till and currency: deposits, withdrawals,
                           reversals, Z-report variances, suspect amounts
  reconcile --date D --ledger-url URL [--json]
                           the day's visits beside each back end's settlement (for the
                           simulators, their ledger export at URL): every mismatch (exit 1)

Dates are YYYY-MM-DD (UTC), or today / yesterday. See docs/operations.md, "Head office"."""

_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
_ID = re.compile(r"[A-Za-z0-9._-]{1,64}", re.ASCII)


class Usage(Exception):
    pass


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kiosk fleet", description=DESCRIPTION,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    def command(name: str, text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=text, description=text)
        sub.add_argument("--config", metavar="FILE", help="TOML settings file (else $KIOSK_CONFIG)")
        sub.add_argument("--set", metavar="KEY=VALUE", action="append", dest="overrides", default=[],
                         help="override one setting, e.g. --set fleet.till_id=T0042 (repeatable)")
        sub.add_argument("--data-dir", metavar="DIR", help="where the journal and local state live")
        return sub

    command("init", "create or migrate the fleet schema at head office (idempotent)")
    command("push", "ship this till's journal rows the server has not acknowledged").add_argument(
        "--json", action="store_true", help="print the outcome as one JSON object")
    command("status", "per till: last seen, last row, open shift, suspects, escalations, chain state").add_argument(
        "--json", action="store_true", help="print JSON")
    report = command("report", "one day per store, till and currency")
    report.add_argument("--date", required=True, help="YYYY-MM-DD (UTC), today or yesterday")
    report.add_argument("--store", help="only this store")
    fmt = report.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="print JSON")
    fmt.add_argument("--csv", action="store_true", help="print CSV (one line per till and currency)")
    reconcile = command("reconcile", "the day's visits beside each back end's settlement: every mismatch")
    reconcile.add_argument("--date", required=True, help="YYYY-MM-DD (UTC), today or yesterday")
    reconcile.add_argument("--ledger-url", metavar="URL", required=True,
                           help="the simulators' server (their ledger exports), e.g. http://127.0.0.1:8700")
    reconcile.add_argument("--json", action="store_true", help="print JSON")
    return parser


def parse_day(text: str) -> date:
    today = datetime.now(timezone.utc).date()
    words = {"today": today, "yesterday": today - timedelta(days=1)}
    if text.strip().lower() in words:
        return words[text.strip().lower()]
    if not _DAY.fullmatch(text.strip()):
        raise Usage(f"--date {text!r}: write the day as YYYY-MM-DD (e.g. 2026-12-03), today or yesterday.")
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise Usage(f"--date {text!r} is not a day of the calendar.") from None


def _settings(args: argparse.Namespace) -> Any:
    from kiosk.settings import load_settings, parse_overrides

    overrides = parse_overrides(args.overrides or [])
    if args.data_dir:
        overrides["data_dir"] = args.data_dir
    return load_settings(args.config, overrides)


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    from kiosk.fleet.push import FleetError
    from kiosk.fleet.settlement import SettlementError
    from kiosk.settings import SettingsError

    try:
        settings = _settings(args)
        return ACTIONS[args.action](args, settings)
    except (SettingsError, Usage) as exc:
        print(f"kiosk fleet: {exc}", file=sys.stderr)
        return 2
    except FleetError as exc:
        print(f"kiosk fleet: {exc}", file=sys.stderr)
        return 2 if exc.usage else 1
    except SettlementError as exc:
        print(f"kiosk fleet: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def _with_connection(settings: Any, work: Callable[[Any], int]) -> int:
    import psycopg

    from kiosk.fleet.push import connect, database_error

    conn = connect(settings, application="kiosk-fleet head-office")
    try:
        return work(conn)
    except psycopg.Error as exc:
        raise database_error(exc) from None
    finally:
        conn.close()


def cmd_init(args: argparse.Namespace, settings: Any) -> int:
    from kiosk.fleet.schema import latest_version, migrate

    def work(conn: Any) -> int:
        done = migrate(conn)
        for line in done:
            print(line)
        print(f"fleet schema at version {latest_version()}" + ("" if done else " (already up to date)"))
        return 0

    return _with_connection(settings, work)


def cmd_push(args: argparse.Namespace, settings: Any) -> int:
    from kiosk.fleet.push import push

    result = push(settings)
    if args.json:
        print(json.dumps({k: v for k, v in result.__dict__.items()}, separators=(",", ":")))
    else:
        for note in result.notes:
            print(note)
        if not result.batches:
            return 0
        print(f"till {result.till_id}: shipped {result.shipped} row(s) in {result.batches} batch(es)"
              f"{f', {result.duplicates} already there' if result.duplicates else ''}; head office holds row "
              f"{result.last_seq} of chain {result.chain} ({result.seconds:.2f} s)")
        if result.breaks:
            print(f"head office found {result.breaks} break(s) in this till's chain: see `kiosk fleet status`")
    return 1 if result.breaks else 0


def cmd_status(args: argparse.Namespace, settings: Any) -> int:
    from kiosk.fleet.views import fleet_status, status_lines

    def work(conn: Any) -> int:
        tills = fleet_status(conn)
        if args.json:
            print(json.dumps({"tills": [t.as_dict() for t in tills]}, indent=1))
        else:
            print("\n".join(status_lines(tills)))
        return 1 if any(t.breaks for t in tills) else 0

    return _with_connection(settings, work)


def cmd_report(args: argparse.Namespace, settings: Any) -> int:
    from kiosk.fleet.views import day_report

    day = parse_day(args.date)
    if args.store is not None and not _ID.fullmatch(args.store):
        raise Usage(f"--store {args.store!r}: a store id is letters, digits, . _ - (at most 64).")

    def work(conn: Any) -> int:
        report = day_report(conn, day, args.store)
        if args.json:
            print(json.dumps(report.as_json(), indent=1))
        elif args.csv:
            sys.stdout.write(report.as_csv())
        else:
            print("\n".join(report.text_lines()))
        return 0

    return _with_connection(settings, work)


def cmd_reconcile(args: argparse.Namespace, settings: Any) -> int:
    from kiosk.fleet.reconcile import mismatch_lines, reconcile
    from kiosk.fleet.settlement import simulator_sources

    day = parse_day(args.date)
    if not re.fullmatch(r"https?://[^\s/]+(/[^\s]*)?", args.ledger_url or "", re.ASCII):
        raise Usage(f"--ledger-url {args.ledger_url!r}: give the simulators' address, e.g. http://127.0.0.1:8700.")

    def work(conn: Any) -> int:
        mismatches, counts = reconcile(conn, day, simulator_sources(args.ledger_url))
        if args.json:
            print(json.dumps({"date": day.isoformat(), "compared": counts,
                              "mismatches": [m.as_dict() for m in mismatches]}, indent=1))
        else:
            print("\n".join(mismatch_lines(day, mismatches, counts)))
        return 1 if mismatches else 0

    return _with_connection(settings, work)


ACTIONS: dict[str, Callable[[argparse.Namespace, Any], int]] = {
    "init": cmd_init, "push": cmd_push, "status": cmd_status, "report": cmd_report, "reconcile": cmd_reconcile,
}
