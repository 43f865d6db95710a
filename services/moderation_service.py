"""Reports of listings by buyers, and what moderators (``MODERATE_CATALOG``) decide about them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from services.errors import ModerationError, NotFound
from services.page_cache import scopes_for_product
from services.staff_access import Capability
from services.text_rules import clean_text, text_errors

if TYPE_CHECKING:
    from services.page_cache import VersionedPageCache
    from services.ports import Clock, Events
    from services.staff_access import StaffAccess

DETAILS_MAX = 1000
NOTE_MAX = 1000


def _models():
    from marketplace.products import models

    return models


class ModerationService:
    def __init__(self, *, page_cache: VersionedPageCache, events: Events, clock: Clock, access: StaffAccess):
        self._access = access  # StaffAccess
        self._cache = page_cache
        self._events = events
        self._clock = clock

    def report(self, *, reporter_id: int, product_id: int, reason: str, details: str = "") -> int:
        """Any signed-in person reports a listing they can see (not their own)."""
        models = _models()
        details = clean_text(details)
        if reason not in models.ProductReport.Reason.values:
            raise ModerationError(_("Choose a reason."), field="reason")
        problems = text_errors(details, max_length=DETAILS_MAX, plain=False)
        if reason == models.ProductReport.Reason.OTHER and not details:
            problems = [_("Tell staff what is wrong with this listing.")]
        if problems:
            raise ModerationError(_("Please correct the errors below."), errors={"details": problems})
        product = (
            models.Product.objects.filter(pk=product_id, deleted_at=None)
            .select_related("vendor")
            .values_list("pk", "vendor__user_id")
            .first()
        )
        if product is None:
            raise NotFound(_("No such product."))
        if product[1] == reporter_id:
            raise ModerationError(_("You cannot report your own listing."))
        try:
            with transaction.atomic():
                report = models.ProductReport.objects.create(
                    product_id=product[0],
                    reporter_id=reporter_id,
                    reason=reason,
                    details=details,
                    created_at=self._clock.now(),
                )
                self._events.publish("products.reported", product_id=product[0], report_id=report.pk)
        except IntegrityError:
            raise ModerationError(_("You already reported this listing; staff will look at it.")) from None
        return report.pk

    def unlist(self, *, staff_id: int, product_id: int, note: str) -> None:
        """Take a listing down with a note its vendor sees; its open reports are settled."""
        self._require_staff(staff_id)
        note = self._note(note)
        self._decide(staff_id, product_id, moderation="unlisted", note=note, report_state="actioned")

    def restore(self, *, staff_id: int, product_id: int) -> None:
        self._require_staff(staff_id)
        self._decide(staff_id, product_id, moderation="ok", note="", report_state=None)

    def dismiss_reports(self, *, staff_id: int, product_id: int) -> int:
        """The listing is fine: close its open reports, change nothing else."""
        self._require_staff(staff_id)
        models = _models()
        with transaction.atomic():
            return models.ProductReport.objects.filter(product_id=product_id, state="open").update(
                state="dismissed", resolved_by_id=staff_id, resolved_at=self._clock.now()
            )

    def _decide(self, staff_id, product_id, *, moderation: str, note: str, report_state: str | None):
        models = _models()
        with transaction.atomic():
            product = (
                models.Product.objects.select_for_update(of=("self",))
                .select_related("vendor")
                .filter(pk=product_id, deleted_at=None)
                .first()
            )
            if product is None:
                raise NotFound(_("No such product."))
            if product.moderation == moderation:
                raise ModerationError(
                    _("This listing is already unlisted.")
                    if moderation == "unlisted"
                    else _("This listing is not unlisted.")
                )
            now = self._clock.now()
            product.moderation, product.moderation_note = moderation, note
            product.moderated_by_id, product.moderated_at, product.updated_at = staff_id, now, now
            product.save(update_fields=["moderation", "moderation_note", "moderated_by", "moderated_at", "updated_at"])
            if report_state:
                models.ProductReport.objects.filter(product_id=product.pk, state="open").update(
                    state=report_state, resolved_by_id=staff_id, resolved_at=now
                )
            self._cache.bump_on_commit(scopes_for_product(product.pk, product.vendor.slug))
            self._events.publish(
                f"products.{moderation}" if moderation == "unlisted" else "products.restored",
                product_id=product.pk,
                vendor_id=product.vendor_id,
                note=note,
            )

    @staticmethod
    def _note(note: str) -> str:
        note = clean_text(note)
        problems = text_errors(note, max_length=NOTE_MAX, min_length=5, required=True, plain=False)
        if problems:
            raise ModerationError(_("Write a note the vendor will see."), errors={"note": problems})
        return note

    def _require_staff(self, staff_id: int) -> None:
        self._access.require(staff_id, Capability.MODERATE_CATALOG)
