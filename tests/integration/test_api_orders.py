"""The orders API (/api/v1/cart, /checkout, /orders, /vendor/orders): the same services and rules
as the order pages, in JSON, with tokens of chosen scopes."""

import pytest

from marketplace.orders.models import Order
from tests.support.orders import balance, escrow

pytestmark = pytest.mark.django_db

BUYER_SCOPES = ("orders:read", "orders:write")
VENDOR_SCOPES = ("vendor:read", "vendor:write", "orders:read", "orders:write")


@pytest.fixture
def buyer_api(market, api_client, clock):
    return api_client(market.buyer, *BUYER_SCOPES)


@pytest.fixture
def vendor_api(market, api_client, clock):
    return api_client(market.vendor, *VENDOR_SCOPES)


def error_of(response, status: int) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "field", "fields"}
    return body["error"]


def ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.content
    return response.json()


def lines_of(cart: dict) -> dict[int, int]:
    return {line["product_id"]: line["quantity"] for group in cart["groups"] for line in group["lines"]}


# the cart
def test_cart_add_update_remove(market, buyer_api):
    assert ok(buyer_api.get("/cart")) == {
        "groups": [],
        "count": 0,
        "total_sat": 0,
        "total_btc": "0.00000000",
        "problems": [],
        "ready": False,
    }

    cart = ok(buyer_api.post("/cart/items", {"product_id": market.lamp, "quantity": 2}))
    assert lines_of(cart) == {market.lamp: 2}
    line = cart["groups"][0]["lines"][0]
    assert line["price_sat"] == 120_000 and line["price_btc"] == "0.00120000"
    assert line["total_sat"] == 240_000 and line["total_btc"] == "0.00240000"
    assert cart["total_sat"] == 240_000 and cart["total_btc"] == "0.00240000" and cart["ready"]
    assert cart["groups"][0]["shop_name"] == "Vendor's Shop"

    cart = ok(buyer_api.post("/cart/items", {"product_id": market.saw}))  # quantity 1 by default
    assert lines_of(cart) == {market.lamp: 2, market.saw: 1}
    cart = ok(buyer_api.send("PUT", f"/cart/items/{market.lamp}", {"quantity": 1}))
    assert lines_of(cart) == {market.lamp: 1, market.saw: 1}
    assert cart["total_sat"] == 180_000 and cart["count"] == 2
    assert ok(buyer_api.get("/cart")) == cart

    cart = ok(buyer_api.send("DELETE", f"/cart/items/{market.lamp}"))
    assert lines_of(cart) == {market.saw: 1}
    assert error_of(buyer_api.send("DELETE", f"/cart/items/{market.lamp}"), 404)["code"] == "not_found"
    cart = ok(buyer_api.send("PUT", f"/cart/items/{market.saw}", {"quantity": 0}))  # 0 removes, as on the page
    assert lines_of(cart) == {}


def test_cart_refusals_are_the_services(market, buyer_api, vendor_api):
    # More than the stock: the service names the field.
    refused = error_of(buyer_api.post("/cart/items", {"product_id": market.lamp, "quantity": 6}), 422)
    assert refused["code"] == "cart_error" and refused["field"] == "quantity" and "Only 5" in refused["message"]
    # Not a whole number (nor a boolean standing for one): refused before any service.
    for quantity in (True, "2", 1.5):
        refused = error_of(buyer_api.post("/cart/items", {"product_id": market.lamp, "quantity": quantity}), 422)
        assert refused["code"] == "invalid" and refused["field"] == "quantity"
    assert error_of(buyer_api.post("/cart/items", {"product_id": 999_999}), 404)["code"] == "not_found"
    assert error_of(buyer_api.send("PUT", f"/cart/items/{market.saw}", {"quantity": 2}), 404)["code"] == "not_found"
    # One's own product.
    assert error_of(vendor_api.post("/cart/items", {"product_id": market.lamp}), 400)["code"] == "cart_error"
    assert lines_of(ok(buyer_api.get("/cart"))) == {}


