"""Settings for the test suite: the dev defaults, made fast and deterministic."""

from . import media
from .dev import *  # noqa: F403
from .env import env_bool

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    # Pictures in memory, unless MARKETPLACE_MEDIA_BUCKET names a bucket to run the suite against.
    "default": media.default_storage(fallback={"BACKEND": "django.core.files.storage.InMemoryStorage"}),
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
# The test process is no cluster worker unless a test (or a server it starts) asks for it.
MARKETPLACE["ops"]["listen"] = env_bool("MARKETPLACE_CLUSTER_LISTEN", False)  # noqa: F405
# A service that publishes a topic its module does not declare fails the test that reaches it.
MARKETPLACE["core"]["strict_events"] = True  # noqa: F405
# Tasks run in-process unless a test starts workers of its own (they set MARKETPLACE_TASKS_IN_PROCESS=0).
CELERY_TASK_ALWAYS_EAGER = env_bool("MARKETPLACE_TASKS_IN_PROCESS", True)  # noqa: F405
