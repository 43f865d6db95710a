"""In-process domain events, delivered only after the surrounding transaction commits."""

import logging
from collections.abc import Callable
from threading import Lock
from typing import Any

from django.db import transaction

log = logging.getLogger(__name__)

Handler = Callable[[str, dict[str, Any]], None]


class EventPublisher:
    def __init__(self) -> None:
        self._lock = Lock()
        # owner -> topic -> handlers; replaced whole on every change so readers never lock.
        self._subscriptions: dict[str, dict[str, tuple[Handler, ...]]] = {}

    def subscribe(self, *, owner: str, topic: str, handler: Handler) -> None:
        with self._lock:
            subs = {o: dict(t) for o, t in self._subscriptions.items()}
            topics = subs.setdefault(owner, {})
            topics[topic] = topics.get(topic, ()) + (handler,)
            self._subscriptions = subs

    def unsubscribe_owner(self, owner: str) -> None:
        """Drop every handler a module registered (its cleanup, or before a reload)."""
        with self._lock:
            subs = dict(self._subscriptions)
            subs.pop(owner, None)
            self._subscriptions = subs

    def handlers(self, topic: str) -> list[Handler]:
        return [h for topics in self._subscriptions.values() for h in topics.get(topic, ())]

    def publish(self, topic: str, **payload: Any) -> None:
        """Deliver after commit: a rolled-back change never announces itself."""
        transaction.on_commit(lambda: self._deliver(topic, payload))

    def _deliver(self, topic: str, payload: dict[str, Any]) -> None:
        for handler in self.handlers(topic):
            try:
                handler(topic, payload)
            except Exception:  # one bad subscriber must not stop the others
                log.exception("event handler %r failed for %s", handler, topic)
