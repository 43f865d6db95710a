"""System health: liveness (the process), readiness (what serving needs), and the full picture.

Statuses are ordered DOWN > DEGRADED > UP. A critical component down (the database, a required
module) makes the system DOWN; anything else that fails (the cache, an optional backend) only
DEGRADED. Results are kept for ``cache_seconds`` so the endpoints cannot hammer the database.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from django.db import connections
from django.db.migrations.executor import MigrationExecutor
from modkit.health import Component, Status, aggregate

if TYPE_CHECKING:
    from modkit import ModuleRegistry

    from services.ports import HealthCache


class DatabaseProbe:
    def __init__(self, alias: str = "default"):
        self.alias = alias

    def ping(self) -> dict:
        connection = connections[self.alias]
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return {"vendor": connection.vendor}

    def unapplied_migrations(self) -> list[str]:
        executor = MigrationExecutor(connections[self.alias])
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        return [f"{migration.app_label}.{migration.name}" for migration, _ in plan]


class HealthService:
    def __init__(
        self,
        *,
        modules: ModuleRegistry,
        database: DatabaseProbe,
        cache: HealthCache,
        cache_seconds: float = 2.0,
        extra_checks: Mapping[str, tuple[Callable[[], dict], bool]] | None = None,
    ):
        self._modules = modules
        self._database = database
        self._cache = cache
        self._cache_seconds = cache_seconds or 0
        self._extra: dict[str, tuple[Callable[[], dict], bool]] = dict(extra_checks or {})
        self._lock = threading.Lock()
        self._memo: dict[str, tuple[float, dict]] = {}
        self._token = uuid.uuid4().hex
        self._ready_extra: set[str] = set()

    def add_check(self, name: str, check: Callable[[], dict], *, critical: bool = False, ready: bool = False) -> None:
        """Infrastructure a module brings (a chain backend, say): a callable returning details.
        ``ready``: part of readiness too (a load balancer sees it), not only of the full report."""
        self._extra[name] = (check, critical)
        if ready:
            self._ready_extra.add(name)
        else:
            self._ready_extra.discard(name)

    def liveness(self) -> dict:
        return {"status": str(Status.UP), "pid": os.getpid()}

    def readiness(self) -> dict:
        return self._remembered("ready", lambda: self._report(self._ready_components()))

    def system(self) -> dict:
        return self._remembered("system", lambda: self._report(self._all_components()))

    def _remembered(self, key: str, compute: Callable[[], dict]) -> dict:
        now = time.monotonic()
        with self._lock:
            hit = self._memo.get(key)
            if hit and hit[0] > now:
                return hit[1]
            result = compute()
            self._memo[key] = (now + self._cache_seconds, result)
            return result

    @staticmethod
    def _report(components: list[Component]) -> dict:
        return {
            "status": str(aggregate(components)),
            "checked_at": datetime.now(UTC).isoformat(),
            "components": {c.name: c.as_dict() for c in components},
        }

    def _ready_components(self) -> list[Component]:
        database = self._timed("database", True, self._database.ping)
        components = [database]
        if database.status is Status.UP:
            components.append(self._timed("migrations", True, self._migrations))
        components.extend(self._module_components())
        components.extend(self._timed(name, *self._extra[name][::-1]) for name in sorted(self._ready_extra))
        return components

    def _all_components(self) -> list[Component]:
        components = self._ready_components()
        components.append(self._timed("cache", False, self._cache_roundtrip))
        components.extend(
            self._timed(name, critical, check)
            for name, (check, critical) in self._extra.items()
            if name not in self._ready_extra
        )
        return components

    def _migrations(self) -> dict:
        pending = self._database.unapplied_migrations()
        if pending:
            raise RuntimeError(f"{len(pending)} unapplied migration(s): {', '.join(pending[:5])}")
        return {"pending": 0}

    def _cache_roundtrip(self) -> dict:
        key = f"health:{self._token}"
        value = uuid.uuid4().hex
        self._cache.set(key, value, timeout=10)
        if self._cache.get(key) != value:
            raise RuntimeError("the cache did not return what was just stored")
        return {"roundtrip": "ok"}

    def _module_components(self) -> list[Component]:
        components = []
        for record in self._modules:
            module = record.module
            started = time.perf_counter()
            if str(record.state) != "ready":
                detail = {"state": str(record.state), "version": module.version, "error": record.error}
                status = Status.DOWN
            else:
                report = module.get_module_health()
                detail = {"state": "ready", "version": module.version, "checks": report["checks"]}
                status = Status(report["status"])
            components.append(
                Component(
                    name=f"module.{module.name}",
                    status=status,
                    critical=module.critical,
                    duration_ms=(time.perf_counter() - started) * 1000,
                    detail=detail,
                )
            )
        return components

    @staticmethod
    def _timed(name: str, critical: bool, check: Callable[[], dict]) -> Component:
        started = time.perf_counter()
        try:
            detail = check() or {}
            status = Status.UP
        except Exception as exc:  # the finding is the answer; never let a check crash health
            detail = {"error": f"{type(exc).__name__}: {exc}"}
            status = Status.DOWN
        return Component(name, status, critical, (time.perf_counter() - started) * 1000, detail)
