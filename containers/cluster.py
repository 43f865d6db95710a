"""The marketplace's cluster-wide reload: modkit's broadcast, with the marketplace's settings
(``MARKETPLACE["ops"]``, ``REDIS_URL``) and its request ids carried into every worker's logs."""

from modkit.cluster import Cluster, ClusterReload, RequestIds, worker_id
from modkit.cluster import ClusterOptions as _ClusterOptions

from marketplace.logging import bind_request_id, current_request_id


class ClusterOptions(_ClusterOptions):
    @classmethod
    def from_settings(cls, settings=None) -> "ClusterOptions":
        if settings is None:
            from django.conf import settings
        ops = dict((getattr(settings, "MARKETPLACE", {}) or {}).get("ops") or {})
        return cls.from_config(ops, getattr(settings, "REDIS_URL", None), prefix="marketplace")


class MarketplaceRequestIds(RequestIds):
    def current(self) -> str | None:
        found = current_request_id()
        return None if found == "-" else found

    def bind(self, request_id: str | None):
        return bind_request_id(request_id)


def build_cluster(runtime, journal) -> Cluster:
    return Cluster(runtime, journal=journal, options=ClusterOptions.from_settings, request_ids=MarketplaceRequestIds())


__all__ = ["Cluster", "ClusterOptions", "ClusterReload", "build_cluster", "worker_id"]
