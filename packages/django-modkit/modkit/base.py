"""What every module is: metadata, a container of its services, a lifecycle, a health check."""

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ClassVar

from packaging.requirements import Requirement

from modkit.current import active
from modkit.health import Status
from modkit.navigation import NavEntry


class ModuleState(StrEnum):
    REGISTERED = "registered"
    READY = "ready"
    FAILED = "failed"
    STOPPED = "stopped"


@dataclass(frozen=True)
class ModuleInfo:
    name: str
    version: str
    description: str
    author: str
    dependencies: tuple[str, ...]

    # Parsed once per info: graph checks ask for them in nested loops on every reload.
    @functools.cached_property
    def requirements(self) -> tuple[Requirement, ...]:
        return tuple(Requirement(spec) for spec in self.dependencies)

    @functools.cached_property
    def dependency_names(self) -> tuple[str, ...]:
        return tuple(req.name for req in self.requirements)


class BaseModule:
    """Subclass it, decorate it with ``@module(...)``, override what the module needs.

    ``container_class`` is the module's ``DeclarativeContainer``: the composition root fills
    its ``DependenciesContainer`` attributes named ``core`` or after a declared dependency.
    ``urls``/``url_prefix`` mount the module's pages; ``wire`` lists the Python modules whose
    ``@inject`` functions use its services. ``fills`` maps another module's slot (a
    ``providers.Dependency`` of its container, ``"vendors.ratings"``) to one of this module's
    providers (``"order_queries"``): the runtime points the slot at it when this module starts.
    ``subscriptions`` maps an event topic to ``"<service>.<method>"`` of this module, called with
    ``(topic, payload)`` for each event once the module has started, and no longer once it stops.
    ``nav`` lists the module's links (``modkit.navigation.NavEntry``), shown while it serves.
    ``page_slots`` names places in this module's pages that others may fill; ``page_parts``
    maps another module's slot (``"products.actions"``) to a template of this one, drawn there by
    ``{% module_slot %}`` (``modkit.templatetags.modkit``) while this module serves; the host
    site offers slots in its own pages under the owner ``site`` (``"site.home"``), listed in the
    setting ``MODKIT_SITE_SLOTS``, which any module may fill without declaring a dependency.
    ``apps`` names the module's Django apps, which must be in ``INSTALLED_APPS`` for it to start
    (``modkit.settings.module_apps`` derives them from the enabled modules). ``config_defaults``
    are its configuration section's defaults, under what the project sets; ``config_required``
    names keys the project must set. ``publishes`` maps each event topic its services publish to
    the payload's keys: subscribers are checked against it, and it is the list of topics others read.
    ``tasks`` maps a background task's name to ``"<service>.<method>"`` of this module, called with
    the task's keyword arguments by whatever runs the project's task queue (as ``"<module>.<name>"``,
    through ``live``, so a worker runs current code after a reload); ``schedule`` maps some of those
    names to the seconds between two runs, for the queue's scheduler.
    """

    info: ClassVar[ModuleInfo | None] = None
    container_class: ClassVar[type | None] = None
    urls: ClassVar[str | None] = None
    url_prefix: ClassVar[str | None] = None
    wire: ClassVar[tuple[str, ...]] = ()
    fills: ClassVar[dict[str, str]] = {}
    subscriptions: ClassVar[dict[str, str]] = {}
    nav: ClassVar[tuple[NavEntry, ...]] = ()
    page_slots: ClassVar[tuple[str, ...]] = ()
    page_parts: ClassVar[dict[str, str]] = {}
    critical: ClassVar[bool] = True
    apps: ClassVar[tuple[str, ...]] = ()
    config_defaults: ClassVar[dict[str, Any]] = {}
    config_required: ClassVar[tuple[str, ...]] = ()
    publishes: ClassVar[dict[str, str]] = {}
    tasks: ClassVar[dict[str, str]] = {}
    schedule: ClassVar[dict[str, float]] = {}

    def __init__(self, container: Any = None, *, replacing: Any = None):
        if self.info is None:
            raise TypeError(f"{type(self).__name__} needs the @module(...) decorator")
        self._container = container
        # During a reload: the container of the generation still serving, whose state (for
        # instance what other modules registered with it) the new one may take over.
        self.replacing = replacing

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name} {self.version}>"

    @property
    def name(self) -> str:
        return self.info.name

    @property
    def version(self) -> str:
        return self.info.version

    @property
    def description(self) -> str:
        return self.info.description

    @property
    def author(self) -> str:
        return self.info.author

    @property
    def container(self) -> Any:
        """The container of this module's services: the one it was built with, or the live one."""
        if self._container is None:
            self._container = active().module_container(self.name)  # a standalone instance joins in
        return self._container

    @property
    def live(self) -> Any:
        """The application's container for this module: its providers follow every reload, so a
        handler kept beyond this instance (an event subscription, a slot) calls current code."""
        return active().module_container(self.name)

    def fill_slots(self) -> None:
        """Point the slots named in ``fills`` at this module's live providers (before ``initialize``).

        Made once per process and never removed: the provider is the application container's own,
        which follows every reload, so there is nothing to undo (docs/hot-reload.md, "Why it is
        safe under load", on resets).
        """
        runtime = active() if self.fills else None
        for target, provider_name in self.fills.items():
            module_name, _, slot_name = target.partition(".")
            slot = getattr(runtime.module_container(module_name), slot_name)
            provider = getattr(self.live, provider_name)
            if slot.last_overriding is not provider:
                slot.override(provider)

    def subscribe_declared(self) -> None:
        """Subscribe the handlers named in ``subscriptions``, through ``live`` so they follow reloads."""
        live = self.live if self.subscriptions else None
        for topic, target in self.subscriptions.items():
            service, _, method = target.partition(".")
            self.subscribe(topic, _Handler(getattr(live, service), method))

    def task_handler(self, name: str) -> Callable[..., Any]:
        """The live method that runs this module's task ``name`` (a ``KeyError`` for an unknown one)."""
        service, _, method = self.tasks[name].partition(".")
        return getattr(getattr(self.live, service)(), method)

    def get_dependencies(self) -> list[str]:
        return list(self.info.dependencies)

    def initialize(self) -> bool:
        return True

    def cleanup(self) -> bool:
        """Undo ``initialize``. Overrides call ``super().cleanup()``: it ends the subscriptions."""
        self.unsubscribe_all()
        return True

    def subscribe(self, topic: str, handler: Callable[[str, dict], None]) -> None:
        """Handle ``topic`` from the runtime's event publisher until this instance's ``cleanup``."""
        active().events().subscribe(owner=self._events_owner, topic=topic, handler=handler)
        self._subscribed = True

    def unsubscribe_all(self) -> None:
        if getattr(self, "_subscribed", False):
            active().events().unsubscribe_owner(self._events_owner)
            self._subscribed = False

    @property
    def _events_owner(self) -> str:
        # Per instance: a reloaded module's new instance subscribes before the old one leaves.
        return f"{self.name}:{id(self)}"

    def load_demo_data(self) -> list[str]:
        """Create the module's demo rows if missing; return lines saying what was done."""
        return []

    def health_checks(self) -> dict[str, Callable[[], dict]]:
        """Named checks; each returns details or raises. Override to add the module's own."""
        return {}

    def get_module_health(self) -> dict:
        checks = {}
        status = Status.UP
        for check_name, check in self.health_checks().items():
            started = time.perf_counter()
            try:
                detail = check() or {}
                check_status = Status.UP
            except Exception as exc:  # a failing check is a finding, not a crash
                detail = {"error": f"{type(exc).__name__}: {exc}"}
                check_status = Status.DOWN
                status = Status.DOWN
            checks[check_name] = {
                "status": str(check_status),
                "duration_ms": round((time.perf_counter() - started) * 1000, 3),
                "detail": detail,
            }
        return {"module": self.name, "version": self.version, "status": str(status), "checks": checks}


class _Handler:
    """Calls ``method`` on what ``provider`` builds now: the service of the generation in force."""

    __slots__ = ("provider", "method")

    def __init__(self, provider, method: str):
        self.provider = provider
        self.method = method

    def __call__(self, topic: str, payload: dict) -> None:
        getattr(self.provider(), self.method)(topic, payload)

    def __repr__(self) -> str:
        return f"<handler {self.method} of {self.provider!r}>"
