"""Demo orders: alice buys from bob and carol, paid from her demo balance, and each order is
walked to a different state. Safe to run again: a checkout key pays once, and an order only
moves forward to where its demo wants it."""

from django.contrib.auth import get_user_model

from marketplace.orders.models import Order
from services import order_states as states
from services.errors import ServiceError

# (checkout key, product title, steps after payment)
DEMO_ORDERS = [
    ("demo-order-funded", "Japanese pull saw", []),
    ("demo-order-accepted", "A Wizard of Earthsea", ["accept"]),
    ("demo-order-shipped", "Claw hammer, 16 oz", ["accept", "ship"]),
    ("demo-order-completed", "The Bitcoin Standard (used)", ["accept", "ship", "confirm", "review"]),
    ("demo-order-disputed", "Brass desk lamp", ["accept", "ship", "dispute"]),
]
# Where each step leaves the order: a step is skipped once the order is there (or beyond).
REACHED = {"accept": states.ACCEPTED, "ship": states.SHIPPED, "confirm": states.COMPLETED, "dispute": states.DISPUTED}
ORDER = [states.FUNDED, states.ACCEPTED, states.SHIPPED, states.COMPLETED]


def load_demo_orders(container) -> list[str]:
    from marketplace.products.models import Product

    users = {u.username: u for u in get_user_model().objects.filter(username__in=["alice", "bob", "carol"])}
    if len(users) < 3:
        return ["demo orders skipped: load the accounts demo data first (alice, bob, carol)"]
    products = dict(
        Product.objects.filter(vendor__user__username__in=["bob", "carol"], deleted_at=None).values_list("title", "id")
    )
    service, reviews, threads = container.order_service(), container.review_service(), container.message_service()
    alice = users["alice"]
    lines = []
    for key, title, steps in DEMO_ORDERS:
        if title not in products:
            lines.append(f"{key}: skipped, no demo product {title!r}")
            continue
        try:
            result = service.checkout(buyer_id=alice.pk, idempotency_key=key, items={products[title]: 1})
            reference = result.references[0]
            order = Order.objects.select_related("vendor__user").get(reference=reference)
            vendor = order.vendor.user
            for step in steps:
                _step(step, order, alice, vendor, service, reviews, threads)
                order.refresh_from_db()
        except ServiceError as error:
            lines.append(f"{key}: not placed: {error.message}")
            continue
        lines.append(
            f"{reference} ({title}): {states.label(order.state).lower()}{' (already there)' if result.replayed else ''}"
        )
    return lines


def _step(step, order, alice, vendor, service, reviews, threads) -> None:
    ref = order.reference
    if step == "review":
        if order.state == states.COMPLETED and not hasattr(order, "review"):
            reviews.leave(actor_id=alice.pk, reference=ref, rating=5, text="Exactly as described, quick delivery.")
        return
    target = REACHED[step]
    if order.state == target or _beyond(order.state, target):
        return
    if step == "accept":
        service.accept(actor_id=vendor.pk, reference=ref)
    elif step == "ship":
        service.ship(actor_id=vendor.pk, reference=ref, tracking_note="Posted with tracking number DEMO-0042.")
    elif step == "confirm":
        service.confirm(actor_id=alice.pk, reference=ref)
    elif step == "dispute":
        threads.post(actor_id=alice.pk, reference=ref, body="Hello, the lamp arrived but its shade is dented.")
        service.open_dispute(
            actor_id=alice.pk,
            reference=ref,
            reason="The lamp arrived with a dented shade; I would like a partial refund.",
        )


def _beyond(state: str, target: str) -> bool:
    if state not in ORDER or target not in ORDER:
        return state in states.CLOSED or state == states.DISPUTED
    return ORDER.index(state) > ORDER.index(target)
