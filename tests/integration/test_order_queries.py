"""OrderQueries: ready rows in a fixed number of queries, and only for the order's parties."""

from decimal import Decimal

import pytest

from services.errors import NotFound, PermissionDenied

pytestmark = pytest.mark.django_db


def make_orders(market, place, n):
    return [place(market.buyer, {market.saw if i % 2 else market.lamp: 1}) for i in range(n)]


def test_lists_take_a_fixed_number_of_queries(
    market, place, order_service, order_queries, fund, django_assert_num_queries
):
    from marketplace.products.models import Product

    Product.objects.filter(pk__in=[market.lamp, market.saw]).update(stock=100)
    fund(market.buyer, 10_000_000)
    for n in (1, 12):
        make_orders(market, place, n)
        with django_assert_num_queries(2):
            page = order_queries.buyer_orders(buyer_id=market.buyer.pk)
        assert page.rows and all(row.vendor_name == "Vendor's Shop" for row in page.rows)
        with django_assert_num_queries(3):
            page, counts = order_queries.vendor_orders(vendor_user_id=market.vendor.pk, tab="todo")
        assert counts["todo"] == page.count and page.rows[0].created_at <= page.rows[-1].created_at


def test_rows_say_what_was_bought(market, place, order_queries):
    place(market.buyer, {market.lamp: 1, market.saw: 2})
    row = order_queries.buyer_orders(buyer_id=market.buyer.pk).rows[0]
    assert row.summary == "Brass desk lamp and 1 more" and row.total_sat == 240_000
    assert row.url == f"/orders/{row.reference}/" and row.state_label == "Paid, waiting for the vendor"


def test_vendor_tabs_and_pages(market, order_in, order_queries, marketplace_config, container):
    order_in("funded"), order_in("shipped"), order_in("cancelled"), order_in("disputed")
    _, counts = order_queries.vendor_orders(vendor_user_id=market.vendor.pk)
    assert counts == {"todo": 1, "shipped": 1, "disputed": 1, "closed": 1}
    page, _ = order_queries.vendor_orders(vendor_user_id=market.vendor.pk, tab="nonsense", page="x")
    assert page.number == 1 and [r.state for r in page.rows] == ["funded"]
    assert order_queries.vendor_orders(vendor_user_id=market.buyer.pk)[0].count == 0
    with marketplace_config(orders={"page_size": 1}, reload=["order_queries"]):
        page = container.orders.order_queries().buyer_orders(buyer_id=market.buyer.pk, page=99)
        assert (page.number, page.num_pages, len(page.rows)) == (4, 4, 1)


def test_detail_takes_four_queries_whatever_the_history(
    market, order_in, order_queries, message_service, django_assert_num_queries
):
    ref = order_in("disputed")
    for i in range(5):
        message_service.post(actor_id=market.buyer.pk, reference=ref, body=f"Message {i}")
    with django_assert_num_queries(4):
        detail = order_queries.order_detail(viewer_id=market.buyer.pk, reference=ref)
    assert [e.to_state for e in detail.events] == ["funded", "accepted", "shipped", "disputed"]
    assert len(detail.messages) == 5 and detail.messages[0].author_role == "buyer"
    assert detail.dispute.reason == "The lamp never arrived at my address." and detail.role == "buyer"
    assert detail.actions == {"message"}


def test_detail_offers_each_party_only_what_it_may_do(market, order_in, order_queries, clock, make_user):
    ref = order_in("funded")

    def actions(user, now=None):
        return order_queries.order_detail(viewer_id=user.pk, reference=ref, now=now).actions

    assert actions(market.buyer) == {"cancel", "message"}
    assert actions(market.vendor) == {"accept", "decline", "message"}
    clock.advance(days=4)
    assert actions(market.vendor, now=clock.now()) == {"decline", "message"}
    assert actions(market.staff) == frozenset()  # finance look at an undisputed order, and do nothing
    with pytest.raises(NotFound):
        actions(make_user("stranger"))


def test_staff_see_disputed_orders_and_the_queue(market, order_in, order_queries, order_service):
    ref = order_in("disputed")
    order_in("shipped")
    detail = order_queries.order_detail(viewer_id=market.staff.pk, reference=ref)
    assert detail.role == "staff" and detail.actions == {"resolve", "message"}
    page, counts = order_queries.dispute_queue(staff_id=market.staff.pk)
    assert counts == {"open": 1, "resolved": 0} and [r.reference for r in page.rows] == [ref]
    with pytest.raises(PermissionDenied):
        order_queries.dispute_queue(staff_id=market.buyer.pk)


def test_open_escrows_and_ratings_are_one_query_each(
    market, order_in, order_queries, review_service, make_vendor, django_assert_num_queries
):
    from marketplace.products.models import Product

    Product.objects.filter(pk=market.lamp).update(stock=10)
    open_refs = {order_in("funded"), order_in("shipped"), order_in("disputed")}
    done = [order_in("completed") for _ in range(2)]
    order_in("cancelled")
    with django_assert_num_queries(1):
        escrows = order_queries.open_escrows()
    assert escrows == dict.fromkeys(open_refs, 120_000)
    review_service.leave(actor_id=market.buyer.pk, reference=done[0], rating=5, text="Lovely.")
    review_service.leave(actor_id=market.buyer.pk, reference=done[1], rating=4)
    quiet = make_vendor("quiet")
    with django_assert_num_queries(1):
        ratings = order_queries.ratings_for(vendor_ids=[market.vendor.vendor_id, quiet.vendor_id])
    assert ratings == {market.vendor.vendor_id: ratings[market.vendor.vendor_id]}
    assert ratings[market.vendor.vendor_id].average == Decimal("4.5")
    assert ratings[market.vendor.vendor_id].label == "4.5 / 5 from 2 reviews"
