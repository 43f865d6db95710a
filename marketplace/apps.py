"""The Django face of the modular system.

``MarketplaceConfig()`` (no arguments) in ``manage.py shell`` gives the running system, as the
seed guide shows: ``get_system_health()``, ``get_system_metrics()``, ``reload_module(name)``,
``reload_service(name)``.
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

        runtime.boot()

    @staticmethod
    def _runtime():
        from containers import runtime

        return runtime

    def get_system_health(self) -> dict:
        return self._runtime().health()

    def get_system_metrics(self) -> dict:
        runtime = self._runtime()
        runtime.ensure_started()
        return runtime.metrics()

    def reload_module(self, name: str):
        runtime = self._runtime()
        runtime.ensure_started()
        return runtime.reload_module(name)

    def reload_service(self, name: str):
        runtime = self._runtime()
        runtime.ensure_started()
        return runtime.reload_service(name)
