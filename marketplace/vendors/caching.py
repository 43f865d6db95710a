"""Whole pages for anonymous visitors, served from the versioned page cache.

A visitor with no session and no pending messages sees exactly what every other such visitor
sees (the pages hold no CSRF token and nothing personal), so the finished response can be kept
and served without rendering. Signed-in people get pages rendered from cached *data* instead
(see ``CatalogQueries`` and ``VendorService.storefront``), so their own links stay personal.
"""

import hashlib
from collections.abc import Callable, Iterable, Sequence

from django.conf import settings
from django.http import HttpResponse
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_language

MESSAGES_COOKIE = "messages"


def is_anonymous_and_plain(request) -> bool:
    return (
        request.method in ("GET", "HEAD")
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and MESSAGES_COOKIE not in request.COOKIES
    )


def query_key(request, params: Iterable[str]) -> str:
    """The named query parameters, normalised (order, unknown names and repeats do not count)."""
    if not request.META.get("QUERY_STRING"):
        return "-"  # the most requested page of all: skip parsing an empty query
    raw = "&".join(f"{name}={request.GET.get(name, '').strip()}" for name in sorted(params))
    return hashlib.blake2b(raw.encode(), digest_size=16).hexdigest()


def whole_page(
    request, page_cache, *, key: str, scopes: Sequence[str], build: Callable[[], HttpResponse]
) -> HttpResponse:
    if not is_anonymous_and_plain(request):
        return build()
    # One entry per language: LocaleMiddleware picks it from the cookie or Accept-Language.
    key = f"page:{get_language()}:{key}"
    hit, stamp = page_cache.fetch(key, scopes)
    if hit is not None:
        content_type, content = hit
        response = HttpResponse(content, content_type=content_type)
        response["X-Page-Cache"] = "hit"
    else:
        response = build()
        if response.status_code == 200 and not response.cookies and not response.streaming:
            if hasattr(response, "render"):
                response.render()
            page_cache.store(key, stamp, (response["Content-Type"], response.content))
        response["X-Page-Cache"] = "miss" if stamp else "off"
    patch_vary_headers(response, ["Cookie", "Accept-Language"])
    return response
