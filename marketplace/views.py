"""The site's own pages: the home page, and the icons browsers ask for at the root."""

import hashlib
from functools import cache
from pathlib import Path

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from marketplace.vendors.caching import whole_page

ICONS = Path(__file__).resolve().parent / "static" / "marketplace" / "icons"
# What the visitors' sections show: every module's part is stamped with a subset of these
# (services/catalog_highlights.py, shop_highlights.py, rated_products.py).
HOME_SCOPES = ("catalog", "categories", "shops", "reviews")
ICON_MAX_AGE = 30 * 24 * 3600  # the address never changes, so not "immutable": a new icon shows within a month


@require_safe
def home(request):
    """Sections come from the modules that own their data (``MODKIT_SITE_SLOTS`` in settings).

    A visitor's page is kept whole in the page cache (the vendors module's, when it serves) under
    every scope its sections show, and the modules that serve: enabling or disabling one changes
    the key. A signed-in person's page is drawn per request, from the sections' cached data."""
    from containers import runtime

    def build():
        return render(request, "home.html")

    if not runtime.modules.is_ready("vendors"):
        return build()
    serving = ",".join(name for name in runtime.modules.initialization_order() if runtime.modules.is_ready(name))
    key = "home:" + hashlib.blake2b(serving.encode(), digest_size=8).hexdigest()
    page_cache = runtime.module_container("vendors").page_cache()
    return whole_page(request, page_cache, key=key, scopes=HOME_SCOPES, build=build)


@cache
def _icon(name: str) -> bytes:
    return (ICONS / name).read_bytes()


def _icon_response(name: str, content_type: str) -> HttpResponse:
    response = HttpResponse(_icon(name), content_type=content_type)
    response["Cache-Control"] = f"public, max-age={ICON_MAX_AGE}"
    return response


@require_safe
def favicon(request):
    return _icon_response("favicon.ico", "image/x-icon")


@require_safe
def apple_touch_icon(request):
    return _icon_response("apple-touch-icon.png", "image/png")
