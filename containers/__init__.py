"""The composition root. Only this package knows the container.

``container`` is the one ``ApplicationContainer``; ``runtime`` is the live system around it
(modules, services, reloads, health). Any service provider can be imported by name:
``from containers import user_service`` then ``user_service()`` builds a ``UserService``.
"""

from dependency_injector import providers
from modkit import ReloadFailed, ReloadResult, Runtime, ServiceEntry, ServiceRegistry

from containers.application import ApplicationContainer
from containers.cluster import Cluster, ClusterOptions, ClusterReload, build_cluster
from containers.config import load_config
from containers.core import CoreContainer
from containers.metrics import PrometheusObserver
from containers.runtime import MarketplaceRuntime
from services.errors import ServiceUnavailable

container = ApplicationContainer()
runtime = MarketplaceRuntime(
    container,
    load_config=load_config,
    events=lambda: container.core.events(),
    observer=PrometheusObserver(),
    unavailable=ServiceUnavailable,
)
cluster = build_cluster(runtime, journal=lambda: container.ops.reload_journal())
runtime.cluster = cluster  # the reload commands (modkit's) find it there
# The ops services' view of the live system, put in force once and never reset
# (docs/hot-reload.md, "Why it is safe under load").
container.ops.runtime.override(providers.Object(runtime))
container.ops.cluster.override(providers.Object(cluster))


def __getattr__(name: str):
    """``from containers import user_service``: the application's provider for that service."""
    if name in runtime.services:
        return runtime.services.provider(name)
    for provider in container.providers.values():
        if isinstance(provider, providers.Container) and name in provider.providers:
            return getattr(provider, name)
    raise AttributeError(f"module 'containers' has no attribute {name!r}")


__all__ = [
    "ApplicationContainer",
    "Cluster",
    "ClusterOptions",
    "ClusterReload",
    "CoreContainer",
    "ReloadFailed",
    "ReloadResult",
    "Runtime",
    "ServiceEntry",
    "ServiceRegistry",
    "cluster",
    "container",
    "runtime",
]
