"""Reviews people can read: the product page and the shop page show the summary and the reviews,
catalog cards their rating, in a fixed number of queries, and the page cache follows a new review."""

import re

import pytest
from django.urls import reverse

from marketplace.products.models import Product
from services.errors import ProductError
from services.review_slots import EMPTY_NOTE, Rating
from tests.support.api import ApiClient

pytestmark = pytest.mark.django_db

CATALOG = reverse("products:list")


@pytest.fixture
def shop(market, make_product):
    """The market's vendor with a cheap, well stocked kettle that every reviewed order holds."""
    market.kettle = make_product(market.vendor, title="Copper kettle", price_sat=1_000, stock=500, category="tools")
    return market


@pytest.fixture
def reviewed(shop, place, order_service, review_service, make_product, clock):
    """``reviewed(n)``: n completed orders, each of the kettle and a product of its own, each
    reviewed (one minute apart, the newest last); returns the product ids bought besides."""

    def make(n: int, *, rating=lambda i: 5 - i % 5, text=lambda i: f"Review number {i}.") -> list[int]:
        others = []
        for i in range(n):
            other = make_product(shop.vendor, title=f"Item {i}", price_sat=1_000, stock=5, category="tools")
            others.append(other)
            ref = place(shop.buyer, {shop.kettle: 1, other: 1})
            order_service.accept(actor_id=shop.vendor.pk, reference=ref)
            order_service.ship(actor_id=shop.vendor.pk, reference=ref)
            order_service.confirm(actor_id=shop.buyer.pk, reference=ref)
            clock.advance(minutes=1)
            review_service.leave(actor_id=shop.buyer.pk, reference=ref, rating=rating(i), text=text(i))
        return others

    return make


def _get(client, url):
    page = client.get(url)
    assert page.status_code == 200
    return page.content.decode()


def test_empty_states_say_where_reviews_come_from(client, shop):
    for url in (
        reverse("products:detail", args=[shop.kettle]),
        reverse("vendors:storefront", args=[shop.vendor.shop_slug]),
    ):
        html = _get(client, url)
        assert EMPTY_NOTE in html and 'id="review-list"' not in html
    assert "No reviews yet" in _get(client, CATALOG)


def test_reviews_show_escaped_with_their_line_breaks_the_buyer_the_date_and_the_products(
    client, shop, reviewed, django_user_model
):
    django_user_model.objects.filter(pk=shop.buyer.pk).update(display_name="buyer@example.com")
    texts = ['Sturdy & shiny, 2 < 3 "really".\nSecond line.', "Fine."]
    others = reviewed(2, rating=lambda i: (4, 5)[i], text=lambda i: texts[i])

    product = _get(client, reverse("products:detail", args=[shop.kettle]))
    assert "Sturdy &amp; shiny, 2 &lt; 3 &quot;really&quot;.<br>Second line." in product
    assert "2 < 3" not in product
    assert "buyer@example.com" not in product and '<span class="reviewer">buyer</span>' in product
    assert 'aria-label="Rated 4.5 out of 5, 2 reviews"' in product
    assert product.index("Fine.") < product.index("Sturdy")  # newest first
    assert 'aria-label="5 stars: 1 of 2 reviews (50%)"' in product
    assert 'aria-label="1 star: 0 of 2 reviews (0%)"' in product
    assert re.search(r'<time datetime="\d{4}-\d\d-\d\dT', product)

    shop_page = _get(client, reverse("vendors:storefront", args=[shop.vendor.shop_slug]))
    assert "Second line." in shop_page and 'class="review-about' in shop_page
    about = re.findall(r'<p class="review-about help">(.*?)</p>', shop_page)
    assert len(about) == 2 and "Copper kettle" in about[0] and "Item 1" in about[0] and "Item 0" in about[1]
    assert reverse("products:detail", args=[others[1]]) in about[0]

    # the other product of the first order has that review only
    assert 'aria-label="Rated 4.0 out of 5, 1 review"' in _get(client, reverse("products:detail", args=[others[0]]))


def test_reviews_come_ten_a_page_with_links_that_work_without_javascript(client, shop, reviewed):
    reviewed(12)
    url = reverse("products:detail", args=[shop.kettle])
    first = _get(client, url)
    assert first.count('class="review"') == 10 and "Review number 11." in first and "Review number 1." not in first
    assert 'href="?reviews=2#reviews"' in first and "Reviews page 1 of 2" in first
    second = _get(client, url + "?reviews=2")
    assert second.count('class="review"') == 2 and "Review number 0." in second and "Review number 1." in second
    assert 'href="?reviews=1#reviews"' in second
    for odd in ("?reviews=abc", "?reviews=%C2%B2", "?reviews=-1", "?reviews=0"):
        assert "Reviews page 1 of 2" in _get(client, url + odd)
    assert "Reviews page 2 of 2" in _get(client, url + "?reviews=99999")

    shop_url = reverse("vendors:storefront", args=[shop.vendor.shop_slug])
    assert _get(client, shop_url + "?reviews=2").count('class="review"') == 2


