"""Search backends, chosen by configuration (``products.search_backend``).

``auto`` (the default) serves ``fts5`` on SQLite and ``postgres`` on PostgreSQL (``simple``
elsewhere). ``simple``: every word must appear in the title or the description, whatever its
case; runs on any database, understands no word forms. ``fts5`` and ``postgres`` understand
words: plurals and other English endings (stemming), case and accents all match; the last word
is taken as a prefix (``hamm`` finds hammer); ``-word`` leaves out what holds that word; results
rank title hits above description hits. Every word the visitor types is quoted before it reaches
the database's query syntax, so no input can raise.

``fts5`` reads the FTS5 table ``products_search`` that migration 0005 creates on SQLite and
``SearchIndex`` keeps in step with products (``CatalogService`` writes it in the transaction of
each change; ``manage.py rebuild_search_index`` rebuilds it). ``postgres`` needs no table: the GIN
index (migrations 0002 and 0005) covers exactly ``search_vector(SEARCH_CONFIG)``, the expression
the search filters on.
"""

import re

from django.db import connection as default_connection
from django.db import transaction
from django.db.models import FloatField, Q, QuerySet, Value
from django.db.models.expressions import RawSQL

MAX_WORDS = 8
_WORD = re.compile(r"\w+", re.UNICODE)
# Letters and digits only: "_" and other marks are separators for both databases' tokenizers.
_TERM = re.compile(r"(?<!\S)-([^\W_]+)|([^\W_]+)", re.UNICODE)

FTS_TABLE = "products_search"
TITLE_WEIGHT, DESCRIPTION_WEIGHT = 10.0, 1.0
# unaccent, then English stemming (migration 0005 of products creates it on PostgreSQL).
SEARCH_CONFIG = "marketplace_search"

BACKENDS_BY_VENDOR = {"sqlite": "fts5", "postgresql": "postgres"}


def search_words(text: str) -> list[str]:
    return _WORD.findall(text or "")[:MAX_WORDS]


def search_terms(text: str) -> tuple[list[str], list[str]]:
    """The words to find and those to leave out (``-word``), at most ``MAX_WORDS`` in all."""
    wanted: list[str] = []
    unwanted: list[str] = []
    for match in _TERM.finditer(text or ""):
        if len(wanted) + len(unwanted) >= MAX_WORDS:
            break
        if match.group(1):
            unwanted.append(match.group(1))
        else:
            wanted.append(match.group(2))
    return wanted, unwanted


def backend_for(name: str, connection=None) -> str:
    """``auto`` is the backend that understands words on this database."""
    if name != "auto":
        return name
    return BACKENDS_BY_VENDOR.get((connection or default_connection).vendor, "simple")


def _no_rank(queryset: QuerySet) -> QuerySet:
    # The catalog orders by search_rank whenever a ranking backend had text to search.
    return queryset.annotate(search_rank=Value(0.0, output_field=FloatField()))


class SimpleSearch:
    name = "simple"
    ranks = False

    def apply(self, queryset: QuerySet, text: str) -> QuerySet:
        for word in search_words(text):
            queryset = queryset.filter(Q(title__icontains=word) | Q(description__icontains=word))
        return queryset

    def check(self, connection) -> dict:
        return {"backend": self.name}


def fts_match(words: list[str], *, prefix_last: bool) -> str:
    """An FTS5 query of quoted strings (implicit AND): operators typed by the visitor stay words."""
    quoted = ['"' + word.replace('"', '""') + '"' for word in words]
    if prefix_last and quoted:
        quoted[-1] += "*"
    return " ".join(quoted)


class Fts5Search:
    name = "fts5"
    ranks = True

    def apply(self, queryset: QuerySet, text: str) -> QuerySet:
        wanted, unwanted = search_terms(text)
        if not wanted and not unwanted:
            return _no_rank(queryset)
        select = f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s"  # noqa: S608 (constants only)
        if unwanted:
            left_out = " OR ".join(fts_match([word], prefix_last=False) for word in unwanted)
            queryset = queryset.exclude(pk__in=RawSQL(select, [left_out]))
        if not wanted:
            return _no_rank(queryset)
        match = fts_match(wanted, prefix_last=True)
        # bm25 is lower for better matches; the catalog sorts by -search_rank.
        rank = RawSQL(
            f"(SELECT -bm25({FTS_TABLE}, {TITLE_WEIGHT}, {DESCRIPTION_WEIGHT}) FROM {FTS_TABLE} "  # noqa: S608
            f'WHERE {FTS_TABLE} MATCH %s AND rowid = "products_product"."id")',
            [match],
            output_field=FloatField(),
        )
        return queryset.filter(pk__in=RawSQL(select, [match])).annotate(search_rank=rank)

    def check(self, connection) -> dict:
        if connection.vendor != "sqlite":
            raise RuntimeError(f"the fts5 search backend needs SQLite, not {connection.vendor}")
        return {"backend": self.name, **SearchIndex().state(connection)}


