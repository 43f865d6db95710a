"""The task engine: Celery, with Redis as its broker when ``REDIS_URL`` is set.

Workers: ``celery -A marketplace.tasks.engine worker`` (``./dev worker`` adds the scheduler, beat).
Each worker process starts the modules as a web worker does and listens for cluster reloads, so
a reload reaches the tasks too. Without a broker (the embedded default) tasks run in-process,
right after the transaction that asked for them commits (``task_always_eager``).

Only two Celery tasks exist: ``marketplace.run_task`` runs one recorded ``TaskRun`` (whatever
module task it names) and ``marketplace.scheduled`` runs one scheduled task now. The modules
declare their tasks and their schedule (``BaseModule.tasks``/``schedule``); the engine knows none.
"""

import logging
import os
import socket

from celery import Celery, signals
from celery.beat import PersistentScheduler

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings.dev")

app = Celery("marketplace")
app.config_from_object("django.conf:settings", namespace="CELERY")
log = logging.getLogger("marketplace.tasks")


def _tasks():
    from containers import container

    return container.core.task_service()


@app.task(name="marketplace.run_task", ignore_result=True)
def run_task(run_id: str) -> str:
    return _tasks().run(run_id, worker=_worker_name()).status


@app.task(name="marketplace.scheduled", ignore_result=True)
def scheduled(name: str) -> str:
    if name == "tasks.sweep":
        return f"sent again: {_tasks().sweep()}"
    return _tasks().run_now(name).status


def _worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def beat_schedule() -> dict:
    """Every enabled module's scheduled tasks, plus the sweep that keeps the queue honest."""
    from django.conf import settings

    from containers import runtime

    runtime.ensure_started()
    sweep = float(settings.MARKETPLACE["core"]["tasks"]["sweep_seconds"])
    entries = {**runtime.schedule(), "tasks.sweep": sweep}
    return {
        name: {"task": "marketplace.scheduled", "schedule": seconds, "args": (name,), "options": {"expires": seconds}}
        for name, seconds in sorted(entries.items())
    }


class ModuleScheduler(PersistentScheduler):
    """Celery's scheduler, with the schedule the enabled modules declare, read when it starts
    (after Django is set up) rather than at import."""

    def setup_schedule(self):
        self.app.conf.beat_schedule = beat_schedule()
        log.info(
            "scheduled: %s",
            ", ".join(f"{n} every {e['schedule']:.0f} s" for n, e in self.app.conf.beat_schedule.items()),
        )
        super().setup_schedule()


@signals.worker_init.connect
def _join_cluster_unforked(sender=None, **kwargs) -> None:
    # The solo and thread pools run tasks in this process; prefork children join on their own.
    if sender is not None and "prefork" not in str(getattr(sender, "pool_cls", "prefork")).lower():
        _join_cluster()


@signals.worker_process_init.connect
def _join_cluster(**kwargs) -> None:
    """Each worker process serves the current modules and takes cluster-wide reloads."""
    from containers import cluster, runtime

    runtime.ensure_started()
    try:
        cluster.start_listener()
    except Exception:  # it still runs tasks, on the code it started with
        log.exception("could not start the reload listener in a task worker")


@signals.worker_process_shutdown.connect
def _leave_cluster(**kwargs) -> None:
    from containers import cluster

    cluster.stop_listener(timeout=1.0)
