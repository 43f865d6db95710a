"""Search backends, chosen by configuration (``products.search_backend``).

``simple``: every word must appear in the title or the description, whatever its case; runs on
any database. ``postgres``: full-text search (stemmed, English) over the title (weight A) and
the description (weight B), ranked, served by the GIN index that migration 0002 creates on
PostgreSQL over exactly ``search_vector()``.
"""

import re

from django.db.models import Q, QuerySet

MAX_WORDS = 8
_WORD = re.compile(r"\w+", re.UNICODE)


def search_words(text: str) -> list[str]:
    return _WORD.findall(text or "")[:MAX_WORDS]


class SimpleSearch:
    name = "simple"
    ranks = False

    def apply(self, queryset: QuerySet, text: str) -> QuerySet:
        for word in search_words(text):
            queryset = queryset.filter(Q(title__icontains=word) | Q(description__icontains=word))
        return queryset

    def check(self, connection) -> dict:
        return {"backend": self.name}


def search_vector(config: str = "english"):
    from django.contrib.postgres.search import SearchVector

    return SearchVector("title", weight="A", config=config) + SearchVector("description", weight="B", config=config)


class PostgresSearch:
    name = "postgres"
    ranks = True
    config = "english"

    def apply(self, queryset: QuerySet, text: str) -> QuerySet:
        from django.contrib.postgres.search import SearchQuery, SearchRank

        if not search_words(text):
            return queryset
        vector = search_vector(self.config)
        # websearch syntax ("quoted phrase", -excluded, or) never raises on malformed input.
        query = SearchQuery(text, search_type="websearch", config=self.config)
        return queryset.annotate(search=vector).filter(search=query).annotate(search_rank=SearchRank(vector, query))

    def check(self, connection) -> dict:
        if connection.vendor != "postgresql":
            raise RuntimeError(f"the postgres search backend needs PostgreSQL, not {connection.vendor}")
        return {"backend": self.name, "config": self.config}
