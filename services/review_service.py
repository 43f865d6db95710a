"""Reviews: after an order completes, its buyer rates it once (1 to 5, with a few words).

The vendor's storefront shows the average and count (``OrderQueries.ratings_for`` fills the
vendors' ``ratings`` slot) and the reviews themselves (``ReviewQueries``); a review counts for
every product of its order, whose rating summaries (the catalog cards') are updated in the
review's transaction, and the catalog, shop and product pages are dropped once it commits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from marketplace.orders.models import Review
from services import order_states as states
from services.errors import IllegalTransition, PermissionDenied, ReviewError
from services.order_parties import order_for
from services.text_rules import clean_text, text_errors

if TYPE_CHECKING:
    from services.catalog_service import CatalogService
    from services.ports import Clock, Events
    from services.staff_access import StaffAccess
    from services.vendor_service import VendorService

TEXT_MAX = 2000


@dataclass(frozen=True)
class LeftReview:
    review_id: int
    reference: str
    vendor_id: int
    rating: int


class ReviewService:
    def __init__(
        self,
        *,
        vendor_service: VendorService,
        catalog_service: CatalogService,
        events: Events,
        clock: Clock,
        access: StaffAccess,
    ):
        self._access = access  # StaffAccess: staff who may look at an order are told no, not "no such order"
        self._vendors = vendor_service
        self._catalog = catalog_service
        self._events = events
        self._clock = clock

    def leave(self, *, actor_id: int, reference: str, rating: int, text: str = "") -> LeftReview:
        errors = {}
        if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
            errors["rating"] = [_("Choose a rating from 1 to 5 stars.")]
        text = clean_text(text if isinstance(text, str) else "")
        problems = text_errors(text, max_length=TEXT_MAX)
        if problems:
            errors["text"] = problems
        if errors:
            raise ReviewError(_("Please correct the review."), errors=errors)
        order, role = order_for(reference, actor_id, self._access)
        if role != states.BUYER:
            raise PermissionDenied(_("Only the buyer can review an order."))
        if order.state != states.COMPLETED:
            raise IllegalTransition(_("You can review an order once it is completed."))
        try:
            with transaction.atomic():
                review = Review.objects.create(order=order, rating=rating, text=text, created_at=self._clock.now())
                product_ids = order.lines.values_list("product_id", flat=True)
                self._catalog.record_rating(product_ids=list(product_ids), rating=rating)
                self._vendors.refresh_storefront(vendor_id=order.vendor_id)
                self._events.publish(
                    "orders.reviewed",
                    reference=order.reference,
                    order_id=order.pk,
                    buyer_id=order.buyer_id,
                    vendor_user_id=order.vendor.user_id,
                    rating=rating,
                )
        except IntegrityError:
            raise ReviewError(_("You have already reviewed this order.")) from None
        return LeftReview(review.pk, order.reference, order.vendor_id, rating)
