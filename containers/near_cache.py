"""Redis keys kept in this process until Redis says they changed (RESP3 client tracking).

A cached page is still checked against the versions of what it shows (services/page_cache.py),
and on a small host that check, one round trip to Redis, is most of what a cached page costs.
Here the keys are read through one connection per process with ``CLIENT TRACKING ON``: Redis
remembers what this connection read and pushes an ``invalidate`` message down the same
connection when any of those keys changes (written, deleted, expired, evicted or flushed).
Before every use the messages already received are applied, so a key is answered from memory
only while Redis has not said it changed. Why that is as good as asking Redis every time:

* Redis queues the message to every reader while it executes the write, before the write's
  own reply. A writer that then makes one more round trip (``barrier()``, which
  ``VersionedPageCache`` does after every bump) knows the messages have been written to every
  reader's socket: once an edit returns, the next read in any process on the Redis host sees
  the message first. (Across hosts, the message is one network hop from the reader while the
  edit's visitor needs a whole round trip through the writer before asking again.)
* Messages and replies share one ordered stream, so a change after a read is seen after it.
* Anything uncertain empties the memory: a lost connection, a fork, ``FLUSHDB``, a reply that
  is not a message, and a connection that has read ``max_reads`` keys is replaced so that its
  unread messages can never outgrow the socket buffer (past it they would wait in Redis).
* One connection per process: a thread that finds it busy reads through the ordinary cache.

Values are kept as the bytes Redis holds and decoded on every use, as the cache itself does,
so no caller can change what another one gets. A failure is logged and answered with ``None``:
the caller then reads through the ordinary cache.
"""

import logging
import os
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

from django.core.cache import caches
from django.core.signals import setting_changed

from containers.metrics import CACHE_REQUESTS

log = logging.getLogger(__name__)
# A Redis that cannot track is a setup to fix, said once with its traceback: not an outage, so
# not under the budget the settings put on ``log`` (LOGGING_BUDGETS).
setup_log = logging.getLogger(f"{__name__}.setup")

_APPLIED = object()  # what the invalidation handler returns, to tell messages from replies
_readers: "weakref.WeakSet[TrackedReads]" = weakref.WeakSet()


