"""What modules built on vendors may plug into it, and what vendors uses when nobody does.

The vendors module shows a shop's products and its rating, but it must not import the modules
that know them (products depends on vendors; orders, with reviews, on both). So
``VendorsContainer`` declares two slots as ``providers.Dependency`` with these defaults:

* ``listings``: an object with ``storefront_page(*, vendor_id, page)`` returning a ``PageOf``
  whose rows have ``title``, ``url``, ``price_sat``, ``stock``, ``image_url``, ``vendor_name``
  and ``vendor_url``, and
  ``vendor_products(*, vendor_id)`` returning the rows of the shop's dashboard (those also
  carry ``edit_url``, ``status_label`` and ``moderation_note``). The products module fills it.
* ``ratings``: an object with ``ratings_for(*, vendor_ids)`` returning ``{vendor_id:
  VendorRating}`` in one query, whatever the number of vendors. The orders module fills it
  once reviews exist; until then every shop shows "No reviews yet". A module that changes a
  rating calls ``VendorService.refresh_storefront(vendor_id=...)`` so cached pages follow.

A module fills a slot by declaring it: ``fills = {"vendors.ratings": "order_queries"}`` on its
module class; the runtime points the slot at that provider when the module starts.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.formats import number_format
from django.utils.translation import gettext, ngettext


@dataclass(frozen=True)
class VendorRating:
    average: Decimal | None = None
    count: int = 0

    @property
    def label(self) -> str:
        if not self.count or self.average is None:
            return gettext("No reviews yet")
        average = number_format(self.average.quantize(Decimal("0.1")), 1)
        text = ngettext("%(average)s / 5 from %(count)s review", "%(average)s / 5 from %(count)s reviews", self.count)
        return text % {"average": average, "count": self.count}


NO_RATING = VendorRating()


@dataclass(frozen=True)
class PageOf:
    """One page of rows, with what a pager needs; ``number`` is always a page that exists."""

    rows: Sequence[Any] = field(default_factory=tuple)
    number: int = 1
    num_pages: int = 1
    count: int = 0

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages

    @property
    def previous_page_number(self) -> int:
        return max(1, self.number - 1)

    @property
    def next_page_number(self) -> int:
        return min(self.num_pages, self.number + 1)


def page_bounds(*, count: int, page: int, size: int) -> tuple[int, int, int]:
    """``(number, offset, num_pages)``: a page past the end is the last one, below 1 the first."""
    num_pages = max(1, -(-count // size))
    number = min(max(1, page), num_pages)
    return number, (number - 1) * size, num_pages


class NoListings:
    def storefront_page(self, *, vendor_id: int, page: int) -> PageOf:
        return PageOf()

    def vendor_products(self, *, vendor_id: int) -> list:
        return []


class NoRatings:
    def ratings_for(self, *, vendor_ids: Sequence[int]) -> dict[int, VendorRating]:
        return {}
