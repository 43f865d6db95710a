"""Write the SQLite search index (the FTS5 table ``products_search``) afresh from the products.

``CatalogService`` keeps the index in step with every change it makes; this repairs it after
rows were written some other way (a restore, a bulk import in SQL). The health check of the
products module reports ``drift`` (products missing from the index, or deleted ones still in it)
when it is needed. On PostgreSQL there is nothing to rebuild: the GIN index follows the table.
"""

from django.core.management.base import BaseCommand, CommandError

from containers import runtime


class Command(BaseCommand):
    help = "Rebuild the SQLite full-text search index of products (nothing to do on PostgreSQL)."

    def handle(self, *args, **options):
        runtime.ensure_started()
        if not runtime.modules.is_ready("products"):
            raise CommandError(f"the products module is not ready: {runtime.modules.record('products').error}")
        result = runtime.module_container("products").catalog_service().rebuild_search_index()
        if not result:
            self.stdout.write("Nothing to rebuild: this database's search needs no separate index.")
            return
        before, after = result["before"], result["after"]
        self.stdout.write(
            f"Search index rebuilt: {after['indexed']} product(s) indexed "
            f"(drift was {before['drift']}, now {after['drift']})."
        )
