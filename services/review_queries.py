"""Reviews' read side for the pages of other modules (the ``reviews`` slots of products and
vendors, see services/review_slots.py): a summary and one page of reviews, newest first.

Each answer runs the same queries whatever the number of reviews: the stars counted by number
(which also gives the total for the pager), one page of reviews with their buyers, and for a
shop the products each reviewed order held."""

from __future__ import annotations

from django.db.models import Count, Prefetch

from marketplace.orders.models import OrderLine, Review
from services.catalog_queries import url_for
from services.review_slots import PAGE_SIZE, RatingSummary, ReviewedProduct, ReviewRow, ReviewsPage
from services.vendor_slots import PageOf, page_bounds

MAX_PAGE = 100_000


def public_name(user) -> str:
    """The reviewer as others may see them: the display name, else the username, and never
    anything shaped like an e-mail address (usernames may hold an "@")."""
    for name in (user.display_name, user.username):
        name = (name or "").strip()
        if name and "@" not in name:
            return name
    return "A buyer"


class ReviewQueries:
    def __init__(self, *, page_size: int = PAGE_SIZE):
        self.page_size = int(page_size)

    def for_product(self, *, product_id: int, page: int = 1) -> ReviewsPage:
        # One line per product in an order (the cart holds a product once), so no duplicates.
        reviews = Review.objects.filter(order__lines__product_id=int(product_id))
        return self._page(reviews, page, with_products=False)

    def for_shop(self, *, vendor_id: int, page: int = 1) -> ReviewsPage:
        return self._page(Review.objects.filter(order__vendor_id=int(vendor_id)), page, with_products=True)

    def _page(self, reviews, page: int, *, with_products: bool) -> ReviewsPage:
        by_stars = dict(reviews.values_list("rating").annotate(n=Count("pk")).order_by())
        summary = RatingSummary(by_stars=by_stars)
        count = summary.rating.count
        if not count:
            return ReviewsPage(summary=summary)
        number, offset, num_pages = page_bounds(count=count, page=min(max(1, int(page)), MAX_PAGE), size=self.page_size)
        rows = reviews.select_related("order__buyer").order_by("-created_at", "-pk")[offset : offset + self.page_size]
        if with_products:
            lines = OrderLine.objects.order_by("pk").only("order_id", "product_id", "title")
            rows = rows.prefetch_related(Prefetch("order__lines", queryset=lines))
        return ReviewsPage(
            summary=summary,
            page=PageOf(
                rows=tuple(self._row(review, with_products) for review in rows),
                number=number,
                num_pages=num_pages,
                count=count,
            ),
        )

    @staticmethod
    def _row(review: Review, with_products: bool) -> ReviewRow:
        products = ()
        if with_products:
            products = tuple(
                ReviewedProduct(line.title, url_for("products:detail", line.product_id))
                for line in review.order.lines.all()
            )
        return ReviewRow(
            id=review.pk,
            rating=review.rating,
            text=review.text,
            reviewer=public_name(review.order.buyer),
            created_at=review.created_at,
            products=products,
        )
