"""Search that understands words, on each database.

SQLite: the FTS5 table ``products_search`` (Porter stemming over unicode61 without diacritics,
prefix indexes for two- and three-letter prefixes), filled from the products not deleted;
``CatalogService`` keeps it in step from then on (``services.catalog_search.SearchIndex``).

PostgreSQL: the ``unaccent`` extension (trusted since PostgreSQL 13, so the database owner may
create it) and the text search configuration ``marketplace_search`` (unaccent, then English
stemming); the GIN index of migration 0002 is made again over ``search_vector(SEARCH_CONFIG)``,
the expression ``PostgresSearch`` filters on. The model state is unchanged.
"""

from django.db import migrations

FTS_TABLE = "products_search"
INDEX_NAME = "products_search_gin"
CONFIG = "marketplace_search"


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(
            f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(title, description, "
            "tokenize = 'porter unicode61 remove_diacritics 2', prefix = '2 3')"
        )
        schema_editor.execute(
            f"INSERT INTO {FTS_TABLE} (rowid, title, description) "  # noqa: S608
            "SELECT id, title, description FROM products_product WHERE deleted_at IS NULL"
        )
    elif vendor == "postgresql":
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
        schema_editor.execute(f"CREATE TEXT SEARCH CONFIGURATION {CONFIG} (COPY = english)")
        schema_editor.execute(
            f"ALTER TEXT SEARCH CONFIGURATION {CONFIG} "
            "ALTER MAPPING FOR hword, hword_part, word WITH unaccent, english_stem"
        )
        _gin_index(apps, schema_editor, CONFIG)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(f"DROP TABLE IF EXISTS {FTS_TABLE}")
    elif vendor == "postgresql":
        _gin_index(apps, schema_editor, "english")
        schema_editor.execute(f"DROP TEXT SEARCH CONFIGURATION IF EXISTS {CONFIG}")


def _gin_index(apps, schema_editor, config):
    from django.contrib.postgres.indexes import GinIndex

    from services.catalog_search import search_vector

    schema_editor.execute(f'DROP INDEX IF EXISTS "{INDEX_NAME}"')
    Product = apps.get_model("products", "Product")
    schema_editor.add_index(Product, GinIndex(search_vector(config), name=INDEX_NAME))


class Migration(migrations.Migration):
    dependencies = [("products", "0004_product_rating_summary")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
