"""Nobody sees or acts on another's order, its messages or its review: to them it does not
exist (404), and nothing changes. Staff who may look at any order (support, finance) see it
without its private messages and are told no (403) when they try to act on it."""

import pytest
from django.test import Client

from marketplace.orders.models import Message, OrderEvent, Review
from tests.support.orders import escrow, order_row
from tests.support.staff import verified_client

pytestmark = pytest.mark.django_db

ACTIONS = {
    "accept": {},
    "decline": {"reason": "no"},
    "cancel": {"reason": "no"},
    "ship": {"tracking_note": "x"},
    "confirm": {},
    "dispute": {"reason": "This is not mine but let me try."},
    "resolve": {"ruling": "refund", "note": "Stolen ruling."},
    "message": {"body": "Hello from outside"},
    "review": {"rating": "1", "text": "Bad"},
}


@pytest.fixture
def outsiders(make_user, make_vendor, fund, make_product, market, place, staff, make_staff):
    other_buyer = make_user("other-buyer")
    fund(other_buyer, 500_000)
    other_vendor = make_vendor("other-vendor")
    make_product(other_vendor, title="Other lamp", price_sat=10_000, stock=3)
    place(other_buyer, {market.saw: 1})  # they have orders of their own with the same shop
    # Staff whose roles have nothing to do with orders are outsiders too.
    return {
        "other buyer": other_buyer,
        "other vendor": other_vendor,
        "moderator": staff,
        "operator": make_staff("operator"),
    }


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("state", ["funded", "shipped", "completed"])
def test_outsiders_neither_see_nor_act(state, market, order_in, outsiders, message_service):
    ref = order_in(state)
    message_service.post(actor_id=market.buyer.pk, reference=ref, body="A private word.")
    before = (order_row(ref).state, escrow(ref), OrderEvent.objects.count(), Message.objects.count())
    for who, user in outsiders.items():
        client = verified_client(user) if who in ("moderator", "operator") else login(user)
        response = client.get(f"/orders/{ref}/")
        assert response.status_code == 404, who
        assert "A private word." not in response.content.decode()
        for action, data in ACTIONS.items():
            # Ruling is finance's alone: others are refused before any order is looked at.
            expected = 403 if action == "resolve" else 404
            assert client.post(f"/orders/{ref}/{action}/", data).status_code == expected, (who, action)
        assert ref not in client.get("/orders/").content.decode()
    assert ref not in login(outsiders["other vendor"]).get("/orders/sales/?tab=closed").content.decode()
    assert ref not in login(outsiders["other vendor"]).get("/orders/sales/").content.decode()
    assert (order_row(ref).state, escrow(ref), OrderEvent.objects.count(), Message.objects.count()) == before
    assert not Review.objects.exists()


def test_parties_act_only_in_their_own_role(market, order_in):
    ref = order_in("completed")
    vendor = login(market.vendor)
    response = vendor.post(f"/orders/{ref}/review/", {"rating": "5", "text": "I love my own shop"})
    assert response.status_code == 403 and not Review.objects.exists()
    assert vendor.get(f"/orders/{ref}/").status_code == 200
    assert verified_client(market.staff).post(f"/orders/{ref}/resolve/", ACTIONS["resolve"]).status_code == 403


@pytest.mark.parametrize("role", ["support", "finance"])
def test_order_staff_see_an_undisputed_order_but_not_its_messages_and_cannot_act(
    role, market, order_in, message_service, make_staff
):
    ref = order_in("shipped")
    message_service.post(actor_id=market.buyer.pk, reference=ref, body="A private word.")
    before = (order_row(ref).state, escrow(ref), OrderEvent.objects.count(), Message.objects.count())
    client = verified_client(make_staff(role))
    page = client.get(f"/orders/{ref}/")
    assert page.status_code == 200 and "A private word." not in page.content.decode()
    for action, data in ACTIONS.items():
        assert client.post(f"/orders/{ref}/{action}/", data).status_code == 403, action
    assert (order_row(ref).state, escrow(ref), OrderEvent.objects.count(), Message.objects.count()) == before


def test_staff_join_only_disputed_orders_and_outsiders_stay_out(market, order_in, outsiders):
    ref = order_in("disputed")
    staff = verified_client(market.staff)
    assert staff.get(f"/orders/{ref}/").status_code == 200
    assert staff.post(f"/orders/{ref}/message/", {"body": "Staff here: send a photo."}).status_code == 302
    for who in ("other buyer", "other vendor"):
        client = login(outsiders[who])
        assert client.get(f"/orders/{ref}/").status_code == 404
        assert client.post(f"/orders/{ref}/resolve/", ACTIONS["resolve"]).status_code == 403
    assert "Staff here: send a photo." in login(market.vendor).get(f"/orders/{ref}/").content.decode()
    assert order_row(ref).state == "disputed"
