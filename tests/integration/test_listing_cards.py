"""Product cards drawn once and kept (marketplace/templatetags/listings.py): the same HTML as the
card template drawn afresh, in the reader's language, and never a card older than its product."""

import re
from datetime import UTC, datetime

import pytest
from django.db import transaction
from django.template import engines
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import translation

from marketplace.templatetags.listings import _drawn
from services.catalog_queries import ProductCard

pytestmark = pytest.mark.django_db

CATALOG = reverse("products:list")
WHEN = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def card(**changes) -> ProductCard:
    values = {
        "id": 7,
        "title": "Brass desk lamp",
        "price_sat": 123_456_789,
        "stock": 3,
        "vendor_id": 2,
        "vendor_name": "Bob's Shop",
        "vendor_slug": "bob-shop",
        "category_id": 1,
        "image_id": None,
        "created_at": WHEN,
        "rating_sum": 52,
        "rating_count": 12,
    }
    return ProductCard(**{**values, **changes})


ROWS = (
    card(),
    card(id=8, title='<b>"Tricky" & co</b>', stock=0, image_id=41),
    card(id=9, rating_sum=0, rating_count=0, vendor_name="Carol & Sons", vendor_slug="carol"),
)


def drawn(source: str, rows, show_vendor: bool) -> str:
    return engines["django"].from_string(source).render({"rows": rows, "show_vendor": show_vendor})


@pytest.mark.parametrize("language", ["en", "de", "es"])
@pytest.mark.parametrize("show_vendor", [True, False])
def test_kept_cards_are_the_card_template_drawn_afresh(language, show_vendor):
    include = '{% for row in rows %}{% include "vendors/_listing.html" with show_vendor=show_vendor %}{% endfor %}'
    kept = "{% load listings %}{% listing_cards rows show_vendor=show_vendor %}"
    with translation.override(language):
        expected = drawn(include, ROWS, show_vendor)
        assert drawn(kept, ROWS, show_vendor) == expected  # drawn
        assert drawn(kept, ROWS, show_vendor) == expected  # kept
    assert expected.count('<li class="listing">') == 3
    assert ("Bob&#x27;s Shop" in expected) is show_vendor


def test_a_card_is_kept_per_language():
    kept = "{% load listings %}{% listing_cards rows show_vendor=True %}"
    rows = (card(stock=0),)
    with translation.override("en"):
        english = drawn(kept, rows, True)
    with translation.override("de"):
        german = drawn(kept, rows, True)
    assert "Sold out" in english and "1.23456789" in english
    assert "Ausverkauft" in german and "1,23456789" in german


def test_a_changed_row_is_drawn_again_never_served_from_the_old_card():
    kept = "{% load listings %}{% listing_cards rows show_vendor=True %}"
    with translation.override("en"):
        assert "1.23456789" in drawn(kept, (card(),), True)
        cheaper = drawn(kept, (card(price_sat=99_000),), True)
    assert "0.00099000" in cheaper and "1.23456789" not in cheaper


def test_a_changed_setting_forgets_the_kept_cards():
    with translation.override("en"):
        drawn("{% load listings %}{% listing_cards rows %}", ROWS, False)
    assert _drawn.cache_info().currsize > 0
    with override_settings(USE_THOUSAND_SEPARATOR=True):
        assert _drawn.cache_info().currsize == 0


def cards_on(page) -> list[str]:
    return re.findall(r'<li class="listing">.*?</li>', page.content.decode(), re.S)


def test_with_the_page_cache_off_every_edit_shows_on_the_next_catalog_page(
    marketplace_config, make_vendor, make_product, catalog_service, categories
):
    """The cards are the one thing kept then: a price, stock, title or rating edit must show at once."""
    bob = make_vendor("bob")
    product_id = make_product(bob, title="Brass desk lamp", price_sat=120_000, stock=5)
    client = Client()

    def edit(**changes):
        values = {"title": "Brass desk lamp", "description": "", "price_sat": 120_000, "stock": 5, **changes}
        catalog_service.update_product(
            actor_id=bob.pk, product_id=product_id, category_id=categories["lighting"], is_active=True, **values
        )

    with marketplace_config(vendors={"cache_seconds": 0}, reload=["vendors"]):
        first = client.get(CATALOG)
        assert first["X-Page-Cache"] == "off"
        assert "0.00120000" in cards_on(first)[0]
        assert cards_on(client.get(CATALOG)) == cards_on(first)

        edit(price_sat=99_000)
        assert "0.00099000" in cards_on(client.get(CATALOG))[0]
        edit(price_sat=99_000, title="Copper desk lamp")
        assert "Copper desk lamp" in cards_on(client.get(CATALOG))[0]
        with transaction.atomic():
            catalog_service.reserve_stock(items={product_id: 5})
        assert "Sold out" in cards_on(client.get(CATALOG))[0]
        with transaction.atomic():
            catalog_service.record_rating(product_ids=[product_id], rating=4)
        assert 'aria-label="Rated 4.0 out of 5, 1 review"' in cards_on(client.get(CATALOG))[0]
        german = cards_on(client.get(CATALOG, HTTP_ACCEPT_LANGUAGE="de"))[0]
        assert "0,00099000" in german and "Ausverkauft" in german and "Copper desk lamp" in german