def search_vector(config: str = "english"):
    """The indexed expression. The default is what migration 0002 indexed; the search uses
    ``SEARCH_CONFIG`` (migration 0005 re-creates the index over it)."""
    from django.contrib.postgres.search import SearchVector

    return SearchVector("title", weight="A", config=config) + SearchVector("description", weight="B", config=config)


def tsquery(wanted: list[str], unwanted: list[str]) -> str:
    """A ``to_tsquery`` text of quoted lexemes: the words hold only letters and digits."""
    parts = [f"'{word}'" for word in wanted]
    if parts:
        parts[-1] += ":*"
    parts += [f"!'{word}'" for word in unwanted]
    return " & ".join(parts)


class PostgresSearch:
    name = "postgres"
    ranks = True
    config = SEARCH_CONFIG

    def apply(self, queryset: QuerySet, text: str) -> QuerySet:
        from django.contrib.postgres.search import SearchQuery, SearchRank

        wanted, unwanted = search_terms(text)
        if not wanted and not unwanted:
            return _no_rank(queryset)
        vector = search_vector(self.config)
        query = SearchQuery(tsquery(wanted, unwanted), search_type="raw", config=self.config)
        return queryset.annotate(search=vector).filter(search=query).annotate(search_rank=SearchRank(vector, query))

    def check(self, connection) -> dict:
        if connection.vendor != "postgresql":
            raise RuntimeError(f"the postgres search backend needs PostgreSQL, not {connection.vendor}")
        return {"backend": self.name, "config": self.config}


class SearchIndex:
    """The FTS5 table on SQLite, written by ``CatalogService`` inside the transaction of each
    change to a product's words (create, edit, delete), whichever backend serves, so switching to
    ``fts5`` finds it complete. Listing, unlisting and shop status are not its business: the
    catalog's own filters hide what is not listed. Does nothing on other databases."""

    def _active(self) -> bool:
        return default_connection.vendor == "sqlite"

    def write(self, *, product_id: int, title: str, description: str) -> None:
        if not self._active():
            return
        with default_connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {FTS_TABLE} WHERE rowid = %s", [product_id])  # noqa: S608
            cursor.execute(
                f"INSERT INTO {FTS_TABLE} (rowid, title, description) VALUES (%s, %s, %s)",  # noqa: S608
                [product_id, title, description],
            )

    def remove(self, *, product_id: int) -> None:
        if not self._active():
            return
        with default_connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {FTS_TABLE} WHERE rowid = %s", [product_id])  # noqa: S608

    def rebuild(self) -> dict:
        """Every product not deleted, afresh, in one transaction; the state before and after."""
        if not self._active():
            return {}
        with transaction.atomic(), default_connection.cursor() as cursor:
            before = self.state(default_connection)
            rebuild_fts(cursor)
            return {"before": before, "after": self.state(default_connection)}

    def state(self, connection) -> dict:
        """How many rows the index holds and how many products it misses or keeps after deletion."""
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT (SELECT count(*) FROM {FTS_TABLE}),"  # noqa: S608
                " (SELECT count(*) FROM products_product p WHERE p.deleted_at IS NULL"
                f"  AND p.id NOT IN (SELECT rowid FROM {FTS_TABLE})),"
                " (SELECT count(*) FROM products_product p WHERE p.deleted_at IS NOT NULL"
                f"  AND p.id IN (SELECT rowid FROM {FTS_TABLE}))"
            )
            indexed, missing, stale = cursor.fetchone()
        return {"indexed": indexed, "drift": missing + stale}


def rebuild_fts(cursor) -> None:
    cursor.execute(f"DELETE FROM {FTS_TABLE}")  # noqa: S608
    cursor.execute(
        f"INSERT INTO {FTS_TABLE} (rowid, title, description) "  # noqa: S608
        "SELECT id, title, description FROM products_product WHERE deleted_at IS NULL"
    )