# checkout
def test_checkout_with_a_key_answers_the_same_again_and_pays_once(market, buyer_api, vendor_api):
    buyer_api.post("/cart/items", {"product_id": market.lamp, "quantity": 2})
    first = buyer_api.post("/checkout", {"expected_total_sat": 240_000}, key="api-checkout-1")
    body = ok(first, 201)
    assert body["total_sat"] == 240_000 and body["total_btc"] == "0.00240000"
    assert len(body["orders"]) == 1
    placed = body["orders"][0]
    reference = placed["reference"]
    assert placed["shop"] == "vendor-shop" and placed["total_sat"] == 240_000 and placed["total_btc"] == "0.00240000"
    assert placed["lines"] == [
        {
            "product_id": market.lamp,
            "title": "Brass desk lamp",
            "price_sat": 120_000,
            "price_btc": "0.00120000",
            "quantity": 2,
            "total_sat": 240_000,
            "total_btc": "0.00240000",
        }
    ]
    assert balance(market.buyer) == 1_000_000 - 240_000 and escrow(reference) == 240_000
    assert lines_of(ok(buyer_api.get("/cart"))) == {}

    # The answer was lost: the same request with the same key.
    again = buyer_api.post("/checkout", {"expected_total_sat": 240_000}, key="api-checkout-1")
    assert again.status_code == 201 and again.content == first.content
    assert Order.objects.filter(buyer=market.buyer).count() == 1
    assert balance(market.buyer) == 760_000 and escrow(reference) == 240_000

    # Still the first answer once the order has moved on (and whatever the body says now).
    ok(vendor_api.post(f"/vendor/orders/{reference}/accept"))
    later = buyer_api.post("/checkout", None, key="api-checkout-1")
    assert later.status_code == 201 and later.content == first.content
    assert Order.objects.filter(buyer=market.buyer).count() == 1 and balance(market.buyer) == 760_000

    # A new key is a new checkout: of an empty cart, now.
    refused = error_of(buyer_api.post("/checkout", {}, key="api-checkout-2"), 400)
    assert refused["code"] == "checkout_error" and "empty" in refused["message"]


def test_checkout_needs_an_idempotency_key(market, buyer_api):
    buyer_api.post("/cart/items", {"product_id": market.lamp})
    refused = error_of(buyer_api.post("/checkout", {"expected_total_sat": 120_000}), 422)
    assert refused["code"] == "invalid" and "Idempotency-Key" in refused["field"]
    refused = error_of(buyer_api.post("/checkout", {}, key="with space"), 422)
    assert refused["code"] == "invalid"
    assert not Order.objects.exists() and balance(market.buyer) == 1_000_000


def test_checkout_one_order_per_shop_and_a_moved_total_buys_nothing(market, buyer_api, make_vendor, make_product, fund):
    other = make_vendor("other")
    book = make_product(other, title="A Wizard of Earthsea", price_sat=18_000, stock=2, category="fiction")
    buyer_api.post("/cart/items", {"product_id": market.saw})
    buyer_api.post("/cart/items", {"product_id": book})
    refused = error_of(buyer_api.post("/checkout", {"expected_total_sat": 70_000}, key="moved"), 400)
    assert refused["code"] == "checkout_error" and "0.00078000" in refused["message"]
    assert not Order.objects.exists()

    body = ok(buyer_api.post("/checkout", {"expected_total_sat": 78_000}, key="moved"), 201)
    assert sorted(o["shop"] for o in body["orders"]) == ["other-shop", "vendor-shop"]
    assert sum(o["total_sat"] for o in body["orders"]) == body["total_sat"] == 78_000
    listed = ok(buyer_api.get("/orders"))
    assert listed["count"] == 2 and {row["reference"] for row in listed["items"]} == {
        o["reference"] for o in body["orders"]
    }


def test_checkout_beyond_the_balance_buys_nothing_and_the_key_may_be_used_again(
    market, api_client, make_user, fund, clock
):
    poor = make_user("poor")
    fund(poor, 100_000)
    client = api_client(poor, *BUYER_SCOPES)
    client.post("/cart/items", {"product_id": market.lamp})
    refused = error_of(client.post("/checkout", {"expected_total_sat": 120_000}, key="short-1"), 400)
    assert refused["code"] == "insufficient_funds" and "0.00020000" in refused["message"]
    assert not Order.objects.exists() and balance(poor) == 100_000
    assert lines_of(ok(client.get("/cart"))) == {market.lamp: 1}

    fund(poor, 50_000)  # nothing was kept under the key: the same request goes through now
    body = ok(client.post("/checkout", {"expected_total_sat": 120_000}, key="short-1"), 201)
    assert body["total_sat"] == 120_000 and balance(poor) == 30_000


