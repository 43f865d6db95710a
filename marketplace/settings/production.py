"""Production: secrets and hosts from the environment, HTTPS everywhere, JSON logs.

``DJANGO_SETTINGS_MODULE=marketplace.settings.production python manage.py check --deploy``
reports nothing.
"""

from django.core.exceptions import ImproperlyConfigured

from . import media
from .base import *  # noqa: F403
from .env import env_bool, env_int, env_str

DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env_str("SECRET_KEY") or ""
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set in the environment for production settings")
if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
    raise ImproperlyConfigured("SECRET_KEY must be at least 50 characters with 5 distinct ones")

# Behind a TLS-terminating proxy set SECURE_PROXY_SSL_HEADER=1 so Django trusts X-Forwarded-Proto.
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
# Load balancers probe health, and Prometheus scrapes, over plain HTTP on the private network.
SECURE_REDIRECT_EXEMPT = [r"^health/", r"^metrics$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE

METRICS_PUBLIC = env_bool("METRICS_PUBLIC", False)
if not METRICS_PUBLIC and METRICS_TOKEN and len(METRICS_TOKEN) < 24:  # noqa: F405
    raise ImproperlyConfigured("METRICS_TOKEN must be at least 24 characters")
MARKETPLACE_SERVED_BY_HEADER = env_bool("MARKETPLACE_SERVED_BY_HEADER", False)

STORAGES = {
    "default": media.default_storage(),
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "marketplace.logging.JsonFormatter"}},
    "filters": {"request_id": {"()": "marketplace.logging.RequestIdFilter"}, **LOGGING_BUDGETS["filters"]},  # noqa: F405
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": LOGGING_BUDGETS["loggers"],  # noqa: F405
}
