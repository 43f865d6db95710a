"""Cache backends that count their hits and misses, chosen once in settings.

Every caller (page caching, services) goes through ``django.core.cache``, so
counting here measures all of them without a line in any caller. A read that fails because
the cache server is down counts as a miss: the page was served without the cache.
"""

from django.core.cache.backends.locmem import LocMemCache
from django_redis.cache import RedisCache

from containers.metrics import CACHE_REQUESTS

_ABSENT = object()


class _CountingMixin:
    metrics_label = "cache"

    def _counters(self):
        counters = self.__dict__.get("_hit_miss")
        if counters is None:
            counters = (
                CACHE_REQUESTS.labels(self.metrics_label, "hit"),
                CACHE_REQUESTS.labels(self.metrics_label, "miss"),
            )
            self.__dict__["_hit_miss"] = counters
        return counters

    def get(self, key, default=None, version=None, **kwargs):
        value = super().get(key, _ABSENT, version=version, **kwargs)
        hit, miss = self._counters()
        if value is _ABSENT:
            miss.inc()
            return default
        hit.inc()
        return value


class InstrumentedLocMemCache(_CountingMixin, LocMemCache):
    """Django's local-memory cache; ``get_many`` and ``get_or_set`` go through ``get``."""

    metrics_label = "locmem"


class InstrumentedRedisCache(_CountingMixin, RedisCache):
    """django-redis, whose ``get_many`` is one MGET: counted here key by key."""

    metrics_label = "redis"

    def get_many(self, keys, version=None, client=None):
        keys = list(keys)
        found = super().get_many(keys, version=version, client=client) or {}
        hit, miss = self._counters()
        hit.inc(len(found))
        miss.inc(len(keys) - len(found))
        return found
