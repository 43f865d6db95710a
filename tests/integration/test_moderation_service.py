"""Reports and staff decisions: the queue, unlisting with a note the vendor sees, restoring."""

import pytest
from django.urls import reverse

from marketplace.products.models import Product, ProductReport
from services.errors import ModerationError, NotFound, PermissionDenied
from tests.support.staff import verified_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def listing(make_vendor, make_product):
    bob = make_vendor("bob")
    return bob, make_product(bob)


def test_reports_queue_up_for_staff_grouped_by_listing(listing, moderation_service, catalog_queries, make_user, staff):
    _, product_id = listing
    moderation_service.report(reporter_id=make_user("alice").pk, product_id=product_id, reason="counterfeit")
    moderation_service.report(
        reporter_id=make_user("dan").pk, product_id=product_id, reason="other", details="Photos are stolen."
    )
    queue = catalog_queries.moderation_queue(staff_id=staff.pk)
    assert [(i.product_id, len(i.reports)) for i in queue] == [(product_id, 2)]
    assert [r["reason"] for r in queue[0].reports] == ["Counterfeit", "Something else"]


def test_one_open_report_per_person_and_none_on_ones_own(listing, moderation_service, make_user):
    bob, product_id = listing
    alice = make_user("alice")
    moderation_service.report(reporter_id=alice.pk, product_id=product_id, reason="misleading")
    with pytest.raises(ModerationError, match="already reported"):
        moderation_service.report(reporter_id=alice.pk, product_id=product_id, reason="offensive")
    with pytest.raises(ModerationError, match="your own listing"):
        moderation_service.report(reporter_id=bob.pk, product_id=product_id, reason="other", details="test")
    with pytest.raises(NotFound):
        moderation_service.report(reporter_id=alice.pk, product_id=424242, reason="misleading")
    assert ProductReport.objects.count() == 1


def test_staff_unlist_with_a_note_the_vendor_sees(listing, moderation_service, make_user, staff, client):
    bob, product_id = listing
    moderation_service.report(reporter_id=make_user("alice").pk, product_id=product_id, reason="prohibited")
    with pytest.raises(ModerationError):
        moderation_service.unlist(staff_id=staff.pk, product_id=product_id, note="")
    with pytest.raises(PermissionDenied):
        moderation_service.unlist(staff_id=bob.pk, product_id=product_id, note="Not allowed here.")
    moderation_service.unlist(staff_id=staff.pk, product_id=product_id, note="Weapons are not allowed.")
    product = Product.objects.get()
    assert (product.moderation, product.moderation_note, product.moderated_by_id) == (
        "unlisted",
        "Weapons are not allowed.",
        staff.pk,
    )
    assert list(ProductReport.objects.values_list("state", flat=True)) == ["actioned"]
    with pytest.raises(ModerationError, match="already unlisted"):
        moderation_service.unlist(staff_id=staff.pk, product_id=product_id, note="Twice over.")

    assert client.get(reverse("products:detail", args=[product_id])).status_code == 404
    client.force_login(bob)
    dashboard = client.get(reverse("vendors:dashboard")).content.decode()
    assert "Unlisted by staff" in dashboard and "Staff note: Weapons are not allowed." in dashboard
    page = client.get(reverse("products:detail", args=[product_id])).content.decode()
    assert "Hidden from buyers: staff unlisted it: Weapons are not allowed." in page
    edit = client.get(reverse("products:edit", args=[product_id])).content.decode()
    assert "Staff unlisted this product: Weapons are not allowed." in edit

    moderation_service.restore(staff_id=staff.pk, product_id=product_id)
    assert Product.objects.get().moderation == "ok"
    assert client.get(reverse("products:detail", args=[product_id])).status_code == 200


def test_dismissing_closes_reports_and_keeps_the_listing(
    listing, moderation_service, make_user, staff, catalog_queries
):
    _, product_id = listing
    moderation_service.report(reporter_id=make_user("alice").pk, product_id=product_id, reason="offensive")
    assert moderation_service.dismiss_reports(staff_id=staff.pk, product_id=product_id) == 1
    assert catalog_queries.moderation_queue(staff_id=staff.pk) == []
    assert Product.objects.get().moderation == "ok"


def test_the_staff_queue_page_and_actions(listing, moderation_service, make_user, staff, client):
    _, product_id = listing
    moderation_service.report(
        reporter_id=make_user("alice").pk, product_id=product_id, reason="counterfeit", details="Fake logo."
    )
    verified_client(staff, client)
    queue = client.get(reverse("products:moderation")).content.decode()
    assert "Fake logo." in queue and "alice" in queue
    response = client.post(
        reverse("products:moderate-unlist", args=[product_id]), {"note": "Counterfeit logo."}, follow=True
    )
    assert "the vendor sees your note" in response.content.decode()
    assert Product.objects.get().moderation_note == "Counterfeit logo."
    response = client.post(reverse("products:moderate-unlist", args=[product_id]), {"note": "Again"})
    assert response.status_code == 400  # a refusal page, not a crash
