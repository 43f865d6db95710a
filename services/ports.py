"""The roles services are given by other modules, as ``typing.Protocol``: only what each one uses.

Services import these for type checking only (under ``if TYPE_CHECKING:``): nothing imports this
file at run time, so no hot reload ever re-imports it or orders other files around it. Each
Protocol's docstring names the provider that fills the role.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from django.core.files.base import File
    from django.db.models import QuerySet
    from modkit import ModuleRegistry, ServiceRegistry
    from modkit.generations import Generation

    from services.chain_backends import ChainScan, OutputCheck
    from services.notification_backends import Notice
    from services.product_images import PreparedImage, StoredImage, Thumbnail
    from services.reload_journal import ReloadEntry
    from services.review_slots import ReviewsPage
    from services.vendor_slots import PageOf, VendorRating


# core
class Clock(Protocol):
    """Filled by ``core.clock`` (``services.clock.SystemClock``; tests put a ``ManualClock``)."""

    def now(self) -> datetime: ...


class Events(Protocol):
    """Filled by ``core.events`` (``services.events.EventPublisher``)."""

    def publish(self, topic: str, **payload: Any) -> None: ...


class HealthCache(Protocol):
    """Filled by ``core.cache`` (Django's cache proxy), for ``HealthService``'s round trip."""

    def get(self, key: str) -> Any: ...

    def set(self, key: str, value: Any, timeout: float | None = ...) -> None: ...


class PageStore(Protocol):
    """Filled by ``core.cache`` (Django's cache proxy), for ``vendors.page_cache``."""

    def get_many(self, keys: Sequence[str]) -> dict[str, Any]: ...

    def add(self, key: str, value: Any, timeout: float | None = ...) -> bool: ...

    def set(self, key: str, value: Any, timeout: float | None = ...) -> None: ...

    def set_many(self, data: Mapping[str, Any], timeout: float | None = ...) -> list[str] | None: ...

    def delete_many(self, keys: Sequence[str]) -> None: ...


# accounts
class MailLimiter(Protocol):
    """Filled by ``accounts.send_limiter`` (``services.send_limiter.SendLimiter``)."""

    def take(self, scope: str, limits: dict[str, int]) -> None: ...


# vendors
class NearReads(Protocol):
    """Filled by ``vendors.near_reads`` (``containers.near_cache.TrackedReads``)."""

    def get_many(self, keys: Sequence[str]) -> dict[str, Any] | None: ...

    def barrier(self) -> None: ...


class Listings(Protocol):
    """Filled by ``vendors.listings``: products' ``catalog_queries``, ``NoListings`` until then."""

    def storefront_page(self, *, vendor_id: int, page: int) -> PageOf: ...

    def vendor_products(self, *, vendor_id: int) -> list[Any]: ...


class Ratings(Protocol):
    """Filled by ``vendors.ratings``: orders' ``order_queries``, ``NoRatings`` until then."""

    def ratings_for(self, *, vendor_ids: Sequence[int]) -> dict[int, VendorRating]: ...


class Reviews(Protocol):
    """Filled by ``vendors.reviews`` and ``products.reviews``: orders' ``review_queries``,
    ``NoReviews`` until then (services/review_slots.py)."""

    def for_product(self, *, product_id: int, page: int = 1) -> ReviewsPage: ...

    def for_shop(self, *, vendor_id: int, page: int = 1) -> ReviewsPage: ...


# products
class SearchBackend(Protocol):
    """Filled by ``products.search_backend`` (``Fts5Search``, ``PostgresSearch`` or ``SimpleSearch``)."""

    name: str
    ranks: bool

    def apply(self, queryset: QuerySet, text: str) -> QuerySet: ...


class ImageStorage(Protocol):
    """Filled by ``products.image_storage`` (Django's ``default_storage``)."""

    def save(self, name: str, content: File) -> str: ...

    def delete(self, name: str) -> None: ...

    def open(self, name: str, mode: str = ...) -> File: ...


class ProductPictures(Protocol):
    """Filled by ``products.product_images`` (``services.product_images.ProductImages``)."""

    def prepare(self, upload: Any) -> PreparedImage: ...

    def save(self, prepared: PreparedImage) -> str: ...

    def store(self, prepared: PreparedImage) -> StoredImage: ...

    def store_thumbnails(self, name: str, thumbnails: tuple[Thumbnail, ...]) -> dict[int, str]: ...

    def thumbnails_from_stored(self, content: bytes) -> tuple[Thumbnail, ...]: ...

    def read(self, name: str) -> bytes: ...

    def delete(self, name: str) -> None: ...


# wallets
class ChainBackend(Protocol):
    """Filled by ``wallets.chain`` (``ManualChain`` or ``BitcoinCoreChain``)."""

    name: str

    def poll(self, *, since: str) -> ChainScan: ...

    def verify_output(self, *, txid: str, vout: int, amount_sat: int, addresses: Sequence[str]) -> OutputCheck: ...


# notifications
class NotificationBackend(Protocol):
    """Filled by ``notifications.notification_backend`` (``LogBackend`` or ``EmailBackend``)."""

    name: str

    def send(self, notice: Notice) -> None: ...


# ops
class ModuleRuntime(Protocol):
    """Filled by ``ops.runtime`` (``containers.runtime.MarketplaceRuntime``, put in force by ``containers``)."""

    @property
    def modules(self) -> ModuleRegistry: ...

    @property
    def services(self) -> ServiceRegistry: ...

    def generation(self, name: str) -> Generation | None: ...

    def metrics(self) -> dict: ...


class ReloadOutcome(Protocol):
    """Not a provider: what ``ClusterReloads.reload`` answers (``containers.cluster.ClusterReload``)."""

    @property
    def ok(self) -> bool: ...

    @property
    def error(self) -> str | None: ...


class ClusterReloads(Protocol):
    """Filled by ``ops.cluster`` (``containers.cluster.Cluster``, put in force by ``containers``)."""

    @property
    def worker_id(self) -> str: ...

    @property
    def broadcasting(self) -> bool: ...

    def live_workers(self) -> dict[str, dict]: ...

    def presence(self) -> dict: ...

    def reload(
        self,
        kind: str,
        target: str,
        *,
        requested_by: str = ...,
        user_id: int | None = ...,
        via: str = ...,
        apply_here: bool = ...,
    ) -> ReloadOutcome: ...


class ReloadHistory(Protocol):
    """Filled by ``ops.reload_journal`` (``services.reload_journal.ReloadJournal``)."""

    def recent(self, *, limit: int = ...) -> list[ReloadEntry]: ...

    def get(self, *, reload_id: str) -> ReloadEntry: ...
