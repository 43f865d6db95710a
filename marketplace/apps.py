"""The Django face of the modular system.

``MarketplaceConfig()`` (no arguments) in ``manage.py shell`` gives the running system, as
docs/operations.md shows: ``get_system_health()``, ``get_system_metrics()``, ``reload_module(name)``,
``reload_service(name)``. Reloads go through the cluster: applied in this process, announced
to every worker when Redis is configured, recorded in the reload journal; the answer
(``ClusterReload``) has ``ok``, ``error`` and each worker's result.
"""

import importlib

from django.apps import AppConfig


class MarketplaceConfig(AppConfig):
    name = "marketplace"
    label = "marketplace"
    verbose_name = "Marketplace"
    default_auto_field = "django.db.models.BigAutoField"

    def __init__(self, app_name: str = "marketplace", app_module=None):
        if app_module is None:
            app_module = importlib.import_module(app_name)
        super().__init__(app_name, app_module)

    def ready(self) -> None:
        # Build and wire only: modules touch the database in initialize(), on first use.
        from containers import runtime
        from marketplace import gc_at_start

        try:
            runtime.boot()
        finally:
            gc_at_start.release()

    @staticmethod
    def _runtime():
        from containers import runtime

        return runtime

    def get_system_health(self) -> dict:
        return self._runtime().health()

    def get_system_metrics(self) -> dict:
        from containers import cluster

        runtime = self._runtime()
        runtime.ensure_started()
        figures = runtime.metrics()
        figures["cluster"] = {
            "worker": cluster.worker_id,
            "broadcasting": cluster.broadcasting,
            "listening": cluster.listening,
        }
        return figures

    def reload_module(self, name: str, *, requested_by: str = "api"):
        return self._reload("module", name, requested_by)

    def reload_service(self, name: str, *, requested_by: str = "api"):
        return self._reload("service", name, requested_by)

    def _reload(self, kind: str, name: str, requested_by: str):
        from containers import cluster

        self._runtime().ensure_started()
        return cluster.reload(kind, name, requested_by=requested_by, via="api")
