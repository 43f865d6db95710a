"""The dependency graph between apps: edges with their evidence, cycles with their path, an order.

Pure logic, no Django: the command feeds it edges found in model relations and in imports.
"""

from collections.abc import Iterable
from dataclasses import dataclass

MAX_CYCLES = 50  # a tangled project has exponentially many; the first fifty say enough


@dataclass(frozen=True)
class Edge:
    """``source`` needs ``target``: ``kind`` is ``relation`` or ``import``; ``detail`` says where."""

    source: str
    target: str
    kind: str
    detail: str
    file: str = ""
    line: int = 0

    def as_dict(self) -> dict:
        return dict(self.__dict__)

    def __str__(self) -> str:
        where = f" ({self.file}:{self.line})" if self.file else ""
        return f"{self.kind}: {self.detail}{where}"


class DependencyGraph:
    def __init__(self, nodes: Iterable[str]):
        self.nodes: list[str] = list(dict.fromkeys(nodes))
        self._rank = {name: i for i, name in enumerate(self.nodes)}
        self._edges: dict[tuple[str, str], list[Edge]] = {}

    def add(self, edge: Edge) -> None:
        if edge.source == edge.target:
            return
        for name in (edge.source, edge.target):
            if name not in self._rank:
                self._rank[name] = len(self.nodes)
                self.nodes.append(name)
        evidence = self._edges.setdefault((edge.source, edge.target), [])
        if edge not in evidence:
            evidence.append(edge)

    def dependencies(self, node: str) -> list[str]:
        return sorted((t for s, t in self._edges if s == node), key=self._rank.__getitem__)

    def dependants(self, node: str) -> list[str]:
        return sorted((s for s, t in self._edges if t == node), key=self._rank.__getitem__)

    def evidence(self, source: str, target: str) -> list[Edge]:
        return list(self._edges.get((source, target), ()))

    def edges(self) -> list[Edge]:
        return [edge for key in sorted(self._edges, key=self._key) for edge in self._edges[key]]

    def _key(self, pair: tuple[str, str]) -> tuple[int, int]:
        return self._rank[pair[0]], self._rank[pair[1]]

    def cycles(self) -> list[list[str]]:
        """Each elementary cycle once, as a closed path from its earliest node: ``[a, b, a]``."""
        found: list[list[str]] = []

        def walk(start: str, current: str, path: list[str]) -> None:
            for nxt in self.dependencies(current):
                if len(found) >= MAX_CYCLES:
                    return
                if nxt == start:
                    found.append(path + [start])
                elif nxt not in path and self._rank[nxt] > self._rank[start]:
                    walk(start, nxt, path + [nxt])

        for node in self.nodes:
            walk(node, node, [node])
        return found

    def order(self, selected: Iterable[str] | None = None) -> list[str]:
        """``selected`` (default: all) with dependencies first; ties keep the given order.

        Nodes on a cycle cannot all come after each other: the one met first goes first.
        """
        wanted = list(dict.fromkeys(selected if selected is not None else self.nodes))
        chosen = set(wanted)
        order: list[str] = []
        done: set[str] = set()
        visiting: set[str] = set()

        def visit(node: str) -> None:
            # Through unselected apps too: a -> b -> c puts c before a even when b is left out.
            if node in done or node in visiting:
                return
            visiting.add(node)
            for dep in self.dependencies(node):
                visit(dep)
            visiting.discard(node)
            done.add(node)
            if node in chosen:
                order.append(node)

        for node in wanted:
            visit(node)
        return order


def format_cycle(cycle: list[str]) -> str:
    return " -> ".join(cycle)
