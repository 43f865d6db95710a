"""Production settings for the benchmark, plus one route: a minimal view to measure against.

Everything else is production as deployed (DEBUG off, JSON logs, manifest static files, Redis
cache from REDIS_URL); only HTTPS redirection and secure cookies are off, because the load
generator speaks plain HTTP on 127.0.0.1.
"""

from marketplace.settings.production import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
