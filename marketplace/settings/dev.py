"""The embedded default: SQLite under var/, local-memory cache, debug on."""

from .base import *  # noqa: F403
from .env import env_bool, env_str

DEBUG = env_bool("DEBUG", True)
SECRET_KEY = env_str("SECRET_KEY") or "dev-only-secret-key-not-for-production-use-0123456789abcdef"
if not DEBUG and SECRET_KEY.startswith("dev-only"):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")

if DEBUG and "testserver" not in ALLOWED_HOSTS:  # noqa: F405
    # Django's test client in ``manage.py shell`` (as the docs use it) calls itself testserver.
    ALLOWED_HOSTS = [*ALLOWED_HOSTS, "testserver"]  # noqa: F405

# No mail server on a development machine: mail (address confirmations, password resets,
# notifications) is printed by ``./dev serve``, where the links in it can be followed.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
