"""No import cycle among the project's packages (and modkit), counting lazy imports, not type-only ones.

A cycle makes import order matter and hot reloads fragile; the modules once formed one of twelve
files (containers <-> modules.base <-> modules.registry and every built-in module).
"""

from pathlib import Path

from tests.support.imports import imports_of
from tests.support.projects import ROOT

PACKAGES = ("containers", "modules", "services", "marketplace")
MODKIT = ROOT / "packages" / "django-modkit"


def _name(path: Path, base: Path) -> str:
    parts = path.relative_to(base).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _files() -> dict[str, Path]:
    found = {_name(p, MODKIT): p for p in (MODKIT / "modkit").rglob("*.py")}
    for package in PACKAGES:
        found.update({_name(p, ROOT): p for p in (ROOT / package).rglob("*.py") if "migrations" not in p.parts})
    return found


def _graph() -> dict[str, set[str]]:
    files = _files()
    graph = {}
    for name, path in files.items():
        edges = set()
        for target in imports_of(path, type_only=False):
            while target and target not in files:
                target = target.rpartition(".")[0]
            if target and target != name:
                edges.add(target)
        graph[name] = edges
    return graph


def _cycle_groups(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one file (Tarjan, iterative)."""
    index, low, on_stack, stack, groups, counter = {}, {}, set(), [], [], 0
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, edges = work[-1]
            advanced = False
            for nxt in edges:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(graph[nxt]))))
                    advanced = True
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(sorted(group))
    return groups


def test_the_cycle_finder_finds_a_cycle():
    assert _cycle_groups({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_cycle_between_the_projects_files():
    assert _cycle_groups(_graph()) == []
