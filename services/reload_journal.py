"""The reload journal: every cluster reload and each worker's result, kept in the database.

Writes are single autocommitted statements so a worker's result is visible to the requester at
once; reads come back as plain rows with a fixed number of queries.
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from services.errors import NotFound


def _models():
    # Imported on use: the modular system runs (and its tools import it) in projects where the
    # journal's tables are not installed; only recording a reload needs them.
    from marketplace.ops.models import ReloadRequest, WorkerReloadResult

    return ReloadRequest, WorkerReloadResult


log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WorkerOutcome:
    worker: str
    ok: bool
    error: str
    version_before: str
    version_after: str
    generation: int
    duration_ms: float
    finished_at: datetime
    modules: dict


@dataclass(frozen=True)
class ReloadEntry:
    id: str
    kind: str
    target: str
    via: str
    requested_by: str
    origin: str
    request_id: str
    broadcast: bool
    broadcast_error: str
    expected_workers: int
    missing_workers: list
    requested_at: datetime
    results: list[WorkerOutcome] = field(default_factory=list)

    @property
    def status(self) -> str:
        """``ok`` everywhere, ``failed`` (rolled back) somewhere, or ``incomplete`` (some worker
        was not reached or did not answer)."""
        if any(not r.ok for r in self.results):
            return "failed"
        if (
            not self.results
            or self.broadcast_error
            or self.missing_workers
            or len(self.results) < self.expected_workers
        ):
            return "incomplete"
        return "ok"


class ReloadJournal:
    def open(
        self,
        *,
        reload_id: str,
        kind: str,
        target: str,
        via: str,
        requested_by: str,
        user_id: int | None,
        origin: str,
        request_id: str = "",
    ) -> None:
        ReloadRequest, WorkerReloadResult = _models()
        ReloadRequest.objects.create(
            id=reload_id,
            kind=kind,
            target=target,
            via=via,
            requested_by=requested_by[:150],
            user_id=user_id,
            origin=origin,
            request_id=request_id[:64],
        )

    def close(
        self,
        *,
        reload_id: str,
        broadcast: bool,
        broadcast_error: str,
        expected_workers: int,
        missing_workers: list[str],
    ) -> None:
        ReloadRequest, WorkerReloadResult = _models()
        ReloadRequest.objects.filter(pk=reload_id).update(
            broadcast=broadcast,
            broadcast_error=broadcast_error[:300],
            expected_workers=expected_workers,
            missing_workers=list(missing_workers),
        )

    def record_result(self, *, reload_id: str, report: dict) -> None:
        """One worker's result; a repeated report from the same worker is ignored."""
        ReloadRequest, WorkerReloadResult = _models()
        try:
            with transaction.atomic():
                WorkerReloadResult.objects.create(
                    request_id=reload_id,
                    worker=report["worker"][:200],
                    ok=bool(report["ok"]),
                    error=report.get("error") or "",
                    version_before=report.get("version_before") or "",
                    version_after=report.get("version_after") or "",
                    generation=int(report.get("generation") or 0),
                    duration_ms=float(report.get("duration_ms") or 0.0),
                    modules=report.get("modules") or {},
                )
        except IntegrityError:
            log.info("reload %s: result of %s already recorded", reload_id, report["worker"])

    def recent(self, *, limit: int = 20) -> list[ReloadEntry]:
        ReloadRequest, WorkerReloadResult = _models()
        rows = ReloadRequest.objects.prefetch_related("results").order_by("-requested_at")[:limit]
        return [self._entry(row) for row in rows]

    def get(self, *, reload_id: str) -> ReloadEntry:
        ReloadRequest, WorkerReloadResult = _models()
        try:
            row = ReloadRequest.objects.prefetch_related("results").get(pk=reload_id)
        except (ReloadRequest.DoesNotExist, ValidationError, ValueError, TypeError):
            raise NotFound(f"No reload {reload_id!r}.") from None
        return self._entry(row)

    @staticmethod
    def _entry(row) -> ReloadEntry:
        return ReloadEntry(
            id=str(row.pk),
            kind=row.kind,
            target=row.target,
            via=row.via,
            requested_by=row.requested_by,
            origin=row.origin,
            request_id=row.request_id,
            broadcast=row.broadcast,
            broadcast_error=row.broadcast_error,
            expected_workers=row.expected_workers,
            missing_workers=list(row.missing_workers or []),
            requested_at=row.requested_at,
            results=[
                WorkerOutcome(
                    worker=r.worker,
                    ok=r.ok,
                    error=r.error,
                    version_before=r.version_before,
                    version_after=r.version_after,
                    generation=r.generation,
                    duration_ms=r.duration_ms,
                    finished_at=r.finished_at,
                    modules=r.modules,
                )
                for r in row.results.all()
            ],
        )