# one order, through its life
def test_accept_ship_confirm_by_the_right_parties(market, buyer_api, vendor_api, api_client, place):
    reference = place(market.buyer, {market.lamp: 1})

    seen = ok(buyer_api.get(f"/orders/{reference}"))
    assert seen["state"] == "funded" and seen["role"] == "buyer"
    assert seen["total_sat"] == 120_000 and seen["total_btc"] == "0.00120000"
    assert seen["in_escrow_sat"] == 120_000 and seen["in_escrow_btc"] == "0.00120000"
    assert seen["deadlines"]["accept_by"] is not None and seen["deadlines"]["auto_complete_at"] is None
    assert seen["actions"] == ["cancel", "message"]
    assert seen["lines"][0]["price_btc"] == "0.00120000"
    assert ok(vendor_api.get(f"/orders/{reference}"))["actions"] == ["accept", "decline", "message"]

    # The buyer may not take the vendor's step, whatever their token's scopes: the service says so.
    buyer_with_vendor_scopes = api_client(market.buyer, "vendor:write")
    refused = error_of(buyer_with_vendor_scopes.post(f"/vendor/orders/{reference}/accept"), 409)
    assert refused["code"] == "illegal_transition" and "vendor" in refused["message"]

    accepted = ok(vendor_api.post(f"/vendor/orders/{reference}/accept"))
    assert accepted["state"] == "accepted" and accepted["role"] == "vendor" and "ship" in accepted["actions"]
    # The vendor's own confirmation is refused by the service: only the buyer confirms.
    refused = error_of(vendor_api.post(f"/orders/{reference}/confirm"), 409)
    assert refused["code"] == "illegal_transition" and "buyer" in refused["message"]

    shipped = ok(vendor_api.post(f"/vendor/orders/{reference}/ship", {"tracking_note": "Parcel 1Z999"}))
    assert shipped["state"] == "shipped" and shipped["tracking_note"] == "Parcel 1Z999"
    assert shipped["deadlines"] == {"accept_by": None, "auto_complete_at": shipped["deadlines"]["auto_complete_at"]}
    assert shipped["deadlines"]["auto_complete_at"] is not None

    done = ok(buyer_api.post(f"/orders/{reference}/confirm"))
    assert done["state"] == "completed" and done["in_escrow_sat"] == 0 and done["in_escrow_btc"] == "0.00000000"
    assert done["vendor_payout_sat"] > 0 and isinstance(done["vendor_payout_btc"], str)
    assert done["commission_sat"] is None and done["commission_btc"] is None  # the vendor's to see
    assert done["actions"] == ["message", "review"]
    vendor_view = ok(vendor_api.get(f"/orders/{reference}"))
    assert vendor_view["commission_sat"] == 120_000 - done["vendor_payout_sat"]
    assert vendor_view["commission_btc"] is not None

    # Confirming twice: the state no longer allows it.
    refused = error_of(buyer_api.post(f"/orders/{reference}/confirm"), 409)
    assert refused["code"] == "illegal_transition" and "completed" in refused["message"]

    events = ok(buyer_api.get(f"/orders/{reference}/events"))
    assert events["reference"] == reference
    assert [e["to_state"] for e in events["items"]] == ["funded", "accepted", "shipped", "completed"]
    assert events["items"][2]["note"] == "Parcel 1Z999"


def test_decline_and_cancel_refund(market, buyer_api, vendor_api, place):
    declined = place(market.buyer, {market.lamp: 1})
    cancelled = place(market.buyer, {market.saw: 1})
    assert balance(market.buyer) == 1_000_000 - 180_000

    body = ok(vendor_api.post(f"/vendor/orders/{declined}/decline", {"reason": "Out of bulbs this week."}))
    assert body["state"] == "declined" and body["refunded_sat"] == 120_000 and body["refunded_btc"] == "0.00120000"
    body = ok(buyer_api.post(f"/orders/{cancelled}/cancel", {}))
    assert body["state"] == "cancelled" and body["refunded_sat"] == 60_000
    assert balance(market.buyer) == 1_000_000


def test_a_dispute_opened(market, buyer_api, order_in):
    reference = order_in("shipped")
    refused = error_of(buyer_api.post(f"/orders/{reference}/dispute", {"reason": "no"}), 422)
    assert refused["code"] == "dispute_error" and "reason" in refused["fields"]
    assert error_of(buyer_api.post(f"/orders/{reference}/dispute", {}), 422)["field"] == "reason"

    body = ok(buyer_api.post(f"/orders/{reference}/dispute", {"reason": "The lamp arrived with a cracked base."}))
    assert body["state"] == "disputed" and body["deadlines"]["auto_complete_at"] is None
    assert body["dispute"]["reason"] == "The lamp arrived with a cracked base."
    assert body["dispute"]["opened_from"] == "shipped" and body["dispute"]["ruling"] is None
    assert "confirm" not in body["actions"] and "dispute" not in body["actions"]
    again = error_of(buyer_api.post(f"/orders/{reference}/dispute", {"reason": "Still cracked, still here."}), 409)
    assert again["code"] == "illegal_transition"


