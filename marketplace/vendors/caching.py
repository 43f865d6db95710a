"""Pages served from the versioned page cache: whole for visitors, a shared part for signed-in people.

A visitor with no session and no pending messages sees exactly what every other such visitor
sees (the pages hold no CSRF token and nothing personal), so the finished response can be kept
and served without rendering (``X-Page-Cache``).

A signed-in person's page is kept as its shared part (marketplace/shared_pages.py): rendered
once with markers where the header, the messages, a module's slot and CSRF tokens go, and
those drawn per request (``X-Page-Cache-Signed-In``). It is kept under the same scopes, so it is
exactly as fresh as the visitors' copy. People who see more than others never use or fill it:
staff (anyone holding a permission) and the owner of what the page shows (``owned_by``), whose
pages carry their own edit links and may show what buyers cannot.

The header on such a page is kept per person too (kept_parts.py), so a page served from its
shared part is assembled without drawing anything but the parts that are not kept.
"""

import hashlib
from collections.abc import Callable, Iterable, Sequence

from django.conf import settings
from django.http import HttpResponse
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_language

from marketplace import shared_pages
from marketplace.vendors.kept_parts import KeptParts

MESSAGES_COOKIE = "messages"
SIGNED_IN_HEADER = "X-Page-Cache-Signed-In"
OWNER_ATTRIBUTE = "page_owner_id"


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
    request,
    page_cache,
    *,
    key: str,
    scopes: Sequence[str],
    build: Callable[[], HttpResponse],
    signed_in: bool = False,
) -> HttpResponse:
    """``signed_in``: keep a shared part for signed-in people too; only for a page whose personal
    parts are all ``{% personal %}`` fragments, owner bits aside (``owned_by``)."""
    if not is_anonymous_and_plain(request):
        if signed_in and request.method in ("GET", "HEAD") and request.user.is_authenticated:
            return _signed_in_page(request, page_cache, key=key, scopes=scopes, build=build)
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


def owned_by(response: HttpResponse, user_id: int | None) -> HttpResponse:
    """Marks whose thing the page shows: its owner is never served the shared part, nor fills it."""
    setattr(response, OWNER_ATTRIBUTE, user_id)
    return response


def sees_more(user) -> bool:
    """Staff see tools and hidden things on these pages. Any permission at all counts, so a new
    staff-only part of a page can never slip into the shared copy. Adds no query: the header's
    staff menu reads the same permissions, which Django keeps on the user for the request."""
    return user.is_superuser or user.is_staff or bool(user.get_all_permissions())


def _signed_in_page(request, page_cache, *, key, scopes, build) -> HttpResponse:
    kept = KeptParts(request, page_cache, sees_more)
    try:
        return _shared_or_built(request, page_cache, kept, key=key, scopes=scopes, build=build)
    finally:
        kept.save()


def _shared_or_built(request, page_cache, kept, *, key, scopes, build) -> HttpResponse:
    if kept.sees_more():
        response = build()
        response[SIGNED_IN_HEADER] = "bypass"
        return response
    # "shared": the fragments are (name, values, kept) since kept parts; older entries never match.
    key = f"page:{get_language()}:shared:{key}"
    hit, stamp = page_cache.fetch(key, scopes)
    if hit is not None:
        content_type, parts, fragments, owner_id = hit
        if owner_id != request.user.pk:
            response = HttpResponse(shared_pages.assemble(request, parts, fragments, kept), content_type=content_type)
            response[SIGNED_IN_HEADER] = "hit"
            patch_vary_headers(response, ["Cookie", "Accept-Language"])
            return response
    if stamp is None:
        response = build()
        response[SIGNED_IN_HEADER] = "off"
        return response
    recorder = shared_pages.begin(request)
    try:
        response = build()
        if hasattr(response, "render"):
            response.render()
    finally:
        shared_pages.end(request)
    if response.streaming:
        return response
    owner_id = getattr(response, OWNER_ATTRIBUTE, None)
    parts = recorder.split(response.content.decode(response.charset))
    mine = owner_id == request.user.pk
    if response.status_code == 200 and not response.cookies and not mine:
        page_cache.store(key, stamp, (response["Content-Type"], parts, tuple(recorder.fragments), owner_id))
    response.content = shared_pages.assemble(request, parts, recorder.fragments, kept)
    response[SIGNED_IN_HEADER] = "bypass" if mine else "miss"
    patch_vary_headers(response, ["Cookie", "Accept-Language"])
    return response
