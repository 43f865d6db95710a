"""Answers that are the same for every caller (the catalog), kept rendered in the page cache.

The JSON is made from the operation's response schema once, on a miss, and kept under the
versions of what it shows (the catalog's), exactly as the pages keep whole pages: a change to
the catalog bumps the version and the next request renders again.
"""

import json
from collections.abc import Callable, Sequence

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse

CONTENT_TYPE = "application/json; charset=utf-8"


def shared_json(page_cache, *, key: str, scopes: Sequence[str], schema, build: Callable[[], dict]) -> HttpResponse:
    hit, stamp = page_cache.fetch("api:" + key, scopes)
    if hit is not None:
        response = HttpResponse(hit, content_type=CONTENT_TYPE)
        response["X-Page-Cache"] = "hit"
        return response
    content = json.dumps(schema.model_validate(build()).model_dump(mode="json"), cls=DjangoJSONEncoder).encode()
    page_cache.store("api:" + key, stamp, content)
    response = HttpResponse(content, content_type=CONTENT_TYPE)
    response["X-Page-Cache"] = "miss" if stamp else "off"
    return response
