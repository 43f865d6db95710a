"""The orders pages through Django's test client: cart, checkout, order lists and detail with
actions, the vendor queue, the staff disputes; bad input gets a 4xx and a clear message."""

import re

import pytest
from django.test import Client

from marketplace.orders.models import Order
from tests.support.orders import balance, escrow, order_row, stock
from tests.support.staff import verified_client

pytestmark = pytest.mark.django_db


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def key_and_total(html: str) -> dict:
    key = re.search(r'name="idempotency_key" value="([0-9a-f]+)"', html).group(1)
    total = re.search(r'name="expected_total_sat" value="(\d+)"', html).group(1)
    return {"idempotency_key": key, "expected_total_sat": total}


def test_buy_from_the_product_page_through_checkout(market, clock):
    buyer = login(market.buyer)
    page = buyer.get(f"/products/{market.lamp}/").content.decode()
    assert 'action="/orders/cart/add/"' in page and "Add to cart" in page
    response = buyer.post("/orders/cart/add/", {"product_id": market.lamp, "quantity": "2"})
    assert response.status_code == 302 and response["Location"] == "/orders/cart/"
    cart = buyer.get("/orders/cart/")
    assert cart.status_code == 200 and 'id="cart-total">0.00240000<' in cart.content.decode()
    checkout = buyer.get("/orders/checkout/").content.decode()
    assert "0.01000000 BTC" in checkout and "Pay 0.00240000 BTC" in checkout
    assert "automatically 14 days after shipping" in checkout and "within 3 days" in checkout
    form = key_and_total(checkout)
    response = buyer.post("/orders/checkout/", form)
    order = Order.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/orders/{order.reference}/"
    again = buyer.post("/orders/checkout/", form)  # the double click
    assert again.status_code == 302 and again["Location"] == f"/orders/{order.reference}/"
    assert Order.objects.count() == 1 and balance(market.buyer) == 1_000_000 - 240_000
    detail = buyer.get(f"/orders/{order.reference}/").content.decode()
    assert "Paid 0.00240000 BTC into escrow for 1 order" in detail
    assert "Cancel order" in detail and "Accept order" not in detail


def test_checkout_refusals_are_shown_on_the_page(market, make_user, fund):
    poor = make_user("poor")
    fund(poor, 50_000)
    client = login(poor)
    client.post("/orders/cart/add/", {"product_id": market.lamp, "quantity": "1"})
    page = client.get("/orders/checkout/").content.decode()
    assert "Your balance is 0.00070000 BTC short" in page and 'id="pay"' not in page
    response = client.post("/orders/checkout/", {"idempotency_key": "k1", "expected_total_sat": "120000"})
    assert response.status_code == 400 and "Insufficient funds" in response.content.decode()
    response = client.post("/orders/checkout/", {"idempotency_key": "", "expected_total_sat": "x"})
    assert response.status_code == 400 and "This checkout form is invalid" in response.content.decode()
    response = client.post("/orders/checkout/", {"idempotency_key": "k", "expected_total_sat": "1"})
    assert response.status_code == 400 and "Prices or quantities changed" in response.content.decode()
    assert not Order.objects.exists() and balance(poor) == 50_000 and stock(market.lamp) == 5


@pytest.mark.parametrize(
    "data, status, message",
    [
        ({"product_id": "abc", "quantity": "1"}, 400, "Choose a quantity"),
        ({"product_id": "1", "quantity": "-4"}, 400, "Choose a quantity"),
        ({"product_id": "1", "quantity": "1000"}, 400, "Choose a quantity"),
        ({"product_id": "987654", "quantity": "1"}, 404, "not for sale"),
        ({}, 400, "Choose a quantity"),
    ],
)
def test_junk_in_the_cart_forms(market, data, status, message):
    client = login(market.buyer)
    if data.get("product_id") == "1":
        data = {**data, "product_id": str(market.lamp)}
    response = client.post("/orders/cart/add/", data)
    assert response.status_code == status and message in response.content.decode()


def test_cart_quantities_through_the_page(market):
    client = login(market.buyer)
    client.post("/orders/cart/add/", {"product_id": market.saw, "quantity": "1"})
    response = client.post(f"/orders/cart/{market.saw}/", {"quantity": "9"})
    assert response.status_code == 400 and "Only 3 of Japanese pull saw left" in response.content.decode()
    assert client.post(f"/orders/cart/{market.saw}/", {"quantity": "zero"}).status_code == 400
    assert client.post(f"/orders/cart/{market.lamp}/", {"quantity": "2"}).status_code == 404
    assert client.post(f"/orders/cart/{market.saw}/", {"quantity": "0"}).status_code == 302
    assert "Your cart is empty" in client.get("/orders/cart/").content.decode()


def test_the_vendor_works_through_the_queue(market, order_in):
    funded, accepted = order_in("funded"), order_in("accepted")
    vendor = login(market.vendor)
    assert 'href="/orders/sales/"' in vendor.get("/vendors/dashboard/").content.decode()
    queue = vendor.get("/orders/sales/").content.decode()
    assert funded in queue and accepted in queue and "To do (2)" in queue
    response = vendor.post(f"/orders/{funded}/accept/", {"next": "/orders/sales/"})
    assert response.status_code == 302 and response["Location"] == "/orders/sales/"
    response = vendor.post(f"/orders/{accepted}/ship/", {"tracking_note": "DHL 1234", "next": "https://evil.example/"})
    assert response["Location"] == f"/orders/{accepted}/"  # never off-site
    assert order_row(accepted).tracking_note == "DHL 1234"
    assert "Shipped (1)" in vendor.get("/orders/sales/?tab=shipped").content.decode()
    assert login(market.buyer).get("/orders/sales/").status_code == 403  # no shop, no queue


