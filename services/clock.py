"""Time as a collaborator, so tests and timeouts can move it without sleeping."""

from datetime import datetime, timedelta
from threading import Lock

from django.utils import timezone


class SystemClock:
    def now(self) -> datetime:
        return timezone.now()


class ManualClock:
    """A clock that only moves when told to (tests, simulations, demo time travel)."""

    def __init__(self, start: datetime | None = None):
        self._now = start or timezone.now()
        self._lock = Lock()

    def now(self) -> datetime:
        return self._now

    def advance(self, **delta) -> datetime:
        with self._lock:
            self._now = self._now + timedelta(**delta)
            return self._now

    def set(self, moment: datetime) -> None:
        with self._lock:
            self._now = moment
