"""The layering the README promises, checked: import-linter runs every contract in
pyproject.toml ([tool.importlinter]) over the installed code, and a broken one fails here;
and no module of kiosk/ or drivers/ takes part in an import cycle."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[2]

def test_every_import_contract_is_kept() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "0 broken" in done.stdout


def import_cycles() -> list[list[str]]:
    """Every strongly connected component of more than one module in the import graph of
    kiosk and drivers (Tarjan's algorithm). An import inside a function counts: it runs.
    One under `if TYPE_CHECKING:` does not: it never runs, and it is how a module names a type
    it takes from a module that imports it. (The one such loop today: kiosk.desks.base and
    kiosk.teller.recovery name `Teller` for their annotations, and kiosk.teller.teller imports the
    recovery engine, which dispatches to the desks. The import-linter layer contract, which
    does count those imports, keeps teller and desks as siblings that may import each other.)"""
    graph = grimp.build_graph("kiosk", "drivers", exclude_type_checking_imports=True, cache_dir=None)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(module: str) -> None:
        # Recursion depth is bounded by the longest import chain (a few dozen modules).
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component: list[str] = []
            while not component or component[-1] != module:
                component.append(stack.pop())
                on_stack.discard(component[-1])
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return sorted(cycles)


def _chain(cycle: list[str]) -> str:
    return " <-> ".join(cycle)


def test_no_import_cycles() -> None:
    cycles = import_cycles()
    assert not cycles, "import cycles (each line one strongly connected set of modules):\n" + "\n".join(map(_chain, cycles))