def test_buyer_confirms_and_reviews_then_the_storefront_shows_it(market, order_in):
    ref = order_in("shipped")
    buyer = login(market.buyer)
    page = buyer.get(f"/orders/{ref}/").content.decode()
    assert "Confirm delivery" in page and "Open dispute" in page
    assert buyer.post(f"/orders/{ref}/confirm/").status_code == 302
    assert "Post review" in buyer.get(f"/orders/{ref}/").content.decode()
    response = buyer.post(f"/orders/{ref}/review/", {"rating": "9", "text": "x"})
    assert response.status_code == 400 and "Select a valid choice" in response.content.decode()
    assert buyer.post(f"/orders/{ref}/review/", {"rating": "5", "text": "Great lamp."}).status_code == 302
    page = buyer.get(f"/orders/{ref}/").content.decode()
    assert "Great lamp." in page and "Post review" not in page
    storefront = Client().get(f"/vendors/{market.vendor.shop_slug}/").content.decode()
    assert "5.0 / 5 from 1 review" in storefront


def test_illegal_and_unknown_actions_get_a_clear_4xx(market, order_in):
    ref = order_in("shipped")
    buyer, vendor = login(market.buyer), login(market.vendor)
    response = buyer.post(f"/orders/{ref}/cancel/", {"reason": ""})
    assert response.status_code == 409 and "it can no longer be cancelled" in response.content.decode()
    response = vendor.post(f"/orders/{ref}/confirm/")
    assert response.status_code == 409 and "Only the buyer can do that" in response.content.decode()
    assert buyer.post(f"/orders/{ref}/explode/").status_code == 404
    assert buyer.get(f"/orders/{ref}/confirm/").status_code == 405
    response = buyer.post(f"/orders/{ref}/dispute/", {"reason": "bad"})
    assert response.status_code == 400 and "At least 10 characters" in response.content.decode()
    response = buyer.post(f"/orders/{ref}/message/", {"body": ""})
    assert response.status_code == 400 and "This field is required" in response.content.decode()
    for junk in ("ORD-XXXXXXXX", "not-an-order", "%00", "ORD-" + "A" * 300):
        assert buyer.get(f"/orders/{junk}/").status_code == 404
    assert order_row(ref).state == "shipped" and escrow(ref) == 120_000


def test_actions_need_a_csrf_token(market, order_in):
    ref = order_in("funded")
    client = Client(enforce_csrf_checks=True)
    client.force_login(market.buyer)
    assert client.post(f"/orders/{ref}/cancel/").status_code == 403
    assert order_row(ref).state == "funded"


def test_staff_rule_on_disputes_from_their_queue(market, order_in):
    ref = order_in("disputed")
    staff = verified_client(market.staff)
    assert ref in staff.get("/orders/disputes/").content.decode()
    page = staff.get(f"/orders/{ref}/").content.decode()
    assert "Record ruling" in page and "The lamp never arrived" in page
    response = staff.post(f"/orders/{ref}/resolve/", {"ruling": "split", "buyer_percent": "", "note": "Half."})
    assert response.status_code == 400 and "give the buyer&#x27;s share" in response.content.decode()
    response = staff.post(f"/orders/{ref}/resolve/", {"ruling": "split", "buyer_percent": "50", "note": "Half."})
    assert response.status_code == 302
    assert (order_row(ref).state, order_row(ref).refunded_sat) == ("resolved", 60_000)
    assert "Resolved (1)" in staff.get("/orders/disputes/?tab=resolved").content.decode()
    assert login(market.buyer).get("/orders/disputes/").status_code == 403


def test_the_detail_page_costs_the_same_whatever_the_thread(
    market, order_in, message_service, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    ref = order_in("accepted")
    client = login(market.buyer)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"/orders/{ref}/").status_code == 200
        return len(captured)

    before = queries()
    for i in range(8):
        message_service.post(actor_id=market.vendor.pk, reference=ref, body=f"Update {i}")
    assert queries() == before


def test_notifications_page_lists_and_marks_read(market, place, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        ref = place(market.buyer, {market.lamp: 1})
    vendor = login(market.vendor)
    page = vendor.get("/notifications/").content.decode()
    assert f"New order {ref}" in page and f'href="/orders/{ref}/"' in page and "Mark all as read" in page
    response = vendor.post("/notifications/read/")
    assert response.status_code == 302
    assert "Mark all as read" not in vendor.get("/notifications/").content.decode()
    assert "Nothing yet" in login(market.buyer).get("/notifications/").content.decode()


def test_signed_out_visitors_are_sent_to_sign_in(market, order_in):
    ref = order_in("funded")
    for url in (
        "/orders/",
        "/orders/cart/",
        "/orders/checkout/",
        "/orders/sales/",
        f"/orders/{ref}/",
        "/notifications/",
    ):
        response = Client().get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), url
    assert "Sign in to buy" in Client().get(f"/products/{market.lamp}/").content.decode()
