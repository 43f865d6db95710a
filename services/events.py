"""In-process domain events, delivered only after the surrounding transaction commits."""

import logging
from collections.abc import Callable, Mapping
from threading import Lock
from typing import Any

from django.db import transaction

log = logging.getLogger(__name__)

Handler = Callable[[str, dict[str, Any]], None]


class UndeclaredTopic(ValueError):
    """A topic no enabled module declares in its ``publishes`` (docs/writing-a-module.md, "Event topics")."""


class EventPublisher:
    def __init__(self, *, strict: bool = False) -> None:
        # Strict (the test settings): publishing an undeclared topic raises, so the declarations
        # others read stay true. Otherwise it is logged once and delivered all the same.
        self._strict = strict
        self._declared: Callable[[], Mapping[str, Any]] | None = None
        self._warned: set[str] = set()
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

    def declare(self, declared: Callable[[], Mapping[str, Any]]) -> None:
        """Where the topics the modules publish are read from, on every ``publish``."""
        self._declared = declared

    def publish(self, topic: str, **payload: Any) -> None:
        """Deliver after commit: a rolled-back change never announces itself."""
        if self._declared is not None and topic not in self._declared():
            if self._strict:
                raise UndeclaredTopic(f"no enabled module declares the event topic {topic!r} in its publishes")
            if topic not in self._warned:
                self._warned.add(topic)
                log.warning("event topic %r is not declared by any enabled module", topic)
        transaction.on_commit(lambda: self._deliver(topic, payload))

    def _deliver(self, topic: str, payload: dict[str, Any]) -> None:
        for handler in self.handlers(topic):
            try:
                handler(topic, payload)
            except Exception:  # one bad subscriber must not stop the others
                log.exception("event handler %r failed for %s", handler, topic)
