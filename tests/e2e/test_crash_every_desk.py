"""Every cash journey of every back end, killed after every journal step it writes, then
`kiosk recover`: each crash point ends in one exact, stated outcome.

A real `kiosk txn ...` process runs against `kiosk sim` (one process per test module serving
all four simulators) with the simulated printer and a drawer that closes by itself after
50 ms; KIOSK_CRASH_AFTER=STEP SIGKILLs it right after that step's journal row is committed.
A second process runs `kiosk recover`. Then, read from the journal on disk and the simulator's
own books (its /_sim/ control endpoints):

- the visit's final state;
- the customer's balance at the host, and every transaction the host holds for them (so a
  duplicate, a lost compensation or one sent twice shows);
- whether a compensation reached the host;
- how much the shift expects the drawer's cash to have moved (the X report's movements).

The step list of each journey is taken from a clean run's journal and checked against the
table's: a step added, dropped or renamed fails here first, and then needs its row. Where
today's outcome is wrong, the row states the right one and the case is xfail(strict=True)
with the reason (Journey.wrong).

A kill lands after a commit, and some steps share one with the step after them
(Journey.shares_commit: kiosk.journal.store.Journal.one_commit): no process can stop between
the two, so such a step has no row of its own. It is still killed after, and must land where
the table says the next step's commit lands.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Callable

import httpx
import pytest

from tests.e2e.crashkit import expected_cash_change, journal_of, run_kiosk, visit_steps
from tests.e2e.test_txn_cli import ROOT, fresh_window, sim_url  # noqa: F401  (module-scoped `kiosk sim`)

_numbers = itertools.count(1)
D = Decimal


@dataclass(frozen=True)
class Outcome:
    """What a crash point must end as, once `kiosk recover` ran."""

    state: str  # the visit's state in the journal
    balance: Decimal  # the customer's balance (Flexiti: the amount owed) at the host
    host: tuple[str, ...]  # the host's transactions for this customer, in order
    compensated: bool  # a compensation (reversal, refund, decline) reached the host
    drawer: Decimal  # how much the shift's expected drawer cash moved


@dataclass(frozen=True)
class Customer:
    args: list[str]  # the `kiosk txn ...` command line
    stdin: str | None = None
    key: str = ""  # how the host's books name this customer
    since: int = 0  # Flexiti: how many host transactions there were before the case
    owed: str = "0"  # Flexiti: what the customer owed before the case


@dataclass
class Journey:
    """One cash journey of one back end: how to serve a fresh customer, how to read the host's
    books about them, the steps a clean run writes, and the outcome of a crash after each."""

    id: str
    currency: str
    new_customer: Callable[[str], Customer]
    host: Callable[[str, Customer], tuple[Decimal, tuple[str, ...]]]
    compensations: frozenset[str]
    steps: list[str]
    table: dict[str, Outcome]  # kill point (the last step of a commit) -> its outcome
    wrong: dict[str, str] = field(default_factory=dict)  # step -> why today's outcome is wrong
    shares_commit: frozenset[str] = field(default_factory=lambda: ONE_COMMIT_WITH_NEXT)  # with the step after it

    @property
    def kill_points(self) -> list[str]:
        return [step for step in self.steps if step not in self.shares_commit]

    def landing(self, step: str) -> str:
        """The step a kill after `step` leaves last in the journal: the last of its commit."""
        return next(s for s in self.steps[self.steps.index(step):] if s not in self.shares_commit)


# --- the back ends' books, through their control endpoints ------------------------------------


def _get(sim: str, path: str, **params: str) -> dict:
    answer = httpx.get(sim + path, params=params, timeout=5)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _post(sim: str, path: str, body: dict) -> dict:
    answer = httpx.post(sim + path, json=body, timeout=5)
    assert answer.status_code == 201, answer.text
    return answer.json()


def new_wallet(kind: str) -> Callable[[str], Customer]:
    def make(sim: str) -> Customer:
        phone = f"+4478{os.getpid() % 10000:04d}{next(_numbers):04d}"
        _post(sim, "/_sim/wallets", {"phone": phone, "accounts": {"GBP": "100.00"}})
        fresh_window(sim, phone)
        code = _get(sim, "/_sim/otp", phone=phone)["otp"]
        args = ["txn", kind, "--phone", phone, "--otp", code, "--currency", "GBP", "--amount", "10", "--json"]
        return Customer(args, key=phone)

    return make


def wallet_books(sim: str, customer: Customer) -> tuple[Decimal, tuple[str, ...]]:
    ledger = _get(sim, "/_sim/ledger")
    wallet = next(w for w in ledger["wallets"] if w["phone"] == customer.key)
    balance = D(str(next(a["balance"] for a in wallet["accounts"] if a["currency"] == "GBP")))
    return balance, tuple(t["kind"] for t in ledger["transactions"] if t["phone"] == customer.key)


def new_card(kind: str, balance: str, status: str) -> Callable[[str], Customer]:
    def make(sim: str) -> Customer:
        number = f"7012349{os.getpid() % 10000:04d}{next(_numbers):05d}"
        _post(sim, "/_sim/pospointe/cards", {"number": number, "security_code": "5173", "balance": balance, "status": status})
        return Customer(["txn", kind, "--card", number, "--code", "5173", "--amount", "10", "--json"], key=number)

    return make


def card_books(sim: str, customer: Customer) -> tuple[Decimal, tuple[str, ...]]:
    ledger = _get(sim, "/_sim/pospointe/ledger")
    card = next(c for c in ledger["cards"] if c["number"] == customer.key)
    return D(card["balance"]), tuple(t["kind"] for t in ledger["transactions"] if t["card_number"] == customer.key)


def new_sdk_user(kind: str) -> Callable[[str], Customer]:
    def make(sim: str) -> Customer:
        login = f"crash{os.getpid()}-{next(_numbers)}@example.com"
        _post(sim, "/_sim/sdkfinance/users", {"login": login, "password": "Crash#2024pw",
                                              "coins": [{"currency": "EUR", "amount": "100.00"}]})
        args = ["txn", kind, "--login", login, "--password-stdin", "--currency", "EUR", "--amount", "10", "--json"]
        return Customer(args, stdin="Crash#2024pw\n", key=login)

    return make


def sdk_books(sim: str, customer: Customer) -> tuple[Decimal, tuple[str, ...]]:
    ledger = _get(sim, "/_sim/sdkfinance/ledger")
    (coin,) = [c for c in ledger["coins"] if c["owner"] == customer.key]
    requests = tuple(f"{r['kind']} {r['status']}" for r in ledger["requests"] if r["owner"] == customer.key)
    return D(coin["amount"]), requests


FLEXITI_ACCOUNT = "116574819"  # Jane Tremblay, the demo's customer in good standing


def new_flexiti_visit(kind: str) -> Callable[[str], Customer]:
    """Flexiti's simulator has no control endpoint to open accounts: every case serves the
    demo's Jane, and her books are read as what changed since the case began."""

    def make(sim: str) -> Customer:
        ledger = _get(sim, "/_sim/flexiti/ledger")
        args = ["txn", kind, "--account", FLEXITI_ACCOUNT, "--verify", "security_question", "--answer", "Biscuit",
                "--amount", "10", "--json"]
        owed = next(c["balance_owed"] for c in ledger["customers"] if c["account_number"] == FLEXITI_ACCOUNT)
        return Customer(args, key=FLEXITI_ACCOUNT, since=len(ledger["transactions"]), owed=owed)

    return make


