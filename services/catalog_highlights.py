"""The products module's sections of the home page: the newest listings and the categories.

Each is read in one query and kept in the page cache under the versions of what it shows
(``catalog``, ``categories``), so a new product or a price change shows on the very next request
and a repeated one runs no query at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.http import urlencode

from services.catalog_queries import LISTED, ProductCard, product_cards

if TYPE_CHECKING:
    from services.page_cache import VersionedPageCache


@dataclass(frozen=True)
class CategoryCount:
    name: str
    slug: str
    products: int

    @property
    def url(self) -> str:
        return f"{reverse('products:list')}?{urlencode({'category': self.slug})}"


def _products():
    from marketplace.products.models import Product

    return Product


def highlight_cards(queryset, limit: int) -> list[ProductCard]:
    """Tiles for the first ``limit`` products of ``queryset`` (ordered), with their first picture: one query."""
    return product_cards(queryset[:limit])


class CatalogHighlights:
    def __init__(self, *, page_cache: VersionedPageCache, limit: int = 8):
        self._cache = page_cache
        self.limit = max(1, int(limit))

    def newest(self) -> tuple[ProductCard, ...]:
        """The latest listings buyers can see, newest first: one query, none when cached."""
        key = f"home:newest:{self.limit}"
        cached, stamp = self._cache.fetch(key, ["catalog"])
        if cached is not None:
            return cached
        cards = tuple(highlight_cards(_products().objects.filter(LISTED).order_by("-created_at", "-id"), self.limit))
        self._cache.store(key, stamp, cards)
        return cards

    def categories(self) -> tuple[CategoryCount, ...]:
        """The top-level categories, each with the listed products under it (its own and its
        sub-categories'): one query, none when cached. Empty ones are left out."""
        key = "home:categories"
        cached, stamp = self._cache.fetch(key, ["catalog", "categories"])
        if cached is not None:
            return cached
        from marketplace.products.models import Category

        # Counted in subqueries, not joins: two joined counts would multiply each other's rows.
        # Products one level down count towards their parent (the depth the demo and shops use).
        rows = Category.objects.filter(parent=None).annotate(
            own=_count(category=OuterRef("pk")), below=_count(category__parent=OuterRef("pk"))
        )
        found = tuple(
            CategoryCount(name, slug, own + below)
            for name, slug, own, below in rows.order_by("position", "name").values_list("name", "slug", "own", "below")
            if own + below
        )
        self._cache.store(key, stamp, found)
        return found


def _count(**where):
    listed = _products().objects.filter(LISTED, **where).order_by().values(*where).annotate(n=Count("pk"))
    return Coalesce(Subquery(listed.values("n")[:1]), Value(0), output_field=IntegerField())
