"""Fixtures for the orders and notifications modules: services, a clock tests move, a market
(a funded buyer, a vendor with products), and orders walked to a given state."""

import itertools
from dataclasses import dataclass

import pytest
from django.utils import timezone

from services.clock import ManualClock

_keys = itertools.count(1)


@pytest.fixture
def order_service(container, clock):
    return container.orders.order_service()


@pytest.fixture
def cart_service(container, clock):
    return container.orders.cart_service()


@pytest.fixture
def order_queries(container):
    return container.orders.order_queries()


@pytest.fixture
def message_service(container, clock):
    return container.orders.message_service()


@pytest.fixture
def review_service(container, clock):
    return container.orders.review_service()


@pytest.fixture
def clock(container):
    """A ``ManualClock`` in force for every service built during the test (then undone); the
    orders fixtures' services are built on it."""
    manual = ManualClock(timezone.now().replace(microsecond=0))
    with container.core.clock.override(manual):
        yield manual


@dataclass
class Market:
    buyer: object
    vendor: object
    lamp: int  # product ids
    saw: int
    staff: object


@pytest.fixture
def market(make_user, make_vendor, make_product, fund, make_staff):
    """A buyer with 1,000,000 sat; a vendor with a lamp (120,000 sat, 5 in stock) and a saw
    (60,000 sat, 3 in stock); a finance staff member, who rules on disputes."""
    buyer = make_user("buyer")
    fund(buyer, 1_000_000)
    vendor = make_vendor("vendor")
    lamp = make_product(vendor, title="Brass desk lamp", price_sat=120_000, stock=5)
    saw = make_product(vendor, title="Japanese pull saw", price_sat=60_000, stock=3, category="tools")
    return Market(buyer=buyer, vendor=vendor, lamp=lamp, saw=saw, staff=make_staff("finance", username="finance"))


def next_key() -> str:
    return f"test-checkout-{next(_keys)}"


@pytest.fixture
def place(order_service):
    """``place(buyer, {product_id: quantity})`` -> the reference of the (single-vendor) order."""

    def buy(buyer, items: dict, *, key: str | None = None) -> str:
        result = order_service.checkout(buyer_id=buyer.pk, idempotency_key=key or next_key(), items=items)
        assert len(result.references) == 1, result
        return result.references[0]

    return buy


@pytest.fixture
def order_in(market, place, order_service):
    """``order_in("shipped")`` -> a reference of a lamp order walked to that state."""

    def walk(state: str, *, quantity: int = 1) -> str:
        ref = place(market.buyer, {market.lamp: quantity})
        path = {
            "funded": [],
            "accepted": ["accept"],
            "shipped": ["accept", "ship"],
            "completed": ["accept", "ship", "confirm"],
            "disputed": ["accept", "ship", "dispute"],
            "cancelled": ["cancel"],
            "declined": ["decline"],
        }[state]
        for step in path:
            if step in ("accept", "ship", "decline"):
                getattr(order_service, step)(actor_id=market.vendor.pk, reference=ref)
            elif step == "dispute":
                order_service.open_dispute(
                    actor_id=market.buyer.pk, reference=ref, reason="The lamp never arrived at my address."
                )
            else:
                getattr(order_service, step)(actor_id=market.buyer.pk, reference=ref)
        return ref

    return walk


def order_row(reference: str):
    from marketplace.orders.models import Order

    return Order.objects.get(reference=reference)


def balance(user) -> int:
    from marketplace.wallets.models import Account

    return Account.objects.filter(code=f"user:{user.pk}").values_list("balance_sat", flat=True).first() or 0


def escrow(reference: str) -> int:
    from marketplace.wallets.models import Account

    return Account.objects.filter(code=f"escrow:{reference}").values_list("balance_sat", flat=True).first() or 0


def stock(product_id: int) -> int:
    from marketplace.products.models import Product

    return Product.objects.get(pk=product_id).stock


__all__ = [  # the fixtures tests/conftest.py imports
    "cart_service",
    "clock",
    "market",
    "message_service",
    "order_in",
    "order_queries",
    "order_service",
    "place",
    "review_service",
]
