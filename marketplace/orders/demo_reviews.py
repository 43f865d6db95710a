"""Demo reviews: completed orders whose buyers say what they thought, so the product pages, shop
pages and catalog cards have ratings and words to show. Each order is paid from its buyer's demo
balance, walked to completed and reviewed once; safe to run again (a checkout key pays once, an
order is reviewed once)."""

from django.contrib.auth import get_user_model

from marketplace.orders.models import Order, Review
from services import order_states as states
from services.errors import ServiceError

# (checkout key, buyer, product title, stars, what they wrote)
DEMO_REVIEWS = [
    (
        "demo-review-lamp-alice",
        "alice",
        "Brass desk lamp",
        4,
        "The brass is heavier than it looks and the braided cord is a lovely touch.\n"
        "The switch was a little stiff for the first few days.",
    ),
    (
        "demo-review-lamp-carol",
        "carol",
        "Brass desk lamp",
        5,
        "Lights my reading corner perfectly. Packed in so much paper it could have survived a fall.",
    ),
    (
        "demo-review-hammer-alice",
        "alice",
        "Claw hammer, 16 oz",
        5,
        "Well balanced; the ash handle takes the sting out of a long afternoon of nailing.",
    ),
    (
        "demo-review-hammer-carol",
        "carol",
        "Claw hammer, 16 oz",
        4,
        "Solid hammer. The claw could be a touch sharper for pulling small nails.",
    ),
    (
        "demo-review-saw-alice",
        "alice",
        "Japanese pull saw",
        4,
        "Cuts clean and thin once you stop pushing it.\nA spare blade in the box would have been nice.",
    ),
    (
        "demo-review-earthsea-bob",
        "bob",
        "A Wizard of Earthsea",
        5,
        "A beautiful hardback reprint, exactly as described. Carol added a handwritten bookmark.",
    ),
    (
        "demo-review-lamps-guide-bob",
        "bob",
        "Field guide to lamps and lighting",
        3,
        "Useful chapters on rewiring old lamps safely, but the photographs are small and grey.",
    ),
]


def load_demo_reviews(container) -> list[str]:
    from marketplace.products.models import Product

    names = {buyer for _, buyer, _, _, _ in DEMO_REVIEWS}
    users = {u.username: u for u in get_user_model().objects.filter(username__in=names)}
    products = dict(
        Product.objects.filter(vendor__user__username__in=["bob", "carol"], deleted_at=None).values_list("title", "id")
    )
    orders, reviews = container.order_service(), container.review_service()
    lines = []
    for key, buyer_name, title, stars, text in DEMO_REVIEWS:
        buyer = users.get(buyer_name)
        if buyer is None or title not in products:
            lines.append(f"{key}: skipped, no demo user {buyer_name!r} or product {title!r}")
            continue
        try:
            reference = orders.checkout(buyer_id=buyer.pk, idempotency_key=key, items={products[title]: 1}).references[
                0
            ]
            order = Order.objects.select_related("vendor__user").get(reference=reference)
            vendor_id = order.vendor.user_id
            if order.state == states.FUNDED:
                orders.accept(actor_id=vendor_id, reference=reference)
            if Order.objects.filter(reference=reference, state=states.ACCEPTED).exists():
                orders.ship(actor_id=vendor_id, reference=reference, tracking_note="Posted with tracking.")
            if Order.objects.filter(reference=reference, state=states.SHIPPED).exists():
                orders.confirm(actor_id=buyer.pk, reference=reference)
            already = Review.objects.filter(order__reference=reference).exists()
            if not already:
                reviews.leave(actor_id=buyer.pk, reference=reference, rating=stars, text=text)
        except ServiceError as error:
            lines.append(f"{key}: not reviewed: {error.message}")
            continue
        lines.append(
            f"{reference} ({title}): reviewed by {buyer_name}, {stars} stars{' (already there)' if already else ''}"
        )
    return lines
