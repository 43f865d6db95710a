"""The app dependency graph of ``migrate_to_modules``: cycles with their path, dependency order."""

from modkit.modularize.graph import DependencyGraph, Edge, format_cycle


def graph(*pairs: str, nodes: str = "") -> DependencyGraph:
    g = DependencyGraph(nodes.split() if nodes else [])
    for pair in pairs:
        source, target = pair.split(">")
        g.add(Edge(source, target, "import", f"{source} imports {target}"))
    return g


def test_a_two_app_cycle_is_reported_once_with_its_full_path():
    g = graph("shop>inventory", "inventory>shop", "blog>inventory", nodes="inventory shop blog")
    assert g.cycles() == [["inventory", "shop", "inventory"]]
    assert format_cycle(g.cycles()[0]) == "inventory -> shop -> inventory"


def test_longer_and_overlapping_cycles_are_each_found():
    g = graph("a>b", "b>c", "c>a", "b>a", nodes="a b c")
    assert sorted(map(tuple, g.cycles())) == [("a", "b", "a"), ("a", "b", "c", "a")]


def test_an_acyclic_graph_has_no_cycles_and_orders_dependencies_first():
    g = graph(
        "orders>wallets",
        "orders>catalog",
        "catalog>accounts",
        "wallets>accounts",
        nodes="orders wallets catalog accounts",
    )
    assert g.cycles() == []
    order = g.order()
    assert order.index("accounts") < order.index("wallets") < order.index("orders")
    assert order.index("catalog") < order.index("orders")


def test_order_of_a_selection_keeps_only_the_selected_apps():
    g = graph("orders>wallets", "wallets>accounts", nodes="orders wallets accounts")
    assert g.order(["orders", "accounts"]) == ["accounts", "orders"]


def test_order_terminates_on_a_cycle():
    g = graph("a>b", "b>a", nodes="a b")
    assert sorted(g.order()) == ["a", "b"]


def test_self_edges_are_ignored_and_evidence_is_kept_per_pair():
    g = DependencyGraph(["shop", "inventory"])
    g.add(Edge("shop", "shop", "import", "from . import models"))
    g.add(
        Edge(
            "shop",
            "inventory",
            "relation",
            "shop.OrderLine.product -> inventory.Product (ForeignKey)",
        )
    )
    g.add(
        Edge(
            "shop",
            "inventory",
            "import",
            "from inventory.models import Product",
            "shop/models.py",
            4,
        )
    )
    g.add(
        Edge(
            "shop",
            "inventory",
            "import",
            "from inventory.models import Product",
            "shop/models.py",
            4,
        )
    )
    assert g.dependencies("shop") == ["inventory"]
    assert g.dependants("inventory") == ["shop"]
    assert [e.kind for e in g.evidence("shop", "inventory")] == ["relation", "import"]
    assert str(g.evidence("shop", "inventory")[1]) == "import: from inventory.models import Product (shop/models.py:4)"