def flexiti_books(sim: str, customer: Customer) -> tuple[Decimal, tuple[str, ...]]:
    ledger = _get(sim, "/_sim/flexiti/ledger")
    now = next(c["balance_owed"] for c in ledger["customers"] if c["account_number"] == customer.key)
    since = ledger["transactions"][customer.since:]
    return D(now) - D(customer.owed), tuple(t["transaction_type"] for t in since if t["account_number"] == customer.key)


# --- the journeys and their crash tables --------------------------------------------------------

# Steps committed together with the step after them (nothing happens between them): the intent
# with "sent" (both durable before the host is called); the cash confirmed with "receipt sent"
# (both durable before the printer prints); the wallet's session closed with COMPLETED (and the
# sealed session details erased) after the logout. SDK.finance confirms the cash alone: its
# next step calls the host (accept).
ONE_COMMIT_WITH_NEXT = frozenset({"INTENT", "CASH_CONFIRMED", "SESSION_CLOSED"})
SDK_SHARES_COMMIT = frozenset({"INTENT"})

WALLET_STEPS = ["SESSION_OPEN_SENT", "SESSION_OPENED", "INTENT", "HOST_SENT", "HOST_OK", "DRAWER_KICKED",
                "DRAWER_OPENED", "DRAWER_CLOSED", "CASH_CONFIRMED", "RECEIPT_SENT", "RECEIPT_PRINTED",
                "SESSION_CLOSED", "COMPLETED"]
