"""`kiosk txn` for the other back ends: one visit without a screen, through the same desks,
teller, journal and devices as the UI, printing the same JSON result as `kiosk txn withdraw`.

    kiosk txn giftcard-balance --card N --code C
    kiosk txn giftcard-sell|giftcard-reload|giftcard-redeem --card N --code C --amount 10
    kiosk txn giftcard-block|giftcard-unblock --card N --code C --supervisor NAME --reason TEXT
    kiosk txn giftcard-batch [--close]
    kiosk txn sdk-deposit|sdk-withdraw --login L --password-stdin [--otp-stdin] --currency EUR --amount 20
    kiosk txn flexiti-verify --account A --verify sms|email           (prints the request_id)
    kiosk txn flexiti-deposit|flexiti-payment --account A (or --licence-stdin) --amount 50
        --verify sms|email --pin-stdin | --verify sms --request-id R --pin P
        | --verify security_question --answer TEXT | --verify regular_purchase_bypass
        | --verify merchant_override --supervisor NAME

Secrets (passwords, PINs, codes, licence scans) are read from stdin, one line each, in the
order they are needed; a code that is only sent after the sign-in / verification is asked for
on stderr first. Exit status: 0 completed, 1 failed, 2 command line or settings wrong.

With cashier sign-in on (auth.required): --cashier NAME, whose PIN is the first line on stdin;
with --supervisor NAME, that supervisor's PIN is the next line (before any other secret). The
supervisor approves, with it, what needs one: blocking or unblocking a gift card, a Flexiti
merchant override, and an amount over a per-visit / per-shift limit (without a supervisor,
such an amount fails with NEEDS_SUPERVISOR before anything is sent).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from typing import Any, Callable


from kiosk.desks.base import AccountLookup, CardEntry, WalletLogin

KINDS = (
    "giftcard-balance", "giftcard-sell", "giftcard-reload", "giftcard-redeem", "giftcard-block", "giftcard-unblock",
    "giftcard-batch", "sdk-deposit", "sdk-withdraw", "flexiti-verify", "flexiti-deposit", "flexiti-payment",
)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kiosk txn", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("kind", choices=KINDS)
    p.add_argument("--config", metavar="FILE")
    p.add_argument("--set", metavar="KEY=VALUE", action="append", dest="overrides", default=[])
    p.add_argument("--data-dir", metavar="DIR")
    p.add_argument("--json", action="store_true", help="print one JSON object with the outcome")
    p.add_argument("--cashier", metavar="NAME", help="the cashier serving (with auth.required; PIN on stdin first)")
    p.add_argument("--amount")
    p.add_argument("--card", help="gift card number (as typed or scanned)")
    p.add_argument("--code", help="gift card security code")
    p.add_argument("--supervisor", metavar="NAME")
    p.add_argument("--reason")
    p.add_argument("--close", action="store_true", help="giftcard-batch: close the open batch")
    p.add_argument("--login", help="SDK.finance customer login")
    p.add_argument("--password-stdin", action="store_true", help="read the customer's password from stdin")
    p.add_argument("--otp-stdin", action="store_true", help="read the one-time code from stdin once it was sent")
    p.add_argument("--currency", help="SDK.finance: the coin's currency")
    p.add_argument("--coin", help="SDK.finance: the coin's serial (default: the first active coin in --currency)")
    p.add_argument("--account", help="Flexiti account number")
    p.add_argument("--licence-stdin", action="store_true", help="Flexiti: read a driver's licence scan from stdin")
    p.add_argument("--verify", choices=["sms", "email", "security_question", "regular_purchase_bypass", "merchant_override"])
    p.add_argument("--pin", help="Flexiti: the PIN the customer received (with --request-id)")
    p.add_argument("--pin-stdin", action="store_true", help="Flexiti: read the PIN from stdin once it was sent")
    p.add_argument("--request-id", help="Flexiti: the request_id `flexiti-verify` printed")
    p.add_argument("--answer", help="Flexiti: the answer to the security question")
    return p


def _line(prompt: str) -> str:
    if prompt:
        print(prompt, file=sys.stderr, flush=True)
    line = sys.stdin.readline()
    return line.rstrip("\r\n")


@dataclass(frozen=True)
class TillCommand:
    """What `kiosk txn` shares with the other till commands, handed over by kiosk.cli (which
    imports this module: importing it back would make a cycle)."""

    settings: Callable[..., Any]  # (args, till=True) -> Settings, the data dir checked
    setup_logging: Callable[[Any], None]
    sign_in: Callable[[Any, argparse.Namespace], dict[str, Any] | None]  # cashier sign-in (auth.required)


def main(argv: list[str], till: TillCommand) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from kiosk.datadir import DataDirBusy
    from kiosk.journal.store import JournalError
    from kiosk.settings import SettingsError

    try:
        settings = till.settings(args, till=True)  # and the data dir checked, as for `kiosk txn withdraw`
        backend = {"giftcard": "pospointe", "sdk": "sdkfinance", "flexiti": "flexiti"}[args.kind.split("-")[0]]
        if backend not in settings.backends.enabled:
            raise SettingsError(
                f"backends.enabled (KIOSK_BACKENDS__ENABLED): the {backend} back end is not enabled: add it to the list."
            )
        from kiosk.runtime import build_runtime

        till.setup_logging(settings)
        runtime = build_runtime(settings)
    except (SettingsError, DataDirBusy) as exc:
        print(f"kiosk: {exc}", file=sys.stderr)
        return 2
    except JournalError as exc:
        print(f"kiosk: {exc}", file=sys.stderr)
        return 1
    try:
        refused = till.sign_in(runtime, args) or _read_supervisor_pin(runtime, args)
        result = refused or serve(runtime, args, settings.teller.drawer_close_timeout)
    finally:
        runtime.close()
    if args.json:
        print(json.dumps(result, separators=(",", ":")))
    elif result["status"] == "completed":
        extra = f", transaction {result['transaction_id']}" if result.get("transaction_id") else ""
        print(f"Completed: {args.kind} {result.get('amount') or ''} {result.get('currency') or ''}{extra}".replace("  ", " "))
        for key in ("balance", "approved", "commission", "request_id", "card_status", "batch"):
            if key in result:
                print(f"  {key}: {result[key]}")
    else:
        print(f"Failed ({result['error']['code']}): {result['error']['message']}", file=sys.stderr)
    return 0 if result["status"] == "completed" else 1


def _read_supervisor_pin(runtime: Any, args: argparse.Namespace) -> dict[str, Any] | None:
    """With sign-in on and --supervisor NAME: their PIN, the next stdin line (after the
    cashier's), kept in memory for the approvals this visit needs. A failed result when absent."""
    args.supervisor_pin = None
    if runtime.teller.guard is None or not (args.supervisor or "").strip():
        return None
    from kiosk.auth.cli import PinInputError, read_pin

    try:
        args.supervisor_pin = read_pin(f"Supervisor {args.supervisor.strip()}'s PIN: ")
    except PinInputError as exc:
        return {"status": "failed", "kind": args.kind, "amount": args.amount or "",
                "currency": (args.currency or "").upper(), "transaction_id": "",
                "error": {"code": "AUTH_FAILED", "message": f"{exc} (the supervisor's PIN follows the cashier's on stdin)"}}
    return None


def _approve(teller: Any, args: argparse.Namespace, action: str, visit: Any) -> None:
    """The --supervisor approves `action` for this visit with their PIN (sign-in on only; without
    a supervisor nothing is approved and the teller refuses the step: NEEDS_SUPERVISOR)."""
    pin = getattr(args, "supervisor_pin", None)
    if teller.guard is None or pin is None:
        return
    teller.guard.approve(action, args.supervisor.strip(), pin, visit_id=visit.visit_id if visit is not None else None)


def _within_limits(teller: Any, args: argparse.Namespace, visit: Any, amount: Any) -> None:
    """Over a limit (sign-in on), the --supervisor approves it before the money step."""
    from kiosk import auth

    if teller.guard is not None and teller.limit_exceeded(amount):
        _approve(teller, args, auth.LIMIT, visit)


def serve(runtime: Any, args: argparse.Namespace, drawer_timeout: float) -> dict[str, Any]:
    from kiosk.auth.guard import AuthError
    from kiosk.desks import base as journeys
    from kiosk.teller.headless import settle_cash
    from kiosk.teller.visit import Stage, TellerError
    from kiosk.journal.store import JournalError

    teller = runtime.teller
    result: dict[str, Any] = {"status": "failed", "kind": args.kind, "amount": args.amount or "",
                              "currency": (args.currency or "").upper(), "transaction_id": ""}
    visit = None
    args._visit = None  # the visit once it began (cancelled when refused before money moved)
    desk: Any = None
    try:
        if args.kind.startswith("giftcard"):
            desk = journeys.desk(teller, "pospointe")
            result["currency"] = desk.currency
            _check_typed(args, desk.currency)
            visit = _giftcard(desk, args, result)
        elif args.kind.startswith("sdk"):
            desk = journeys.desk(teller, "sdkfinance")
            _check_typed(args, args.currency)
            visit = _sdk(desk, args, result)
        else:
            desk = journeys.desk(teller, "flexiti")
            result["currency"] = desk.currency
            _check_typed(args, desk.currency)
            visit = _flexiti(desk, args, result)
        if visit is not None and visit.stage is Stage.CASH_PENDING:
            result["amount"] = visit.amount.plain()
            result["currency"] = visit.amount.currency
            result["transaction_id"] = visit.transaction_id
            desk.finish(visit, by_hand=settle_cash(teller, desk, visit, drawer_timeout))
            if visit.print_outcome is not None:
                result["receipt"] = visit.print_outcome.value
        result["status"] = "completed"
        if visit is not None:
            result["visit_id"] = visit.visit_id
    except (TellerError, AuthError) as exc:
        visit = visit or getattr(args, "_visit", None)
        if visit is not None:
            result["visit_id"] = visit.visit_id
            if visit.stage is Stage.SESSION_OPEN and desk is not None:
                desk.cancel(visit)
        message = exc.message
        if isinstance(exc, AuthError) and exc.next_step:
            message = f"{message} {exc.next_step}"
        if exc.code == "NEEDS_SUPERVISOR" and not (args.supervisor or "").strip():
            message += " Run it again with --supervisor NAME (their PIN on stdin, after the cashier's)."
        result["error"] = {"code": exc.code, "message": message}
    except JournalError as exc:
        from kiosk.teller.visit import journal_failure

        failure = journal_failure(exc)
        result["error"] = {"code": failure.code, "message": failure.message}
    return result


# The error code each option's refusal has in the desks, which check them again.
_TYPED = {"amount": "AMOUNT_INVALID", "card": "CARD_FORMAT", "code": "CARD_FORMAT", "account": "ACCOUNT_FORMAT",
          "pin": "PIN_FORMAT", "request_id": "REQUEST_ID_INVALID", "login": "LOGIN_FORMAT"}


def _check_typed(args: argparse.Namespace, currency: str | None) -> None:
    """Numbers typed on the command line, checked before any visit begins: nothing is journalled
    or sent for a digit of another script (kiosk.digits) or an amount that is not one."""
    from kiosk.digits import FOREIGN_DIGITS, foreign_digit
    from kiosk.money import MoneyError, parse_amount
    from kiosk.teller.visit import TellerError

    for option, code in _TYPED.items():
        if foreign_digit(getattr(args, option, None)):  # the value is not repeated: it may be a card or PIN
            raise TellerError(code, f"--{option.replace('_', '-')} has digits that are not 0-9: {FOREIGN_DIGITS}.")
    if args.amount and currency:
        try:
            parse_amount(args.amount, currency)
        except MoneyError as exc:
            raise TellerError("AMOUNT_INVALID", str(exc), "Type the amount again.") from None


def _need(value: Any, option: str) -> Any:
    from kiosk.teller.visit import TellerError

    if not value:
        raise TellerError("USAGE", f"{option} is required for this kind of visit.")
    return value


def _giftcard(desk: Any, args: argparse.Namespace, result: dict[str, Any]):
    if args.kind == "giftcard-batch":
        batch = desk.close_batch() if args.close else desk.batch()
        t = batch.totals
        result["batch"] = {"batch_id": batch.batch_id, "status": batch.status, "lines": len(batch.lines),
                           "sells": t.sell_amount.plain(), "reloads": t.reload_amount.plain(),
                           "redeems": t.redeem_amount.plain(), "net": t.net.plain()}
        result["amount"] = t.net.plain()
        return None
    visit = args._visit = desk.identify(CardEntry(_need(args.card, "--card"), _need(args.code, "--code")))
    result["card"] = visit.phone_masked
    result["card_status"] = visit.details.status
    result["balance"] = visit.details.balance.plain()
    if args.kind == "giftcard-balance":
        desk.cancel(visit)
        result["amount"] = visit.details.balance.plain()
        return visit
    if args.kind in ("giftcard-block", "giftcard-unblock"):
        from kiosk import auth

        _approve(desk.teller, args, auth.CARD_STATUS, visit)
        desk.set_blocked(visit, args.kind == "giftcard-block", supervisor=args.supervisor or "", reason=args.reason or "")
        result["card_status"] = visit.details.status
        return visit
    action = args.kind.split("-")[1]
    _within_limits(desk.teller, args, visit, desk.check_amount(visit, action, _need(args.amount, "--amount")))
    desk.move(visit, action, args.amount)
    result["requested"] = args.amount
    result["approved"] = visit.amount.plain()
    result["balance"] = visit.details.balance.plain()
    return visit


def _sdk(desk: Any, args: argparse.Namespace, result: dict[str, Any]):
    from kiosk.teller.visit import TellerError

    login = _need(args.login, "--login")
    if not args.password_stdin:
        raise TellerError("USAGE", "Give the password on stdin with --password-stdin (never on the command line).")
    password = _line("")
    visit = args._visit = desk.identify(WalletLogin(login, password))
    if visit.details.otp_pending:
        if not args.otp_stdin:
            desk.cancel(visit)
            raise TellerError("OTP_REQUIRED", "The wallet sent the customer a one-time code: run again with --otp-stdin.")
        desk.confirm_otp(visit, _line(f"A one-time code was sent to {visit.phone_masked}: type it."))
    currency = _need(args.currency, "--currency").upper()
    coins = [c for c in visit.details.coins if c.active and (args.coin == c.serial or (not args.coin and c.currency == currency))]
    if not coins:
        raise TellerError("NO_SUCH_ACCOUNT", f"The wallet has no active {currency} coin.")
    flow = "topup" if args.kind == "sdk-deposit" else "withdrawal"
    quote = desk.quote(visit, flow, _need(args.amount, "--amount"), coin=coins[0].serial)
    result["commission"] = quote.commission.plain()
    result["wallet_amount"] = quote.amount.plain()
    _within_limits(desk.teller, args, visit, desk.cash_of(flow, quote))
    desk.move(visit, flow, args.amount, coin=coins[0].serial)
    result["request_id"] = visit.details.request_id
    return visit


def _flexiti(desk: Any, args: argparse.Namespace, result: dict[str, Any]):
    from kiosk import auth
    from kiosk.teller.visit import TellerError

    if args.licence_stdin:
        visit = desk.identify(AccountLookup(licence_scan=_line("").replace("\\n", "\n")))
    else:
        visit = desk.identify(AccountLookup(account_number=_need(args.account, "--account")))
    args._visit = visit
    if visit.details.account is None:
        wanted = args.account or visit.details.accounts[0].account_number
        desk.choose_account(visit, wanted)
    result["account"] = visit.phone_masked
    method = _need(args.verify, "--verify")
    if method == "merchant_override":
        _approve(desk.teller, args, auth.OVERRIDE, visit)
    if args.kind == "flexiti-verify":
        desk.verify(visit, method, answer=args.answer or "", supervisor=args.supervisor or "")
        result["request_id"] = visit.details.flow.request_id
        result["sent_to"] = visit.details.sent_to
        desk.cancel(visit)
        return visit
    if method in ("sms", "email") and args.request_id:
        desk.resume_verification(visit, args.request_id, _need(args.pin, "--pin"))
    else:
        desk.verify(visit, method, answer=args.answer or "", supervisor=args.supervisor or "")
        if visit.details.pin is None:
            if not args.pin_stdin:
                raise TellerError("USAGE", "The PIN was sent to the customer: use --pin-stdin, or flexiti-verify then "
                                  "--request-id R --pin P.")
            desk.enter_pin(visit, _line(f"Flexiti sent a PIN by {visit.details.sent_to}: type it."))
    kind = "deposit" if args.kind == "flexiti-deposit" else "instore_payment"
    _within_limits(desk.teller, args, visit, desk.check_amount(visit, kind, _need(args.amount, "--amount")))
    desk.move(visit, kind, args.amount)
    return visit


