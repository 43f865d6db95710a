"""The catalog, product and shop pages: fixed query counts, caching that is never stale, and a
cache server that goes away without taking the pages with it."""

import re

import pytest
from django.db import transaction
from django.test import Client, override_settings
from django.urls import reverse

from tests.support.servers import redis_caches

pytestmark = pytest.mark.django_db

CATALOG = reverse("products:list")


def price_on(page) -> str:
    return re.search(r'id="product-price">([^<]+)<', page.content.decode()).group(1)


def stock_on(page) -> str:
    return re.search(r'id="product-stock">([^<]+)<', page.content.decode()).group(1)


@pytest.mark.parametrize("n", [10, 500])
def test_the_catalog_runs_three_queries_whatever_the_number_of_products(
    client, make_vendor, bulk_products, make_product, png, n, django_assert_num_queries
):
    bob = make_vendor("bob")
    bulk_products(bob, n)
    make_product(bob, title="Pictured", images=[png()], category="tools")
    with django_assert_num_queries(3):  # categories, count, one page of rows with first pictures
        page = client.get(CATALOG)
    assert page.status_code == 200
    assert f"{n + 1} products" in page.content.decode()
    assert page.content.decode().count('class="listing"') == min(n + 1, 24)
    with django_assert_num_queries(3):
        filtered = client.get(
            CATALOG, {"category": "hardware", "min_price": "0.00001", "q": "item", "sort": "price_desc", "page": "2"}
        )
    assert filtered.status_code == 200
    with django_assert_num_queries(0):
        assert client.get(CATALOG)["X-Page-Cache"] == "hit"


@pytest.mark.parametrize("n", [10, 500])
def test_a_signed_in_catalog_page_then_adds_only_the_session_and_user(
    client, make_vendor, make_user, bulk_products, n, django_assert_num_queries
):
    bulk_products(make_vendor("bob"), n)
    client.force_login(make_user("alice"))
    # 3 for the catalog; session, user, the header's balance, and the user's permissions and their
    # groups' (the header's staff menu shows what their roles allow, templates/_staff_menu.html),
    # whether they have a shop ("Sell here" or "My shop") and their unread notifications
    with django_assert_num_queries(10):
        assert client.get(CATALOG).status_code == 200
    # the page's shared part and the header kept for alice come from the cache
    with django_assert_num_queries(2):
        assert client.get(CATALOG).status_code == 200


@pytest.mark.parametrize("n", [10, 500])
def test_the_storefront_runs_five_queries_whatever_the_number_of_products(
    client, make_vendor, bulk_products, n, django_assert_num_queries
):
    bob = make_vendor("bob")
    bulk_products(bob, n)
    url = reverse("vendors:storefront", args=[bob.shop_slug])
    # the shop, the count, one page of rows, its rating and its reviews' stars counted by number
    # (the orders module's reviews; no page of reviews is read when there is none)
    with django_assert_num_queries(5):
        page = client.get(url)
    assert page.status_code == 200 and page.content.decode().count('class="listing"') == min(n, 24)
    assert "No reviews yet" in page.content.decode()
    with django_assert_num_queries(0):
        assert client.get(url).status_code == 200


@pytest.mark.parametrize("pictures", [1, 6])
def test_a_product_page_runs_three_queries(client, make_vendor, make_product, png, pictures, django_assert_num_queries):
    product_id = make_product(make_vendor("bob"), images=[png() for _ in range(pictures)])
    # the product with its shop, its pictures, the categories (its own row says it has no reviews)
    with django_assert_num_queries(3):
        page = client.get(reverse("products:detail", args=[product_id]))
    assert page.content.decode().count('alt="Brass desk lamp, picture') == pictures


def test_a_price_or_stock_change_shows_at_once_on_every_page(
    client, make_vendor, make_product, catalog_service, categories
):
    bob = make_vendor("bob")
    product_id = make_product(bob, price_sat=120_000, stock=5)
    detail = reverse("products:detail", args=[product_id])
    shop = reverse("vendors:storefront", args=[bob.shop_slug])
    for url in (detail, CATALOG, shop):
        client.get(url)
        assert client.get(url)["X-Page-Cache"] == "hit"

    catalog_service.update_product(
        actor_id=bob.pk,
        product_id=product_id,
        title="Brass desk lamp",
        description="",
        price_sat=99_000,
        stock=5,
        category_id=categories["lighting"],
        is_active=True,
    )
    assert price_on(client.get(detail)) == "0.00099000"
    assert "0.00099000" in client.get(CATALOG).content.decode()
    assert "0.00099000" in client.get(shop).content.decode()

    with transaction.atomic():
        catalog_service.reserve_stock(items={product_id: 5})
    assert stock_on(client.get(detail)) == "Sold out"
    assert "Sold out" in client.get(CATALOG).content.decode()


