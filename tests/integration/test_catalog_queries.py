"""CatalogQueries: filters, sorting, paging and search on the real database; bad parameters."""

import sys

import pytest

from services.catalog_queries import CatalogFilters, parse_filters

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(make_vendor, make_product):
    """Bob sells a lamp (lighting) and a hammer (tools); Carol a novel (fiction)."""
    bob, carol = make_vendor("bob"), make_vendor("carol")
    ids = {
        "lamp": make_product(
            bob, title="Brass desk lamp", description="Warm light for reading.", price_sat=120_000, category="lighting"
        ),
        "hammer": make_product(
            bob, title="Claw hammer", description="Steel head, ash handle.", price_sat=35_000, category="tools"
        ),
        "novel": make_product(
            carol,
            title="A Wizard of Earthsea",
            description="A classic about magic.",
            price_sat=18_000,
            category="fiction",
        ),
    }
    return {"bob": bob, "carol": carol, **ids}


def titles(page):
    return [row.title for row in page.page.rows]


def listing(queries, **params):
    filters, notices = queries.parse_filters(params)
    return queries.list_products(filters=filters, notices=notices)


def test_the_provider_builds_the_current_queries(catalog_queries):
    assert isinstance(catalog_queries, sys.modules["services.catalog_queries"].CatalogQueries)


def test_newest_first_by_default_then_by_price(catalog_queries, shop):
    assert titles(listing(catalog_queries)) == ["A Wizard of Earthsea", "Claw hammer", "Brass desk lamp"]
    assert titles(listing(catalog_queries, sort="price_asc")) == [
        "A Wizard of Earthsea",
        "Claw hammer",
        "Brass desk lamp",
    ]
    assert titles(listing(catalog_queries, sort="price_desc")) == [
        "Brass desk lamp",
        "Claw hammer",
        "A Wizard of Earthsea",
    ]


def test_a_category_includes_its_subcategories(catalog_queries, shop):
    assert titles(listing(catalog_queries, category="hardware")) == ["Claw hammer", "Brass desk lamp"]
    assert titles(listing(catalog_queries, category="tools")) == ["Claw hammer"]
    result = listing(catalog_queries, category="books")
    assert titles(result) == ["A Wizard of Earthsea"] and result.category.name == "Books"


def test_vendor_and_price_range(catalog_queries, shop):
    result = listing(catalog_queries, vendor="bob-shop")
    assert titles(result) == ["Claw hammer", "Brass desk lamp"] and result.vendor_name == "Bob's Shop"
    assert titles(listing(catalog_queries, min_price="0.0002", max_price="0.0012")) == [
        "Claw hammer",
        "Brass desk lamp",
    ]
    assert titles(listing(catalog_queries, max_price="0.00018")) == ["A Wizard of Earthsea"]


def test_search_matches_words_in_title_or_description_whatever_their_case(catalog_queries, shop):
    assert titles(listing(catalog_queries, q="LAMP")) == ["Brass desk lamp"]
    assert titles(listing(catalog_queries, q="steel handle")) == ["Claw hammer"]
    assert titles(listing(catalog_queries, q="magic")) == ["A Wizard of Earthsea"]
    assert titles(listing(catalog_queries, q="submarine")) == []
    assert titles(listing(catalog_queries, q="<script>alert(1)</script>")) == []


def test_hidden_products_are_not_in_the_catalog(
    catalog_queries, catalog_service, vendor_service, moderation_service, shop, staff
):
    bob, carol = shop["bob"], shop["carol"]
    catalog_service.set_listed(actor_id=bob.pk, product_id=shop["lamp"], listed=False)
    moderation_service.unlist(staff_id=staff.pk, product_id=shop["hammer"], note="Prohibited item.")
    assert titles(listing(catalog_queries)) == ["A Wizard of Earthsea"]
    vendor_service.suspend(staff_id=staff.pk, vendor_id=carol.vendor_id, reason="Fraud reports.")
    assert titles(listing(catalog_queries)) == []
    vendor_service.unsuspend(staff_id=staff.pk, vendor_id=carol.vendor_id)
    assert titles(listing(catalog_queries)) == ["A Wizard of Earthsea"]


