"""VendorService on the real database: applications, staff decisions, suspension, storefronts."""

import sys

import pytest

from marketplace.vendors.models import Vendor
from services.errors import (
    NotFound,
    PermissionDenied,
    VendorApplicationError,
    VendorNotActive,
    VendorStateError,
)
from services.vendor_slots import VendorRating

pytestmark = pytest.mark.django_db


def apply(service, user, **overrides):
    data = {"shop_name": "Bob's Tools", "slug": "bobs-tools", "description": "Good tools.\nFast shipping."}
    data.update(overrides)
    return service.apply(user_id=user.pk, **data)


def test_the_provider_builds_the_current_vendor_service(vendor_service):
    assert isinstance(vendor_service, sys.modules["services.vendor_service"].VendorService)


def test_apply_opens_a_pending_shop(vendor_service, make_user):
    bob = make_user("bob")
    vendor = apply(vendor_service, bob, shop_name="  Bob's Tools  ", slug="Bobs-Tools")
    assert (vendor.shop_name, vendor.slug, vendor.status) == ("Bob's Tools", "bobs-tools", "pending")
    assert not vendor.is_active
    with pytest.raises(VendorNotActive, match="waiting for review"):
        vendor_service.require_active(user_id=bob.pk)


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        ({"shop_name": ""}, "shop_name", "required"),
        ({"shop_name": "ab"}, "shop_name", "At least 3"),
        ({"shop_name": "x" * 81}, "shop_name", "At most 80"),
        ({"shop_name": "<b>Bold</b> shop"}, "shop_name", "Plain text only"),
        ({"slug": ""}, "slug", "Choose the address"),
        ({"slug": "has space"}, "slug", "lower-case letters"),
        ({"slug": "ünïcode"}, "slug", "lower-case letters"),
        ({"slug": "double--hyphen"}, "slug", "lower-case letters"),
        ({"slug": "dashboard"}, "slug", "reserved"),
        ({"slug": "x" * 51}, "slug", "Between 3 and 50"),
        ({"description": "<script>alert(1)</script>"}, "description", "Plain text only"),
        ({"description": "y" * 5001}, "description", "At most 5000"),
    ],
)
def test_apply_refuses_bad_input_and_creates_nothing(vendor_service, make_user, overrides, field, message):
    bob = make_user("bob")
    with pytest.raises(VendorApplicationError) as caught:
        apply(vendor_service, bob, **overrides)
    assert any(message in m for m in caught.value.errors[field])
    assert not Vendor.objects.exists()


def test_names_and_addresses_are_unique_whatever_their_case(vendor_service, make_user):
    apply(vendor_service, make_user("bob"))
    with pytest.raises(VendorApplicationError) as caught:
        apply(vendor_service, make_user("eve"), shop_name="BOB'S TOOLS", slug="BOBS-TOOLS")
    assert set(caught.value.errors) == {"shop_name", "slug"}
    assert Vendor.objects.count() == 1


def test_one_shop_per_person(vendor_service, make_user):
    bob = make_user("bob")
    apply(vendor_service, bob)
    with pytest.raises(VendorApplicationError, match="already waiting"):
        apply(vendor_service, bob, shop_name="Another", slug="another")


def test_staff_approve_and_the_shop_may_sell(vendor_service, make_user, staff):
    bob = make_user("bob")
    vendor = apply(vendor_service, bob)
    approved = vendor_service.approve(staff_id=staff.pk, vendor_id=vendor.id)
    assert approved.is_active and approved.reviewed_at is not None
    assert vendor_service.require_active(user_id=bob.pk).id == vendor.id
    with pytest.raises(VendorStateError, match="already approved"):
        vendor_service.approve(staff_id=staff.pk, vendor_id=vendor.id)


def test_a_rejected_applicant_sees_why_and_may_apply_again(vendor_service, make_user, staff):
    bob = make_user("bob")
    vendor = apply(vendor_service, bob)
    with pytest.raises(VendorApplicationError):
        vendor_service.reject(staff_id=staff.pk, vendor_id=vendor.id, reason="  ")
    rejected = vendor_service.reject(staff_id=staff.pk, vendor_id=vendor.id, reason="Describe what you sell.")
    assert rejected.status == "rejected" and rejected.review_note == "Describe what you sell."
    with pytest.raises(VendorNotActive, match="Describe what you sell"):
        vendor_service.require_active(user_id=bob.pk)
    again = apply(vendor_service, bob, description="Hand tools: saws, planes, chisels.", slug="bobs-hand-tools")
    assert again.id == vendor.id and again.status == "pending" and again.slug == "bobs-hand-tools"