@pytest.mark.django_db(transaction=True)
def test_with_real_commits_the_pages_follow_the_committed_rows(make_vendor, make_product, catalog_service):
    product_id = make_product(make_vendor("bob"), stock=3)
    detail = reverse("products:detail", args=[product_id])
    client = Client()
    assert stock_on(client.get(detail)) == "3 in stock"
    with transaction.atomic():
        catalog_service.reserve_stock(items={product_id: 1})
    assert stock_on(client.get(detail)) == "2 in stock"
    assert client.get(detail)["X-Page-Cache"] == "hit"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_page_read_during_the_purchase_is_not_served_after_it_commits(make_vendor, make_product, catalog_service):
    """Another request renders (and caches) the product while the purchase is uncommitted: it
    sees 3 in stock, rightly; once the purchase commits, nobody may be shown 3 again."""
    import threading

    from django.db import connection

    product_id = make_product(make_vendor("bob"), stock=3)
    detail = reverse("products:detail", args=[product_id])
    seen = []

    def other_request():
        try:
            seen.append(stock_on(Client().get(detail)))
        finally:
            connection.close()

    with transaction.atomic():
        catalog_service.reserve_stock(items={product_id: 1})
        reader = threading.Thread(target=other_request)
        reader.start()
        reader.join(30)
    assert seen == ["3 in stock"]
    assert stock_on(Client().get(detail)) == "2 in stock"


def test_suspending_a_shop_empties_its_cached_pages(
    client, make_vendor, make_product, vendor_service, staff, django_capture_on_commit_callbacks
):
    bob = make_vendor("bob")
    product_id = make_product(bob)
    detail = reverse("products:detail", args=[product_id])
    shop = reverse("vendors:storefront", args=[bob.shop_slug])
    for url in (detail, CATALOG, shop):
        client.get(url)
    with django_capture_on_commit_callbacks(execute=True):  # as its commit would
        vendor_service.suspend(staff_id=staff.pk, vendor_id=bob.vendor_id, reason="Unpaid fees.")
    assert client.get(detail).status_code == 404
    assert client.get(shop).status_code == 404
    assert "Brass desk lamp" not in client.get(CATALOG).content.decode()


def test_signed_in_visitors_never_get_another_persons_page(client, make_vendor, make_product, make_user):
    bob = make_vendor("bob")
    product_id = make_product(bob)
    detail = reverse("products:detail", args=[product_id])
    Client().get(detail)  # an anonymous visitor fills the cache
    client.force_login(bob)
    page = client.get(detail)
    assert "X-Page-Cache" not in page and "Edit" in page.content.decode()
    alice = Client()
    alice.force_login(make_user("alice"))
    assert "Report this listing" in alice.get(detail).content.decode()


@pytest.mark.parametrize("ignore_exceptions", [True, False])
def test_pages_are_served_uncached_while_redis_is_down_and_never_stale_after(
    private_redis, make_vendor, make_product, catalog_service, categories, make_user, ignore_exceptions
):
    bob = make_vendor("bob")
    product_id = make_product(bob, price_sat=120_000)
    detail = reverse("products:detail", args=[product_id])
    shop = reverse("vendors:storefront", args=[bob.shop_slug])
    with override_settings(CACHES=redis_caches(private_redis.url, ignore_exceptions=ignore_exceptions)):
        anonymous, alice = Client(), Client()
        alice.force_login(make_user("alice"))
        for url in (CATALOG, detail, shop):
            assert anonymous.get(url)["X-Page-Cache"] == "miss"
            assert anonymous.get(url)["X-Page-Cache"] == "hit"

        private_redis.stop()
        for url in (CATALOG, detail, shop):
            page = anonymous.get(url)
            assert page.status_code == 200 and page["X-Page-Cache"] == "off"
            assert alice.get(url).status_code == 200
        catalog_service.update_product(
            actor_id=bob.pk,
            product_id=product_id,
            title="Brass desk lamp",
            description="",
            price_sat=77_000,
            stock=5,
            category_id=categories["lighting"],
            is_active=True,
        )
        assert price_on(anonymous.get(detail)) == "0.00077000"

        private_redis.start()  # back, on the same port
        assert price_on(anonymous.get(detail)) == "0.00077000"
        assert anonymous.get(detail)["X-Page-Cache"] == "hit"
        assert "0.00077000" in anonymous.get(CATALOG).content.decode()


def test_on_redis_a_page_hit_asks_redis_nothing_and_an_edit_still_shows_at_once(
    private_redis, make_vendor, make_product, catalog_service, categories
):
    """The versions a page is checked against stay in process (Redis client tracking) until
    Redis says they changed: hits cost no round trip, and an edit is still seen at once."""
    import redis

    bob = make_vendor("bob")
    product_id = make_product(bob, price_sat=120_000)
    detail = reverse("products:detail", args=[product_id])
    shop = reverse("vendors:storefront", args=[bob.shop_slug])
    stats = redis.Redis.from_url(private_redis.url)
    with override_settings(CACHES=redis_caches(private_redis.url, ignore_exceptions=True)):
        anonymous = Client()
        for url in (detail, CATALOG, shop):
            anonymous.get(url)
            assert anonymous.get(url)["X-Page-Cache"] == "hit"
        before = stats.info("stats")["total_commands_processed"]
        for url in (detail, CATALOG, shop) * 3:
            assert anonymous.get(url)["X-Page-Cache"] == "hit"
        assert stats.info("stats")["total_commands_processed"] - before <= 1  # that INFO itself

        for price_sat, shown in ((99_000, "0.00099000"), (98_000, "0.00098000")):
            catalog_service.update_product(
                actor_id=bob.pk,
                product_id=product_id,
                title="Brass desk lamp",
                description="",
                price_sat=price_sat,
                stock=5,
                category_id=categories["lighting"],
                is_active=True,
            )
            assert price_on(anonymous.get(detail)) == shown
            assert shown in anonymous.get(CATALOG).content.decode()
            assert shown in anonymous.get(shop).content.decode()
            assert anonymous.get(detail)["X-Page-Cache"] == "hit"
