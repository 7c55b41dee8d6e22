"""Command line of the simulators, to be wired as `kiosk sim ...`:

    kiosk sim [--host 127.0.0.1] [--port 8700] [--ledger PATH] [--otp-window SECONDS] [--latency S]
              [--max-body-bytes N]
    kiosk sim otp --phone E164 [--pos POS_ID] [--url URL]
    kiosk sim info [--json] [--url URL]

`kiosk sim` serves every back-end simulator (Rapyd, POSPointe, SDK.finance, Flexiti) from one
server, each at its documented paths (kiosk.sim.composite); `kiosk sim info` asks the running
server for each back end's base URL, demo credentials and demo customers.

`main(argv)` takes the arguments after `sim` and returns the exit status.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from kiosk.sim.bodylimit import MAX_BODY_BYTES

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8700
DEFAULT_URL = f"http://{DEFAULT_HOST}:{DEFAULT_PORT}"


def default_ledger_path() -> Path:
    """Beside the kiosk's own state: $KIOSK_DATA_DIR, else $XDG_DATA_HOME/kiosk, else ~/.local/share/kiosk."""
    data_dir = os.environ.get("KIOSK_DATA_DIR")
    if not data_dir:
        base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
        data_dir = os.path.join(base, "kiosk")
    return Path(data_dir) / "rapyd-sim.sqlite"


def _positive(text: str) -> float:
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return value


def _window(text: str) -> int:
    value = int(text)
    if not 1 <= value <= 3600:
        raise argparse.ArgumentTypeError("must be between 1 and 3600 seconds")
    return value


def _body_limit(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= 1 << 30:
        raise argparse.ArgumentTypeError("must be a whole number of bytes from 1 to 1073741824")
    return int(text)


def _serve_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="kiosk sim",
        description="Serve the back-end simulators (Rapyd, POSPointe, SDK.finance, Flexiti) over HTTP. "
        "`kiosk sim info [--json]` shows their demo credentials and customers; `kiosk sim otp` a wallet code.",
    )
    p.add_argument("--host", default=DEFAULT_HOST, help="address to listen on (default %(default)s)")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help="port (default %(default)s)")
    p.add_argument(
        "--ledger", type=Path, default=None,
        help="Rapyd's ledger file (default: under the kiosk data dir); the other simulators' books go beside it",
    )
    p.add_argument("--otp-window", type=_window, default=30, help="OTP validity window in seconds (default 30)")
    p.add_argument("--latency", type=_positive, default=0.0, help="base latency added to every API call, seconds")
    p.add_argument(
        "--max-body-bytes", type=_body_limit, default=MAX_BODY_BYTES,
        help="request bodies larger than this are refused with HTTP 413 (default %(default)s: 1 MiB; "
        "none of the APIs documents a limit)",
    )
    p.add_argument("--log-file", type=Path, default=None, help="write the server's log here instead of stderr")
    return p


def _otp_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kiosk sim otp", description="Print the code the customer's wallet app shows now.")
    p.add_argument("--phone", required=True, help="wallet phone number, E.164 (e.g. +14155559992)")
    p.add_argument("--pos", default=None, help="point-of-sale id (default: the simulator's demo POS)")
    p.add_argument("--url", default=DEFAULT_URL, help="simulator address (default %(default)s)")
    return p


def _serve(args: argparse.Namespace) -> int:
    from kiosk.sim.composite import CompositeSimulator
    from kiosk.sim.server import serve

    ledger = args.ledger or default_ledger_path()
    try:
        sim = CompositeSimulator(ledger, otp_window=args.otp_window, latency=args.latency,
                                 max_body_bytes=args.max_body_bytes)
    except Exception as exc:  # an unreadable or foreign ledger file: say so in one line
        print(f"error: cannot open the simulator ledger {ledger}: {exc}", file=sys.stderr)
        return 1
    shown = f"http://{args.host}:{args.port}"
    print(
        f"Rapyd POS simulator on {shown} (ledger {ledger}, OTP window {args.otp_window} s).\n"
        f"Also POSPointe gift cards ({shown}/v1/Token ...), SDK.finance ({shown}/api/v1) and Flexiti "
        f"({shown}/flexiti/pos-api/v2.5), their books beside the ledger.\n"
        f"Demo credentials and customers: kiosk sim info --url {shown}  -  Ctrl-C stops.",
        flush=True,
    )
    try:
        serve(sim.app, args.host, args.port, log_file=args.log_file)
    except OSError as exc:
        print(f"error: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    finally:
        sim.close()
    return 0


def _otp(args: argparse.Namespace) -> int:
    import httpx

    params = {"phone": args.phone}
    if args.pos:
        params["pos_id"] = args.pos
    url = args.url.rstrip("/") + "/_sim/otp"
    try:
        response = httpx.get(url, params=params, timeout=5.0)
    except httpx.HTTPError:
        print(f"error: no simulator answers at {args.url} (start one with `kiosk sim`)", file=sys.stderr)
        return 1
    try:
        document = response.json()
    except ValueError:
        document = {}
    if response.status_code != 200 or "otp" not in document:
        reason = document.get("error") if isinstance(document, dict) else None
        print(f"error: {reason or f'the simulator answered HTTP {response.status_code}'}", file=sys.stderr)
        return 1
    print(document["otp"])
    return 0


def _info_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="kiosk sim info",
        description="Per back end (rapyd, pospointe, sdkfinance, flexiti): base URL, demo credentials and "
        "demo customers, read from the running simulator.",
    )
    p.add_argument("--url", default=DEFAULT_URL, help="simulator address (default %(default)s)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    return p


def _info(args: argparse.Namespace) -> int:
    import json

    import httpx

    from kiosk.sim.composite import INFO_PATHS, summarize

    base = args.url.rstrip("/")
    infos = {}
    with httpx.Client(timeout=5.0) as http:
        for name, path in INFO_PATHS.items():
            try:
                response = http.get(base + path)
            except httpx.HTTPError:
                print(f"error: no simulator answers at {args.url} (start one with `kiosk sim`)", file=sys.stderr)
                return 1
            if response.status_code != 200:
                continue  # an older simulator without this back end: leave it out
            try:
                infos[name] = response.json()
            except ValueError:
                continue
    if "rapyd" not in infos:
        print(f"error: what answers at {args.url} is not the kiosk's simulator", file=sys.stderr)
        return 1
    document = summarize(base, infos)
    if args.json:
        print(json.dumps(document, indent=2))
        return 0
    for name in ("rapyd", "pospointe", "sdkfinance", "flexiti"):
        part = document.get(name)
        if part is None:
            continue
        print(f"{name}: {part['base_url']}")
        print("  credentials: " + ", ".join(f"{k}={v}" for k, v in part["credentials"].items()))
        for customer in part["customers"]:
            print("  - " + ", ".join(f"{k}={v}" for k, v in customer.items()
                                     if k not in ("accounts", "licence_scan") and v not in (None, "", [])))
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["otp"]:
        return _otp(_otp_parser().parse_args(argv[1:]))
    if argv[:1] == ["info"]:
        return _info(_info_parser().parse_args(argv[1:]))
    return _serve(_serve_parser().parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
