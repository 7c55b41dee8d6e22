"""A Guard with cheap argon2 parameters (tests stay fast; the real ones are in pins.py) and
three people: ann (cashier), sue and max (supervisors)."""

from __future__ import annotations

from pathlib import Path

from kiosk.auth.accounts import Accounts
from kiosk.auth.guard import Guard
from kiosk.auth.limits import Limits
from kiosk.auth.pins import PinHasher

PEPPER = "test-pepper-0123456789abcdef"
PINS = {"ann": "2580", "bob": "1357", "sue": "7391", "max": "4826"}
ROLES = {"ann": "cashier", "bob": "cashier", "sue": "supervisor", "max": "supervisor"}


class Clock:
    def __init__(self, now: float = 1_790_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def move(self, seconds: float) -> None:
        self.now += seconds


def cheap_hasher(pepper: str = PEPPER) -> PinHasher:
    return PinHasher(pepper, time_cost=1, memory_kib=1024)


def make_guard(data_dir: Path, journal, *, clock=None, limits: Limits | None = None, users=("ann", "bob", "sue", "max"), **kwargs) -> Guard:
    clock = clock or Clock()
    accounts = Accounts(Path(data_dir) / "accounts.sqlite3", cheap_hasher(), clock=clock)
    for name in users:
        accounts.add(name, ROLES[name], PINS[name])
    return Guard(accounts, journal, clock=clock, limits=limits, lockout_seconds=kwargs.pop("lockout_seconds", 600), **kwargs)


def steps(journal) -> list[tuple[str, dict]]:
    return [(row.step, row.data) for row in journal.rows()]
