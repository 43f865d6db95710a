"""Background tasks: asked for inside a transaction, run by a worker, retried, visible to staff.

``enqueue`` writes a ``TaskRun`` row in the caller's transaction and hands its id to the
engine (``dispatcher``) once that transaction commits: a rolled-back change asks for nothing,
and a committed one is never lost, because ``sweep`` sends again whatever waited too long (a
message the broker lost, a worker killed mid-task whose lease ran out). ``run`` claims the row
with a conditional update before calling the task, so a message delivered twice runs once; a
task that raises is sent again after an exponential back-off, and after ``max_attempts`` stays
FAILED until staff retry it. A task whose object is gone (``ObjectDoesNotExist``) is finished,
with a log line, not retried.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import transaction
from django.db.models import Count, F, Min, Q

from marketplace.tasks.models import TaskRun
from services.errors import Conflict, NotFound

if TYPE_CHECKING:
    from services.ports import Clock

log = logging.getLogger("marketplace.tasks")
Status = TaskRun.Status
WAITING = (Status.QUEUED, Status.RETRYING)


class Dispatcher(Protocol):
    mode: str  # "worker" (a broker and separate workers) or "in-process"

    def send(self, run_id: str, *, countdown: float = 0) -> None: ...

    def depth(self) -> int | None: ...


@dataclass(frozen=True)
class Outcome:
    run_id: str
    status: str
    retry_in: float | None = None


@dataclass(frozen=True)
class FailedRow:
    id: str
    name: str
    kwargs: dict
    attempts: int
    error: str
    finished_at: datetime | None


class TaskService:
    def __init__(
        self,
        *,
        clock: Clock,
        dispatcher: Dispatcher,
        resolve: Callable[[str], Callable[..., Any]],
        known: Callable[[], dict],
        max_attempts: int = 6,
        backoff_seconds: float = 10,
        backoff_max_seconds: float = 3600,
        lease_seconds: float = 300,
        stale_seconds: float = 60,
        keep_days: int = 7,
    ):
        self._clock = clock
        self._dispatcher = dispatcher
        self._resolve = resolve
        self._known = known
        self.max_attempts = int(max_attempts)
        self.backoff_seconds = float(backoff_seconds)
        self.backoff_max_seconds = float(backoff_max_seconds)
        self.lease_seconds = float(lease_seconds)
        self.stale_seconds = float(stale_seconds)
        self.keep_days = int(keep_days)

    @property
    def mode(self) -> str:
        return self._dispatcher.mode

    # asking for work
    def enqueue(
        self,
        name: str,
        *,
        max_attempts: int | None = None,
        dispatch: bool = True,
        forget_arguments: bool = False,
        **kwargs,
    ) -> str:
        """Record the task now, send it once the current transaction commits; its id.
        ``forget_arguments``: erase them once it succeeded (a message carrying a link, say)."""
        if name not in self._known():
            raise ValueError(f"no enabled module runs the task {name!r}")
        json.dumps(kwargs)  # a TypeError here, in the caller, not in a worker later
        now = self._clock.now()
        run = TaskRun.objects.create(
            name=name,
            kwargs=kwargs,
            max_attempts=max_attempts or self.max_attempts,
            forget_arguments=forget_arguments,
            created_at=now,
            updated_at=now,
        )
        run_id = str(run.pk)
        if dispatch:
            transaction.on_commit(lambda: self._send(run_id))
        return run_id

    def backoff(self, attempts: int) -> float:
        """Seconds before the next attempt after ``attempts`` failed ones: 10, 20, 40... capped."""
        return min(self.backoff_max_seconds, self.backoff_seconds * 2 ** max(0, attempts - 1))

    # doing it
    def run(self, run_id: str, *, worker: str = "") -> Outcome:
        now = self._clock.now()
        claimable = Q(status__in=WAITING) | Q(status=Status.RUNNING, lease_until__lt=now)
        claimed = TaskRun.objects.filter(claimable, pk=run_id).update(
            status=Status.RUNNING,
            attempts=F("attempts") + 1,
            worker=worker[:100],
            updated_at=now,
            lease_until=now + timedelta(seconds=self.lease_seconds),
        )
        run = TaskRun.objects.filter(pk=run_id).first()
        if run is None:
            log.warning("task run %s does not exist (deleted?): nothing to do", run_id)
            return Outcome(run_id, "missing")
        if not claimed:
            log.info("task run %s (%s) is %s: this delivery is a duplicate, skipped", run_id, run.name, run.status)
            return Outcome(run_id, run.status)
        try:
            self._resolve(run.name)(**run.kwargs)
        except ObjectDoesNotExist as gone:
            log.warning("task %s %s: what it was about is gone (%s); finished without effect", run.name, run_id, gone)
            return self._finish(run, Status.SUCCEEDED, error=f"gone: {gone}")
        except Exception as exc:
            return self._failed_attempt(run, exc)
        return self._finish(run, Status.SUCCEEDED)

    def _finish(self, run: TaskRun, status: str, *, error: str = "") -> Outcome:
        now = self._clock.now()
        forget = {"kwargs": {}} if run.forget_arguments and status == Status.SUCCEEDED else {}
        TaskRun.objects.filter(pk=run.pk, status=Status.RUNNING).update(
            status=status, updated_at=now, finished_at=now, lease_until=None, last_error=error[:2000], **forget
        )
        return Outcome(str(run.pk), status)

    def _failed_attempt(self, run: TaskRun, exc: Exception) -> Outcome:
        error = f"{type(exc).__name__}: {exc}"[:2000]
        attempts = run.attempts  # read after the claim, which counted this one
        if attempts >= run.max_attempts:
            log.error("task %s %s failed for good after %s attempt(s): %s", run.name, run.pk, attempts, error)
            return self._finish(run, Status.FAILED, error=error)
        delay = self.backoff(attempts)
        now = self._clock.now()
        TaskRun.objects.filter(pk=run.pk, status=Status.RUNNING).update(
            status=Status.RETRYING,
            retries=F("retries") + 1,
            last_error=error,
            updated_at=now,
            lease_until=None,
            next_attempt_at=now + timedelta(seconds=delay),
        )
        log.warning(
            "task %s %s failed (attempt %s of %s), again in %.0f s: %s",
            run.name,
            run.pk,
            attempts,
            run.max_attempts,
            delay,
            error,
        )
        self._send(str(run.pk), countdown=delay, retry=True)
        return Outcome(str(run.pk), Status.RETRYING, retry_in=delay)

    def run_now(self, name: str, **kwargs) -> Outcome:
        """A scheduled task: recorded (one attempt; the next tick is its retry) and run here."""
        return self.run(self.enqueue(name, max_attempts=1, dispatch=False, **kwargs))

    # staff
    def retry(self, *, run_id: str) -> None:
        """Send a FAILED task again, with a fresh set of attempts."""
        try:
            run = TaskRun.objects.get(pk=run_id)
        except (TaskRun.DoesNotExist, ValidationError, ValueError, TypeError):
            raise NotFound("No such task.") from None
        if run.status != Status.FAILED:
            raise Conflict(f"Only a failed task can be retried; this one is {run.get_status_display().lower()}.")
        if run.name not in self._known():
            raise Conflict(f"No enabled module runs {run.name} any more.")
        now = self._clock.now()
        updated = TaskRun.objects.filter(pk=run.pk, status=Status.FAILED).update(
            status=Status.QUEUED,
            max_attempts=F("attempts") + self.max_attempts,
            retries=F("retries") + 1,
            updated_at=now,
            finished_at=None,
        )
        if updated:
            transaction.on_commit(lambda: self._send(str(run.pk)))

    def failed(self, *, limit: int = 20) -> list[FailedRow]:
        rows = TaskRun.objects.filter(status=Status.FAILED).order_by("-updated_at")[:limit]
        return [
            FailedRow(
                str(r.pk), r.name, {} if r.forget_arguments else r.kwargs, r.attempts, r.last_error, r.finished_at
            )
            for r in rows
        ]

    # keeping it honest
    def sweep(self) -> int:
        """Send again what waited too long or whose worker died; forget old finished runs."""
        now = self._clock.now()
        stale = now - timedelta(seconds=self.stale_seconds)
        due = TaskRun.objects.filter(
            Q(status=Status.QUEUED, updated_at__lt=stale)
            | Q(status=Status.RETRYING, next_attempt_at__lt=stale)
            | Q(status=Status.RUNNING, lease_until__lt=now)
        ).values_list("pk", flat=True)[:500]
        ids = [str(pk) for pk in due]
        if ids:
            TaskRun.objects.filter(pk__in=ids, status=Status.QUEUED).update(updated_at=now)
            TaskRun.objects.filter(pk__in=ids, status=Status.RETRYING).update(next_attempt_at=now)
            for run_id in ids:
                self._send(run_id)
            log.warning(
                "sent %s task(s) again that waited more than %.0f s or lost their worker", len(ids), self.stale_seconds
            )
        TaskRun.objects.filter(status=Status.SUCCEEDED, finished_at__lt=now - timedelta(days=self.keep_days)).delete()
        return len(ids)

    def figures(self) -> dict:
        now = self._clock.now()
        counts = TaskRun.objects.aggregate(
            **{str(s): Count("pk", filter=Q(status=s)) for s in Status},
            retried=Count("pk", filter=Q(retries__gt=0)),
            oldest=Min("created_at", filter=Q(status=Status.QUEUED)),
            overdue=Min("next_attempt_at", filter=Q(status=Status.RETRYING)),
        )
        waited = [now - t for t in (counts.pop("oldest"), counts.pop("overdue")) if t is not None]
        counts["oldest_waiting_seconds"] = round(max(waited).total_seconds(), 1) if waited else 0.0
        counts["broker_depth"] = self._dispatcher.depth()
        counts["mode"] = self.mode
        return counts

    def health(self) -> dict:
        """DEGRADED (an exception) when tasks wait longer than ``stale_seconds``: no worker consumes."""
        figures = self.figures()
        late = figures["oldest_waiting_seconds"]
        if late > self.stale_seconds:
            waiting = figures[Status.QUEUED] + figures[Status.RETRYING]
            raise RuntimeError(
                f"{waiting} task(s) waiting, the oldest for {late:.0f} s: no worker is consuming the queue "
                f"(start one with ./dev worker)"
            )
        return figures

    # the engine
    def _send(self, run_id: str, *, countdown: float = 0, retry: bool = False) -> None:
        if retry and self.mode == "in-process":
            # In-process there is no one to wait for: the sweep (or staff) sends it when it is due.
            return
        try:
            self._dispatcher.send(run_id, countdown=countdown)
        except Exception as exc:  # the row is committed: the sweep sends it once the broker is back
            log.warning("could not hand task run %s to the broker (%s); the sweep will send it", run_id, exc)
