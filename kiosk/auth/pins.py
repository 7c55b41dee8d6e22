"""PINs: their form, and how they are kept (argon2id over a keyed hash with the pepper).

A 4-8 digit PIN has at most 10^8 values, so no hash makes a stolen accounts file safe on its
own: the pepper (a secret held outside the data dir, like the API keys) is what makes the
stored hashes useless without it. argon2id (memory-hard) is on top, tuned so that one check
costs a till well under a third of a second: PIN checks are rare and a cashier waits for them.

    stored = argon2id(HMAC-SHA256(pepper, "kiosk pin v1:" + pin))
"""

from __future__ import annotations

import hashlib
import hmac
import re

from kiosk.digits import is_digits

NAME_FORM = re.compile(r"[a-z][a-z0-9._-]{1,31}")

# argon2id parameters: 32 MiB and 2 passes, one lane (about 0.05-0.1 s on a small x86 till).
TIME_COST = 2
MEMORY_KIB = 32 * 1024
PARALLELISM = 1


class PinFormError(ValueError):
    """A PIN or a user name of the wrong form; the message says what is expected."""


def check_pin_form(pin: str) -> str:
    if not is_pin(pin):
        # The PIN itself is never repeated back, not even in an error.
        raise PinFormError("A PIN is 4 to 8 digits (0-9), nothing else.")
    if len(set(pin)) == 1 or pin in "0123456789" or pin in "9876543210":
        raise PinFormError("That PIN is too easy to guess (one digit repeated, or a run of digits up or down): choose another.")
    return pin


def is_pin(pin: object) -> bool:
    """4 to 8 ASCII digits: no trailing newline, no other script's digits."""
    return is_digits(pin, 4, 8)


def check_name(name: str) -> str:
    name = (name or "").strip()
    if not NAME_FORM.fullmatch(name):
        raise PinFormError(
            "A user name is 2-32 characters: lower-case letters, digits, '.', '_' or '-', starting with a letter."
        )
    return name


class PinHasher:
    """argon2id with a pepper. `verify` is constant-time in the PIN (argon2's own compare)."""

    def __init__(self, pepper: str | bytes, *, time_cost: int = TIME_COST, memory_kib: int = MEMORY_KIB) -> None:
        from argon2 import PasswordHasher, Type

        # Stripped: a credential file written with `echo` ends in a newline the environment lacks.
        pepper_bytes = (pepper.encode() if isinstance(pepper, str) else pepper).strip()
        if len(pepper_bytes) < 16:
            raise ValueError("the PIN pepper must be at least 16 characters (e.g. `openssl rand -hex 32`)")
        self._pepper = pepper_bytes
        self._hasher = PasswordHasher(
            time_cost=time_cost, memory_cost=memory_kib, parallelism=PARALLELISM, hash_len=32, salt_len=16, type=Type.ID
        )

    def __repr__(self) -> str:
        return "PinHasher(pepper=<hidden>)"

    def _keyed(self, pin: str) -> str:
        return hmac.new(self._pepper, b"kiosk pin v1:" + pin.encode(), hashlib.sha256).hexdigest()

    def hash(self, pin: str) -> str:
        return self._hasher.hash(self._keyed(check_pin_form(pin)))

    def verify(self, stored: str, pin: str) -> bool:
        from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

        if not is_pin(pin):
            return False
        try:
            return self._hasher.verify(stored, self._keyed(pin))
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored: str) -> bool:
        return self._hasher.check_needs_rehash(stored)

    def dummy_verify(self) -> None:
        """Spend the time of one check, so that an unknown name answers as slowly as a known one."""
        if not hasattr(self, "_dummy"):
            self._dummy = self._hasher.hash("dummy")
        self.verify(self._dummy, "00000000")


def pin_hasher(settings) -> PinHasher:
    """The hasher of these settings' pepper (auth.pepper); a missing or short pepper is a
    SettingsError naming it."""
    from kiosk.settings import SettingsError, require

    require(settings, "auth.pepper")
    try:
        return PinHasher(settings.auth.pepper.get_secret_value())
    except ValueError as exc:
        raise SettingsError(f"Invalid setting:\n  auth.pepper (KIOSK_AUTH__PEPPER): {exc}") from None
