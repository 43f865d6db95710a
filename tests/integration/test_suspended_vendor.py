"""A suspended shop takes no new orders; what it had accepted it still ships, refunds, disputes."""

import pytest
from django.test import Client
from django.urls import reverse

from services.errors import VendorNotActive
from tests.support.orders import balance, escrow, order_row

pytestmark = pytest.mark.django_db

REASON = "Listings copied from another shop."


@pytest.fixture
def suspend(market, vendor_service, staff):
    def act():
        vendor_service.suspend(staff_id=staff.pk, vendor_id=market.vendor.vendor_id, reason=REASON)

    return act


def test_a_suspended_vendor_cannot_accept_a_paid_order(market, order_in, order_service, suspend):
    ref = order_in("funded")
    suspend()
    with pytest.raises(VendorNotActive) as refused:
        order_service.accept(actor_id=market.vendor.pk, reference=ref)
    assert "Your shop is suspended" in refused.value.message and REASON in refused.value.message
    order = order_row(ref)
    assert order.state == "funded" and order.accepted_at is None and escrow(ref) == 120_000


def test_the_refusal_reaches_the_vendor_on_the_page_and_changes_nothing(market, order_in, suspend):
    ref = order_in("funded")
    suspend()
    vendor = Client()
    vendor.force_login(market.vendor)
    response = vendor.post(reverse("orders:act", args=[ref, "accept"]))
    assert response.status_code == 403
    assert "Your shop is suspended, so it cannot accept new orders" in response.content.decode()
    assert order_row(ref).state == "funded"


def test_a_suspended_vendor_may_still_decline_so_the_buyer_is_refunded_at_once(
    market, order_in, order_service, suspend
):
    ref = order_in("funded")
    before = balance(market.buyer)
    suspend()
    order_service.decline(actor_id=market.vendor.pk, reference=ref, reason="Shop suspended.")
    assert order_row(ref).state == "declined" and balance(market.buyer) == before + 120_000


def test_orders_accepted_before_the_suspension_can_still_be_shipped_disputed_and_refunded(
    market, order_in, order_service, suspend
):
    to_ship, to_dispute = order_in("accepted"), order_in("shipped")
    suspend()
    order_service.ship(actor_id=market.vendor.pk, reference=to_ship, tracking_note="Posted.")
    assert order_row(to_ship).state == "shipped"
    order_service.open_dispute(
        actor_id=market.buyer.pk, reference=to_dispute, reason="The lamp arrived broken in two pieces."
    )
    assert order_row(to_dispute).state == "disputed"
    before = balance(market.buyer)
    order_service.resolve_dispute(
        staff_id=market.staff.pk,
        reference=to_dispute,
        ruling="refund",
        note="Refunded in full: the lamp arrived broken.",
    )
    assert order_row(to_dispute).state == "resolved" and balance(market.buyer) == before + 120_000


def test_once_the_suspension_is_lifted_the_shop_accepts_again(
    market, order_in, order_service, vendor_service, staff, suspend
):
    ref = order_in("funded")
    suspend()
    vendor_service.unsuspend(staff_id=staff.pk, vendor_id=market.vendor.vendor_id)
    order_service.accept(actor_id=market.vendor.pk, reference=ref)
    assert order_row(ref).state == "accepted"
