"""Rendered pages kept in Django's cache, stamped with the versions of what they show.

Every entry is stored with the version tokens of its *scopes* (``catalog``, ``shop:bobs-tools``,
``product:42``...), read back in the same round trip as those tokens, and used only while
they still match. A change bumps the tokens of the scopes it touches, and again after its
transaction commits, so the next reader misses and renders from the committed rows: a page can never
show a price or a stock count older than the last committed edit.

Tokens are random, never counters: a token evicted or lost with a Redis restart comes back
as a new one, so an old entry can never match again by accident.

With ``near`` (containers/near_cache.py, on Redis), the tokens and entries are read from this
process's memory while Redis has not said they changed, and every bump is followed by a
``barrier()`` so that, once it returns, every reader has been told.

The cache is an optimisation, never a dependency: any cache failure is logged and the page is
rendered as if nothing were cached. A bump that fails (Redis unreachable) is kept and retried
before this process trusts the cache again.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import transaction

if TYPE_CHECKING:
    from services.ports import NearReads, PageStore

log = logging.getLogger(__name__)

VERSION_PREFIX = "pv:"
ENTRY_PREFIX = "pc:"
VERSION_TIMEOUT = 30 * 24 * 3600


@dataclass(frozen=True)
class Stamp:
    """The versions an entry was built from; ``None`` when the cache cannot be trusted now."""

    tokens: tuple[str, ...]


class VersionedPageCache:
    def __init__(self, *, cache: PageStore, timeout: int, near: NearReads | None = None):
        self._cache = cache
        self._near = near  # optional: reads kept in process until Redis says they changed
        self.timeout = int(timeout)
        self._pending: set[str] = set()
        self._pending_lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.timeout > 0

    # reading
    def fetch(self, key: str, scopes: Sequence[str]) -> tuple[Any | None, Stamp | None]:
        """``(value, stamp)``: the value if an entry built from the current versions exists,
        and the stamp to store a fresh one under (``None``: do not store)."""
        if not self.enabled or not self._flush_pending():
            return None, None
        version_keys = [VERSION_PREFIX + scope for scope in scopes]
        entry_key = ENTRY_PREFIX + key
        try:
            found = self._near.get_many([*version_keys, entry_key]) if self._near else None
            if found is None:
                found = self._cache.get_many([*version_keys, entry_key]) or {}
            missing = [k for k in version_keys if k not in found]
            if missing:
                for version_key in missing:
                    self._cache.add(version_key, uuid.uuid4().hex, timeout=VERSION_TIMEOUT)
                # Whoever added first wins; read the winners back before trusting them.
                found.update(self._cache.get_many(missing) or {})
        except Exception:
            log.warning("page cache unavailable; serving uncached", exc_info=True)
            return None, None
        tokens = tuple(found.get(k) for k in version_keys)
        if any(t is None for t in tokens):
            return None, None
        stamp = Stamp(tokens)
        entry = found.get(entry_key)
        if isinstance(entry, tuple) and len(entry) == 2 and entry[0] == stamp.tokens:
            return entry[1], stamp
        return None, stamp

    def store(self, key: str, stamp: Stamp | None, value: Any) -> None:
        if stamp is None or not self.enabled:
            return
        try:
            self._cache.set(ENTRY_PREFIX + key, (stamp.tokens, value), timeout=self.timeout)
        except Exception:
            log.warning("page cache unavailable; entry not stored", exc_info=True)

    # invalidation
    def bump_on_commit(self, scopes: Iterable[str]) -> None:
        """New versions for ``scopes`` now, and again once the current transaction commits.

        The second bump is the one that matters: a reader between the two may have cached the
        rows as they were before the commit, under the first new version. The first one makes
        pages drop their copies as early as possible (and inside tests, which never commit)."""
        scopes = tuple(dict.fromkeys(scopes))
        self.bump(scopes)
        if transaction.get_connection().in_atomic_block:
            transaction.on_commit(lambda: self.bump(scopes))

    def bump(self, scopes: Iterable[str]) -> None:
        values = {VERSION_PREFIX + scope: uuid.uuid4().hex for scope in scopes}
        if not values:
            return
        try:
            failed = self._cache.set_many(values, timeout=VERSION_TIMEOUT)
        except Exception:
            log.warning("page cache unreachable; %d version bump(s) will be retried", len(values), exc_info=True)
            failed = list(values)
        if failed is None:  # django-redis with IGNORE_EXCEPTIONS swallows the error
            failed = [] if self._reachable() else list(values)
        if failed:
            with self._pending_lock:
                self._pending.update(failed)
        elif self._near:
            self._near.barrier()

    def _reachable(self) -> bool:
        probe = f"{VERSION_PREFIX}probe:{uuid.uuid4().hex}"
        try:
            return bool(self._cache.add(probe, 1, timeout=5))
        except Exception:
            return False

    def _flush_pending(self) -> bool:
        """True when no bump is waiting; retries waiting bumps first."""
        if not self._pending:
            return True
        with self._pending_lock:
            pending = dict.fromkeys(self._pending)
            values = {k: uuid.uuid4().hex for k in pending}
            try:
                failed = self._cache.set_many(values, timeout=VERSION_TIMEOUT)
            except Exception:
                return False
            if failed is None and not self._reachable():
                return False
            self._pending.difference_update(set(values) - set(failed or ()))
            if self._near:
                self._near.barrier()
            return not self._pending

    def clear_versions(self, scopes: Iterable[str]) -> None:
        """Forget versions (tests, operators): the next reader starts afresh."""
        try:
            self._cache.delete_many([VERSION_PREFIX + s for s in scopes])
            if self._near:
                self._near.barrier()
        except Exception:
            log.warning("page cache unavailable", exc_info=True)


def scopes_for_product(product_id: int, vendor_slug: str) -> tuple[str, ...]:
    """What a change to one product makes stale: the catalog, the shop's pages, its own page."""
    return ("catalog", f"shop:{vendor_slug}", f"product:{product_id}")
