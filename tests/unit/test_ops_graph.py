"""The module graph laid out for the ops page's SVG."""

from django.template.loader import render_to_string

from marketplace.ops.graph import NODE_WIDTH, depths, layout

MODULES = [
    {"name": "accounts", "version": "1.0.0", "state": "ready", "dependency_names": []},
    {"name": "wallets", "version": "1.2.0", "state": "failed", "dependency_names": ["accounts"]},
    {"name": "catalog", "version": "0.9.0", "state": "ready", "dependency_names": ["accounts"]},
    {"name": "orders", "version": "1.0.0", "state": "registered", "dependency_names": ["wallets", "catalog"]},
]


def test_depth_is_the_longest_path_to_a_root():
    assert depths(MODULES) == {"accounts": 0, "wallets": 1, "catalog": 1, "orders": 2}


def test_a_cycle_or_unknown_dependency_cannot_hang_the_layout():
    looped = [
        {"name": "a", "version": "1", "state": "ready", "dependency_names": ["b", "ghost"]},
        {"name": "b", "version": "1", "state": "ready", "dependency_names": ["a"]},
    ]
    graph = layout(looped)
    assert {n.name for n in graph.nodes} == {"a", "b"}
    assert {(e.source, e.target) for e in graph.edges} == {("a", "b"), ("b", "a")}


def test_every_arrow_points_left_to_what_a_module_needs():
    graph = layout(MODULES)
    nodes = {n.name: n for n in graph.nodes}
    assert {(e.source, e.target) for e in graph.edges} == {
        ("wallets", "accounts"),
        ("catalog", "accounts"),
        ("orders", "wallets"),
        ("orders", "catalog"),
    }
    for edge in graph.edges:
        assert edge.x1 == nodes[edge.source].x
        assert edge.x2 == nodes[edge.target].x + NODE_WIDTH + 2
        assert edge.x2 < edge.x1
    # Modules of one column never overlap; the canvas holds every node.
    assert nodes["wallets"].x == nodes["catalog"].x and nodes["wallets"].y != nodes["catalog"].y
    assert all(n.x + NODE_WIDTH <= graph.width and n.y <= graph.height for n in graph.nodes)


def test_the_svg_colours_each_module_by_its_state():
    svg = render_to_string("ops/_graph.svg", {"graph": layout(MODULES)})
    assert svg.startswith("<svg")
    assert '<g class="node up" data-module="accounts" data-state="ready">' in svg
    assert '<g class="node down" data-module="wallets" data-state="failed">' in svg
    assert '<g class="node waiting" data-module="orders" data-state="registered">' in svg
    assert svg.count('marker-end="url(#arrow)"') == 4
    assert "<script" not in svg and "http://" not in svg.replace("http://www.w3.org/2000/svg", "")


def test_names_are_escaped_in_the_svg():
    svg = render_to_string(
        "ops/_graph.svg",
        {"graph": layout([{"name": "x<y", "version": "1&2", "state": "ready", "dependency_names": []}])},
    )
    assert "x&lt;y" in svg and "1&amp;2" in svg and "x<y" not in svg
