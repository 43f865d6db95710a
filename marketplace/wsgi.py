import os

from django.core.wsgi import get_wsgi_application

from marketplace import gc_at_start

gc_at_start.hold()  # until the apps are ready (marketplace/gc_at_start.py)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings.dev")

application = get_wsgi_application()