class TrackedReads:
    def __init__(
        self,
        *,
        enabled: bool = True,
        alias: str = "default",
        max_keys: int = 1024,
        max_reads: int = 512,
        retry_seconds: float = 1.0,
    ):
        self.enabled = bool(enabled)
        self.alias = alias
        self.max_keys = max_keys
        self.max_reads = max_reads
        self.retry_seconds = retry_seconds
        self._lock = threading.Lock()
        self._local: OrderedDict[str, bytes] = OrderedDict()
        self._backend = None  # the django-redis backend, bound at first use; False: not Redis
        self._conn = None
        self._pid = None
        self._reads = 0
        self._retry_at = 0.0
        self._hit, self._miss = CACHE_REQUESTS.labels("near", "hit"), CACHE_REQUESTS.labels("near", "miss")
        _readers.add(self)

    # reading
    def get_many(self, keys: Sequence[str]) -> dict[str, Any] | None:
        """The keys that exist, decoded, by the names given; ``None``: ask the cache instead."""
        if not self.enabled or time.monotonic() < self._retry_at or self._bound() is False:
            return None
        if not self._lock.acquire(blocking=False):
            return None
        try:
            conn = self._connection()
            if conn is None:
                return None
            backend = self._backend
            full = {key: str(backend.make_key(key)) for key in keys}
            self._apply_pending(conn)
            missing = [name for name in full.values() if name not in self._local]
            if missing:
                self._read(conn, missing)
            found, local = {}, self._local
            for key, name in full.items():
                raw = local.get(name)
                if raw is not None:
                    local.move_to_end(name)
                    found[key] = backend.client.decode(raw)
            self._hit.inc(len(full) - len(missing))
            self._miss.inc(len(missing))
            return found
        except Exception:
            self._fail("near cache read failed; reading through the cache")
            return None
        finally:
            self._lock.release()

    def barrier(self) -> None:
        """Return once Redis has written out what earlier writes told its readers (see above).

        Made even with this tier off here: other processes may have it on."""
        if self._bound() is False:
            return
        if self.enabled and time.monotonic() >= self._retry_at:
            with self._lock:
                try:
                    conn = self._connection()
                    if conn is not None:
                        conn.send_command("PING")
                        self._answer(conn)
                        return
                except Exception:
                    self._fail("near cache barrier failed")
        try:  # any round trip will do for the other processes; this one holds nothing now
            self._backend.client.get_client().ping()
        except Exception:
            log.warning("near cache barrier: Redis unreachable", exc_info=True)

    def clear(self) -> None:
        with self._lock:
            self._drop_connection()

    def rebind(self) -> None:
        """Find the cache backend again at the next read (the settings changed)."""
        with self._lock:
            self._drop_connection()
            self._backend = None
            self._retry_at = 0.0

    def close(self) -> None:
        """For good (a reloaded module's old instance): later reads go to the cache."""
        with self._lock:
            self.enabled = False
            self._drop_connection()

    # the connection and its messages
    def _connection(self):
        if self._conn is not None and self._pid == os.getpid():
            if self._reads < self.max_reads:
                return self._conn
        self._drop_connection()
        if self._bound() is False:
            return None
        # redis is imported only where the cache is Redis: on local memory no process loads it.
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeoutError

        try:
            pool = self._backend.client.get_client(write=False).connection_pool
            conn = pool.connection_class(**{**pool.connection_kwargs, "protocol": 3})
            # Every (re)connection starts from an empty memory and tracking on, whoever reconnects.
            conn.register_connect_callback(self._on_connect)
            conn.connect()
        except (RedisConnectionError, RedisTimeoutError):
            raise  # Redis is away: the caller backs off and tries again
        except Exception:
            # An old Redis (no RESP3 or tracking), an ACL without CLIENT, a client kind we do
            # not know how to copy: say so once and keep asking Redis, as without this tier.
            setup_log.error("Redis client tracking unavailable; pages will ask Redis on every visit", exc_info=True)
            self.enabled = False
            return None
        self._conn, self._pid = conn, os.getpid()
        return conn

    def _bound(self):
        """The django-redis backend, found at first use; ``False`` when the cache is not Redis."""
        if self._backend is None:
            from django_redis.cache import RedisCache

            backend = caches[self.alias]
            self._backend = backend if isinstance(backend, RedisCache) else False
        return self._backend

    def _on_connect(self, conn) -> None:
        self._local.clear()
        self._reads = 0
        conn.send_command("CLIENT", "TRACKING", "ON")
        if conn.read_response() not in (b"OK", "OK"):
            from redis.exceptions import ResponseError

            raise ResponseError("Redis refused CLIENT TRACKING")
        conn._parser.set_invalidation_push_handler(self._invalidated)

    def _invalidated(self, message) -> object:
        names = message[1]
        if names is None:  # FLUSHDB / FLUSHALL
            self._local.clear()
        else:
            for name in names:
                self._local.pop(name.decode() if isinstance(name, bytes) else name, None)
        return _APPLIED

    def _apply_pending(self, conn) -> None:
        # A message is written whole by Redis; once some of it is here, wait for the rest.
        while conn.can_read(timeout=0):
            if conn.read_response(push_request=True) is not _APPLIED:
                from redis.exceptions import ConnectionError as RedisConnectionError

                raise RedisConnectionError("unexpected reply on the tracking connection")

    @staticmethod
    def _answer(conn):
        """The reply to the command just sent, after the messages that were on their way."""
        reply = conn.read_response(push_request=True)
        while reply is _APPLIED:
            reply = conn.read_response(push_request=True)
        return reply

    def _read(self, conn, names: list[str]) -> None:
        conn.send_command("MGET", *names)
        values = self._answer(conn)
        self._reads += len(names)
        local = self._local
        for name, raw in zip(names, values, strict=True):
            if raw is not None:
                local[name] = raw
        while len(local) > self.max_keys:
            local.popitem(last=False)

    def _fail(self, what: str) -> None:
        log.warning(what, exc_info=True)
        self._drop_connection()
        self._retry_at = time.monotonic() + self.retry_seconds

    def _drop_connection(self) -> None:
        conn, self._conn = self._conn, None
        self._local.clear()
        self._reads = 0
        if conn is not None:
            try:
                conn.disconnect()
            except Exception:
                log.debug("closing the tracking connection failed", exc_info=True)


def _forget_backends(*, setting, **kwargs) -> None:
    if setting == "CACHES":  # tests point the cache elsewhere: rebind at the next read
        for reader in list(_readers):
            reader.rebind()


setting_changed.connect(_forget_backends)
