"""The module dependency graph laid out for a server-rendered SVG: no script, no external asset.

Modules sit in columns by depth (a module is one column right of its deepest dependency), so
every arrow points left, from a module to what it needs.
"""

from dataclasses import dataclass

NODE_WIDTH = 168
NODE_HEIGHT = 52
COLUMN_GAP = 72
ROW_GAP = 24
MARGIN = 16

STATE_CLASSES = {"ready": "up", "failed": "down", "registered": "waiting", "stopped": "stopped"}


@dataclass(frozen=True)
class Node:
    name: str
    version: str
    state: str
    x: int
    y: int

    @property
    def css(self) -> str:
        return STATE_CLASSES.get(self.state, "waiting")

    @property
    def cx(self) -> int:
        return self.x + NODE_WIDTH // 2

    @property
    def text_y(self) -> int:
        return self.y + 22

    @property
    def sub_y(self) -> int:
        return self.y + 40


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    x1: int
    y1: int
    x2: int
    y2: int
    missing: bool = False


@dataclass(frozen=True)
class Graph:
    nodes: list[Node]
    edges: list[Edge]
    width: int
    height: int


def depths(modules: list[dict]) -> dict[str, int]:
    """Longest path to a module with no (known) dependency; cycles are cut where met."""
    deps = {m["name"]: [d for d in m["dependency_names"] if d != m["name"]] for m in modules}
    memo: dict[str, int] = {}

    def depth(name: str, path: frozenset) -> int:
        if name in memo:
            return memo[name]
        known = [d for d in deps.get(name, []) if d in deps and d not in path]
        value = 0 if not known else 1 + max(depth(d, path | {name}) for d in known)
        memo[name] = value
        return value

    return {name: depth(name, frozenset()) for name in deps}


def layout(modules: list[dict]) -> Graph:
    """``modules``: dicts with ``name``, ``version``, ``state`` and ``dependency_names``."""
    level = depths(modules)
    columns: dict[int, list[dict]] = {}
    for module in sorted(modules, key=lambda m: (level[m["name"]], m["name"])):
        columns.setdefault(level[module["name"]], []).append(module)
    nodes: dict[str, Node] = {}
    for column, members in columns.items():
        for row, module in enumerate(members):
            nodes[module["name"]] = Node(
                name=module["name"],
                version=module["version"],
                state=module["state"],
                x=MARGIN + column * (NODE_WIDTH + COLUMN_GAP),
                y=MARGIN + row * (NODE_HEIGHT + ROW_GAP),
            )
    edges = []
    for module in modules:
        source = nodes[module["name"]]
        for dependency in module["dependency_names"]:
            target = nodes.get(dependency)
            if target is None:
                continue
            edges.append(
                Edge(
                    source=source.name,
                    target=target.name,
                    x1=source.x,
                    y1=source.y + NODE_HEIGHT // 2,
                    x2=target.x + NODE_WIDTH + 2,
                    y2=target.y + NODE_HEIGHT // 2,
                )
            )
    columns_used = (max(columns) + 1) if columns else 1
    rows_used = max((len(m) for m in columns.values()), default=1)
    return Graph(
        nodes=list(nodes.values()),
        edges=edges,
        width=2 * MARGIN + columns_used * NODE_WIDTH + (columns_used - 1) * COLUMN_GAP,
        height=2 * MARGIN + rows_used * NODE_HEIGHT + (rows_used - 1) * ROW_GAP,
    )