def test_messages_posted_and_read_by_both_parties(market, buyer_api, vendor_api, order_in):
    reference = order_in("accepted")
    thread = ok(buyer_api.post(f"/orders/{reference}/messages", {"body": "Could you gift-wrap it?"}), 201)
    assert [(m["author_role"], m["body"]) for m in thread["items"]] == [("buyer", "Could you gift-wrap it?")]
    ok(vendor_api.post(f"/orders/{reference}/messages", {"body": "Of course, in brown paper."}), 201)

    expected = [("buyer", "Could you gift-wrap it?"), ("vendor", "Of course, in brown paper.")]
    for reader in (buyer_api, vendor_api):
        thread = ok(reader.get(f"/orders/{reference}/messages"))
        assert thread["reference"] == reference
        assert [(m["author_role"], m["body"]) for m in thread["items"]] == expected
        assert thread["items"][0]["author"] == "buyer"
    refused = error_of(buyer_api.post(f"/orders/{reference}/messages", {"body": "   "}), 422)
    assert refused["code"] == "message_error" and "body" in refused["fields"]


# who may see and do what
def test_strangers_get_404_for_orders_not_theirs(market, api_client, make_user, make_vendor, make_product, order_in):
    reference = order_in("funded")
    stranger = api_client(make_user("stranger"), *BUYER_SCOPES, "vendor:read", "vendor:write")
    for path in (f"/orders/{reference}", f"/orders/{reference}/events", f"/orders/{reference}/messages"):
        assert error_of(stranger.get(path), 404)["code"] == "not_found"
    assert error_of(stranger.post(f"/orders/{reference}/cancel", {}), 404)["code"] == "not_found"
    assert error_of(stranger.post(f"/orders/{reference}/messages", {"body": "Hello?"}), 404)["code"] == "not_found"
    assert error_of(stranger.get("/orders/ORD-NOTTHERE"), 404)["code"] == "not_found"

    other_vendor = make_vendor("rival")
    rival = api_client(other_vendor, *VENDOR_SCOPES)
    refused = error_of(rival.post(f"/vendor/orders/{reference}/accept"), 404)
    assert refused["code"] == "not_found"
    assert error_of(rival.post(f"/vendor/orders/{reference}/decline", {}), 404)["code"] == "not_found"
    assert ok(rival.get("/vendor/orders"))["count"] == 0
    assert order_row_state(reference) == "funded"


def test_staff_are_strangers_to_orders_in_the_api(market, api_client, order_in):
    """Staff open orders on the site's pages, behind their second factor; not with a token."""
    disputed = order_in("disputed")
    finance = api_client(market.staff, *BUYER_SCOPES)
    assert error_of(finance.get(f"/orders/{disputed}"), 404)["code"] == "not_found"
    assert error_of(finance.get(f"/orders/{disputed}/messages"), 404)["code"] == "not_found"
    refused = error_of(finance.post(f"/orders/{disputed}/messages", {"body": "Staff here."}), 404)
    assert refused["code"] == "not_found"


def test_scopes_and_authentication(market, api_client, order_in):
    reference = order_in("funded")
    reader = api_client(market.buyer, "orders:read")
    assert ok(reader.get(f"/orders/{reference}"))["reference"] == reference
    refused = error_of(reader.post("/cart/items", {"product_id": market.lamp}), 403)
    assert refused["code"] == "insufficient_scope" and "orders:write" in refused["message"]
    assert error_of(reader.post(f"/orders/{reference}/cancel", {}), 403)["code"] == "insufficient_scope"
    assert error_of(reader.post("/checkout", {}, key="k"), 403)["code"] == "insufficient_scope"

    catalog_only = api_client(market.buyer, "catalog:read")
    assert error_of(catalog_only.get("/cart"), 403)["code"] == "insufficient_scope"

    vendor_reader = api_client(market.vendor, "vendor:read", "orders:read")
    assert ok(vendor_reader.get("/vendor/orders"))["count"] == 1
    assert error_of(vendor_reader.post(f"/vendor/orders/{reference}/accept"), 403)["code"] == "insufficient_scope"
    assert order_row_state(reference) == "funded"

    anonymous = api_client()
    for method, path in (
        ("GET", "/cart"),
        ("GET", "/orders"),
        ("GET", f"/orders/{reference}"),
        ("POST", "/checkout"),
        ("GET", "/vendor/orders"),
        ("POST", f"/vendor/orders/{reference}/accept"),
    ):
        response = anonymous.send(method, path, {} if method == "POST" else None, key="anon-1")
        assert error_of(response, 401)["code"] == "not_authenticated", path