CARD_STEPS = ["CARD_LOOKUP_SENT", "CARD_FOUND", "BALANCE_CHECKED", "INTENT", "HOST_SENT", "HOST_OK", "DRAWER_KICKED",
              "DRAWER_OPENED", "DRAWER_CLOSED", "CASH_CONFIRMED", "RECEIPT_SENT", "RECEIPT_PRINTED", "COMPLETED"]
SDK_STEPS = ["SIGN_IN_SENT", "SIGNED_IN", "INTENT", "HOST_SENT", "REQUEST_CREATED", "DRAWER_KICKED", "DRAWER_OPENED",
             "DRAWER_CLOSED", "CASH_CONFIRMED", "ACCEPT_SENT", "ACCEPTED", "RECEIPT_SENT", "RECEIPT_PRINTED", "COMPLETED"]
FLEXITI_STEPS = ["CUSTOMER_LOOKUP_SENT", "CUSTOMER_FOUND", "ACCOUNT_CHOSEN", "VERIFY_SENT", "VERIFIED", "INTENT",
                 "HOST_SENT", "HOST_OK", "DRAWER_KICKED", "DRAWER_OPENED", "DRAWER_CLOSED", "CASH_CONFIRMED",
                 "RECEIPT_SENT", "RECEIPT_PRINTED", "COMPLETED"]

def row(state: str, balance: str, host: tuple[str, ...] = (), compensated: bool = False, drawer: str = "0") -> Outcome:
    return Outcome(state, D(balance), host, compensated, D(drawer))


def before_money(steps: list[str], balance: str) -> dict[str, Outcome]:
    """Stopped before anything was sent to move money: nothing happened anywhere."""
    return {step: row("abandoned", balance) for step in steps}


def cash_unknown(steps: list[str], balance: str, host: tuple[str, ...]) -> dict[str, Outcome]:
    """The drawer may have opened and nobody confirmed the cash: held for a supervisor's
    count, the host's side left as it is, the drawer's expected cash not moved until then."""
    return {step: row("suspect", balance, host) for step in steps}


def cash_moved(steps: list[str], balance: str, host: tuple[str, ...], drawer: str) -> dict[str, Outcome]:
    """The cash was confirmed: the visit completes, whatever was left (receipt, session) or not."""
    return {step: row("completed", balance, host, drawer=drawer) for step in steps}


DRAWER = ["DRAWER_KICKED", "DRAWER_OPENED", "DRAWER_CLOSED"]
WALLET_DONE = ["RECEIPT_SENT", "RECEIPT_PRINTED", "COMPLETED"]
DONE = ["RECEIPT_SENT", "RECEIPT_PRINTED", "COMPLETED"]
SDK_DONE = ["CASH_CONFIRMED", "ACCEPT_SENT", "ACCEPTED", "RECEIPT_SENT", "RECEIPT_PRINTED", "COMPLETED"]
FLEXITI_BEFORE = ["CUSTOMER_LOOKUP_SENT", "CUSTOMER_FOUND", "ACCOUNT_CHOSEN", "VERIFY_SENT", "VERIFIED"]