def test_only_staff_decide(vendor_service, make_user):
    bob, eve = make_user("bob"), make_user("eve")
    vendor = apply(vendor_service, bob)
    for action, kwargs in [
        (vendor_service.approve, {}),
        (vendor_service.reject, {"reason": "no reason"}),
        (vendor_service.suspend, {"reason": "no reason"}),
        (vendor_service.unsuspend, {}),
    ]:
        with pytest.raises(PermissionDenied):
            action(staff_id=eve.pk, vendor_id=vendor.id, **kwargs)
        with pytest.raises(PermissionDenied):
            action(staff_id=bob.pk, vendor_id=vendor.id, **kwargs)
    assert Vendor.objects.get().status == "pending"


def test_suspension_hides_the_shop_and_keeps_everything(vendor_service, make_vendor, staff):
    bob = make_vendor("bob")
    with pytest.raises(VendorStateError):
        vendor_service.unsuspend(staff_id=staff.pk, vendor_id=bob.vendor_id)
    suspended = vendor_service.suspend(staff_id=staff.pk, vendor_id=bob.vendor_id, reason="Unpaid fees.")
    assert suspended.suspended and not suspended.is_active and suspended.status == "approved"
    with pytest.raises(VendorNotActive, match="suspended: Unpaid fees"):
        vendor_service.require_active(user_id=bob.pk)
    with pytest.raises(NotFound):
        vendor_service.storefront(slug=bob.shop_slug)
    assert vendor_service.storefront(slug=bob.shop_slug, viewer_id=bob.pk).vendor.suspended
    assert vendor_service.storefront(slug=bob.shop_slug, viewer_id=staff.pk).vendor.suspended
    with pytest.raises(VendorStateError, match="already suspended"):
        vendor_service.suspend(staff_id=staff.pk, vendor_id=bob.vendor_id, reason="Again and again.")
    assert vendor_service.unsuspend(staff_id=staff.pk, vendor_id=bob.vendor_id).is_active
    assert Vendor.objects.count() == 1


def test_a_pending_shop_cannot_be_suspended_and_an_unknown_one_is_not_found(vendor_service, make_vendor, staff):
    eve = make_vendor("eve", status="pending")
    with pytest.raises(VendorStateError):
        vendor_service.suspend(staff_id=staff.pk, vendor_id=eve.vendor_id, reason="Looks odd.")
    with pytest.raises(NotFound):
        vendor_service.approve(staff_id=staff.pk, vendor_id=999_999)


def test_an_approved_vendor_edits_the_shop_but_keeps_its_address(vendor_service, make_vendor):
    bob = make_vendor("bob")
    updated = vendor_service.update_shop(user_id=bob.pk, shop_name="Bob & Sons", description="Since 1990.")
    assert (updated.shop_name, updated.slug, updated.description) == ("Bob & Sons", bob.shop_slug, "Since 1990.")
    with pytest.raises(VendorApplicationError):
        vendor_service.update_shop(user_id=bob.pk, shop_name="", description="")


def test_the_storefront_shows_no_reviews_until_a_module_provides_ratings(vendor_service, make_vendor, container):
    from decimal import Decimal

    from dependency_injector import providers

    bob = make_vendor("bob")
    assert vendor_service.storefront(slug=bob.shop_slug).rating.label == "No reviews yet"

    class Reviews:
        def ratings_for(self, *, vendor_ids):
            return {vid: VendorRating(Decimal("4.25"), 8) for vid in vendor_ids}

    with container.vendors.ratings.override(providers.Object(Reviews())):
        vendor_service.refresh_storefront(vendor_id=bob.vendor_id)
        front = container.vendors.vendor_service().storefront(slug=bob.shop_slug)
    assert front.rating.label == "4.2 / 5 from 8 reviews"


def test_the_staff_queue_groups_shops_by_state(vendor_service, make_vendor, staff):
    make_vendor("ann", status="pending")
    make_vendor("bob")
    make_vendor("cid", status="rejected")
    groups = vendor_service.applications(staff_id=staff.pk)
    assert [v.shop_name for v in groups["pending"]] == ["Ann's Shop"]
    assert [v.shop_name for v in groups["active"]] == ["Bob's Shop"]
    assert [v.shop_name for v in groups["rejected"]] == ["Cid's Shop"]
