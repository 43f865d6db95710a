"""The vendors module's section of the home page: a few open shops, the best rated first.

Kept in the page cache under ``catalog`` (every change to a shop bumps it, see
``VendorService._touch``) and ``shops``; reviews reach it through the ``ratings`` slot, whose
new entries bump ``catalog`` too (``ReviewService.leave`` refreshes the shop).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from services.catalog_queries import url_for
from services.vendor_slots import NO_RATING, VendorRating

if TYPE_CHECKING:
    from services.page_cache import VersionedPageCache
    from services.vendor_slots import NoRatings

CANDIDATES = 24  # the most recently opened shops, among which the best rated are shown


@dataclass(frozen=True)
class FeaturedShop:
    shop_name: str
    slug: str
    blurb: str
    rating: VendorRating

    @property
    def url(self) -> str:
        return url_for("vendors:storefront", self.slug)


class ShopHighlights:
    def __init__(self, *, page_cache: VersionedPageCache, ratings: NoRatings, limit: int = 4):
        self._cache = page_cache
        self._ratings = ratings  # the vendors' ``ratings`` slot: shaped like NoRatings
        self.limit = max(1, int(limit))

    def featured(self) -> tuple[FeaturedShop, ...]:
        """Open shops, best average first (then most reviews, then name): two queries, none when cached."""
        key = f"home:shops:{self.limit}"
        cached, stamp = self._cache.fetch(key, ["catalog", "shops"])
        if cached is not None:
            return cached
        from marketplace.vendors.models import Vendor

        rows = list(
            Vendor.objects.filter(status="approved", suspended_at=None)
            .order_by("-reviewed_at", "-pk")
            .values_list("pk", "shop_name", "slug", "description")[:CANDIDATES]
        )
        ratings = self._ratings.ratings_for(vendor_ids=[row[0] for row in rows]) if rows else {}
        shops = [
            FeaturedShop(name, slug, description.strip().split("\n", 1)[0][:140], ratings.get(pk, NO_RATING))
            for pk, name, slug, description in rows
        ]
        shops.sort(key=lambda shop: (-(shop.rating.average or 0), -shop.rating.count, shop.shop_name.lower()))
        found = tuple(shops[: self.limit])
        self._cache.store(key, stamp, found)
        return found