# Rapyd: after HOST_SENT the request may have reached the host; recovery re-sends it with the
# same idempotency key to learn the outcome, so HOST_SENT ends as HOST_OK does. (A kill after
# INTENT is one after HOST_SENT: one commit. Before they shared it, it ended abandoned.)
WALLET_WITHDRAW = {
    **before_money(["SESSION_OPEN_SENT", "SESSION_OPENED"], "100.00"),
    # Applied, the drawer never kicked: no cash left it, so the withdrawal is reversed.
    "HOST_SENT": row("reversed", "100.00", ("withdraw", "reversal"), compensated=True),
    "HOST_OK": row("reversed", "100.00", ("withdraw", "reversal"), compensated=True),
    **cash_unknown(DRAWER, "90.00", ("withdraw",)),
    **cash_moved(WALLET_DONE, "90.00", ("withdraw",), "-10.00"),
}
WALLET_DEPOSIT = {
    **before_money(["SESSION_OPEN_SENT", "SESSION_OPENED"], "100.00"),
    # Credited, the drawer never opened: the cashier may hold the customer's notes. A person decides.
    **cash_unknown(["HOST_SENT", "HOST_OK", *DRAWER], "110.00", ("deposit",)),
    **cash_moved(WALLET_DONE, "110.00", ("deposit",), "10.00"),
}
# POSPointe has no idempotency key: after HOST_SENT the card's balance against the INTENT's
# before_balance tells whether the request was applied (here it never left the process).
GIFTCARD_REDEEM = {
    **before_money(["CARD_LOOKUP_SENT", "CARD_FOUND", "BALANCE_CHECKED"], "50.00"),
    "HOST_SENT": row("declined", "50.00"),
    # Redeemed, no cash handed over: the amount is loaded back onto the card.
    "HOST_OK": row("reversed", "50.00", ("redeem", "reload"), compensated=True),
    **cash_unknown(DRAWER, "40.00", ("redeem",)),
    **cash_moved(DONE, "40.00", ("redeem",), "-10.00"),
}
GIFTCARD_RELOAD = {
    **before_money(["CARD_LOOKUP_SENT", "CARD_FOUND", "BALANCE_CHECKED"], "50.00"),
    "HOST_SENT": row("declined", "50.00"),
    **cash_unknown(["HOST_OK", *DRAWER], "60.00", ("reload",)),
    **cash_moved(DONE, "60.00", ("reload",), "10.00"),
}
GIFTCARD_SELL = {  # an inactive card, activated by its first load
    **before_money(["CARD_LOOKUP_SENT", "CARD_FOUND", "BALANCE_CHECKED"], "0.00"),
    "HOST_SENT": row("declined", "0.00"),
    **cash_unknown(["HOST_OK", *DRAWER], "10.00", ("sell",)),
    **cash_moved(DONE, "10.00", ("sell",), "10.00"),
}
# SDK.finance: the request is created, the cash moves, then the request is accepted. After
# HOST_SENT recovery looks the request up by its reference (here: never created).
SDK_WITHDRAW = {
    **before_money(["SIGN_IN_SENT", "SIGNED_IN"], "100.00"),
    "HOST_SENT": row("declined", "100.00"),
    # Created, no cash handed over: the request is declined, the coin never debited.
    "REQUEST_CREATED": row("declined", "100.00", ("withdrawal DECLINED",), compensated=True),
    **cash_unknown(DRAWER, "100.00", ("withdrawal PENDING",)),
    # Cash handed over: the request is accepted (10.00 plus 0.60 commission).
    **cash_moved(SDK_DONE, "89.40", ("withdrawal ACCEPTED",), "-10.00"),
}
SDK_DEPOSIT = {
    **before_money(["SIGN_IN_SENT", "SIGNED_IN"], "100.00"),
    "HOST_SENT": row("declined", "100.00"),
    # The top-up waits at the host, pending, until a person says whether the notes were taken.
    **cash_unknown(["REQUEST_CREATED", *DRAWER], "100.00", ("topup PENDING",)),
    **cash_moved(SDK_DONE, "110.00", ("topup ACCEPTED",), "10.05"),  # 10.00 plus 0.05 commission in cash
}
# Flexiti: the balance column is how much more the customer owes. After HOST_SENT recovery
# re-sends with the same x-idempotency-key. The in-store API has no refund or void call.
FLEXITI_PAYMENT = {
    **before_money(FLEXITI_BEFORE, "0.00"),
    **cash_unknown(["HOST_SENT", "HOST_OK", *DRAWER], "10.00", ("instore_payment",)),
    **cash_moved(DONE, "10.00", ("instore_payment",), "-10.00"),
}
FLEXITI_DEPOSIT = {
    **before_money(FLEXITI_BEFORE, "0.00"),
    **cash_unknown(["HOST_SENT", "HOST_OK", *DRAWER], "-10.00", ("deposit",)),
    **cash_moved(DONE, "-10.00", ("deposit",), "10.00"),
}

REVERSAL = frozenset({"reversal"})
JOURNEYS: list[Journey] = [
    Journey("wallet-withdraw", "GBP", new_wallet("withdraw"), wallet_books, REVERSAL, WALLET_STEPS, WALLET_WITHDRAW),
    Journey("wallet-deposit", "GBP", new_wallet("deposit"), wallet_books, REVERSAL, WALLET_STEPS, WALLET_DEPOSIT),
    Journey("giftcard-redeem", "USD", new_card("giftcard-redeem", "50.00", "active"), card_books,
            frozenset({"reload"}), CARD_STEPS, GIFTCARD_REDEEM),
    Journey("giftcard-reload", "USD", new_card("giftcard-reload", "50.00", "active"), card_books,
            frozenset({"redeem"}), CARD_STEPS, GIFTCARD_RELOAD),
    Journey("giftcard-sell", "USD", new_card("giftcard-sell", "0.00", "inactive"), card_books,
            frozenset({"redeem"}), CARD_STEPS, GIFTCARD_SELL),
    Journey("sdk-withdraw", "EUR", new_sdk_user("sdk-withdraw"), sdk_books,
            frozenset({"withdrawal DECLINED"}), SDK_STEPS, SDK_WITHDRAW, shares_commit=SDK_SHARES_COMMIT),
    Journey("sdk-deposit", "EUR", new_sdk_user("sdk-deposit"), sdk_books,
            frozenset({"topup DECLINED"}), SDK_STEPS, SDK_DEPOSIT, shares_commit=SDK_SHARES_COMMIT),
    Journey("flexiti-payment", "CAD", new_flexiti_visit("flexiti-payment"), flexiti_books, frozenset(),
            FLEXITI_STEPS, FLEXITI_PAYMENT),
    Journey("flexiti-deposit", "CAD", new_flexiti_visit("flexiti-deposit"), flexiti_books, frozenset(),
            FLEXITI_STEPS, FLEXITI_DEPOSIT),
]


