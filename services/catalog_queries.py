"""The catalog's read side: ready rows in a fixed number of queries, kept in the page cache.

Every read here runs the same number of SQL queries whatever the number of products (a count,
one page of rows with its first picture as a subquery, the category tree), and its result is
kept under the versions of what it shows, so a repeated request runs none at all.

A card's rating comes from the product's own ``rating_sum``/``rating_count`` columns, read with
the row: an annotation over reviews would join the orders module's tables (reviews, orders,
order lines) into every catalog query, from a module that must not know them and that serves
without them; the summary is kept exact by ``CatalogService.record_rating``, in the review's
transaction, and costs no query and no join.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING

from django.db.models import BooleanField, ExpressionWrapper, OuterRef, Q, Subquery
from django.urls import get_script_prefix, reverse
from django.utils.translation import gettext, gettext_lazy

from services.money import AmountError, format_btc, parse_btc
from services.review_slots import NoReviews, Rating, RatingSummary, ReviewsPage
from services.staff_access import Capability
from services.text_rules import clean_text
from services.vendor_slots import PageOf, page_bounds

if TYPE_CHECKING:
    from services.page_cache import VersionedPageCache
    from services.ports import Reviews, SearchBackend
    from services.staff_access import StaffAccess

SORTS = {
    "newest": (gettext_lazy("Newest first"), ("-created_at", "-id")),
    "price_asc": (gettext_lazy("Price: low to high"), ("price_sat", "id")),
    "price_desc": (gettext_lazy("Price: high to low"), ("-price_sat", "-id")),
    "relevance": (gettext_lazy("Best match"), ("-created_at", "-id")),
}
MAX_PAGE = 100_000
QUERY_MAX = 100

# A product buyers can see: listed by its vendor, not unlisted by staff, not deleted, sold by
# an approved shop that is not suspended.
LISTED = Q(deleted_at=None, is_active=True, moderation="ok", vendor__status="approved", vendor__suspended_at=None)


def _models():
    from marketplace.products import models

    return models


# Built once, cloned per use: building the ``LISTED`` filter and the picture subquery again for
# every page was a quarter of the catalog's query time, more than running the SQL (bench/
# profile_catalog.py). A queryset is tied to no database until it runs, and every use below
# clones it (filter, order_by, count, annotate), so the built one is never evaluated or changed.
@functools.cache
def _listed_base():
    return _models().Product.objects.filter(LISTED)


def listed_products():
    """The products buyers can see, ready to filter further."""
    return _listed_base().all()


@functools.cache
def _first_image():
    first = _models().ProductImage.objects.filter(product=OuterRef("pk")).order_by("position", "id")
    return Subquery(first.values("id")[:1])


_MARK = "9876543210"


@functools.lru_cache(maxsize=64)
def _url_pattern(name: str, prefix: str) -> str:
    return reverse(name, args=[_MARK]).replace(_MARK, "{}")


def url_for(name: str, arg) -> str:
    """``reverse(name, args=[arg])`` for an id or a slug, without resolving the pattern again for
    every row of a page (a third of a catalog page's rendering time otherwise)."""
    return _url_pattern(name, get_script_prefix()).format(arg)


# Thumbnail widths pages ask ``products:image`` for (``?size=240``), as ProductImages makes them.
# The URLs are the same whether a picture's thumbnails exist yet or not (the view sends the
# picture itself until they do), so no page changes when ``make_thumbnails`` runs.
SMALL, LARGE = 240, 480


def image_url(image_id: int, width: int | None = None) -> str:
    url = url_for("products:image", image_id)
    return f"{url}?size={width}" if width else url


@dataclass(frozen=True)
class StoredPicture:
    """Where ``products:image`` finds a picture: its file, its thumbnails' by width, its product."""

    file: str
    content_type: str
    product_id: int
    thumbnails: dict[int, str]


@dataclass(frozen=True)
class CategoryNode:
    id: int
    name: str
    slug: str
    parent_id: int | None
    depth: int
    path: tuple[str, ...]

    @property
    def indented_name(self) -> str:
        return "— " * self.depth + self.name


@dataclass(frozen=True)
class CategoryTree:
    nodes: tuple[CategoryNode, ...] = ()

    def by_slug(self, slug: str) -> CategoryNode | None:
        return next((n for n in self.nodes if n.slug == slug), None)

    def by_id(self, category_id) -> CategoryNode | None:
        return next((n for n in self.nodes if n.id == category_id), None)

    def with_descendants(self, category_id: int) -> list[int]:
        ids, frontier = [category_id], [category_id]
        while frontier:
            frontier = [n.id for n in self.nodes if n.parent_id in frontier]
            ids.extend(frontier)
        return ids

    def choices(self) -> list[tuple[int, str]]:
        return [(n.id, n.indented_name) for n in self.nodes]


@dataclass(frozen=True)
class ProductCard:
    id: int
    title: str
    price_sat: int
    stock: int
    vendor_id: int
    vendor_name: str
    vendor_slug: str
    category_id: int
    image_id: int | None
    created_at: datetime
    rating_sum: int = 0
    rating_count: int = 0

    @property
    def url(self) -> str:
        return url_for("products:detail", self.id)

    @property
    def rating(self) -> Rating:
        return Rating.of(self.rating_sum, self.rating_count)

    @property
    def image_url(self) -> str | None:
        return image_url(self.image_id) if self.image_id else None

    @property
    def image_small_url(self) -> str | None:
        """The thumbnail for a catalog box (240 px wide at most)."""
        return image_url(self.image_id, SMALL) if self.image_id else None

    @property
    def image_srcset(self) -> str:
        if not self.image_id:
            return ""
        return f"{image_url(self.image_id, SMALL)} {SMALL}w, {image_url(self.image_id, LARGE)} {LARGE}w"

    @property
    def vendor_url(self) -> str:
        return url_for("vendors:storefront", self.vendor_slug)


@dataclass(frozen=True)
class DashboardRow(ProductCard):
    is_active: bool = True
    moderation: str = "ok"
    moderation_note: str = ""

    @property
    def edit_url(self) -> str:
        return url_for("products:edit", self.id)

    @property
    def status_label(self) -> str:
        if self.moderation != "ok":
            return gettext("Unlisted by staff")
        return gettext("Listed") if self.is_active else gettext("Unlisted by you")


@dataclass(frozen=True)
class ImageRow:
    id: int
    width: int
    height: int

    @property
    def url(self) -> str:
        return image_url(self.id)

    @property
    def small_url(self) -> str:
        return image_url(self.id, SMALL)

    @property
    def large_url(self) -> str:
        return image_url(self.id, LARGE)

    @property
    def srcset(self) -> str:
        """For the product page, whose pictures are at most 420 CSS px wide: the 480 thumbnail on
        ordinary screens, the picture itself on dense ones (2x and more) when it is wider."""
        candidates = [f"{self.large_url} 1x"]
        if self.width > LARGE:
            candidates.append(f"{self.url} 2x")
        return ", ".join(candidates)


@dataclass(frozen=True)
class ProductDetail:
    id: int
    title: str
    description: str
    price_sat: int
    stock: int
    category: CategoryNode | None
    vendor_id: int
    vendor_user_id: int
    vendor_name: str
    vendor_slug: str
    vendor_active: bool
    is_active: bool
    moderation: str
    moderation_note: str
    images: tuple[ImageRow, ...]
    created_at: datetime
    updated_at: datetime
    rating_sum: int = 0
    rating_count: int = 0

    @property
    def rating(self) -> Rating:
        return Rating.of(self.rating_sum, self.rating_count)

    @property
    def listed(self) -> bool:
        return self.is_active and self.moderation == "ok" and self.vendor_active

    @property
    def hidden_because(self) -> str:
        if not self.vendor_active:
            return "the shop is not active"
        if self.moderation != "ok":
            return f"staff unlisted it: {self.moderation_note}"
        if not self.is_active:
            return "you unlisted it"
        return ""


@dataclass(frozen=True)
class CatalogFilters:
    q: str = ""
    category: str = ""
    vendor: str = ""
    min_price_sat: int | None = None
    max_price_sat: int | None = None
    sort: str = "newest"
    page: int = 1

    def cache_key(self) -> str:
        raw = "|".join(
            str(v)
            for v in (
                self.q.lower(),
                self.category,
                self.vendor,
                self.min_price_sat,
                self.max_price_sat,
                self.sort,
                self.page,
            )
        )
        return hashlib.blake2b(raw.encode(), digest_size=16).hexdigest()

    def query_string(self, *, without_page: bool = True) -> str:
        """The filters as a query string (for pager links), ending in ``&`` when not empty."""
        from urllib.parse import urlencode

        params = {
            "q": self.q,
            "category": self.category,
            "vendor": self.vendor,
            "min_price": format_btc(self.min_price_sat) if self.min_price_sat is not None else "",
            "max_price": format_btc(self.max_price_sat) if self.max_price_sat is not None else "",
            "sort": self.sort if self.sort != "newest" else "",
        }
        if not without_page:
            params["page"] = self.page
        encoded = urlencode({k: v for k, v in params.items() if v})
        return encoded + "&" if encoded else ""


@dataclass(frozen=True)
class CatalogPage:
    page: PageOf
    filters: CatalogFilters
    categories: CategoryTree
    category: CategoryNode | None = None
    vendor_name: str = ""
    notices: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class PurchaseLine:
    """A product as it stands at purchase time: what orders copy into the order."""

    product_id: int
    title: str
    price_sat: int
    quantity: int
    vendor_id: int
    vendor_user_id: int
    vendor_name: str
    available: bool = True
    stock: int = 0

    @property
    def total_sat(self) -> int:
        return self.price_sat * self.quantity


@dataclass(frozen=True)
class QueueItem:
    product_id: int
    title: str
    vendor_name: str
    vendor_slug: str
    moderation: str
    reports: tuple[dict, ...]


def parse_filters(params: Mapping[str, str]) -> tuple[CatalogFilters, list[str]]:
    """Query parameters -> filters, and a notice for each one that had to be ignored."""
    notices: list[str] = []

    def text(name: str, limit: int) -> str:
        # Control characters dropped: a NUL would reach the database, and PostgreSQL refuses it.
        value = clean_text(str(params.get(name, "") or ""))
        return value[:limit]

    def price(name: str, ignored: str, negative: str) -> int | None:
        raw = text(name, 40)
        if not raw:
            return None
        try:
            sats = parse_btc(raw)
        except AmountError as exc:
            notices.append(ignored % {"price": raw, "reason": exc})
            return None
        if sats < 0:
            notices.append(negative % {"price": raw})
            return None
        return sats

    # Whole sentences per field: "lowest"/"highest" inflect differently in German and Spanish.
    min_sat = price(
        "min_price",
        gettext("The lowest price “%(price)s” was ignored: %(reason)s"),
        gettext("The lowest price “%(price)s” was ignored: prices are not negative."),
    )
    max_sat = price(
        "max_price",
        gettext("The highest price “%(price)s” was ignored: %(reason)s"),
        gettext("The highest price “%(price)s” was ignored: prices are not negative."),
    )
    if min_sat is not None and max_sat is not None and min_sat > max_sat:
        notices.append(gettext("The lowest price was above the highest; they were swapped."))
        min_sat, max_sat = max_sat, min_sat
    sort = text("sort", 20) or "newest"
    if sort not in SORTS:
        notices.append(gettext("Unknown sort order “%(sort)s”; showing the newest first.") % {"sort": sort})
        sort = "newest"
    raw_page = text("page", 20)
    # isdigit() alone takes "²", which int() refuses: only ASCII digits are a page number.
    page = int(raw_page) if raw_page.isascii() and raw_page.isdigit() else 1
    filters = CatalogFilters(
        q=text("q", QUERY_MAX),
        category=text("category", 60).lower(),
        vendor=text("vendor", 50).lower(),
        min_price_sat=min_sat,
        max_price_sat=max_sat,
        sort=sort,
        page=min(max(page, 1), MAX_PAGE),
    )
    return filters, notices


class CatalogQueries:
    def __init__(
        self,
        *,
        search: SearchBackend,
        page_cache: VersionedPageCache,
        page_size: int,
        access: StaffAccess,
        reviews: Reviews | None = None,
    ):
        self._access = access  # StaffAccess: moderators see what is not listed
        self._reviews = reviews or NoReviews()  # the orders module fills the slot
        self._search = search
        self._cache = page_cache
        self.page_size = int(page_size)

    @property
    def search_backend(self) -> str:
        return self._search.name

    def parse_filters(self, params: Mapping[str, str]) -> tuple[CatalogFilters, list[str]]:
        """``parse_filters`` of this code's generation (its classes are the ones this instance
        caches: after a hot reload, the views must not build filters from the old module)."""
        return parse_filters(params)

    def sort_choices(self) -> list[tuple[str, str]]:
        return [(key, label) for key, (label, _) in SORTS.items() if key != "relevance" or self._search.ranks]

    # categories
    def category_tree(self) -> CategoryTree:
        rows = list(_models().Category.objects.values_list("id", "name", "slug", "parent_id"))
        children: dict[int | None, list] = {}
        for row in rows:
            children.setdefault(row[3], []).append(row)
        nodes: list[CategoryNode] = []

        def walk(parent_id, depth, path):
            for cid, name, slug, _ in children.get(parent_id, []):
                nodes.append(CategoryNode(cid, name, slug, parent_id, depth, (*path, name)))
                if depth < 10:
                    walk(cid, depth + 1, (*path, name))

        walk(None, 0, ())
        return CategoryTree(tuple(nodes))

    # the catalog
    def list_products(self, *, filters: CatalogFilters, notices: Iterable[str] = ()) -> CatalogPage:
        key = f"catalog:{self._search.name}:{filters.cache_key()}"
        cached, stamp = self._cache.fetch(key, ["catalog"])
        if cached is None:
            cached = self._list_products(filters)
            self._cache.store(key, stamp, cached)
        # Written here, not in the cached page: the cache holds data shared by every language.
        missing = []
        if filters.category and cached.category is None:
            missing.append(
                gettext("There is no category “%(category)s”; showing every category.") % {"category": filters.category}
            )
        if filters.vendor and not cached.vendor_name:
            missing.append(gettext("There is no shop “%(shop)s”; showing every shop.") % {"shop": filters.vendor})
        return replace(cached, notices=(*cached.notices, *missing, *notices))

    def _list_products(self, filters: CatalogFilters) -> CatalogPage:
        notices: list[str] = []
        tree = self.category_tree()
        queryset = listed_products()
        category = None
        if filters.category:
            category = tree.by_slug(filters.category)
            if category is not None:
                queryset = queryset.filter(category_id__in=tree.with_descendants(category.id))
        vendor_name = ""
        if filters.vendor:
            from marketplace.vendors.models import Vendor

            vendor_name = (
                Vendor.objects.filter(slug=filters.vendor, status="approved", suspended_at=None)
                .values_list("shop_name", flat=True)
                .first()
            ) or ""
            if vendor_name:
                queryset = queryset.filter(vendor__slug=filters.vendor)
        if filters.min_price_sat is not None:
            queryset = queryset.filter(price_sat__gte=filters.min_price_sat)
        if filters.max_price_sat is not None:
            queryset = queryset.filter(price_sat__lte=filters.max_price_sat)
        if filters.q:
            queryset = self._search.apply(queryset, filters.q)
        order = SORTS[filters.sort][1]
        if filters.sort == "relevance" and filters.q and self._search.ranks:
            order = ("-search_rank", *order)
        count = queryset.count()
        number, offset, num_pages = page_bounds(count=count, page=filters.page, size=self.page_size)
        rows = self._cards(queryset.order_by(*order)[offset : offset + self.page_size])
        return CatalogPage(
            page=PageOf(rows=tuple(rows), number=number, num_pages=num_pages, count=count),
            filters=filters,
            categories=tree,
            category=category,
            vendor_name=vendor_name,
            notices=tuple(notices),
        )

    def _cards(self, queryset, row_class=ProductCard, extra: tuple[str, ...] = ()) -> list:
        return product_cards(queryset, row_class, extra)

    # the vendors module's listings slot
    def storefront_page(self, *, vendor_id: int, page: int) -> PageOf:
        queryset = listed_products().filter(vendor_id=vendor_id)
        count = queryset.count()
        number, offset, num_pages = page_bounds(count=count, page=page, size=self.page_size)
        rows = self._cards(queryset.order_by("-created_at", "-id")[offset : offset + self.page_size])
        return PageOf(rows=tuple(rows), number=number, num_pages=num_pages, count=count)

    def vendor_products(self, *, vendor_id: int) -> list[DashboardRow]:
        queryset = _models().Product.objects.filter(vendor_id=vendor_id, deleted_at=None)
        return self._cards(
            queryset.order_by("-created_at", "-id"), DashboardRow, ("is_active", "moderation", "moderation_note")
        )

    # one product
    def product_detail(self, *, product_id: int) -> ProductDetail | None:
        """The product, listed or not (pages use ``visible_product``); ``None`` if deleted."""
        try:
            product_id = int(product_id)
        except (TypeError, ValueError):
            return None
        key = f"detail:{product_id}"
        cached, stamp = self._cache.fetch(key, [f"product:{product_id}", "categories"])
        if cached is not None:
            return cached
        detail = self._product_detail(product_id)
        if detail is not None:
            self._cache.store(key, stamp, detail)
        return detail

    def visible_product(self, *, product_id: int, viewer_id: int | None) -> ProductDetail | None:
        """The product if ``viewer_id`` may see it: anyone when it is listed, else its vendor and
        the staff who moderate the catalog; ``None`` otherwise, as for one that does not exist."""
        product = self.product_detail(product_id=product_id)
        if product is None or product.listed or (viewer_id is not None and viewer_id == product.vendor_user_id):
            return product
        return product if self._access.can(viewer_id, Capability.MODERATE_CATALOG) else None

    def _product_detail(self, product_id: int) -> ProductDetail | None:
        models = _models()
        product = models.Product.objects.filter(pk=product_id, deleted_at=None).select_related("vendor").first()
        if product is None:
            return None
        images = tuple(
            ImageRow(*row)
            for row in models.ProductImage.objects.filter(product_id=product_id).values_list("id", "width", "height")
        )
        vendor = product.vendor
        return ProductDetail(
            id=product.pk,
            title=product.title,
            description=product.description,
            price_sat=product.price_sat,
            stock=product.stock,
            category=self.category_tree().by_id(product.category_id),
            vendor_id=vendor.pk,
            vendor_user_id=vendor.user_id,
            vendor_name=vendor.shop_name,
            vendor_slug=vendor.slug,
            vendor_active=vendor.is_active,
            is_active=product.is_active,
            moderation=product.moderation,
            moderation_note=product.moderation_note,
            images=images,
            created_at=product.created_at,
            updated_at=product.updated_at,
            rating_sum=product.rating_sum,
            rating_count=product.rating_count,
        )

    def product_reviews(self, *, product_id: int, page: int = 1, known_count: int | None = None) -> ReviewsPage:
        """The product's rating summary and one page of its reviews, kept under the product's
        version (a review bumps it, through ``CatalogService.record_rating``).

        ``known_count``: the product row's own count of reviews, read with it; none at all
        needs no query (most products, and every new one)."""
        if known_count == 0:
            return ReviewsPage(summary=RatingSummary(by_stars={}))
        product_id, page = int(product_id), min(max(1, int(page)), MAX_PAGE)
        key = f"reviews:{product_id}:{page}"
        cached, stamp = self._cache.fetch(key, [f"product:{product_id}"])
        if cached is not None:
            return cached
        found = self._reviews.for_product(product_id=product_id, page=page)
        self._cache.store(key, stamp, found)
        return found

    def image_file(self, *, image_id: int) -> StoredPicture | None:
        """Where a picture of a product not deleted is stored, with its thumbnails made so far."""
        found = (
            _models()
            .ProductImage.objects.filter(pk=image_id, product__deleted_at=None)
            .values_list("file", "content_type", "product_id", "thumbnail_240", "thumbnail_480")
            .first()
        )
        if found is None:
            return None
        file, content_type, product_id, small, large = found
        thumbnails = {width: name for width, name in ((SMALL, small), (LARGE, large)) if name}
        return StoredPicture(file, content_type, product_id, thumbnails)

    # purchases
    def purchase_lines(self, *, items: Mapping[int, int]) -> dict[int, PurchaseLine]:
        """Price, title and shop of products as they stand now, for a basket (no locks taken)."""
        wanted = {int(k): int(v) for k, v in dict(items).items()}
        rows = (
            _models()
            .Product.objects.filter(pk__in=wanted, deleted_at=None)
            .annotate(listed=ExpressionWrapper(LISTED, output_field=BooleanField()))
            .values_list(
                "id", "title", "price_sat", "vendor_id", "vendor__user_id", "vendor__shop_name", "listed", "stock"
            )
        )
        return {
            pid: PurchaseLine(pid, title, price, wanted[pid], vid, vuid, vname, bool(listed), stock)
            for pid, title, price, vid, vuid, vname, listed, stock in rows
        }

    # moderation
    def moderation_queue(self, *, staff_id: int) -> list[QueueItem]:
        self._access.require(staff_id, Capability.MODERATE_CATALOG)
        reports = (
            _models()
            .ProductReport.objects.filter(state="open")
            .select_related("product__vendor", "reporter")
            .order_by("product_id", "created_at")
        )
        grouped: dict[int, QueueItem] = {}
        for report in reports:
            product = report.product
            item = grouped.get(product.pk)
            entry = {
                "id": report.pk,
                "reason": report.get_reason_display(),
                "details": report.details,
                "reporter": report.reporter.username,
                "created_at": report.created_at,
            }
            if item is None:
                grouped[product.pk] = QueueItem(
                    product.pk,
                    product.title,
                    product.vendor.shop_name,
                    product.vendor.slug,
                    product.moderation,
                    (entry,),
                )
            else:
                grouped[product.pk] = QueueItem(
                    item.product_id,
                    item.title,
                    item.vendor_name,
                    item.vendor_slug,
                    item.moderation,
                    (*item.reports, entry),
                )
        return sorted(grouped.values(), key=lambda i: i.reports[0]["created_at"])


def product_cards(queryset, row_class=ProductCard, extra: tuple[str, ...] = ()) -> list:
    """Catalog tiles for the rows of ``queryset`` (ordered, sliced), with their first picture: one query."""
    fields = (
        "id",
        "title",
        "price_sat",
        "stock",
        "vendor_id",
        "vendor__shop_name",
        "vendor__slug",
        "category_id",
        "image_id",
        "created_at",
        "rating_sum",
        "rating_count",
        *extra,
    )
    rows = queryset.annotate(image_id=_first_image()).values_list(*fields)
    return [row_class(*row) for row in rows]
