"""What ``TaskService`` hands its runs to: the task engine (``engine.py``), reached at first use.

Celery is imported when a run is first sent, not when the containers are declared: a management
command, or a process that sends no task, never pays for importing it.
"""

import logging
from functools import cached_property

log = logging.getLogger("marketplace.tasks")


class CeleryDispatcher:
    def __init__(self, celery=None):
        self._given = celery  # a Celery app of the caller's (a test's broker outage); else the engine's

    @cached_property
    def _app(self):
        if self._given is not None:
            return self._given
        from marketplace.tasks.engine import app

        return app

    @property
    def mode(self) -> str:
        return "in-process" if self._app.conf.task_always_eager else "worker"

    def send(self, run_id: str, *, countdown: float = 0) -> None:
        from marketplace.tasks.engine import run_task

        if self.mode == "in-process":
            run_task.apply(args=(run_id,))
        else:
            self._app.send_task(run_task.name, (run_id,), countdown=countdown or None)

    def depth(self) -> int | None:
        """Messages waiting in the broker's default queue (Redis only; ``None`` when unknown)."""
        if self.mode != "worker" or not str(self._app.conf.broker_url or "").startswith(("redis://", "rediss://")):
            return None
        try:
            with self._app.connection_for_read() as connection:
                return int(connection.default_channel.client.llen(self._app.conf.task_default_queue))
        except Exception as exc:
            log.warning("could not read the queue depth from the broker: %s", exc)
            return None
