"""Reads kept in process by Redis client tracking: served from memory, never after a change.

Everything here runs against a real redis-server; the writer in another process is a real
process too, so "the next read sees the change" is tested the way gunicorn workers live it.
"""

import subprocess
import sys
import textwrap

import pytest
import redis
from django.core.cache import caches
from django.test import override_settings

from containers.near_cache import TrackedReads
from tests.support.servers import redis_caches


@pytest.fixture
def cache(private_redis):
    with override_settings(CACHES=redis_caches(private_redis.url, prefix="near")):
        yield caches["default"]


@pytest.fixture
def reads(cache):
    reader = TrackedReads(retry_seconds=0.2)
    yield reader
    reader.clear()


def mget_calls(private_redis) -> int:
    stats = redis.Redis.from_url(private_redis.url).info("commandstats")
    return stats.get("cmdstat_mget", {}).get("calls", 0)


def test_a_key_read_once_is_then_served_from_memory_as_a_fresh_copy(private_redis, cache, reads):
    cache.set("shelf", {"price_sat": 1200})
    assert reads.get_many(["shelf", "absent"]) == {"shelf": {"price_sat": 1200}}
    before = mget_calls(private_redis)
    first = reads.get_many(["shelf"])
    first["shelf"]["price_sat"] = 0  # a caller changing its copy changes nobody else's
    assert reads.get_many(["shelf"]) == {"shelf": {"price_sat": 1200}}
    assert mget_calls(private_redis) == before


def test_a_write_delete_or_flush_from_another_connection_is_seen_by_the_next_read(private_redis, cache, reads):
    cache.set_many({"a": "one", "b": "two"})
    assert reads.get_many(["a", "b"]) == {"a": "one", "b": "two"}
    cache.set("a", "uno")
    reads.barrier()
    assert reads.get_many(["a", "b"]) == {"a": "uno", "b": "two"}
    cache.delete("b")
    reads.barrier()
    assert reads.get_many(["a", "b"]) == {"a": "uno"}
    reads.get_many(["a"])
    redis.Redis.from_url(private_redis.url).flushdb()
    reads.barrier()
    assert reads.get_many(["a"]) == {}


WRITER = textwrap.dedent("""
    import sys, redis
    client = redis.Redis.from_url(sys.argv[1])
    for line in sys.stdin:
        value = int(line)
        client.set(sys.argv[2], value)
        client.ping()  # the barrier: Redis has written its invalidations out before this reply
        print(value, flush=True)
""")


def test_a_change_made_in_another_process_is_never_read_stale(private_redis, cache, reads):
    """The reader holds the old value in memory each time the writer changes it, then reads
    as soon as the writer says it is done: the way a visitor reloads a page after an edit."""
    key = str(cache.make_key("price"))
    cache.set("price", 0)
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, private_redis.url, key], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    served_from_memory = 0
    try:
        for value in range(1, 301):
            before = mget_calls(private_redis)
            assert reads.get_many(["price"]) == {"price": value - 1}
            served_from_memory += mget_calls(private_redis) == before
            writer.stdin.write(f"{value}\n")
            writer.stdin.flush()
            assert int(writer.stdout.readline()) == value
            assert reads.get_many(["price"]) == {"price": value}, f"stale read after write {value}"
    finally:
        writer.stdin.close()
        writer.wait(timeout=10)
    assert served_from_memory >= 290  # the value was in memory when the writer changed it


def test_redis_going_away_sends_readers_to_the_cache_and_forgets_what_they_held(private_redis, cache, reads):
    cache.set("a", 1)
    assert reads.get_many(["a"]) == {"a": 1}
    private_redis.stop()
    assert reads.get_many(["a"]) is None  # the caller reads through the cache (and finds it down)
    private_redis.start()  # empty, on the same port: whatever was held could be anything by now
    cache.set("a", 2)
    assert reads.get_many(["a"]) is None  # still backing off
    import time

    time.sleep(0.25)
    assert reads.get_many(["a"]) == {"a": 2}


def test_memory_is_bounded_and_a_connection_is_replaced_before_its_messages_could_pile_up(cache):
    reader = TrackedReads(max_keys=8, max_reads=16)
    cache.set_many({f"k{i}": i for i in range(40)})
    connections = set()
    for _ in range(2):
        for i in range(40):
            assert reader.get_many([f"k{i}"]) == {f"k{i}": i}
            assert len(reader._local) <= 8
            connections.add(id(reader._conn))
    assert len(connections) >= 80 // 16
    cache.set("k39", "changed")
    reader.barrier()
    assert reader.get_many(["k39"]) == {"k39": "changed"}
    reader.clear()


def test_a_busy_reader_or_a_local_memory_cache_sends_the_caller_to_the_cache(cache, reads):
    cache.set("a", 1)
    with reads._lock:
        assert reads.get_many(["a"]) is None
    assert reads.get_many(["a"]) == {"a": 1}
    assert TrackedReads(enabled=False).get_many(["a"]) is None
    with override_settings(CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}):
        assert reads.get_many(["a"]) is None
        reads.barrier()  # nothing to wait for
    assert reads.get_many(["a"]) == {"a": 1}  # back on Redis


def test_a_forked_process_opens_its_own_connection_and_starts_empty(cache, reads):
    cache.set("a", 1)
    reads.get_many(["a"])
    parent = reads._conn
    reads._pid = -1  # what os.getpid() looks like from a child
    reads._local["near:1:a"] = b"not what Redis holds"
    assert reads.get_many(["a"]) == {"a": 1}
    assert reads._conn is not parent


@pytest.mark.django_db
def test_a_reload_of_vendors_closes_the_old_tracking_connection(private_redis, cache, runtime):
    from containers import container

    cache.set("pv:catalog", "v1")
    old = container.vendors.near_reads()
    old.get_many(["pv:catalog"])
    assert old._conn is not None
    runtime.reload_module("vendors")
    new = container.vendors.near_reads()
    assert new is not old
    assert old._conn is None and old.get_many(["pv:catalog"]) is None
    assert new.get_many(["pv:catalog"]) == {"pv:catalog": "v1"}


def test_a_redis_that_refuses_tracking_turns_the_tier_off_once(private_redis, cache, reads, caplog):
    redis.Redis.from_url(private_redis.url).execute_command(
        "ACL", "SETUSER", "default", "on", "nopass", "~*", "&*", "+@all", "-client|tracking"
    )
    cache.set("a", 1)
    with caplog.at_level("ERROR", logger="containers.near_cache"):
        assert reads.get_many(["a"]) is None
        assert reads.get_many(["a"]) is None
    assert [r.levelname for r in caplog.records] == ["ERROR"] and not reads.enabled
    pings = redis.Redis.from_url(private_redis.url).info("commandstats").get("cmdstat_ping", {}).get("calls", 0)
    reads.barrier()  # still a round trip, through the cache, for processes that do track
    assert redis.Redis.from_url(private_redis.url).info("commandstats")["cmdstat_ping"]["calls"] == pings + 1
