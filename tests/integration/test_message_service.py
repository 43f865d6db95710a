"""MessageService: one thread per order, for its buyer, its vendor and (in a dispute) finance staff."""

import pytest

from marketplace.orders.models import Message
from services.errors import MessageError, NotFound, PermissionDenied

pytestmark = pytest.mark.django_db


def test_buyer_and_vendor_write_to_each_other(market, order_in, message_service, order_queries):
    ref = order_in("accepted")
    message_service.post(actor_id=market.buyer.pk, reference=ref, body="Could you wrap it as a gift?")
    message_service.post(actor_id=market.vendor.pk, reference=ref, body="  Of course.  ")
    thread = order_queries.order_detail(viewer_id=market.vendor.pk, reference=ref).messages
    assert [(m.author, m.author_role, m.body) for m in thread] == [
        ("buyer", "buyer", "Could you wrap it as a gift?"),
        ("vendor", "vendor", "Of course."),
    ]


def test_nobody_else_reads_or_writes_and_staff_only_in_a_dispute(market, order_in, message_service, make_user):
    ref = order_in("shipped")
    stranger = make_user("stranger")
    for actor in (stranger.pk, None):
        with pytest.raises(NotFound):
            message_service.post(actor_id=actor, reference=ref, body="Let me in.")
    with pytest.raises(PermissionDenied):  # finance may look at the order, and write only in a dispute
        message_service.post(actor_id=market.staff.pk, reference=ref, body="Let me in.")
    disputed = order_in("disputed")
    message_service.post(actor_id=market.staff.pk, reference=disputed, body="Please send a photo of the box.")
    with pytest.raises(NotFound):
        message_service.post(actor_id=stranger.pk, reference=disputed, body="And me?")
    assert list(Message.objects.values_list("body", flat=True)) == ["Please send a photo of the box."]


def test_bodies_are_required_and_bounded(market, order_in, message_service):
    ref = order_in("funded")
    for body in ("", "   ", "x" * 2001, None):
        with pytest.raises(MessageError) as caught:
            message_service.post(actor_id=market.buyer.pk, reference=ref, body=body)
        assert "body" in caught.value.errors
    assert not Message.objects.exists()
