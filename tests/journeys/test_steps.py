"""Every step a desk writes is a member of its Step enum (kiosk.teller.steps.Step for the shared
ones, the desk's own for the rest), and no desk module spells a step as a bare string: a typo
in a step name would make recovery's tables silently miss it."""

from __future__ import annotations

import ast
import inspect
from enum import StrEnum

import pytest

from kiosk.desks import base, flexiti, giftcards, rapyd, sdkwallet, table
from kiosk.teller import recovery
from kiosk.teller import teller as till_services
from kiosk.teller.steps import Step, WalletStep
from tests.journeys.test_desk_protocol import begin

OWN: dict[str, type[StrEnum]] = {
    "rapyd": WalletStep, "pospointe": giftcards.GiftCardStep, "sdkfinance": sdkwallet.SdkStep,
    "flexiti": flexiti.FlexitiStep,
}


@pytest.mark.parametrize("backend", list(OWN))
def test_every_step_of_a_clean_visit_is_in_the_desks_enum(demo, sims, teller, backend):
    desk, visit, action = begin(teller, sims, backend)
    desk.move(visit, action, "20")
    teller.wait_for_drawer_close(visit, 3.0)
    desk.finish(visit)
    visits = [visit]
    if backend != "rapyd":  # the wallet's code opens one session only
        again, cancelled, _ = begin(teller, sims, backend)
        again.cancel(cancelled)
        visits.append(cancelled)
    steps = {row.step for v in visits for row in teller.journal.rows(v.visit_id)}
    known = set(Step) | set(OWN[backend])
    assert steps <= known, f"steps outside the enums: {sorted(steps - known)}"
    assert steps & set(OWN[backend]), "the journey wrote none of its own steps"
    # a member is its string: the journal (and so the export and `kiosk txn --json`) is unchanged
    assert all(type(row.step) is str for row in teller.journal.rows(visit.visit_id))


def bare_step_strings(source: str, name: str) -> list[str]:
    """String literals naming a step, outside the enum classes and error codes."""
    names = {m.value for enum in (Step, WalletStep, *OWN.values()) for m in enum}
    tree = ast.parse(source)
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Constant) and node.value in names):
            continue
        parent = parents[node]
        if isinstance(parent, ast.keyword) and parent.arg == "code":  # an error code, not a step
            continue
        if isinstance(parent, ast.Call) and parent.args and parent.args[0] is node:
            called = parent.func.attr if isinstance(parent.func, ast.Attribute) else getattr(parent.func, "id", "")
            if called.endswith("Error"):  # TellerError("REVERSAL_FAILED", ...): a refusal's code
                continue
        if isinstance(parent, ast.Assign) and isinstance(parents.get(parent), ast.ClassDef) and \
                parents[parent].name in {e.__name__ for e in OWN.values()}:
            continue  # the enum's own definition
        found.append(f"{name}:{node.lineno} {node.value!r}")
    return found


@pytest.mark.parametrize(
    "module", [base, giftcards, sdkwallet, flexiti, rapyd, table, recovery, till_services], ids=lambda m: m.__name__
)
def test_no_desk_module_spells_a_step_as_a_bare_string(module):
    assert bare_step_strings(inspect.getsource(module), module.__name__) == []


def test_the_scan_finds_a_bare_step_and_spares_error_codes():
    source = 'journal.record(visit_id, "HOST_SENT")\nraise TellerError("REVERSAL_FAILED", "x", code="SUSPECT")\n'
    assert bare_step_strings(source, "fake") == ["fake:1 'HOST_SENT'"]