# lists
def test_the_buyers_orders_are_their_own_and_paged(market, buyer_api, api_client, make_user, fund, place, order_in):
    mine = [order_in("funded"), order_in("accepted")]
    other = make_user("other-buyer")
    fund(other, 500_000)
    place(other, {market.saw: 1})

    listed = ok(buyer_api.get("/orders"))
    assert listed["count"] == 2 and listed["page"] == 1 and listed["pages"] == 1
    assert listed["next_page"] is None and listed["previous_page"] is None
    assert [row["reference"] for row in listed["items"]] == list(reversed(mine))  # newest first
    row = listed["items"][0]
    assert row["total_sat"] == 120_000 and row["total_btc"] == "0.00120000"
    assert row["summary"] == "Brass desk lamp" and row["shop"] == "vendor-shop"
    assert error_of(buyer_api.get("/orders", {"page": "x"}), 422)["field"] == "page"


def test_the_vendors_queue_by_tab(market, vendor_api, api_client, make_user, order_in):
    funded, shipped, completed = order_in("funded"), order_in("shipped"), order_in("completed")
    queue = ok(vendor_api.get("/vendor/orders"))
    assert queue["tab"] == "todo" and [row["reference"] for row in queue["items"]] == [funded]
    assert {t["name"]: t["count"] for t in queue["tabs"]} == {"todo": 1, "shipped": 1, "disputed": 0, "closed": 1}
    assert ok(vendor_api.get("/vendor/orders", {"tab": "shipped"}))["items"][0]["reference"] == shipped
    closed = ok(vendor_api.get("/vendor/orders", {"tab": "closed"}))
    assert [row["reference"] for row in closed["items"]] == [completed]
    assert closed["items"][0]["buyer_name"] == "buyer" and closed["items"][0]["total_btc"] == "0.00120000"
    assert ok(vendor_api.get("/vendor/orders", {"tab": "nonsense"}))["tab"] == "todo"  # as the page does

    not_a_vendor = api_client(make_user("shopper"), "vendor:read")
    refused = error_of(not_a_vendor.get("/vendor/orders"), 403)
    assert refused["code"] == "permission_denied" and "Open a shop" in refused["message"]


def test_the_openapi_description_lists_the_orders_paths(api_client):
    response = api_client().get("/openapi.json")
    assert response.status_code == 200
    description = response.json()
    paths = description["paths"]
    expected = {
        "/api/v1/cart": {"get"},
        "/api/v1/cart/items": {"post"},
        "/api/v1/cart/items/{product_id}": {"put", "delete"},
        "/api/v1/checkout": {"post"},
        "/api/v1/orders": {"get"},
        "/api/v1/orders/{reference}": {"get"},
        "/api/v1/orders/{reference}/events": {"get"},
        "/api/v1/orders/{reference}/messages": {"get", "post"},
        "/api/v1/orders/{reference}/cancel": {"post"},
        "/api/v1/orders/{reference}/confirm": {"post"},
        "/api/v1/orders/{reference}/dispute": {"post"},
        "/api/v1/vendor/orders": {"get"},
        "/api/v1/vendor/orders/{reference}/accept": {"post"},
        "/api/v1/vendor/orders/{reference}/decline": {"post"},
        "/api/v1/vendor/orders/{reference}/ship": {"post"},
    }
    for path, methods in expected.items():
        assert path in paths, path
        assert methods <= set(paths[path]), (path, set(paths[path]))
    checkout = paths["/api/v1/checkout"]["post"]
    assert "201" in checkout["responses"] and "422" in checkout["responses"]
    headers = [p["name"] for p in checkout["parameters"] if p["in"] == "header"]
    assert "Idempotency-Key" in headers
    order = description["components"]["schemas"]["OrderOut"]["properties"]
    assert {"total_sat", "total_btc", "deadlines", "actions", "lines"} <= set(order)


def order_row_state(reference: str) -> str:
    return Order.objects.get(reference=reference).state
