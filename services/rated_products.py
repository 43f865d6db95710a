"""The orders module's section of the home page: the products with the best reviews.

A review rates an order; each product on the order shares its rating. The averages are
computed by the database (one query) and the tiles read in a second; the result is kept in the
page cache under ``catalog`` (a new review refreshes its shop, which bumps it; so does any
change to a product) and ``reviews``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from django.db.models import Count, F, FloatField, Sum
from django.db.models.functions import Cast

from services.catalog_highlights import highlight_cards
from services.catalog_queries import LISTED, ProductCard

if TYPE_CHECKING:
    from services.page_cache import VersionedPageCache


class RatedProducts:
    def __init__(self, *, page_cache: VersionedPageCache, limit: int = 4):
        self._cache = page_cache
        self.limit = max(1, int(limit))

    def best_rated(self) -> tuple[ProductCard, ...]:
        """Listed products by review average (then number of reviews), each tile's rating the
        one computed here from the reviews: two queries, none when cached."""
        key = f"home:best_rated:{self.limit}"
        cached, stamp = self._cache.fetch(key, ["catalog", "reviews"])
        if cached is not None:
            return cached
        from marketplace.orders.models import OrderLine
        from marketplace.products.models import Product

        averages = list(
            OrderLine.objects.filter(order__review__isnull=False, product__in=Product.objects.filter(LISTED))
            .values("product_id")
            .annotate(stars=Sum("order__review__rating"), reviews=Count("order__review"))
            .annotate(average=Cast(F("stars"), FloatField()) / F("reviews"))
            .order_by("-average", "-reviews", "product_id")
            .values_list("product_id", "stars", "reviews")[: self.limit]
        )
        cards = {}
        if averages:
            ids = [row[0] for row in averages]
            cards = {card.id: card for card in highlight_cards(Product.objects.filter(pk__in=ids), self.limit)}
        found = tuple(
            replace(cards[pid], rating_sum=stars, rating_count=reviews)
            for pid, stars, reviews in averages
            if pid in cards
        )
        self._cache.store(key, stamp, found)
        return found