@pytest.mark.parametrize("n", [1, 30])
def test_pages_run_a_fixed_number_of_queries_whatever_the_number_of_reviews(
    client, shop, reviewed, n, django_assert_num_queries
):
    reviewed(n)  # every page below is requested once after it: each request is a cache miss
    # the product with its shop, its pictures, the categories, the stars by number, a page of reviews
    with django_assert_num_queries(5):
        html = _get(client, reverse("products:detail", args=[shop.kettle]))
    assert html.count('class="review"') == min(n, 10)
    # the shop, the count, a page of products, its rating, the stars by number, a page of reviews
    # with their buyers, and the products of those reviews' orders
    with django_assert_num_queries(7):
        html = _get(client, reverse("vendors:storefront", args=[shop.vendor.shop_slug]))
    assert html.count('class="review"') == min(n, 10)
    # the categories, the count, a page of cards: the ratings come with the rows
    with django_assert_num_queries(3):
        html = _get(client, CATALOG)
    # the kettle and one product per order are rated; the lamp and the saw (the oldest) are not
    assert html.count('aria-label="Rated ') == min(n + 1, 24)


def test_a_new_review_shows_on_the_very_next_request_with_the_page_cache_on(
    client, shop, reviewed, place, order_service, review_service
):
    reviewed(1)
    ref = place(shop.buyer, {shop.kettle: 1})
    for step in ("accept", "ship"):
        getattr(order_service, step)(actor_id=shop.vendor.pk, reference=ref)
    order_service.confirm(actor_id=shop.buyer.pk, reference=ref)
    urls = (
        reverse("products:detail", args=[shop.kettle]),
        reverse("vendors:storefront", args=[shop.vendor.shop_slug]),
        CATALOG,
    )
    for url in urls:
        client.get(url)
        assert client.get(url)["X-Page-Cache"] == "hit"

    review_service.leave(actor_id=shop.buyer.pk, reference=ref, rating=1, text="Arrived dented.")

    product, storefront, catalog = (client.get(url) for url in urls)
    for page in (product, storefront, catalog):
        assert page["X-Page-Cache"] == "miss"
    assert "Arrived dented." in product.content.decode() and "Arrived dented." in storefront.content.decode()
    assert 'aria-label="Rated 3.0 out of 5, 2 reviews"' in product.content.decode()
    assert 'aria-label="Rated 3.0 out of 5, 2 reviews"' in catalog.content.decode()
    assert client.get(urls[2])["X-Page-Cache"] == "hit"


def test_the_card_summary_is_kept_in_the_reviews_transaction(shop, reviewed, catalog_service):
    others = reviewed(3, rating=lambda i: (5, 4, 4)[i])
    kettle = Product.objects.get(pk=shop.kettle)
    assert (kettle.rating_sum, kettle.rating_count) == (13, 3)
    assert Rating.of(kettle.rating_sum, kettle.rating_count).label == "Rated 4.3 out of 5, 3 reviews"
    assert list(Product.objects.filter(pk__in=others).order_by("pk").values_list("rating_sum", flat=True)) == [5, 4, 4]
    for bad in (0, 6, "5", True, 4.5):
        with pytest.raises(ProductError):
            catalog_service.record_rating(product_ids=[shop.kettle], rating=bad)
    assert Product.objects.get(pk=shop.kettle).rating_count == 3


def test_ratings_round_half_up_and_say_it_in_words():
    assert Rating(0, 0).label == "No reviews yet" and Rating(0, 0).stars == "☆☆☆☆☆"
    assert Rating(17, 4).average.to_eng_string() == "4.3"  # 4.25
    assert Rating(17, 4).stars == "★★★★☆"
    assert Rating(9, 2).stars == "★★★★★"  # 4.5 rounds up
    assert Rating(5, 1).label == "Rated 5.0 out of 5, 1 review"


def test_the_api_gives_each_product_its_rating(shop, reviewed):
    reviewed(2, rating=lambda i: (4, 5)[i])
    api = ApiClient(None)
    one = api.get(f"/products/{shop.kettle}").json()
    assert one["rating"] == {"average": 4.5, "count": 2, "label": "Rated 4.5 out of 5, 2 reviews"}
    cards = {card["id"]: card["rating"] for card in api.get("/products").json()["items"]}
    assert cards[shop.kettle]["count"] == 2
    assert cards[shop.lamp] == {"average": None, "count": 0, "label": "No reviews yet"}


def test_reviews_left_before_the_summaries_existed_are_counted_by_the_migration(shop, reviewed):
    """Orders migration 0002 fills the summaries from the reviews already there."""
    import importlib

    from django.apps import apps

    others = reviewed(3, rating=lambda i: (5, 4, 2)[i])
    Product.objects.update(rating_sum=0, rating_count=0)  # as they were before products 0004
    importlib.import_module("marketplace.orders.migrations.0002_product_ratings_from_reviews").fill(apps, None)
    kettle = Product.objects.get(pk=shop.kettle)
    assert (kettle.rating_sum, kettle.rating_count) == (11, 3)
    assert list(Product.objects.filter(pk__in=others).order_by("pk").values_list("rating_sum", "rating_count")) == [
        (5, 1),
        (4, 1),
        (2, 1),
    ]


def test_a_product_without_reviews_costs_no_query_for_them(client, shop, django_assert_num_queries):
    with django_assert_num_queries(3):  # the product with its shop, its pictures, the categories
        page = _get(client, reverse("products:detail", args=[shop.kettle]))
    assert EMPTY_NOTE in page or "No reviews yet" in page
