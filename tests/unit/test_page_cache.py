"""The versioned page cache: entries used only while their versions hold; failures never raise."""

import pytest
from django.core.cache.backends.locmem import LocMemCache

from services.page_cache import VersionedPageCache


@pytest.fixture
def cache():
    backend = LocMemCache("page-cache-test", {})
    backend.clear()
    return backend


def test_an_entry_is_served_until_one_of_its_scopes_is_bumped(cache):
    pages = VersionedPageCache(cache=cache, timeout=60)
    value, stamp = pages.fetch("p", ["catalog", "product:1"])
    assert value is None and stamp is not None
    pages.store("p", stamp, {"price": 1})
    assert pages.fetch("p", ["catalog", "product:1"])[0] == {"price": 1}

    pages.bump(["product:1"])
    value, stamp = pages.fetch("p", ["catalog", "product:1"])
    assert value is None
    pages.store("p", stamp, {"price": 2})
    assert pages.fetch("p", ["catalog", "product:1"])[0] == {"price": 2}


def test_a_lost_version_never_revives_an_old_entry(cache):
    pages = VersionedPageCache(cache=cache, timeout=60)
    _, stamp = pages.fetch("p", ["catalog"])
    pages.store("p", stamp, "old")
    cache.delete("pv:catalog")  # evicted, or Redis restarted without its data
    assert pages.fetch("p", ["catalog"])[0] is None


def test_an_entry_stored_from_a_read_older_than_a_bump_is_never_served(cache):
    pages = VersionedPageCache(cache=cache, timeout=60)
    _, stamp_before = pages.fetch("p", ["catalog"])  # a request reads the version...
    pages.bump(["catalog"])  # ...an edit commits...
    pages.store("p", stamp_before, "stale")  # ...the slow request stores what it read
    assert pages.fetch("p", ["catalog"])[0] is None


@pytest.mark.django_db(transaction=True)
def test_a_page_read_while_the_change_was_uncommitted_is_dropped_at_commit(cache):
    from django.db import transaction

    pages = VersionedPageCache(cache=cache, timeout=60)
    _, stamp = pages.fetch("p", ["catalog"])
    pages.store("p", stamp, "v1")
    with transaction.atomic():
        pages.bump_on_commit(["catalog"])
        assert pages.fetch("p", ["catalog"])[0] is None
        _, stamp = pages.fetch("p", ["catalog"])
        pages.store("p", stamp, "read before the commit")  # another request, old rows
        assert pages.fetch("p", ["catalog"])[0] == "read before the commit"
    assert pages.fetch("p", ["catalog"])[0] is None  # the commit's bump dropped it


def test_zero_seconds_turns_the_cache_off(cache):
    pages = VersionedPageCache(cache=cache, timeout=0)
    assert pages.fetch("p", ["catalog"]) == (None, None)
    pages.store("p", None, "x")
    assert cache.get("pc:p") is None


class BrokenCache:
    """A cache whose server is gone: every call raises, as django-redis does without IGNORE_EXCEPTIONS."""

    def __init__(self):
        self.down = True
        self.inner = LocMemCache("broken-cache-test", {})
        self.inner.clear()

    def __getattr__(self, name):
        method = getattr(self.inner, name)

        def call(*args, **kwargs):
            if self.down:
                raise ConnectionError("cache server unreachable")
            return method(*args, **kwargs)

        return call


def test_a_cache_that_fails_means_uncached_never_an_error():
    broken = BrokenCache()
    pages = VersionedPageCache(cache=broken, timeout=60)
    assert pages.fetch("p", ["catalog"]) == (None, None)
    pages.store("p", None, "x")
    pages.bump(["catalog"])  # logged and remembered, not raised


def test_a_bump_that_failed_is_retried_before_the_cache_is_trusted_again():
    broken = BrokenCache()
    broken.down = False
    pages = VersionedPageCache(cache=broken, timeout=60)
    _, stamp = pages.fetch("p", ["product:1"])
    pages.store("p", stamp, "old price")

    broken.down = True
    pages.bump(["product:1"])  # the edit's bump cannot reach the cache
    broken.down = False  # the cache is back, with the old entry and the old version
    value, stamp = pages.fetch("p", ["product:1"])
    assert value is None  # the pending bump went through first
    pages.store("p", stamp, "new price")
    assert pages.fetch("p", ["product:1"])[0] == "new price"
