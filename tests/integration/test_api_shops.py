"""Shops over the JSON API: the public storefront (paged), closed shops hidden like on the
pages, and a vendor's own shop."""

import pytest

pytestmark = pytest.mark.django_db

PAGE_SIZE = 24  # settings: MARKETPLACE_CATALOG_PAGE_SIZE


@pytest.fixture
def bob(make_vendor):
    return make_vendor("bob", shop_name="Bob's Hardware")


def test_storefront_json(api_client, bob, make_product):
    lamp = make_product(bob, title="Brass desk lamp", price_sat=120_000, stock=7)
    make_product(bob, title="Hidden lamp", is_active=False)
    for client in (api_client(), api_client(bob, "catalog:read")):  # public: a token is optional
        response = client.get(f"/shops/{bob.shop_slug}")
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["slug"] == "bob-shop" and body["name"] == "Bob's Hardware"
        assert body["description"] == "The shop of bob." and body["active"] is True
        assert body["rating"]["count"] == 0 and body["rating"]["average"] is None and body["rating"]["label"]
        assert body["count"] == 1 and body["page"] == 1 and body["pages"] == 1
        (item,) = body["items"]
        assert item["id"] == lamp and item["title"] == "Brass desk lamp" and item["stock"] == 7
        assert item["price_sat"] == 120_000 and item["price_btc"] == "0.00120000"
        assert item["url"].endswith(f"/{lamp}/")
    assert api_client().get("/shops/BOB-SHOP").json()["slug"] == "bob-shop"  # as the page: any case


def test_unknown_and_closed_shops_are_404(api_client, make_vendor, vendor_service, staff, bob):
    anonymous = api_client()
    missing = anonymous.get("/shops/no-such-shop")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    assert anonymous.get("/shops/" + "x" * 300).status_code == 404

    pending = make_vendor("carol", status="pending")
    assert anonymous.get(f"/shops/{pending.shop_slug}").status_code == 404

    vendor_service.suspend(staff_id=staff.pk, vendor_id=bob.vendor_id, reason="Selling counterfeits.")
    hidden = anonymous.get(f"/shops/{bob.shop_slug}")
    assert hidden.status_code == 404 and "counterfeit" not in hidden.content.decode()
    stranger = api_client(make_vendor("dave"), "catalog:read")
    assert stranger.get(f"/shops/{bob.shop_slug}").status_code == 404
    own = api_client(bob, "catalog:read").get(f"/shops/{bob.shop_slug}")  # its owner still sees it
    assert own.status_code == 200 and own.json()["active"] is False and own.json()["items"] == []


def test_storefront_pages(api_client, bob, bulk_products):
    bulk_products(bob, PAGE_SIZE + 6)
    api = api_client()
    first = api.get(f"/shops/{bob.shop_slug}").json()
    assert first["count"] == PAGE_SIZE + 6 and first["pages"] == 2 and len(first["items"]) == PAGE_SIZE
    assert first["next_page"] == 2 and first["previous_page"] is None
    second = api.get(f"/shops/{bob.shop_slug}", {"page": 2}).json()
    assert len(second["items"]) == 6 and second["next_page"] is None and second["previous_page"] == 1
    assert not {i["id"] for i in first["items"]} & {i["id"] for i in second["items"]}
    assert api.get(f"/shops/{bob.shop_slug}", {"page": 99}).json()["page"] == 2  # past the end: the last
    assert api.get(f"/shops/{bob.shop_slug}", {"page": -3}).json()["page"] == 1
    refused = api.get(f"/shops/{bob.shop_slug}", {"page": "two"})
    assert refused.status_code == 422 and refused.json()["error"]["field"] == "page"


def test_a_vendors_own_shop(api_client, make_vendor, make_user, bob):
    response = api_client(bob, "vendor:read").get("/vendor/shop")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == bob.vendor_id and body["slug"] == "bob-shop" and body["name"] == "Bob's Hardware"
    assert body["status"] == "approved" and body["active"] is True and body["suspended"] is False

    pending = api_client(make_vendor("carol", status="pending"), "vendor:read").get("/vendor/shop").json()
    assert pending["status"] == "pending" and pending["active"] is False
    assert pending["status_label"] == "Waiting for review"

    none = api_client(make_user("erin"), "vendor:read").get("/vendor/shop")
    assert none.status_code == 404 and none.json()["error"]["code"] == "not_found"
    scoped = api_client(bob, "catalog:read").get("/vendor/shop")
    assert scoped.status_code == 403 and scoped.json()["error"]["code"] == "insufficient_scope"
    assert api_client().get("/vendor/shop").status_code == 401


def test_the_openapi_description_lists_the_shops(api_client):
    paths = api_client().get("/openapi.json").json()["paths"]
    assert "/api/v1/shops/{slug}" in paths and "/api/v1/vendor/shop" in paths


def test_the_list_of_shops_has_only_those_that_sell(api_client, make_vendor, vendor_service, staff):
    make_vendor("zed")
    make_vendor("amy")
    make_vendor("pending", status="pending")
    suspended = make_vendor("sus")
    vendor_service.suspend(staff_id=staff.pk, vendor_id=suspended.vendor.id, reason="Counterfeit goods reported.")
    listed = api_client().get("/shops")
    assert listed.status_code == 200, listed.content
    body = listed.json()
    assert [shop["slug"] for shop in body["items"]] == ["amy-shop", "zed-shop"]
    assert body["count"] == 2 and body["pages"] == 1 and body["next_page"] is None
    assert body["items"][0]["rating"] == {"average": None, "count": 0, "label": body["items"][0]["rating"]["label"]}
