"""Products: what vendors list, and the stock that orders take and give back.

Authorization lives here: a product is found through its owner (``vendor__user_id``), so a
vendor asking for another's product gets ``NotFound``, exactly as for one that never existed.
Every change bumps the page-cache versions of what it touches once it commits.

Pictures (and their thumbnails) are written to storage before the transaction that records
them, and deleted again if it does not commit: a refusal or a storage failure leaves no row and
no file behind (``ServiceUnavailable`` on the ``images`` field when the storage refused).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _

from services.catalog_queries import LISTED, PurchaseLine
from services.errors import (
    ImageRejected,
    NotFound,
    OutOfStock,
    PermissionDenied,
    ProductError,
    ProductUnavailable,
    VendorNotActive,
)
from services.money import MAX_SATS
from services.page_cache import scopes_for_product
from services.text_rules import clean_text, text_errors

if TYPE_CHECKING:
    from services.catalog_search import SearchIndex
    from services.page_cache import VersionedPageCache
    from services.ports import Clock, Events, ProductPictures
    from services.product_images import StoredImage
    from services.vendor_service import VendorService

log = logging.getLogger(__name__)

TITLE_MIN = 3
TITLE_MAX = 120
DESCRIPTION_MAX = 10_000
STOCK_MAX = 1_000_000
QUANTITY_MAX = 10_000
CATEGORY_NAME_MAX = 60


def _models():
    from marketplace.products import models

    return models


class CatalogService:
    def __init__(
        self,
        *,
        vendor_service: VendorService,
        images: ProductPictures,
        page_cache: VersionedPageCache,
        events: Events,
        clock: Clock,
        max_images: int,
        search_index: SearchIndex,
    ):
        self._search_index = search_index  # the words search reads, written in each change's transaction
        self._vendors = vendor_service
        self._images = images
        self._cache = page_cache
        self._events = events
        self._clock = clock
        self.max_images = int(max_images)

    # listing
    def create_product(
        self,
        *,
        actor_id: int,
        title: str,
        description: str,
        price_sat: int,
        stock: int,
        category_id: int,
        is_active: bool = True,
        images: Sequence = (),
    ) -> int:
        vendor = self._vendors.require_active(user_id=actor_id)
        fields, errors = self._validated(
            title=title, description=description, price_sat=price_sat, stock=stock, category_id=category_id
        )
        if len(images) > self.max_images:
            errors["images"] = [_("At most %(count)s pictures per product.") % {"count": self.max_images}]
        prepared = self._prepare(images, errors)
        if errors:
            raise ProductError(_("Please correct the errors below."), errors=errors)
        models = _models()
        saved = self._store(prepared)
        try:
            with transaction.atomic():
                now = self._clock.now()
                product = models.Product.objects.create(
                    vendor_id=vendor.id, is_active=bool(is_active), created_at=now, updated_at=now, **fields
                )
                self._attach(product.pk, prepared, saved, start=0)
                self._search_index.write(product_id=product.pk, title=product.title, description=product.description)
                self._touch(product.pk, vendor.id, vendor.slug)
                self._events.publish("products.created", product_id=product.pk, vendor_id=vendor.id)
        except BaseException:
            self._discard(_names(saved))
            raise
        return product.pk

    def update_product(
        self,
        *,
        actor_id: int,
        product_id: int,
        title: str,
        description: str,
        price_sat: int,
        stock: int,
        category_id: int,
        is_active: bool,
        add_images: Sequence = (),
        remove_image_ids: Iterable[int] = (),
    ) -> None:
        vendor = self._vendors.require_active(user_id=actor_id)
        fields, errors = self._validated(
            title=title, description=description, price_sat=price_sat, stock=stock, category_id=category_id
        )
        prepared = self._prepare(add_images, errors)
        if errors:
            raise ProductError(_("Please correct the errors below."), errors=errors)
        models = _models()
        remove = {int(i) for i in remove_image_ids}
        saved = self._store(prepared)
        try:
            with transaction.atomic():
                product = self._own(actor_id, product_id, lock=True)
                existing = list(models.ProductImage.objects.filter(product_id=product.pk).order_by("position", "id"))
                kept = [img for img in existing if img.pk not in remove]
                if len(kept) + len(prepared) > self.max_images:
                    raise ProductError(
                        _("At most %(count)s pictures per product; remove some first.") % {"count": self.max_images},
                        field="images",
                    )
                gone = [img for img in existing if img.pk in remove]
                models.ProductImage.objects.filter(pk__in=[img.pk for img in gone]).delete()
                self._attach(product.pk, prepared, saved, start=max((img.position for img in kept), default=-1) + 1)
                for name, value in fields.items():
                    setattr(product, name, value)
                product.is_active = bool(is_active)
                product.updated_at = self._clock.now()
                product.save(update_fields=[*fields, "is_active", "updated_at"])
                self._search_index.write(product_id=product.pk, title=product.title, description=product.description)
                self._touch(product.pk, vendor.id, vendor.slug)
                gone_files = [name for img in gone for name in (img.file, img.thumbnail_240, img.thumbnail_480)]
                transaction.on_commit(lambda: self._discard(gone_files))
                self._events.publish("products.updated", product_id=product.pk, vendor_id=vendor.id)
        except BaseException:
            self._discard(_names(saved))
            raise

    def set_listed(self, *, actor_id: int, product_id: int, listed: bool) -> None:
        """The vendor shows or hides a product. Hiding is always allowed; showing needs an
        active shop, and cannot undo a staff decision."""
        if listed:
            self._vendors.require_active(user_id=actor_id)
        else:
            self._require_vendor(actor_id)
        with transaction.atomic():
            product = self._own(actor_id, product_id, lock=True)
            if listed and product.moderation != "ok":
                raise PermissionDenied(
                    _("Staff unlisted this product: %(note)s Only staff can list it again.")
                    % {"note": product.moderation_note}
                )
            product.is_active = bool(listed)
            product.updated_at = self._clock.now()
            product.save(update_fields=["is_active", "updated_at"])
            self._touch(product.pk, product.vendor_id, product.vendor.slug)

    def delete_product(self, *, actor_id: int, product_id: int) -> None:
        """Gone for everyone; the row stays, because orders may point at it."""
        self._require_vendor(actor_id)
        with transaction.atomic():
            product = self._own(actor_id, product_id, lock=True)
            product.deleted_at = product.updated_at = self._clock.now()
            product.is_active = False
            product.save(update_fields=["deleted_at", "updated_at", "is_active"])
            self._search_index.remove(product_id=product.pk)
            self._touch(product.pk, product.vendor_id, product.vendor.slug)
            self._events.publish("products.deleted", product_id=product.pk, vendor_id=product.vendor_id)

    def rebuild_search_index(self) -> dict:
        """Write the search index afresh from the products (``manage.py rebuild_search_index``)."""
        result = self._search_index.rebuild()
        if result:
            self._cache.bump_on_commit(["catalog"])
        return result

    # stock, for orders: called inside the caller's transaction
    def reserve_stock(self, *, items: Mapping[int, int] | Iterable[tuple[int, int]]) -> list[PurchaseLine]:
        """Take ``quantity`` of each product, or nothing at all.

        Must run inside the caller's ``transaction.atomic()`` (the order that the stock is for
        commits or rolls back with it). Rows are locked in primary-key order, so two baskets
        can never deadlock; each decrement is conditional (``stock >= quantity``), so stock never
        goes below zero. Returns each product as it stood when taken: title, price, shop.
        """
        wanted = self._quantities(items)
        self._require_transaction("reserve_stock")
        models = _models()
        with transaction.atomic():  # a savepoint: a refusal undoes our partial decrements
            rows = {
                row.pk: row
                for row in models.Product.objects.select_for_update(of=("self",))
                .filter(pk__in=wanted)
                .select_related("vendor")
                .order_by("pk")
            }
            listed = set(models.Product.objects.filter(LISTED, pk__in=list(rows)).values_list("pk", flat=True))
            lines = []
            now = self._clock.now()
            for product_id in sorted(wanted):
                quantity = wanted[product_id]
                row = rows.get(product_id)
                if row is None or product_id not in listed:
                    title = row.title if row else f"product {product_id}"
                    raise ProductUnavailable(f"{title} is no longer for sale.", product_id=product_id)
                taken = models.Product.objects.filter(pk=product_id, stock__gte=quantity).update(
                    stock=F("stock") - quantity, updated_at=now
                )
                if not taken:
                    raise OutOfStock(
                        _("Only %(stock)s of %(title)s left; you asked for %(quantity)s.")
                        % {"stock": row.stock, "title": row.title, "quantity": quantity},
                        product_id=product_id,
                        requested=quantity,
                        available=row.stock,
                    )
                vendor = row.vendor
                lines.append(
                    PurchaseLine(
                        product_id,
                        row.title,
                        row.price_sat,
                        quantity,
                        vendor.pk,
                        vendor.user_id,
                        vendor.shop_name,
                        True,
                        row.stock - quantity,
                    )
                )
                self._touch(product_id, vendor.pk, vendor.slug)
                if row.stock == quantity:  # the row is locked: this sale took the last one
                    self._events.publish(
                        "products.sold_out",
                        product_id=product_id,
                        vendor_id=vendor.pk,
                        vendor_user_id=vendor.user_id,
                        title=row.title,
                    )
        return lines

    def restore_stock(self, *, items: Mapping[int, int] | Iterable[tuple[int, int]]) -> None:
        """Give back what ``reserve_stock`` took (a cancelled or refunded order), in the caller's
        transaction. Works for products since unlisted or deleted: the goods exist."""
        wanted = self._quantities(items)
        self._require_transaction("restore_stock")
        models = _models()
        with transaction.atomic():
            rows = {
                row.pk: row
                for row in models.Product.objects.select_for_update(of=("self",))
                .filter(pk__in=wanted)
                .select_related("vendor")
                .order_by("pk")
            }
            missing = sorted(set(wanted) - set(rows))
            if missing:
                raise NotFound(_("No product %(id)s.") % {"id": missing[0]})
            now = self._clock.now()
            for product_id in sorted(wanted):
                models.Product.objects.filter(pk=product_id).update(
                    stock=F("stock") + wanted[product_id], updated_at=now
                )
                row = rows[product_id]
                self._touch(product_id, row.vendor_id, row.vendor.slug)

    def record_rating(self, *, product_ids: Iterable[int], rating: int) -> None:
        """A buyer's review gave ``rating`` stars to these products: add it to their summaries,
        in the caller's (the review's) transaction, so cards and review lists never disagree."""
        if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
            raise ProductError("A rating is a whole number of stars from 1 to 5.", field="rating")
        self._require_transaction("record_rating")
        ids = sorted({int(pid) for pid in product_ids})
        products = _models().Product.objects.filter(pk__in=ids)
        products.update(rating_sum=F("rating_sum") + rating, rating_count=F("rating_count") + 1)
        for product_id, vendor_id, slug in products.values_list("pk", "vendor_id", "vendor__slug"):
            self._touch(product_id, vendor_id, slug)

    # thumbnails of pictures stored before they existed (manage.py make_thumbnails)
    def thumbnail_backlog(self, *, redo_all: bool = False) -> list[int]:
        """Ids of the pictures of products not deleted that lack a thumbnail (every one with
        ``redo_all``), oldest first."""
        queryset = _models().ProductImage.objects.filter(product__deleted_at=None)
        if not redo_all:
            queryset = queryset.filter(Q(thumbnail_240=None) | Q(thumbnail_480=None))
        return list(queryset.order_by("id").values_list("id", flat=True))

    def make_thumbnails(self, *, image_id: int, redo: bool = False) -> str:
        """Make and record one picture's thumbnails. Returns what happened: ``made``; ``present``
        (it has them, and ``redo`` is off); ``gone`` (the row went meanwhile); ``missing`` (its
        file is not in storage) or ``unreadable`` (not a picture we can decode): those two are
        skipped. ``ServiceUnavailable`` when the storage cannot be read or written.

        Safe beside uploads, edits and another run: the row is updated under its product's lock
        (the one edits take) and only if it still names the same file (and, without ``redo``,
        still lacks thumbnails); otherwise what was written here is deleted again. Pages need no
        new version: their thumbnail URLs do not change."""
        models = _models()
        found = (
            models.ProductImage.objects.filter(pk=image_id)
            .values_list("product_id", "file", "thumbnail_240", "thumbnail_480")
            .first()
        )
        if found is None:
            return "gone"
        product_id, file, old_240, old_480 = found
        if old_240 and old_480 and not redo:
            return "present"
        try:
            content = self._images.read(file)
        except NotFound:
            log.warning("product image %s (picture %s) is missing from storage; no thumbnails made", file, image_id)
            return "missing"
        try:
            thumbnails = self._images.thumbnails_from_stored(content)
        except ImageRejected:
            log.warning("product image %s (picture %s) cannot be decoded; no thumbnails made", file, image_id)
            return "unreadable"
        names = self._images.store_thumbnails(file, thumbnails)
        try:
            with transaction.atomic():
                models.Product.objects.select_for_update().filter(pk=product_id).first()
                target = models.ProductImage.objects.filter(pk=image_id, file=file)
                if not redo:
                    target = target.filter(Q(thumbnail_240=None) | Q(thumbnail_480=None))
                if target.update(thumbnail_240=names.get(240), thumbnail_480=names.get(480)):
                    outcome = "made"
                elif models.ProductImage.objects.filter(pk=image_id, file=file).exists():
                    outcome = "present"  # another run was quicker
                else:
                    outcome = "gone"  # removed by its vendor meanwhile
        except BaseException:
            self._discard(names.values())
            raise
        if outcome != "made":
            self._discard(names.values())
            return outcome
        self._discard(old for old in (old_240, old_480) if old and old not in names.values())
        return outcome

    # categories (staff and demo data)
    def create_category(self, *, name: str, slug: str, parent_id: int | None = None, position: int = 0) -> int:
        models = _models()
        name = clean_text(name)
        slug = clean_text(slug).lower()
        errors = {}
        problems = text_errors(name, max_length=CATEGORY_NAME_MAX, min_length=2, required=True)
        if problems:
            errors["name"] = problems
        if not slug or len(slug) > 60 or not slug.replace("-", "").isalnum():
            errors["slug"] = [_("Use lower-case letters, digits and hyphens.")]
        if parent_id is not None and not models.Category.objects.filter(pk=parent_id).exists():
            errors["parent"] = [_("No such parent category.")]
        if errors:
            raise ProductError(_("Please correct the errors below."), errors=errors)
        try:
            with transaction.atomic():
                category = models.Category.objects.create(name=name, slug=slug, parent_id=parent_id, position=position)
                self.categories_changed()
        except IntegrityError:
            raise ProductError(_("That category address is taken."), field="slug") from None
        return category.pk

    def categories_changed(self) -> None:
        """Categories were edited (here or in the admin): pages that name them are stale."""
        self._cache.bump_on_commit(["catalog", "categories"])

    def shop_changed(self, *, vendor_id: int) -> None:
        """A shop was approved, renamed, suspended...: its products' own pages are stale too.
        Delivered after the shop's change committed (``vendors.shop_changed``)."""
        ids = _models().Product.objects.filter(vendor_id=vendor_id).values_list("pk", flat=True)
        self._cache.bump([f"product:{pid}" for pid in ids])

    def on_shop_changed(self, topic: str, payload: dict) -> None:
        """The ``vendors.shop_changed`` event (the products module subscribes this method)."""
        self.shop_changed(vendor_id=payload["vendor_id"])

    # helpers
    def _require_vendor(self, actor_id: int) -> None:
        """Any shop, even one that may not sell now, may hide or delete its own listings."""
        if self._vendors.get_for_user(user_id=actor_id) is None:
            raise VendorNotActive(_("Only vendors can do this. Apply to open a shop first."))

    def _own(self, actor_id: int, product_id, *, lock: bool = False):
        queryset = _models().Product.objects.select_related("vendor")
        if lock:
            queryset = queryset.select_for_update(of=("self",))
        try:
            product = queryset.filter(pk=int(product_id), vendor__user_id=actor_id, deleted_at=None).first()
        except (TypeError, ValueError):
            product = None
        if product is None:
            raise NotFound(_("You have no such product."))
        return product

    def _validated(self, *, title, description, price_sat, stock, category_id) -> tuple[dict, dict]:
        errors: dict[str, list[str]] = {}
        title = clean_text(title)
        description = clean_text(description)
        problems = text_errors(title, max_length=TITLE_MAX, min_length=TITLE_MIN, required=True)
        if problems:
            errors["title"] = problems
        problems = text_errors(description, max_length=DESCRIPTION_MAX)
        if problems:
            errors["description"] = problems
        if isinstance(price_sat, bool) or not isinstance(price_sat, int):
            errors["price"] = [_("Enter a price in BTC, such as 0.0015.")]
        elif price_sat < 1:
            errors["price"] = [_("The price must be more than zero.")]
        elif price_sat > MAX_SATS:
            errors["price"] = [_("That is more bitcoin than will ever exist.")]
        if isinstance(stock, bool) or not isinstance(stock, int) or not 0 <= stock <= STOCK_MAX:
            errors["stock"] = [_("Enter a whole number from 0 to %(max)s.") % {"max": f"{STOCK_MAX:,}"}]
        try:
            category_id = int(category_id)
        except (TypeError, ValueError):
            category_id = None
        if category_id is None or not _models().Category.objects.filter(pk=category_id).exists():
            errors["category"] = [_("Choose one of the categories.")]
        fields = {
            "title": title,
            "description": description,
            "price_sat": price_sat,
            "stock": stock,
            "category_id": category_id,
        }
        return fields, errors

    def _prepare(self, uploads: Sequence, errors: dict) -> list:
        prepared = []
        for upload in uploads or ():
            try:
                prepared.append(self._images.prepare(upload))
            except ProductError as error:
                errors.setdefault("images", []).append(error.message)
        return prepared

    def _store(self, prepared: list) -> list[StoredImage]:
        """Each picture with its thumbnails; a storage failure deletes what this call wrote and
        raises ``ServiceUnavailable`` (from ``ProductImages.store``)."""
        saved: list[StoredImage] = []
        try:
            for image in prepared:
                saved.append(self._images.store(image))
        except BaseException:
            self._discard(_names(saved))
            raise
        return saved

    def _attach(self, product_id: int, prepared: list, saved: list[StoredImage], *, start: int) -> None:
        now = self._clock.now()
        _models().ProductImage.objects.bulk_create(
            [
                _models().ProductImage(
                    product_id=product_id,
                    file=stored.file,
                    thumbnail_240=stored.thumbnails.get(240),
                    thumbnail_480=stored.thumbnails.get(480),
                    content_type=image.content_type,
                    width=image.width,
                    height=image.height,
                    size=image.size,
                    position=start + i,
                    created_at=now,
                )
                for i, (image, stored) in enumerate(zip(prepared, saved, strict=True))
            ]
        )

    def _discard(self, names: Iterable[str | None]) -> None:
        for name in names:
            if not name:
                continue
            try:
                self._images.delete(name)
            except Exception:  # a stray file is an annoyance, not a reason to fail the request
                log.warning("product image %s could not be deleted; left in storage", name, exc_info=True)

    def _touch(self, product_id: int, vendor_id: int, vendor_slug: str) -> None:
        self._cache.bump_on_commit(scopes_for_product(product_id, vendor_slug))

    @staticmethod
    def _quantities(items) -> dict[int, int]:
        pairs = items.items() if isinstance(items, Mapping) else items
        wanted: dict[int, int] = {}
        for product_id, quantity in pairs:
            if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= QUANTITY_MAX:
                raise ProductError(
                    _("Quantities are whole numbers from 1 to %(max)s.") % {"max": QUANTITY_MAX}, field="quantity"
                )
            wanted[int(product_id)] = wanted.get(int(product_id), 0) + quantity
        if not wanted:
            raise ProductError(_("Nothing to take."), field="quantity")
        return wanted

    @staticmethod
    def _require_transaction(name: str) -> None:
        if not transaction.get_connection().in_atomic_block:
            raise RuntimeError(f"{name}() must run inside the caller's transaction.atomic()")


def _names(saved: Iterable[StoredImage]) -> list[str]:
    return [name for stored in saved for name in stored.names]
