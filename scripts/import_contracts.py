"""Custom import-linter contract of La-Lisa: no import cycle between modules.

Loaded by ``lint-imports`` through ``contract_types`` in ``pyproject.toml``. The stock contracts
check direction between packages; this one checks that no module reaches itself again through
its imports, counting every import statement (inside functions and ``TYPE_CHECKING`` blocks
too), so a cycle cannot hide behind a deferred import.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from grimp import ImportGraph
from importlinter.application import output
from importlinter.domain import fields
from importlinter.domain.contract import Contract, ContractCheck


def strongly_connected(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Return the groups of two or more modules that import each other (Tarjan, iterative).

    Args:
        graph: Module → the modules it imports directly.

    Returns:
        Each cycle's modules, sorted; the cycles sorted by their first module.
    """
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work: list[tuple[str, list[str]]] = [(root, sorted(graph[root]))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, pending = work[-1]
            if pending:
                child = pending.pop()
                if child not in graph:
                    continue
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, sorted(graph[child])))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    found.append(sorted(group))
    return sorted(found)


class AcyclicModulesContract(Contract):
    """No module of ``packages`` imports itself back through other modules of ``packages``."""

    type_name = "acyclic_modules"

    packages = fields.ListField(subfield=fields.StringField())

    def check(self, graph: ImportGraph, verbose: bool) -> ContractCheck:
        """Find the cycles among the modules of the configured packages."""
        roots = [str(package) for package in self.packages]  # type: ignore[attr-defined]
        modules = {module for root in roots for module in (graph.find_descendants(root) | {root})}
        imports = {
            module: graph.find_modules_directly_imported_by(module) & modules
            for module in sorted(modules)
        }
        cycles = strongly_connected(imports)
        return ContractCheck(kept=not cycles, metadata={"cycles": cycles})

    def render_broken_contract(self, check: ContractCheck) -> None:
        """Name the modules of each cycle."""
        for cycle in check.metadata["cycles"]:
            output.print_error("These modules import each other: " + ", ".join(cycle))
            output.new_line()
