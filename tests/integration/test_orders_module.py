"""OrdersModule and NotificationsModule: metadata, health, demo data, configuration, reloads,
and what they plug into the wallets (escrow expectations) and vendors (ratings)."""

import sys

import pytest

from containers import ReloadFailed
from marketplace.orders.models import Order
from modules import NotificationsModule, OrdersModule
from tests.support.orders import escrow

pytestmark = pytest.mark.django_db


def escrow_check(container):
    report = container.wallets.ledger_auditor().audit()
    return next(c for c in report.checks if c.name == "escrow_matches_orders")


def test_metadata_and_dependencies(runtime):
    orders, notifications = OrdersModule(), NotificationsModule()
    assert orders.get_dependencies() == ["wallets>=1.0", "products>=1.0", "vendors>=1.0"]
    assert notifications.get_dependencies() == ["accounts>=1.0"]
    assert (orders.url_prefix, notifications.url_prefix) == ("orders/", "notifications/")
    assert not notifications.critical and orders.critical
    order = runtime.modules.initialization_order()
    assert order.index("orders") > max(order.index("wallets"), order.index("products"))
    for name in ("order_service", "cart_service", "order_queries", "message_service", "review_service"):
        assert runtime.services.get(name).module == "orders"
    assert runtime.services.get("notification_service").module == "notifications"


def test_both_are_ready_and_healthy(runtime, order_in):
    order_in("funded")
    order_in("shipped")
    health = runtime.modules.get("orders").get_module_health()
    assert health["status"] == "UP"
    assert health["checks"]["orders"]["detail"] == {
        "open": {"funded": 1, "shipped": 1},
        "escrow_sat": 240_000,
        "overdue": 0,
    }
    assert runtime.modules.get("notifications").get_module_health()["status"] == "UP"
    components = runtime.container.core.health_service().system()["components"]
    assert components["module.orders"]["status"] == components["orders.timeouts"]["status"] == "UP"


def test_orders_overdue_for_long_degrade_the_system(runtime, order_in, clock, fresh_health):
    order_in("funded")
    clock.advance(days=3, minutes=30)
    assert fresh_health.system()["components"]["orders.timeouts"]["status"] == "UP"  # within the grace
    fresh_health._memo.clear()
    clock.advance(hours=1)
    report = fresh_health.system()
    assert report["components"]["orders.timeouts"]["status"] == "DOWN" and report["status"] == "DEGRADED"
    assert "process_order_timeouts" in report["components"]["orders.timeouts"]["detail"]["error"]


def test_the_ledger_audit_checks_every_open_order_and_every_closed_escrow(container, market, order_in, wallet_service):
    open_ref, closed_ref = order_in("shipped"), order_in("completed")
    check = escrow_check(container)
    assert check.status == "ok" and "1 open order(s) checked by orders" in check.detail
    # Money left in a closed order's escrow is a finding...
    wallet_service.hold(buyer_id=market.buyer.pk, order_ref=closed_ref, amount_sat=5, idempotency_key="stray")
    check = escrow_check(container)
    assert check.status == "violation"
    assert check.examples == [{"order_ref": closed_ref, "escrow_sat": 5, "expected_sat": 0}]
    # ...and so is an open order whose escrow lost money.
    wallet_service.refund(order_ref=open_ref, buyer_id=market.buyer.pk, amount_sat=1, idempotency_key="leak")
    assert escrow(open_ref) == 119_999 and escrow_check(container).count == 2


def test_reloads_keep_the_escrow_source_and_the_ratings(
    runtime, container, market, order_in, review_service, vendor_service
):
    done = order_in("completed")
    review_service.leave(actor_id=market.buyer.pk, reference=done, rating=3)
    assert runtime.reload_module("orders").ok
    assert container.wallets.escrow_expectations().owners() == ["orders"]
    assert escrow_check(container).status == "ok"
    assert runtime.reload_module("wallets").ok
    assert container.wallets.escrow_expectations().owners() == ["orders"]
    order_in("funded")
    assert escrow_check(container).status == "ok" and "1 open order" in escrow_check(container).detail
    front = vendor_service.storefront(slug=market.vendor.shop_slug)
    assert front.rating.label == "3.0 / 5 from 1 review"
    assert isinstance(container.orders.order_service(), sys.modules["services.order_service"].OrderService)


def test_configuration_is_checked_and_swapped_by_reload(marketplace_config, container):
    with pytest.raises(ReloadFailed, match="commission_bps must be 0 to 10000"):
        with marketplace_config(orders={"commission_bps": 20_000}, reload=["orders"]):
            pass
    with marketplace_config(orders={"commission_bps": 500, "auto_finalize_days": 7}, reload=["orders"]):
        config = container.orders.order_service().get_required_config()
        assert (config["commission_bps"], config["auto_finalize_days"]) == (500, 7)
    assert container.orders.order_service().get_required_config()["commission_bps"] == 250


def test_commission_is_fixed_when_the_buyer_pays(marketplace_config, container, market, place, order_service):
    ref = place(market.buyer, {market.lamp: 1})
    with marketplace_config(orders={"commission_bps": 1_000}, reload=["order_service"]):
        service = container.orders.order_service()
        service.accept(actor_id=market.vendor.pk, reference=ref)
        service.ship(actor_id=market.vendor.pk, reference=ref)
        service.confirm(actor_id=market.buyer.pk, reference=ref)
    assert Order.objects.get(reference=ref).commission_sat == 3_000  # 2.5 %, as when it was bought


def test_demo_orders_in_every_state_and_idempotent(runtime):
    from marketplace.orders.models import Review

    lines = []
    for name in runtime.modules.initialization_order():
        lines += [f"{name}: {line}" for line in runtime.modules.get(name).load_demo_data()]
    demo_orders = Order.objects.filter(checkout__idempotency_key__startswith="demo-order-")
    states = dict(demo_orders.values_list("lines__title", "state"))
    assert states == {
        "Japanese pull saw": "funded",
        "A Wizard of Earthsea": "accepted",
        "Claw hammer, 16 oz": "shipped",
        "The Bitcoin Standard (used)": "completed",
        "Brass desk lamp": "disputed",
    }
    assert all(o.buyer.username == "alice" for o in demo_orders)
    assert Review.objects.get(order__in=demo_orders).rating == 5
    # marketplace/orders/demo_reviews.py: completed orders with words for the product and shop pages
    reviewed = Review.objects.exclude(order__in=demo_orders)
    assert reviewed.count() == 7 and all(r.text and r.order.state == "completed" for r in reviewed)
    assert {r.order.buyer.username for r in reviewed} == {"alice", "bob", "carol"}
    counts = Order.objects.count()
    again = runtime.modules.get("orders").load_demo_data()
    assert Order.objects.count() == counts and all("(already there)" in line for line in again)
    report = runtime.container.wallets.ledger_auditor().audit()
    assert report.ok, report.violations
