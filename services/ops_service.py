"""Operations: what the ops page shows and the reloads staff ask for.

Collaborators come in through the constructor: ``system`` is the live runtime (modules,
services, health, metrics), ``cluster`` fans reloads out to every worker, ``journal`` keeps
the record, ``access`` says who is an operator. Only operators (``OPERATE``) may reload; the
check is here, not only in the view.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from services.errors import NotFound, OpsError
from services.health_table import health_rows
from services.staff_access import Capability

if TYPE_CHECKING:
    from services.health_service import HealthService
    from services.ports import ClusterReloads, ModuleRuntime, ReloadHistory
    from services.staff_access import StaffAccess
    from services.task_service import TaskService

log = logging.getLogger(__name__)

KINDS = ("module", "service")


@dataclass(frozen=True)
class ReloadTarget:
    kind: str
    name: str
    module: str
    description: str


class OpsService:
    def __init__(
        self,
        *,
        system: ModuleRuntime,
        cluster: ClusterReloads,
        health: HealthService,
        journal: ReloadHistory,
        access: StaffAccess,
        tasks: TaskService,
    ):
        self._access = access
        self._tasks = tasks
        self._system = system
        self._cluster = cluster
        self._health = health
        self._journal = journal

    # reads
    def modules(self) -> list[dict]:
        """Each module: metadata, state, why it is not serving, its generation and services."""
        runtime = self._system
        rows = []
        for name in runtime.modules.initialization_order():
            record = runtime.modules.record(name)
            module = record.module
            generation = runtime.generation(name)
            rows.append(
                {
                    "name": name,
                    "version": module.version,
                    "description": module.description,
                    "author": module.author,
                    "dependencies": module.get_dependencies(),
                    "dependency_names": list(module.info.dependency_names),
                    "dependants": runtime.modules.dependants_of(name),
                    "critical": module.critical,
                    "state": str(record.state),
                    "error": record.error,
                    "blocked_by": record.blocked_by,
                    "generation": generation.number if generation else None,
                    "services": [entry.describe() for entry in runtime.services.for_module(name)],
                }
            )
        return rows

    def health(self) -> dict:
        """The system report, with ``rows``: each component (and each module's checks) as text."""
        report = self._health.system()
        return {**report, "rows": health_rows(report)}

    def metrics(self) -> dict:
        return self._system.metrics()

    def service_rows(self, figures: dict) -> list[dict]:
        """Calls per service with refusals (a caller told no) apart from failures (something broke)."""
        return [
            {"name": name, "calls": row["calls"], "refused": row["refused"], "failed": row["failed"]}
            for name, row in sorted(figures.get("services", {}).items())
        ]

    def workers(self) -> dict:
        """Every live worker and what it runs; whether they agree on each module."""
        try:
            workers = self._cluster.live_workers()
            error = None
        except Exception as exc:  # the page must show even with Redis down
            workers = {self._cluster.worker_id: self._cluster.presence()}
            error = f"{type(exc).__name__}: {exc}"
        # The process answering is shown even when it is no listener (no Redis, or not yet).
        workers.setdefault(self._cluster.worker_id, self._cluster.presence())
        modules: dict[str, dict] = {}
        for worker, entry in workers.items():
            for name, row in (entry.get("modules") or {}).items():
                key = f"{row.get('version')} ({row.get('state')})"
                reload = row.get("reload") or {}
                if reload.get("id"):
                    key += f" after reload {reload['id'][:8]}"
                modules.setdefault(name, {}).setdefault(key, []).append(worker)
        return {
            "broadcasting": self._cluster.broadcasting,
            "this_worker": self._cluster.worker_id,
            "workers": workers,
            "by_module": {
                name: {"variants": variants, "consistent": len(variants) == 1}
                for name, variants in sorted(modules.items())
            },
            "error": error,
        }

    def reload_targets(self) -> list[ReloadTarget]:
        runtime = self._system
        targets = [
            ReloadTarget("module", record.module.name, record.module.name, record.module.description)
            for record in runtime.modules
        ]
        targets.extend(
            ReloadTarget("service", entry.name, entry.module, entry.class_path) for entry in runtime.services
        )
        return targets

    def reload_target(self, *, kind: str, name: str) -> ReloadTarget:
        for target in self.reload_targets():
            if target.kind == kind and target.name == name:
                return target
        raise NotFound(f"There is no {kind} named {name!r}.")

    def recent_reloads(self, *, limit: int = 20) -> list:
        return self._journal.recent(limit=limit)

    def get_reload(self, *, reload_id: str):
        return self._journal.get(reload_id=reload_id)

    # writes
    def tasks(self, *, failed_limit: int = 20) -> dict:
        """The task queue: figures by state, whether it is consumed, and the tasks that failed for good."""
        figures = self._tasks.figures()
        try:
            self._tasks.health()
            problem = ""
        except RuntimeError as exc:
            problem = str(exc)
        return {"figures": figures, "problem": problem, "failed": self._tasks.failed(limit=failed_limit)}

    def retry_task(self, *, run_id: str, user) -> None:
        """Send a failed task again; operators only."""
        self._access.require(user, Capability.OPERATE, "Only operators may retry tasks.")
        self._tasks.retry(run_id=run_id)
        log.info("task %s retried by %s", run_id, user.username)

    def reload(self, *, kind: str, name: str, user, via: str = "page"):
        """Reload a module or a service on every worker; operators only. Returns the cluster's answer."""
        self._access.require(user, Capability.OPERATE, "Only operators may reload code.")
        if kind not in KINDS:
            raise OpsError(f"Unknown kind {kind!r}: reload a module or a service.")
        self.reload_target(kind=kind, name=name)
        log.info("reload of %s %s requested by %s via %s", kind, name, user.username, via)
        outcome = self._cluster.reload(
            kind, name, requested_by=user.username, user_id=user.pk, via=via, apply_here=True
        )
        if not outcome.ok:
            log.warning("reload of %s %s did not apply everywhere: %s", kind, name, outcome.error)
        return outcome
