"""`kiosk users ...` and reading PINs for the headless commands.

PINs are read with getpass (twice, to catch a typo) when stdin is a terminal, else as one
line from stdin (scripts: `printf '%s\n' "$PIN" | kiosk users add ann --role cashier`); they
never appear on the command line, where `ps` and shell history would show them."""

from __future__ import annotations

import getpass
import sys
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, TextIO

CREDSTORE = Path("/etc/credstore")


class PinInputError(Exception):
    pass


def read_pin(prompt: str = "PIN: ", *, confirm: bool = False, stdin: TextIO | None = None) -> str:
    stream = stdin or sys.stdin
    if stream.isatty():
        pin = getpass.getpass(prompt)
        if confirm and getpass.getpass("Again: ") != pin:
            raise PinInputError("The two PINs differ: nothing was changed.")
        return pin
    line = stream.readline()
    if not line:
        raise PinInputError("No PIN on stdin: give it as one line.")
    return line.rstrip("\r\n")


def with_pepper(settings: Any) -> Any:
    """From a shell the service's credentials are not in the environment: take the pepper
    from the credential store the service reads (root only), as `kiosk doctor` does."""
    pepper = settings.auth.pepper
    if pepper is not None and pepper.get_secret_value():
        return settings
    file = CREDSTORE / "KIOSK_AUTH__PEPPER"
    try:
        text = file.read_text(encoding="utf-8").strip()
    except OSError:
        return settings
    except UnicodeDecodeError:
        from kiosk.settings import SettingsError

        raise SettingsError(f"Invalid setting:\n  auth.pepper (KIOSK_AUTH__PEPPER) from {file}: is not UTF-8 text.") from None
    if text:
        from pydantic import SecretStr

        settings.auth = settings.auth.model_copy(update={"pepper": SecretStr(text)})
    return settings


def open_accounts(settings: Any):
    from kiosk.auth.accounts import Accounts
    from kiosk.auth.pins import pin_hasher

    accounts = Accounts.in_data_dir(settings.data_dir, pin_hasher(with_pepper(settings)))
    from kiosk.datadir import give_to_data_dir_owner

    # Run as root (sudo), a new accounts file would be root's and the kiosk could not open it.
    give_to_data_dir_owner(accounts.path, accounts.path.with_name(accounts.path.name + "-journal"))
    return accounts


def run_users(
    settings: Any, action: str, name: str | None, role: str | None, *, journal: Callable[[], Any], out: TextIO | None = None
) -> int:
    """`journal` opens the till's journal as its writer (the caller holds the data dir's lock):
    passed in by the command, which knows how the till opens it."""
    from kiosk.auth.accounts import AccountError
    from kiosk.auth.pins import PinFormError, check_name

    out = out or sys.stdout  # looked up now, not at import (tests swap sys.stdout)

    accounts = open_accounts(settings)
    try:
        if action == "list":
            now = datetime.now().timestamp()
            users = accounts.list()
            if not users:
                print("no users yet: kiosk users add NAME --role supervisor", file=out)
            for user in users:
                state = "disabled" if user.disabled else ("locked out" if user.locked(now) else "active")
                print(f"{user.name:<24} {user.role:<11} {state}", file=out)
            return 0
        if not name:
            raise AccountError(f"`kiosk users {action}` needs a user name.")
        try:
            name = check_name(name.lower())
            if action == "add":
                if role is None:
                    raise AccountError("Give the role: --role cashier or --role supervisor.")
                pin = read_pin(f"PIN for {name} (4-8 digits): ", confirm=True)
                user = accounts.add(name, role, pin)
                _journal(journal, "USER_ADDED", user=user.name, role=user.role)
                print(f"added {user.name} ({user.role})", file=out)
            elif action == "reset-pin":
                pin = read_pin(f"New PIN for {name} (4-8 digits): ", confirm=True)
                user = accounts.reset_pin(name, pin)
                _journal(journal, "USER_PIN_RESET", user=user.name)
                print(f"PIN of {user.name} changed; any lockout is lifted", file=out)
            elif action in ("disable", "enable"):
                user = accounts.set_disabled(name, action == "disable")
                _journal(journal, "USER_DISABLED" if action == "disable" else "USER_ENABLED", user=user.name)
                print(f"{user.name} {action}d", file=out)
            return 0
        except (PinFormError, PinInputError) as exc:
            raise AccountError(str(exc)) from None
    finally:
        accounts.close()


def _journal(open_journal: Callable[[], Any], step: str, **data: Any) -> None:
    """User changes are part of the till's audit trail too (never a PIN)."""
    journal = open_journal()
    try:
        journal.record(None, step, by=getpass.getuser(), **data)
    finally:
        journal.close()


def sign_in_headless(runtime: Any, name: str, *, stdin: TextIO | None = None):
    """`kiosk txn --cashier NAME`: the PIN is one line on stdin. Raises AuthError."""
    from kiosk.auth.guard import AuthError

    guard = runtime.teller.guard
    try:
        pin = read_pin(f"PIN for {name}: ", stdin=stdin)
    except PinInputError as exc:
        raise AuthError("AUTH_FAILED", str(exc), "Give the cashier's PIN as one line on stdin.") from None
    return guard.sign_in(name, pin)