def outcome(journey: Journey, sim: str, home: Path, customer: Customer) -> Outcome:
    """What the journal on disk and the host's books say now."""
    balance, host = journey.host(sim, customer)
    with journal_of(home) as journal:
        (visit,) = journal.visits()
    return Outcome(visit.state, balance, host, bool(journey.compensations & set(host)),
                   expected_cash_change(home, journey.currency))


@pytest.fixture(scope="module")
def config(sim_url, tmp_path_factory):  # noqa: F811
    """config/demo.toml on this module's simulator, with a drawer that closes after 50 ms."""
    text = (ROOT / "config" / "demo.toml").read_text().replace("http://127.0.0.1:8700", sim_url)
    text = text.replace("simulated_close_after = 1.0", "simulated_close_after = 0.05")
    text = text.replace("drawer_close_timeout = 30.0", "drawer_close_timeout = 5.0")
    assert "0.05" in text and sim_url in text
    path = tmp_path_factory.mktemp("config") / "kiosk.toml"
    path.write_text(text)
    return str(path)


def _cases():
    for journey in JOURNEYS:
        yield pytest.param(journey, None, id=f"{journey.id}-clean")
        for step in journey.steps:
            marks = [pytest.mark.xfail(strict=True, reason=journey.wrong[step])] if step in journey.wrong else []
            yield pytest.param(journey, step, id=f"{journey.id}-{step}", marks=marks)


def test_every_kill_point_has_its_row():
    for journey in JOURNEYS:
        assert list(journey.table) == journey.kill_points, journey.id
        assert set(journey.wrong) <= set(journey.steps), journey.id


@pytest.mark.parametrize(("journey", "step"), list(_cases()))
def test_crash_point(journey: Journey, step: str | None, sim_url, config, tmp_path):  # noqa: F811
    customer = journey.new_customer(sim_url)
    if step is None:  # the clean run: the journey's steps are the table's
        done = run_kiosk(customer.args, tmp_path, stdin=customer.stdin, KIOSK_CONFIG=config)
        assert done.returncode == 0, done.stdout + done.stderr
        assert json.loads(done.stdout)["status"] == "completed"
        assert visit_steps(tmp_path) == journey.steps
        assert outcome(journey, sim_url, tmp_path, customer) == journey.table["COMPLETED"]
        return
    killed = run_kiosk(customer.args, tmp_path, stdin=customer.stdin, KIOSK_CONFIG=config, KIOSK_CRASH_AFTER=step)
    assert killed.returncode == -signal.SIGKILL, killed.stdout + killed.stderr
    landed = journey.landing(step)  # `step` itself unless it shares its commit with the next
    assert visit_steps(tmp_path)[-1] == landed
    recovered = run_kiosk(["recover", "--json"], tmp_path, KIOSK_CONFIG=config)
    assert recovered.stderr == "" and "Traceback" not in recovered.stdout, recovered.stdout + recovered.stderr
    report = json.loads(recovered.stdout)
    expected = journey.table[landed]
    assert outcome(journey, sim_url, tmp_path, customer) == expected
    with journal_of(tmp_path) as journal:
        (visit,) = journal.visits()
    needs_a_person = set(report["suspect"]) | {v if isinstance(v, str) else v.get("visit_id") for v in report["escalated"]}
    # A visit left for a supervisor is one `kiosk recover` names; anything else it settled itself.
    assert (visit.visit_id in needs_a_person) == (expected.state == "suspect"), report
    if expected.state != "suspect":
        assert recovered.returncode == 0, recovered.stdout
    if visit.visit_id in {e["visit_id"] for e in report["escalated"]}:  # a person must act: the exit says so
        assert recovered.returncode == 1, recovered.stdout
