"""Buyers' reviews as the pages that show them see them, and the slot that brings them.

Reviews belong to the orders module (a buyer reviews a completed order), but the product page
(products) and the shop page (vendors) show them, and those modules must not import orders. So
both declare a ``reviews`` slot (``providers.Dependency``, default ``NoReviews``) that the orders
module fills with its ``review_queries``: an object with

* ``for_product(*, product_id, page)`` and ``for_shop(*, vendor_id, page)``, each returning a
  ``ReviewsPage`` (the summary and one page of reviews, newest first) in a fixed number of
  queries whatever the number of reviews.

Catalog cards do not use the slot: a product carries its own ``rating_sum``/``rating_count``,
kept by ``CatalogService.record_rating`` in the review's transaction (``Rating.of`` reads them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.utils.formats import localize
from django.utils.translation import gettext, gettext_noop, ngettext

from services.vendor_slots import PageOf

PAGE_SIZE = 10
STARS = (5, 4, 3, 2, 1)
# Marked only, translated in ``empty_note``: cached pages of reviews hold data, never a language.
EMPTY_NOTE = gettext_noop("No reviews yet — reviews come from buyers after a completed order.")


@dataclass(frozen=True)
class Rating:
    """An average of whole stars and how many reviews it is made of; exact, never a float."""

    stars_sum: int = 0
    count: int = 0

    @classmethod
    def of(cls, stars_sum: int | None, count: int | None) -> Rating:
        return cls(int(stars_sum or 0), int(count or 0))

    @property
    def average(self) -> Decimal | None:
        if not self.count:
            return None
        return (Decimal(self.stars_sum) / self.count).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)

    @property
    def stars(self) -> str:
        """Five star glyphs, the average rounded to whole stars (the text alternative says it exactly)."""
        full = int(self.average.to_integral_value(rounding=ROUND_HALF_UP)) if self.count else 0
        return "★" * full + "☆" * (5 - full)

    @property
    def count_label(self) -> str:
        return ngettext("%(count)s review", "%(count)s reviews", self.count) % {"count": self.count}

    @property
    def label(self) -> str:
        if not self.count:
            return gettext("No reviews yet")
        return ngettext(
            "Rated %(average)s out of 5, %(count)s review",
            "Rated %(average)s out of 5, %(count)s reviews",
            self.count,
        ) % {"average": localize(self.average), "count": self.count}


@dataclass(frozen=True)
class StarShare:
    stars: int
    count: int
    total: int

    @property
    def percent(self) -> int:
        return round(100 * self.count / self.total) if self.total else 0

    @property
    def label(self) -> str:
        return ngettext(
            "%(stars)s star: %(count)s of %(total)s reviews (%(percent)s%%)",
            "%(stars)s stars: %(count)s of %(total)s reviews (%(percent)s%%)",
            self.stars,
        ) % {"stars": self.stars, "count": self.count, "total": self.total, "percent": self.percent}


@dataclass(frozen=True)
class RatingSummary:
    """The rating with how many reviews gave each number of stars."""

    by_stars: dict[int, int] = field(default_factory=dict)

    @property
    def rating(self) -> Rating:
        return Rating(sum(s * n for s, n in self.by_stars.items()), sum(self.by_stars.values()))

    @property
    def shares(self) -> tuple[StarShare, ...]:
        total = self.rating.count
        return tuple(StarShare(s, self.by_stars.get(s, 0), total) for s in STARS)


@dataclass(frozen=True)
class ReviewedProduct:
    title: str
    url: str


@dataclass(frozen=True)
class ReviewRow:
    id: int
    rating: int
    text: str
    reviewer: str
    created_at: datetime
    products: tuple[ReviewedProduct, ...] = ()

    @property
    def stars(self) -> str:
        return "★" * self.rating + "☆" * (5 - self.rating)

    @property
    def label(self) -> str:
        return ngettext("%(stars)s out of 5 stars", "%(stars)s out of 5 stars", self.rating) % {"stars": self.rating}


@dataclass(frozen=True)
class ReviewsPage:
    summary: RatingSummary = field(default_factory=RatingSummary)
    page: PageOf = field(default_factory=PageOf)

    @property
    def rating(self) -> Rating:
        return self.summary.rating

    @property
    def empty_note(self) -> str:
        return gettext(EMPTY_NOTE)


NO_REVIEWS = ReviewsPage()


class NoReviews:
    """What products and vendors show while no module fills their ``reviews`` slot."""

    def for_product(self, *, product_id: int, page: int = 1) -> ReviewsPage:
        return NO_REVIEWS

    def for_shop(self, *, vendor_id: int, page: int = 1) -> ReviewsPage:
        return NO_REVIEWS


def parse_page(raw) -> int:
    """``?reviews=`` as a page number: ASCII digits only (not "²"), anything else is page 1."""
    raw = str(raw or "")
    return max(1, min(int(raw), 100_000)) if raw.isascii() and raw.isdigit() and 0 < len(raw) < 12 else 1
