"""The running system: the composition root's one live object.

``boot()`` (from ``MarketplaceConfig.ready()``, no database work) reads the configuration,
registers and validates the enabled modules, builds each module's first generation, points the
application container's providers at it and wires the views. ``ensure_started()`` initialises
the modules in dependency order the first time the system is used. Hot reloads, health and
metrics all go through here.
"""

import contextlib
import itertools
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from dependency_injector import providers
from django.core.exceptions import ImproperlyConfigured

from modkit.base import BaseModule, ModuleState
from modkit.current import set_active
from modkit.declarations import check_declarations, completed_config
from modkit.discovery import installed, resolve_module_class
from modkit.errors import ServiceUnavailable
from modkit.generations import (
    Generation,
    GenerationBuilder,
    ModuleSlot,
    install_facade,
    lookup_qualname,
    pinned,
    service_providers,
)
from modkit.health import Status
from modkit.observers import Observer
from modkit.registry import ModuleGraphError, ModuleRegistry
from modkit.reloading import ReloadFailed, ReloadResult, fresh_import
from modkit.services import ServiceEntry, ServiceRegistry
from modkit.wiring import wire_own_members

log = logging.getLogger(__name__)


class Runtime:
    """The live system around one application container.

    ``load_config(settings=None)`` returns the configuration: ``modules`` (the enabled ones, as
    names in ``module_package`` or dotted paths), optional ``services`` (class overrides by
    service name), ``reloadable_packages``, and one section per module. ``events`` returns the
    publisher modules subscribe to; ``observer`` records calls, reloads and module states;
    ``unavailable`` is the error raised for a service its module no longer provides.
    """

    def __init__(
        self,
        container,
        *,
        load_config: Callable[..., dict],
        events: Callable[[], Any] | None = None,
        observer: Observer | None = None,
        unavailable: type[Exception] = ServiceUnavailable,
        module_package: str = "modules",
    ):
        self.container = container
        self.load_config = load_config
        self._events = events
        self.observer = observer or Observer()
        self.unavailable = unavailable
        self.module_package = module_package
        self.modules = ModuleRegistry()
        self.services = ServiceRegistry()
        self.builder = GenerationBuilder(observer=self.observer)
        self.reloads: deque[ReloadResult] = deque(maxlen=200)
        self.started_at = time.time()
        self._started_monotonic = time.monotonic()
        self._slots: dict[str, ModuleSlot] = {}
        self._lock = threading.RLock()
        self._reload_lock = threading.Lock()
        self._numbers = itertools.count(1)
        self._booted = False
        self._started = False
        self._config: dict = {}
        self._pip_packages: set[str] | None = None
        # The cluster-wide reload of this process (``modkit.cluster.Cluster``), when the host made one.
        self.cluster = None

    # start-up
    @property
    def booted(self) -> bool:
        return self._booted

    @property
    def started(self) -> bool:
        return self._started

    def boot(self, settings=None) -> None:
        with self._lock:
            if self._booted:
                self._wire()
                return
            config = self.load_config(settings)
            for spec in config["modules"]:
                self.modules.register(resolve_module_class(spec, self.module_package)())
            config = self._completed(config)
            self._config = config
            self.container.config.from_dict(config)
            self.prepare()
            self._allow_reloadable(config)
            try:
                self.modules.validate()
            except ModuleGraphError as exc:
                raise ImproperlyConfigured(str(exc)) from exc
            for name in self.modules.initialization_order():
                self._compose(name, config)
            self._wire()
            self._booted = True
            set_active(self)

    def prepare(self) -> None:
        """A host's own set-up, once in ``boot``: the configuration is read, no module is built yet."""

    def events(self):
        """The event publisher modules subscribe to (``BaseModule.subscribe``)."""
        if self._events is None:
            raise RuntimeError("this runtime has no event publisher (Runtime(events=...))")
        return self._events()

    def ensure_started(self) -> None:
        if self._started:
            return
        with self._lock:
            if self._started:
                return
            if not self._booted:
                self.boot()
            self.modules.initialize_all()
            self._publish_states()
            self._started = True

    def stop(self) -> dict[str, str]:
        with self._lock:
            states = self.modules.cleanup_all()
            self._publish_states()
            self._started = False
            return states

    def _allow_reloadable(self, config: dict) -> None:
        packages = set(config.get("reloadable_packages") or ["services"])
        packages.update(path.rpartition(".")[0] for path in (config.get("services") or {}).values())
        packages.update(self._installed_packages())
        self.builder.reloadable = tuple(sorted(p for p in packages if p))

    def _installed_packages(self) -> set[str]:
        """Packages of the modules installed with pip: their services live there and reload with them.

        Found once (reading entry points takes milliseconds, and a reload would pay it on every worker).
        """
        if self._pip_packages is None:
            points = installed()
            found = set()
            for record in self.modules:
                point = points.get(record.module.name)
                package = point.module.partition(".")[0] if point is not None else None
                if package and type(record.module).__module__.startswith(package + "."):
                    found.add(package)
            self._pip_packages = found
        return self._pip_packages

    def _facade(self, name: str, module_cls: type[BaseModule]):
        existing = self.container.providers.get(name)
        if isinstance(existing, providers.Container):
            return existing
        needs = {
            attr: getattr(self.container, attr)
            for attr, p in module_cls.container_class.providers.items()
            if isinstance(p, providers.DependenciesContainer)
        }
        if "config" in module_cls.container_class.providers:
            needs["config"] = getattr(self.container.config, name)
        facade = providers.Container(module_cls.container_class, **needs)
        self.container.set_provider(name, facade)
        # Wiring maps the declarative class's providers onto the instance's by name, so a
        # project module needs a twin on the class too (its views use string markers anyway).
        declarative = self.container.declarative_parent
        if declarative is not None and name not in declarative.providers:
            twin_needs = {attr: getattr(declarative, attr) for attr in needs if attr != "config"}
            setattr(declarative, name, providers.Container(module_cls.container_class, **twin_needs))
        return facade

    def _completed(self, config: dict, *, replacing: type[BaseModule] | None = None) -> dict:
        classes = {record.module.name: type(record.module) for record in self.modules}
        if replacing is not None:
            classes[replacing.info.name] = replacing
        return completed_config(config, classes)

    def declared_topics(self) -> dict[str, tuple[str, str]]:
        """Every event topic the enabled modules publish: ``topic -> (module, payload keys)``."""
        return {
            topic: (record.module.name, payload)
            for record in self.modules
            for topic, payload in type(record.module).publishes.items()
        }

    def tasks(self) -> dict[str, str]:
        """Every background task the enabled modules run: ``"<module>.<name>" -> "<service>.<method>"``."""
        return {
            f"{record.module.name}.{name}": target
            for record in self.modules
            for name, target in type(record.module).tasks.items()
        }

    def schedule(self) -> dict[str, float]:
        """The tasks to run periodically: ``"<module>.<name>" -> seconds between runs``."""
        return {
            f"{record.module.name}.{name}": float(seconds)
            for record in self.modules
            for name, seconds in type(record.module).schedule.items()
        }

    def task_handler(self, name: str) -> Callable[..., Any]:
        """The current code of task ``"<module>.<name>"``: ``LookupError`` if no ready module runs it."""
        self.ensure_started()
        module_name, _, local = name.partition(".")
        if module_name not in self.modules or local not in type(self.modules.get(module_name)).tasks:
            raise LookupError(f"no enabled module runs the task {name!r}")
        if not self.modules.is_ready(module_name):
            raise LookupError(f"the module {module_name} is not ready: {self.modules.record(module_name).error}")
        return self.modules.get(module_name).task_handler(local)

    def _check_declarations(self, module: BaseModule) -> None:
        check_declarations(module, self.modules)

    def _compose(self, name: str, config: dict) -> None:
        module = self.modules.get(name)
        module_cls = type(module)
        self._check_declarations(module)
        if module_cls.container_class is None:
            return
        facade = self._facade(name, module_cls)
        generation = self._build(module, module_cls.container_class, facade, config)
        slot = ModuleSlot(generation, self.unavailable)
        self._slots[name] = slot
        for service_name in service_providers(facade):
            install_facade(getattr(facade, service_name), slot, service_name)
        self.modules.replace_module(name, module_cls(container=generation.container))
        self._register_services(generation, facade)

    def _build(self, module, container_cls, facade, config, *, only=None, base=None) -> Generation:
        declared = service_providers(container_cls)
        overrides = {k: v for k, v in (config.get("services") or {}).items() if k in declared}
        return self.builder.build(
            module=module.name,
            version=module.version,
            container_cls=container_cls,
            facade=facade,
            config=config.get(module.name) or {},
            class_overrides=overrides,
            number=next(self._numbers),
            only=only,
            base=base,
        )

    def _register_services(self, generation: Generation, facade) -> None:
        facade_names = set(service_providers(facade))
        for service_name in generation.providers:
            provider = (
                getattr(facade, service_name) if service_name in facade_names else generation.providers[service_name]
            )
            self.services.register(
                ServiceEntry(
                    name=service_name,
                    module=generation.module,
                    provider=provider,
                    cls=generation.classes.get(service_name),
                    generation=generation.number,
                    sources=tuple(sorted(generation.sources.get(service_name, ()))),
                )
            )
        self.services.remove_module(generation.module, keep=set(generation.providers))

    def _wire(self) -> None:
        targets = {target for record in self.modules for target in type(record.module).wire}
        targets.update(self.container.wiring_config.modules)
        wire_own_members(self.container, sorted(targets))

    def _publish_states(self) -> None:
        generations = {name: slot.generation.number for name, slot in self._slots.items()}
        self.observer.modules(self.modules.states(), generations)

    # lookups
    def module_container(self, name: str):
        """The live container of a module's services (its providers follow every reload)."""
        provider = self.container.providers.get(name)
        if not isinstance(provider, providers.Container):
            raise KeyError(f"module {name!r} has no container")
        return provider

    def generation(self, name: str) -> Generation | None:
        slot = self._slots.get(name)
        return slot.generation if slot else None

    def current_config(self) -> dict:
        return self._config

    # hot reload
    def reload_service(self, name: str) -> ReloadResult:
        started = time.perf_counter()
        with self._reload_lock:
            entry = self.services.get(name)
            module = self.modules.get(entry.module)
            slot = self._slots[entry.module]
            old = slot.generation
            undo = None
            try:
                config = self._completed(self.load_config())
                self._allow_reloadable(config)
                sources = set(old.sources.get(entry.name, ()))
                override = (config.get("services") or {}).get(entry.name)
                if override:
                    sources.add(override.rpartition(".")[0])
                undo = fresh_import(sources)
                generation = self._build(
                    module,
                    type(module).container_class,
                    self.module_container(entry.module),
                    config,
                    only={entry.name},
                    base=old,
                )
                with pinned(generation):
                    generation.providers[entry.name]()  # it must at least build before it serves
            except Exception as exc:
                if undo:
                    undo()
                raise self._failure("service", entry.name, module.version, started, exc) from exc
            slot.generation = generation
            self._config = config
            self._register_services(generation, self.module_container(entry.module))
            self._publish_states()
            return self._succeeded("service", entry.name, module.version, module.version, generation, started)

    def reload_module(self, name: str) -> ReloadResult:
        started = time.perf_counter()
        with self._reload_lock:
            old_module = self.modules.get(name)
            slot = self._slots.get(name)
            old_generation = slot.generation if slot else None
            was_ready = self.modules.is_ready(name)
            undo = None
            new_module = None
            try:
                config = self.load_config()
                self._allow_reloadable(config)
                code = set()
                if old_generation is not None:
                    for sources in old_generation.sources.values():
                        code.update(sources)
                code.update({type(old_module).__module__})
                if type(old_module).container_class is not None:
                    code.add(type(old_module).container_class.__module__)
                undo = fresh_import(code)
                new_cls = self._reloaded_class(old_module)
                candidate = new_cls()
                config = self._completed(config, replacing=new_cls)
                problems = self.modules.problems(candidate=candidate)
                if problems:
                    raise ModuleGraphError(problems)
                generation = None
                self._check_declarations(candidate)
                if new_cls.container_class is not None:
                    if slot is None:
                        raise ImproperlyConfigured(f"module {name} gained a container; restart to add it")
                    generation = self._build(candidate, new_cls.container_class, self.module_container(name), config)
                new_module = new_cls(
                    container=generation.container if generation else None,
                    replacing=old_generation.container if old_generation else None,
                )
                with pinned(generation) if generation else contextlib.nullcontext():
                    new_module.fill_slots()
                    if new_module.initialize() is False:
                        raise RuntimeError("initialize() returned False")
                    new_module.subscribe_declared()
                    health = new_module.get_module_health()
                if health["status"] == str(Status.DOWN):
                    raise RuntimeError(f"health check failed: {health['checks']}")
            except Exception as exc:
                if new_module is not None:
                    _quietly(new_module.cleanup)
                if undo:
                    undo()
                raise self._failure("module", name, old_module.version, started, exc) from exc

            # Commit: one reference change for the services, then the registry entry.
            if generation is not None:
                slot.generation = generation
                self._register_services(generation, self.module_container(name))
            self.modules.replace_module(name, new_module)
            self._config = config
            if was_ready:
                _quietly(old_module.cleanup)
            else:
                self.modules.mark_ready(name)
                self.modules.initialize_all()  # dependants it was holding back may start now
            self._publish_states()
            return self._succeeded("module", name, old_module.version, new_module.version, generation, started)

    @staticmethod
    def _reloaded_class(old_module: BaseModule) -> type[BaseModule]:
        import sys

        cls = type(old_module)
        new_cls = lookup_qualname(sys.modules[cls.__module__], cls.__qualname__, cls.__module__)
        if not (isinstance(new_cls, type) and issubclass(new_cls, BaseModule)) or new_cls.info is None:
            raise TypeError(f"{cls.__qualname__} is no longer a @module-decorated BaseModule")
        if new_cls.info.name != old_module.name:
            raise ValueError(f"the module was renamed from {old_module.name} to {new_cls.info.name}")
        return new_cls

    def _succeeded(self, kind, target, before, after, generation, started) -> ReloadResult:
        result = ReloadResult(
            kind=kind,
            target=target,
            ok=True,
            version_before=before,
            version_after=after,
            generation=generation.number if generation else 0,
            duration_ms=(time.perf_counter() - started) * 1000,
        )
        self.reloads.append(result)
        self.observer.reload(kind, target, True, result.duration_ms / 1000)
        log.info("%s", result)
        return result

    def _failure(self, kind, target, version, started, exc) -> ReloadFailed:
        log.warning("reload of %s %s failed; the previous version keeps serving", kind, target, exc_info=exc)
        result = ReloadResult(
            kind=kind,
            target=target,
            ok=False,
            version_before=version,
            version_after=version,
            duration_ms=(time.perf_counter() - started) * 1000,
            error=f"{type(exc).__name__}: {exc}",
        )
        self.reloads.append(result)
        self.observer.reload(kind, target, False, result.duration_ms / 1000)
        return ReloadFailed(result)

    # health and metrics
    def outstanding_failures(self) -> list[ReloadResult]:
        """Failed reloads no later success has made up for: those targets run older code.

        A module reload re-imports all of its services' code, so it settles their failures too.
        """
        outstanding: dict[tuple[str, str], ReloadResult] = {}
        for result in list(self.reloads):
            if not result.ok:
                outstanding[(result.kind, result.target)] = result
                continue
            outstanding.pop((result.kind, result.target), None)
            if result.kind == "module":
                for key, failed in list(outstanding.items()):
                    if key[0] == "service" and self._module_of_service(failed.target) == result.target:
                        del outstanding[key]
        return list(outstanding.values())

    def _module_of_service(self, name: str) -> str | None:
        try:
            return self.services.get(name).module
        except KeyError:
            return None

    def reload_check(self) -> dict:
        failures = self.outstanding_failures()
        if failures:
            described = "; ".join(f"{r.kind} {r.target}: {r.error}" for r in failures)
            raise RuntimeError(f"refused reload(s), previous code still serving: {described}")
        return {"refused": 0, "reloads": len(self.reloads)}

    def snapshot(self) -> dict:
        """What this process runs: each module's version, state and generation."""
        modules = {}
        for record in self.modules:
            slot = self._slots.get(record.module.name)
            modules[record.module.name] = {
                "version": record.module.version,
                "state": str(record.state),
                "generation": slot.generation.number if slot else 0,
            }
        return modules

    def health(self) -> dict:
        """Each module's own checks; DOWN when a module that serves is DOWN or a module failed."""
        self.ensure_started()
        modules = {}
        status = Status.UP
        for record in self.modules:
            report = record.module.get_module_health() if record.state is ModuleState.READY else {}
            report["state"] = str(record.state)
            if record.state is ModuleState.FAILED or report.get("status") == str(Status.DOWN):
                status = Status.DOWN
            modules[record.module.name] = report
        return {"status": str(status), "modules": modules}

    def metrics(self) -> dict:
        return {
            "uptime_seconds": round(time.monotonic() - self._started_monotonic, 3),
            "started_at": datetime.fromtimestamp(self.started_at, UTC).isoformat(),
            "pid": os.getpid(),
            "modules": self.modules.states(),
            "generations": {name: slot.generation.number for name, slot in self._slots.items()},
            "reloads": {"recent": [r.as_dict() for r in list(self.reloads)[-10:]]},
        }


def _quietly(call) -> None:
    try:
        call()
    except Exception:
        log.exception("cleanup failed")