@pytest.mark.parametrize(
    "params, notice",
    [
        ({"category": "nope"}, "There is no category “nope”"),
        ({"vendor": "nobody"}, "There is no shop “nobody”"),
        ({"min_price": "cheap"}, "The lowest price “cheap” was ignored"),
        ({"max_price": "-1"}, "prices are not negative"),
        ({"max_price": "1e9"}, "was ignored"),
        ({"min_price": "0.123456789"}, "at most 8 decimal places"),
        ({"sort": "random"}, "Unknown sort order"),
        ({"min_price": "0.01", "max_price": "0.001"}, "were swapped"),
    ],
)
def test_bad_parameters_give_a_notice_and_the_rest_still_works(catalog_queries, shop, params, notice):
    result = listing(catalog_queries, **params)
    assert any(notice in n for n in result.notices), result.notices


def test_page_numbers_past_the_end_give_the_last_page(catalog_queries, shop, bulk_products, settings):
    bulk_products(shop["bob"], 60)
    size = catalog_queries.page_size
    last = -(-63 // size)
    for raw in ["999", "99999999999999999999", str(last)]:
        result = listing(catalog_queries, page=raw)
        assert result.page.number == last and result.page.num_pages == last
        assert len(result.page.rows) == 63 - size * (last - 1)
    for raw in ["0", "-3", "abc", "", "1.5"]:
        assert listing(catalog_queries, page=raw).page.number == 1


def test_filters_make_a_stable_cache_key_and_query_string():
    a, _ = parse_filters({"q": "Lamp", "category": "Tools", "min_price": "0.001"})
    b = CatalogFilters(q="lamp", category="tools", min_price_sat=100_000)
    assert a.cache_key() == b.cache_key()
    assert a.query_string() == "q=Lamp&category=tools&min_price=0.00100000&"


@pytest.mark.postgres
def test_postgres_full_text_search_is_stemmed_and_ranked(marketplace_config, container, shop, make_product):
    make_product(
        shop["carol"],
        title="Field guide to lamps",
        description="Restoring old lamps and lanterns.",
        category="fiction",
        price_sat=22_000,
    )
    make_product(
        shop["carol"], title="Cookbook", description="One recipe mentions a lamp.", category="fiction", price_sat=9_000
    )
    with marketplace_config(products={"search_backend": "postgres"}, reload=["products"]):
        queries = container.products.catalog_queries()
        assert queries.search_backend == "postgres"
        ranked = titles(listing(queries, q="lamps", sort="relevance"))
        # stemmed: "lamps" finds "lamp"; title matches (weight A) rank above description ones
        assert set(ranked) == {"Brass desk lamp", "Field guide to lamps", "Cookbook"}
        assert ranked[-1] == "Cookbook"
        assert titles(listing(queries, q="lamp -brass")) == ["Cookbook", "Field guide to lamps"]


@pytest.mark.postgres
def test_the_gin_index_serves_the_search(shop):
    from django.db import connection

    from marketplace.products.models import Product
    from services.catalog_search import PostgresSearch

    queryset = PostgresSearch().apply(Product.objects.all(), "lamp").values("id")
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "products_search_gin" in plan, plan


def test_row_links_are_what_reverse_gives(catalog_queries, shop, png, make_product):
    from django.urls import reverse

    make_product(shop["bob"], title="Pictured lamp", images=[png()])
    row = listing(catalog_queries, q="pictured").page.rows[0]
    assert row.url == reverse("products:detail", args=[row.id])
    assert row.image_url == reverse("products:image", args=[row.image_id])
    assert row.vendor_url == reverse("vendors:storefront", args=["bob-shop"])
