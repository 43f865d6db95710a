"""Search that understands words: the default backend of each database (``fts5`` on SQLite,
``postgres`` on PostgreSQL) finds plurals, any case, accents, several words and a prefix, ranks
title hits first, follows every change to a product, and answers any input normally."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from services.catalog_search import search_terms

pytestmark = pytest.mark.django_db

CATALOG = reverse("products:list")
OWN_BACKEND = {"sqlite": "fts5", "postgresql": "postgres"}[connection.vendor]


@pytest.fixture
def shop(make_vendor, make_product):
    bob = make_vendor("bob")
    ids = {
        "hammer": make_product(
            bob, title="Claw hammer, 16 oz", description="Drop-forged steel head, ash handle.", category="tools"
        ),
        "grinder": make_product(
            bob, title="Café crème grinder", description="Burrs for coffee beans.", category="tools"
        ),
        "lamp": make_product(bob, title="Brass desk lamp", description="Warm light for reading.", category="lighting"),
    }
    return {"bob": bob, **ids}


def found(queries, q, **params) -> list[str]:
    filters, notices = queries.parse_filters({"q": q, **params})
    return [row.title for row in queries.list_products(filters=filters, notices=notices).page.rows]


def test_the_database_default_backend_serves_and_the_health_check_says_which(catalog_queries, runtime, shop):
    assert catalog_queries.search_backend == OWN_BACKEND
    detail = runtime.modules.get("products").get_module_health()["checks"]["catalog"]["detail"]
    assert detail["backend"] == OWN_BACKEND
    if OWN_BACKEND == "fts5":
        assert (detail["indexed"], detail["drift"]) == (3, 0)


@pytest.mark.parametrize(
    "q, titles",
    [
        ("hammers", ["Claw hammer, 16 oz"]),  # plural of a title word
        ("lamps", ["Brass desk lamp"]),
        ("handles", ["Claw hammer, 16 oz"]),  # plural of a description word
        ("CLAW Hammer", ["Claw hammer, 16 oz"]),  # case
        ("cafe", ["Café crème grinder"]),  # accents, either way round
        ("CREME grinders", ["Café crème grinder"]),
        ("café", ["Café crème grinder"]),
        ("steel hammer", ["Claw hammer, 16 oz"]),  # several words, title and description
        ("brass hammer", []),  # every word must match
        ("hamm", ["Claw hammer, 16 oz"]),  # the last word is a prefix
        ("coffee gri", ["Café crème grinder"]),
        ("hammer -claw", []),  # -word leaves out
        ("lamp -hammer", ["Brass desk lamp"]),
        ("submarine", []),
    ],
)
def test_words_are_understood(catalog_queries, shop, q, titles):
    assert found(catalog_queries, q) == titles


def test_title_hits_rank_above_description_hits(catalog_queries, shop, make_product):
    make_product(shop["bob"], title="Oil lamp", description="Brass, with a glass chimney.", category="lighting")
    # the newest, so without ranking it would come first
    make_product(shop["bob"], title="Reading glasses", description="For reading by lamp light.", category="lighting")
    ranked = found(catalog_queries, "lamp", sort="relevance")
    assert set(ranked[:2]) == {"Brass desk lamp", "Oil lamp"} and ranked[2] == "Reading glasses"
    assert found(catalog_queries, "lamp")[0] == "Reading glasses"  # newest first unless asked


def test_the_search_follows_every_change(catalog_queries, catalog_service, moderation_service, categories, shop, staff):
    bob, hammer = shop["bob"], shop["hammer"]

    def rename(title, description="Drop-forged steel head."):
        catalog_service.update_product(
            actor_id=bob.pk,
            product_id=hammer,
            title=title,
            description=description,
            price_sat=35_000,
            stock=5,
            category_id=categories["tools"],
            is_active=True,
        )

    rename("Sledgehammer")
    assert found(catalog_queries, "claw") == []
    assert found(catalog_queries, "sledgehammers") == ["Sledgehammer"]
    rename("Mallet", description="Rubber head.")
    assert found(catalog_queries, "steel") == [] and found(catalog_queries, "rubber") == ["Mallet"]

    catalog_service.set_listed(actor_id=bob.pk, product_id=hammer, listed=False)
    assert found(catalog_queries, "mallet") == []
    catalog_service.set_listed(actor_id=bob.pk, product_id=hammer, listed=True)
    assert found(catalog_queries, "mallet") == ["Mallet"]

    moderation_service.unlist(staff_id=staff.pk, product_id=hammer, note="Prohibited item.")
    assert found(catalog_queries, "mallet") == []
    moderation_service.restore(staff_id=staff.pk, product_id=hammer)
    assert found(catalog_queries, "mallet") == ["Mallet"]

    catalog_service.delete_product(actor_id=bob.pk, product_id=hammer)
    assert found(catalog_queries, "mallet") == []
    if OWN_BACKEND == "fts5":
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM products_search WHERE rowid = %s", [hammer])
            assert cursor.fetchone()[0] == 0  # deleted rows leave the index


def test_a_failed_change_leaves_the_index_as_it_was(catalog_queries, catalog_service, categories, shop):
    from services.errors import ProductError

    with pytest.raises(ProductError):
        catalog_service.update_product(
            actor_id=shop["bob"].pk,
            product_id=shop["lamp"],
            title="Floor lamp",
            description="Tall.",
            price_sat=0,  # refused: nothing is written
            stock=5,
            category_id=categories["lighting"],
            is_active=True,
        )
    assert found(catalog_queries, "desk") == ["Brass desk lamp"] and found(catalog_queries, "tall") == []


HOSTILE = [
    '"',
    '"hammer',
    'hammer"',
    '""',
    "*",
    "hamm*",
    "**hammer",
    "NEAR(hammer lamp)",
    "hammer NEAR lamp",
    "hammer AND OR NOT",
    "(((",
    "hammer)",
    "-",
    "- -",
    "-hammer",
    "hammer -",
    "\x00",
    "ham\x00mer",
    "title:hammer",
    "{title description}: hammer",
    "^hammer",
    "hammer:*",
    "!hammer & | <->",
    "'; DROP TABLE products_product; --",
    "_",
    "é" * 500,
    "hammer " * 100,
]


@pytest.mark.parametrize("q", HOSTILE)
def test_hostile_input_answers_normally(client, catalog_queries, shop, q):
    for sort in ("relevance", "newest"):
        found(catalog_queries, q, sort=sort)
        page = client.get(CATALOG, {"q": q, "sort": sort})
        assert page.status_code == 200, q


def test_operators_typed_are_words(catalog_queries, shop):
    assert found(catalog_queries, 'hammer"') == ["Claw hammer, 16 oz"]
    assert found(catalog_queries, "hamm*") == ["Claw hammer, 16 oz"]
    assert found(catalog_queries, "(claw) hammer") == ["Claw hammer, 16 oz"]
    assert found(catalog_queries, "hammer NEAR") == []  # NEAR is a word to find, and no product holds it


def test_search_terms_are_letters_and_digits_at_most_eight():
    assert search_terms('NEAR("x*" -y) e-book_1') == (["NEAR", "x", "e", "book", "1"], ["y"])
    assert sum(map(len, search_terms("a " * 50))) == 8


def test_a_search_page_runs_three_queries(client, shop, bulk_products, django_assert_num_queries):
    bulk_products(shop["bob"], 40)
    with django_assert_num_queries(3):  # categories, count, one page of rows with first pictures
        page = client.get(CATALOG, {"q": "hammers items", "sort": "relevance"})
    assert page.status_code == 200
    with django_assert_num_queries(3):
        page = client.get(CATALOG, {"q": "items", "sort": "relevance"})
    assert "40 products" in page.content.decode()


def test_the_index_can_be_rebuilt_when_it_drifts(catalog_queries, runtime, shop, capsys):
    if OWN_BACKEND == "fts5":
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM products_search WHERE rowid = %s", [shop["hammer"]])
        assert runtime.modules.get("products").get_module_health()["checks"]["catalog"]["detail"]["drift"] == 1
        runtime.module_container("vendors").page_cache().bump(["catalog"])
        assert found(catalog_queries, "hammer") == []
    call_command("rebuild_search_index")
    out = capsys.readouterr().out
    if OWN_BACKEND == "fts5":
        assert "3 product(s) indexed (drift was 1, now 0)" in out
    else:
        assert "Nothing to rebuild" in out
    assert found(catalog_queries, "hammers") == ["Claw hammer, 16 oz"]
