"""The full-text index of the ``postgres`` search backend, on PostgreSQL only.

Built from ``services.catalog_search.search_vector()`` itself, so the indexed expression is
exactly the one the search filters on (and the planner can use the index). Other databases get
nothing: the ``simple`` backend needs no index of this kind. The model state is unchanged, so
``makemigrations`` never sees a difference.
"""

from django.db import migrations

INDEX_NAME = "products_search_gin"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from django.contrib.postgres.indexes import GinIndex

    from services.catalog_search import search_vector

    Product = apps.get_model("products", "Product")
    schema_editor.add_index(Product, GinIndex(search_vector(), name=INDEX_NAME))


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f'DROP INDEX IF EXISTS "{INDEX_NAME}"')


class Migration(migrations.Migration):
    dependencies = [("products", "0001_initial")]

    operations = [migrations.RunPython(create_index, drop_index, elidable=False)]
