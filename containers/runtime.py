"""The marketplace's runtime: modkit's, plus the core services' view of it.

The core's health service reports a refused reload as a (non-critical) check, and the system's
health and metrics pages read the core's health service and the Prometheus figures.
"""

import modkit
from dependency_injector import providers

from containers.metrics import cache_figures, database_figures, reload_figures, request_figures, service_figures


class MarketplaceRuntime(modkit.Runtime):
    def prepare(self) -> None:
        self.container.core.module_registry.override(providers.Object(self.modules))
        self.container.core.events().declare(self.declared_topics)
        self.container.core.task_handlers.override(providers.Object(self.task_handler))
        self.container.core.known_tasks.override(providers.Object(self.tasks))
        # A reload refused on this worker leaves it on older code than the files: say so.
        self.container.core.health_service().add_check("reloads", self.reload_check, critical=False)
        # Tasks nobody consumes: readiness says DEGRADED, with why.
        self.container.core.health_service().add_check("tasks", self._tasks_check, critical=False, ready=True)

    def _tasks_check(self) -> dict:
        return self.container.core.task_service().health()

    def health(self) -> dict:
        self.ensure_started()
        return self.container.core.health_service().system()

    def metrics(self) -> dict:
        figures = super().metrics()
        figures.update(
            services=service_figures(),
            requests=request_figures(),
            database=database_figures(),
            cache=cache_figures(),
        )
        figures["reloads"]["totals"] = reload_figures()
        return figures
