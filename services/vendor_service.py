"""Vendors: applying to sell, staff review, suspension, and the shop's public face."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from services.errors import (
    NotFound,
    VendorApplicationError,
    VendorNotActive,
    VendorStateError,
)
from services.review_slots import NO_REVIEWS, NoReviews, ReviewsPage
from services.staff_access import Capability
from services.text_rules import clean_text, text_errors
from services.vendor_slots import NO_RATING, PageOf, VendorRating, page_bounds

if TYPE_CHECKING:
    from services.page_cache import VersionedPageCache
    from services.ports import Clock, Events, Listings, Ratings, Reviews
    from services.staff_access import StaffAccess

SHOP_NAME_MIN = 3
SHOP_NAME_MAX = 80
SLUG_MIN = 3
SLUG_MAX = 50
DESCRIPTION_MAX = 5000
REASON_MAX = 1000
MAX_PAGE = 100_000  # page numbers past this are the same request (bounds the cache keys)
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_ANY_SLUG = re.compile(r"[-a-z0-9_]+")  # what a SlugField holds (the pages' <slug:> converter)
# Paths under /vendors/ that are pages, not shops.
RESERVED_SLUGS = frozenset(
    {"apply", "dashboard", "staff", "shop", "new", "edit", "admin", "api", "static", "media", "settings"}
)


@dataclass(frozen=True)
class VendorSummary:
    id: int
    user_id: int
    shop_name: str
    slug: str
    description: str
    status: str
    review_note: str
    suspended: bool
    suspension_reason: str
    created_at: datetime
    reviewed_at: datetime | None

    @property
    def is_active(self) -> bool:
        return self.status == "approved" and not self.suspended

    @property
    def status_label(self) -> str:
        if self.suspended:
            return _("Suspended")
        return {"pending": _("Waiting for review"), "approved": _("Approved"), "rejected": _("Rejected")}[self.status]


@dataclass(frozen=True)
class Storefront:
    vendor: VendorSummary
    listing: PageOf
    rating: VendorRating
    reviews: ReviewsPage = NO_REVIEWS


def _vendor_model():
    from marketplace.vendors.models import Vendor

    return Vendor


def summarize(vendor) -> VendorSummary:
    return VendorSummary(
        id=vendor.pk,
        user_id=vendor.user_id,
        shop_name=vendor.shop_name,
        slug=vendor.slug,
        description=vendor.description,
        status=vendor.status,
        review_note=vendor.review_note,
        suspended=vendor.suspended_at is not None,
        suspension_reason=vendor.suspension_reason,
        created_at=vendor.created_at,
        reviewed_at=vendor.reviewed_at,
    )


class VendorService:
    """The vendors module's rules. Staff decisions are checked here, not only in views: reviewing,
    suspending and seeing shops that are not active take ``MANAGE_VENDORS`` (moderators)."""

    def __init__(
        self,
        *,
        access: StaffAccess,
        page_cache: VersionedPageCache,
        events: Events,
        clock: Clock,
        listings: Listings,
        ratings: Ratings,
        reviews: Reviews | None = None,
    ):
        self._access = access  # StaffAccess
        self._cache = page_cache
        self._events = events
        self._clock = clock
        self._listings = listings
        self._ratings = ratings
        self._reviews = reviews or NoReviews()  # the orders module fills the slot

    # reads
    def get_for_user(self, *, user_id: int) -> VendorSummary | None:
        vendor = _vendor_model().objects.filter(user_id=user_id).first()
        return summarize(vendor) if vendor else None

    def get(self, *, vendor_id: int) -> VendorSummary:
        try:
            return summarize(_vendor_model().objects.get(pk=int(vendor_id)))
        except (_vendor_model().DoesNotExist, TypeError, ValueError):
            raise NotFound(_("No such shop.")) from None

    def require_active(self, *, user_id: int) -> VendorSummary:
        """The caller's shop, if it may sell; otherwise a refusal that says why."""
        vendor = self.get_for_user(user_id=user_id)
        if vendor is None:
            raise VendorNotActive(_("Only vendors can do this. Apply to open a shop first."))
        if vendor.suspended:
            raise VendorNotActive(_("Your shop is suspended: %(reason)s") % {"reason": vendor.suspension_reason})
        if vendor.status == "pending":
            raise VendorNotActive(_("Your shop is waiting for review; you can list products once it is approved."))
        if vendor.status == "rejected":
            raise VendorNotActive(_("Your application was rejected: %(reason)s") % {"reason": vendor.review_note})
        return vendor

    def open_shops(self, *, page: int = 1, page_size: int = 24) -> PageOf:
        """Shops that sell now (approved, not suspended), by name, with their ratings: the API's
        list of shops. ``PageOf`` rows are ``(VendorSummary, VendorRating)``."""
        shops = _vendor_model().objects.filter(status="approved", suspended_at=None)
        count = shops.count()
        number, offset, pages = page_bounds(count=count, page=int(page), size=page_size)
        rows = [summarize(v) for v in shops.order_by(Lower("shop_name"), "pk")[offset : offset + page_size]]
        ratings = self._ratings.ratings_for(vendor_ids=[row.id for row in rows]) if rows else {}
        paired = tuple((row, ratings.get(row.id, NO_RATING)) for row in rows)
        return PageOf(rows=paired, number=number, num_pages=pages, count=count)

    def storefront(
        self, *, slug: str, page: int = 1, viewer_id: int | None = None, reviews_page: int = 1
    ) -> Storefront:
        """A shop's public page. Only active shops have one, except for their owner and the staff
        who manage shops.

        The page's data is kept in the page cache under the shop's version, so a request that
        finds it runs no query at all."""
        slug = str(slug)[:SLUG_MAX].lower()
        if not _ANY_SLUG.fullmatch(slug):
            # Not a slug at all (from the API's path; the pages' URL converter allows only these):
            # no such shop, and no query (PostgreSQL refuses a NUL in a string).
            raise NotFound(_("No such shop."))
        page = min(max(1, int(page)), MAX_PAGE)
        reviews_page = min(max(1, int(reviews_page)), MAX_PAGE)
        key = f"storefront:{slug}:{page}:{reviews_page}"
        front, stamp = self._cache.fetch(key, [f"shop:{slug}"])
        if front is None:
            vendor = _vendor_model().objects.filter(slug=slug).first()
            if vendor is None:
                raise NotFound(_("No such shop."))
            summary = summarize(vendor)
            listing = self._listings.storefront_page(vendor_id=summary.id, page=page) if summary.is_active else PageOf()
            rating = self._ratings.ratings_for(vendor_ids=[summary.id]).get(summary.id, NO_RATING)
            reviews = self._reviews.for_shop(vendor_id=summary.id, page=reviews_page)
            front = Storefront(vendor=summary, listing=listing, rating=rating, reviews=reviews)
            self._cache.store(key, stamp, front)
        if (
            not front.vendor.is_active
            and viewer_id != front.vendor.user_id
            and not self._access.can(viewer_id, Capability.MANAGE_VENDORS)
        ):
            raise NotFound(_("No such shop."))
        return front

    def dashboard_products(self, *, user_id: int) -> list:
        vendor = self.get_for_user(user_id=user_id)
        return self._listings.vendor_products(vendor_id=vendor.id) if vendor else []

    def applications(self, *, staff_id: int) -> dict[str, list[VendorSummary]]:
        """The staff queue: pending first, then every shop by state."""
        self._require_staff(staff_id)
        rows = [summarize(v) for v in _vendor_model().objects.order_by("created_at", "pk")]
        return {
            "pending": [v for v in rows if v.status == "pending"],
            "active": [v for v in rows if v.is_active],
            "suspended": [v for v in rows if v.suspended],
            "rejected": [v for v in rows if v.status == "rejected"],
        }

    # writes: the applicant
    def apply(self, *, user_id: int, shop_name: str, slug: str, description: str) -> VendorSummary:
        """Open an application, or send a rejected one again with changes."""
        Vendor = _vendor_model()
        shop_name = clean_text(shop_name)
        slug = clean_text(slug).lower()
        description = clean_text(description)
        errors = self._shop_errors(shop_name=shop_name, description=description)
        errors.update(self._slug_errors(slug))
        existing = Vendor.objects.filter(user_id=user_id).first()
        if existing is not None and existing.status != Vendor.Status.REJECTED:
            raise VendorApplicationError(
                _("You already have a shop.")
                if existing.status == "approved"
                else _("Your application is already waiting for review.")
            )
        errors.update(self._taken_errors(shop_name=shop_name, slug=slug, exclude_id=existing.pk if existing else None))
        if errors:
            raise VendorApplicationError(_("Please correct the errors below."), errors=errors)
        now = self._clock.now()
        try:
            with transaction.atomic():
                if existing is None:
                    vendor = Vendor.objects.create(
                        user_id=user_id,
                        shop_name=shop_name,
                        slug=slug,
                        description=description,
                        created_at=now,
                        updated_at=now,
                    )
                else:
                    vendor = Vendor.objects.select_for_update().get(pk=existing.pk)
                    if vendor.status != Vendor.Status.REJECTED:
                        raise VendorApplicationError(_("Your application is already waiting for review."))
                    self._touch(vendor)  # its old address may be cached as a rejected shop
                    vendor.shop_name, vendor.slug, vendor.description = shop_name, slug, description
                    vendor.status, vendor.updated_at = Vendor.Status.PENDING, now
                    vendor.save(update_fields=["shop_name", "slug", "description", "status", "updated_at"])
                self._touch(vendor)
                self._events.publish("vendors.applied", vendor_id=vendor.pk, user_id=user_id)
        except IntegrityError:  # a racing applicant took the name or address first
            raise VendorApplicationError(_("That shop name or address was just taken."), field="slug") from None
        return summarize(vendor)

    def update_shop(self, *, user_id: int, shop_name: str, description: str) -> VendorSummary:
        """An approved vendor renames the shop or rewrites its description; the address stays."""
        Vendor = _vendor_model()
        shop_name = clean_text(shop_name)
        description = clean_text(description)
        errors = self._shop_errors(shop_name=shop_name, description=description)
        vendor = Vendor.objects.filter(user_id=user_id).first()
        if vendor is None:
            raise NotFound(_("You have no shop."))
        if vendor.status != Vendor.Status.APPROVED:
            raise VendorNotActive(_("You can edit your shop once it is approved."))
        errors.update(self._taken_errors(shop_name=shop_name, slug=None, exclude_id=vendor.pk))
        if errors:
            raise VendorApplicationError(_("Please correct the errors below."), errors=errors)
        try:
            with transaction.atomic():
                Vendor.objects.filter(pk=vendor.pk).update(
                    shop_name=shop_name, description=description, updated_at=self._clock.now()
                )
                self._touch(vendor)  # the slug never changes once approved
        except IntegrityError:
            raise VendorApplicationError(_("That shop name was just taken."), field="shop_name") from None
        return self.get(vendor_id=vendor.pk)

    # writes: staff
    def approve(self, *, staff_id: int, vendor_id: int) -> VendorSummary:
        return self._review(staff_id, vendor_id, approve=True, reason="")

    def reject(self, *, staff_id: int, vendor_id: int, reason: str) -> VendorSummary:
        return self._review(staff_id, vendor_id, approve=False, reason=reason)

    def suspend(self, *, staff_id: int, vendor_id: int, reason: str) -> VendorSummary:
        """Hide the shop and all its listings at once; nothing is deleted."""
        self._require_staff(staff_id)
        reason = self._reason(reason)
        Vendor = _vendor_model()
        with transaction.atomic():
            vendor = self._locked(vendor_id)
            if vendor.status != Vendor.Status.APPROVED:
                raise VendorStateError(_("Only approved shops can be suspended."))
            if vendor.suspended_at is not None:
                raise VendorStateError(_("This shop is already suspended."))
            vendor.suspended_at = vendor.updated_at = self._clock.now()
            vendor.suspension_reason, vendor.suspended_by_id = reason, staff_id
            vendor.save(update_fields=["suspended_at", "updated_at", "suspension_reason", "suspended_by"])
            self._touch(vendor)
            self._events.publish("vendors.suspended", vendor_id=vendor.pk, reason=reason)
        return summarize(vendor)

    def unsuspend(self, *, staff_id: int, vendor_id: int) -> VendorSummary:
        self._require_staff(staff_id)
        with transaction.atomic():
            vendor = self._locked(vendor_id)
            if vendor.suspended_at is None:
                raise VendorStateError(_("This shop is not suspended."))
            vendor.suspended_at, vendor.suspended_by_id = None, None
            vendor.updated_at = self._clock.now()
            vendor.save(update_fields=["suspended_at", "suspended_by", "updated_at"])
            self._touch(vendor)
            self._events.publish("vendors.unsuspended", vendor_id=vendor.pk)
        return summarize(vendor)

    def refresh_storefront(self, *, vendor_id: int) -> None:
        """Something shown on the shop's pages changed elsewhere (a review): drop cached copies."""
        vendor = _vendor_model().objects.filter(pk=int(vendor_id)).first()
        if vendor is not None:
            self._touch(vendor)

    # helpers
    def _review(self, staff_id: int, vendor_id: int, *, approve: bool, reason: str) -> VendorSummary:
        self._require_staff(staff_id)
        Vendor = _vendor_model()
        if not approve:
            reason = self._reason(reason)
        with transaction.atomic():
            vendor = self._locked(vendor_id)
            if vendor.status != Vendor.Status.PENDING:
                raise VendorStateError(
                    _("This application was already %(status)s.") % {"status": vendor.get_status_display().lower()}
                )
            vendor.status = Vendor.Status.APPROVED if approve else Vendor.Status.REJECTED
            vendor.review_note = reason
            vendor.reviewed_by_id = staff_id
            vendor.reviewed_at = vendor.updated_at = self._clock.now()
            vendor.save(update_fields=["status", "review_note", "reviewed_by", "reviewed_at", "updated_at"])
            self._touch(vendor)
            topic = "vendors.approved" if approve else "vendors.rejected"
            self._events.publish(topic, vendor_id=vendor.pk, user_id=vendor.user_id)
        return summarize(vendor)

    def _require_staff(self, staff_id: int) -> None:
        self._access.require(staff_id, Capability.MANAGE_VENDORS)

    def _locked(self, vendor_id):
        Vendor = _vendor_model()
        try:
            return Vendor.objects.select_for_update().get(pk=int(vendor_id))
        except (Vendor.DoesNotExist, TypeError, ValueError):
            raise NotFound(_("No such shop.")) from None

    def _touch(self, vendor) -> None:
        """After commit: the shop's pages and the catalog are stale; so are its products' pages,
        which the products module bumps on ``vendors.shop_changed``."""
        self._cache.bump_on_commit(["catalog", f"shop:{vendor.slug}"])
        self._events.publish("vendors.shop_changed", vendor_id=vendor.pk, slug=vendor.slug)

    @staticmethod
    def _reason(reason: str) -> str:
        reason = clean_text(reason)
        problems = text_errors(reason, max_length=REASON_MAX, min_length=5, required=True, plain=False)
        if problems:
            raise VendorApplicationError(_("Give a reason the vendor will see."), errors={"reason": problems})
        return reason

    @staticmethod
    def _shop_errors(*, shop_name: str, description: str) -> dict[str, list[str]]:
        errors = {}
        problems = text_errors(shop_name, max_length=SHOP_NAME_MAX, min_length=SHOP_NAME_MIN, required=True)
        if problems:
            errors["shop_name"] = problems
        problems = text_errors(description, max_length=DESCRIPTION_MAX)
        if problems:
            errors["description"] = problems
        return errors

    @staticmethod
    def _slug_errors(slug: str) -> dict[str, list[str]]:
        if not slug:
            return {"slug": [_("Choose the address of your shop.")]}
        if not SLUG_MIN <= len(slug) <= SLUG_MAX:
            return {
                "slug": [
                    _("Between %(minimum)s and %(maximum)s characters.") % {"minimum": SLUG_MIN, "maximum": SLUG_MAX}
                ]
            }
        if not _SLUG.match(slug):
            return {"slug": [_("Use lower-case letters, digits and single hyphens (such as bobs-tools).")]}
        if slug in RESERVED_SLUGS:
            return {"slug": [_("That address is reserved; choose another.")]}
        return {}

    @staticmethod
    def _taken_errors(*, shop_name: str, slug: str | None, exclude_id: int | None) -> dict[str, list[str]]:
        others = _vendor_model().objects.exclude(pk=exclude_id) if exclude_id else _vendor_model().objects.all()
        errors = {}
        if shop_name and others.annotate(n=Lower("shop_name")).filter(n=shop_name.lower()).exists():
            errors["shop_name"] = [_("Another shop has that name.")]
        if slug and others.filter(slug=slug).exists():
            errors["slug"] = [_("That address is taken.")]
        return errors
