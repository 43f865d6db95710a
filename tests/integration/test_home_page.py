"""The home page: each section from the module owning its data, cached for visitors and never
stale, fixed query counts, and the signed-in glance."""

import re

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db

HOME = reverse("home")


def section(page, name: str) -> str:
    found = re.search(rf'<section class="card {name}".*?</section>', page.content.decode(), re.S)
    return found.group(0) if found else ""


def titles_in(page, name: str) -> list[str]:
    """The product titles of one section (``home-newest``, ``home-best-rated``), in order."""
    return re.findall(r'class="listing-title">([^<]+)<', section(page, name))


@pytest.fixture
def shelf(make_vendor, make_product):
    """Bob's shop with three products, the saw the newest; carol's shop with a book."""
    bob = make_vendor("bob")
    make_product(bob, title="Brass desk lamp", price_sat=120_000)
    make_product(bob, title="Claw hammer", price_sat=35_000, category="tools")
    make_product(bob, title="Japanese pull saw", price_sat=60_000, category="tools")
    carol = make_vendor("carol")
    make_product(carol, title="A Wizard of Earthsea", price_sat=18_000, category="fiction")
    return bob


def test_a_visitor_sees_products_categories_shops_and_how_escrow_works(client, shelf):
    page = client.get(HOME)
    html = page.content.decode()
    assert page.status_code == 200
    assert titles_in(page, "home-newest") == [
        "A Wizard of Earthsea",
        "Japanese pull saw",
        "Claw hammer",
        "Brass desk lamp",
    ]
    assert '<a href="/products/?category=hardware">Hardware</a> <span class="help">3 products</span>' in html
    assert '<a href="/products/?category=books">Books</a> <span class="help">1 product</span>' in html
    assert "Bob&#x27;s Shop" in html and "Carol&#x27;s Shop" in html
    assert "How buying with escrow works" in html
    assert "badge-up" not in html and "Modules" not in html  # the modules' states are the ops page's
    assert "Your open orders" not in html and "Your balance" not in html


@pytest.mark.parametrize("n", [3, 40])
def test_a_visitors_home_page_runs_a_fixed_number_of_queries(
    client, make_vendor, bulk_products, n, django_assert_num_queries
):
    bulk_products(make_vendor("bob"), n)
    # newest tiles, categories with counts, best-rated averages, shops, their ratings
    with django_assert_num_queries(5):
        first = client.get(HOME)
    assert first["X-Page-Cache"] == "miss" and len(titles_in(first, "home-newest")) == min(n, 8)
    with django_assert_num_queries(0):
        assert client.get(HOME)["X-Page-Cache"] == "hit"


def test_a_new_product_a_price_change_and_a_review_show_on_the_very_next_request(
    client, market, order_in, review_service, catalog_service, make_product, categories
):
    assert client.get(HOME)["X-Page-Cache"] == "miss"
    assert client.get(HOME)["X-Page-Cache"] == "hit"

    make_product(market.vendor, title="Workshop lamp", price_sat=70_000)
    page = client.get(HOME)
    assert page["X-Page-Cache"] == "miss" and titles_in(page, "home-newest")[0] == "Workshop lamp"

    catalog_service.update_product(
        actor_id=market.vendor.pk,
        product_id=market.saw,
        title="Japanese pull saw",
        description="",
        price_sat=55_500,
        stock=3,
        category_id=categories["tools"],
        is_active=True,
    )
    assert "0.00055500" in client.get(HOME).content.decode()

    assert titles_in(client.get(HOME), "home-best-rated") == []
    reference = order_in("completed")
    client.get(HOME)
    review_service.leave(actor_id=market.buyer.pk, reference=reference, rating=5, text="Lovely lamp.")
    page = client.get(HOME)
    assert titles_in(page, "home-best-rated") == ["Brass desk lamp"]
    assert 'aria-label="Rated 5.0 out of 5, 1 review"' in section(page, "home-best-rated")


