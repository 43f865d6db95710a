"""modkit stands alone: it imports nothing of the marketplace, and its modules import no cycle."""

import ast
import sys

from tests.support.imports import imports_of
from tests.support.projects import ROOT

PACKAGE = ROOT / "packages" / "django-modkit" / "modkit"
ALLOWED_THIRD_PARTY = {"django", "dependency_injector", "packaging", "wrapt"}
# Optional (django-modkit[cluster]): only the cluster broadcast uses it, imported when it is used.
OPTIONAL = {"redis": "cluster.py"}


def package_graph() -> dict[str, set[str]]:
    names = {
        ".".join(("modkit", *p.relative_to(PACKAGE).with_suffix("").parts)).removesuffix(".__init__"): p
        for p in PACKAGE.rglob("*.py")
    }
    return {name: {i for i in imports_of(path) if i in names and i != name} for name, path in names.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    found, state = [], {}

    def visit(node, path):
        state[node] = "open"
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                found.append(path[path.index(nxt) :] + [nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    return found


def test_modkit_imports_only_its_declared_dependencies_and_itself():
    stdlib = set(sys.stdlib_module_names)
    outside = {}
    for path in PACKAGE.rglob("*.py"):
        for name in imports_of(path):
            top = name.split(".")[0]
            if top in OPTIONAL and OPTIONAL[top] == path.name:
                continue
            if top not in stdlib and top not in ALLOWED_THIRD_PARTY and top != "modkit":
                outside.setdefault(path.name, set()).add(name)
    assert outside == {}


def test_optional_dependencies_are_imported_only_where_used():
    for name, filename in OPTIONAL.items():
        tree = ast.parse((PACKAGE / filename).read_text())
        top_level = {alias.name for node in tree.body if isinstance(node, ast.Import) for alias in node.names}
        assert name not in top_level, f"{filename} imports {name} at import time"


def test_modkit_has_no_import_cycle():
    graph = package_graph()
    # The check sees the edges that made the old cycle (runtime -> base, base -> current).
    assert "modkit.base" in graph["modkit.runtime"]
    assert cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]


def test_modkit_ships_no_templates_that_could_shadow_a_projects():
    assert not list(PACKAGE.rglob("*.html"))
