import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

from marketplace import gc_at_start

gc_at_start.hold()  # until the apps are ready (marketplace/gc_at_start.py)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings.dev")

application = get_wsgi_application()
# The URLconf, and so every view (wired as it is imported), before the first request, not during it.
get_resolver().url_patterns  # noqa: B018 (read for its import)