def test_best_rated_ranks_by_the_average_of_the_reviews(client, market, place, order_service, review_service):
    def bought_and_rated(product, stars):
        reference = place(market.buyer, {product: 1})
        for step in ("accept", "ship"):
            getattr(order_service, step)(actor_id=market.vendor.pk, reference=reference)
        order_service.confirm(actor_id=market.buyer.pk, reference=reference)
        review_service.leave(actor_id=market.buyer.pk, reference=reference, rating=stars)

    bought_and_rated(market.lamp, 3)
    bought_and_rated(market.saw, 5)
    bought_and_rated(market.saw, 4)
    page = client.get(HOME)
    assert titles_in(page, "home-best-rated") == ["Japanese pull saw", "Brass desk lamp"]
    assert 'aria-label="Rated 4.5 out of 5, 2 reviews"' in section(page, "home-best-rated")


def test_a_buyer_sees_their_open_orders_and_balance_in_fixed_queries(
    client, market, order_in, django_assert_num_queries
):
    order_in("funded")
    order_in("shipped")
    order_in("completed")
    client.force_login(market.buyer)
    client.get(HOME)  # the sections' data now cached
    # session, user, the header's staff menu (permissions, group permissions), "Sell here" (has
    # the person a shop), the header's unread notifications, the balance (header and glance share
    # it), open orders and their count
    with django_assert_num_queries(9):
        page = client.get(HOME)
    html = page.content.decode()
    assert "X-Page-Cache" not in page  # personal: never the cached visitor's page
    assert '<p class="home-figure">2 open</p>' in html
    assert html.count('class="mono">ORD-') == 2
    assert "Your balance" in html and "BTC" in html
    assert titles_in(page, "home-newest") == ["Japanese pull saw", "Brass desk lamp"]


def test_a_buyer_with_no_open_orders_is_pointed_to_the_catalog(client, make_user):
    client.force_login(make_user("dora"))
    html = client.get(HOME).content.decode()
    assert "Nothing on its way." in html and '<p class="home-figure">' in html  # the balance, 0


@pytest.mark.parametrize(
    ("module", "gone", "kept"),
    [
        ("products", ["New in the shops", "Browse by category"], ["Shops", "Best rated by buyers"]),
        ("vendors", ['id="home-shops-title"'], ["New in the shops", "Browse by category"]),
        ("orders", ["Best rated by buyers", "Your open orders"], ["New in the shops", "Your balance"]),
        ("wallets", ["Your balance"], ["Your open orders", "New in the shops"]),
    ],
)
def test_a_section_goes_with_its_module(client, market, order_in, review_service, runtime, module, gone, kept):
    review_service.leave(actor_id=market.buyer.pk, reference=order_in("completed"), rating=4)
    client.force_login(market.buyer)
    for text in gone + kept:
        assert text in client.get(HOME).content.decode(), text
    visitor = Client()
    visitor.get(HOME)
    runtime.modules.mark_failed(module, "stopped by the test")
    try:
        html = client.get(HOME).content.decode()
        anonymous = visitor.get(HOME)
    finally:
        runtime.modules.mark_ready(module)
    for text in gone:
        assert text not in html and text not in anonymous.content.decode(), text
    for text in kept:
        assert text in html, text
    assert anonymous.get("X-Page-Cache") != "hit"  # another set of modules: another page


def test_favicon_and_touch_icon_are_served_at_the_root_with_a_long_cache(client):
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon["Content-Type"] == "image/x-icon"
    assert icon.content[:4] == b"\x00\x00\x01\x00"  # an ICO file
    assert icon["Cache-Control"] == "public, max-age=2592000"
    touch = client.get("/apple-touch-icon.png")
    assert touch.status_code == 200 and touch.content[:8] == b"\x89PNG\r\n\x1a\n"
    html = client.get(HOME).content.decode()
    assert 'rel="icon" href="/static/marketplace/icons/favicon.svg" type="image/svg+xml"' in html
    assert 'rel="manifest" href="/static/marketplace/icons/manifest.webmanifest"' in html
    assert client.post("/favicon.ico").status_code == 405


def test_the_bitcoin_sign_is_drawn_with_a_text_alternative(client, make_user):
    client.force_login(make_user("erin"))
    html = client.get(HOME).content.decode()
    assert "₿" not in html
    assert re.search(
        r'class="nav-balance"[^>]*><svg class="btc-icon" [^>]*role="img" aria-label="BTC"><title>BTC</title>', html
    )
    assert re.search(
        r'class="brand" [^>]*aria-label="Marketplace, home"><svg class="btc-icon btc-coin" [^>]*aria-hidden="true"',
        html,
    )
