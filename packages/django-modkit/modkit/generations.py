"""Generations: the providers a module serves with, swapped by a single reference change.

The application container's provider for each service (the *facade*, what views are wired to
and what tests override) is overridden exactly once, at start-up, by a resolver that calls the
matching provider of the module's *current generation*. A reload builds a new generation and
assigns it to the module's slot: one reference change, so a request sees the old generation
or the new one, never a mix. The facade's override is never removed, so dependency-injector
never calls a provider whose last reference is gone (docs/hot-reload.md, "Why it is safe under
load"); an old generation lives as long as a running call holds it, then is freed.

A generation is built by copying the module container's declared providers with a memo that
points them at the application's facades for their siblings and dependencies, and at a fresh,
strict Configuration for their settings. So overriding ``container.wallets.chain`` in a test
reaches every service that uses ``chain``, and re-reading configuration never empties the one
in use.
"""

import contextlib
import contextvars
import importlib
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from dependency_injector import containers, providers

from modkit.errors import ServiceUnavailable
from modkit.instrumentation import instrumented_class, original_class, public_methods
from modkit.observers import Observer

_SKIP = (providers.Configuration, providers.DependenciesContainer, providers.Dependency)
_CLASS_PROVIDERS = (providers.Factory, providers.BaseSingleton)


class GenerationError(Exception):
    """A generation cannot be built: an unknown provider, a class that cannot stand in for another."""


@dataclass(frozen=True)
class Generation:
    module: str
    number: int
    version: str
    providers: Mapping[str, providers.Provider]
    config: providers.Configuration
    classes: Mapping[str, type]
    sources: Mapping[str, frozenset[str]]
    container: containers.DynamicContainer
    built_at: float = field(default_factory=time.time)

    def service_names(self) -> list[str]:
        return list(self.providers)


class ModuleSlot:
    """Where a module's current generation lives; ``generation`` is the only thing a reload writes."""

    __slots__ = ("generation", "unavailable")

    def __init__(self, generation: Generation, unavailable: type[Exception] = ServiceUnavailable):
        self.generation = generation
        self.unavailable = unavailable


# A reload trying out a new generation (its initialize() and health check) pins it for its
# own thread only, so the new services meet their new siblings while every other thread
# keeps serving the generation in the slot.
_pinned: contextvars.ContextVar[dict | None] = contextvars.ContextVar("pinned_generations", default=None)


@contextlib.contextmanager
def pinned(generation: "Generation"):
    current = _pinned.get() or {}
    token = _pinned.set({**current, generation.module: generation})
    try:
        yield generation
    finally:
        _pinned.reset(token)


def resolve(slot: ModuleSlot, name: str, *args, **kwargs):
    generation = slot.generation
    trial = _pinned.get()
    if trial is not None:
        generation = trial.get(generation.module, generation)
    provider = generation.providers.get(name)
    if provider is None:
        raise slot.unavailable(f"module {generation.module} {generation.version} no longer provides {name!r}")
    return provider(*args, **kwargs)


def install_facade(facade: providers.Provider, slot: ModuleSlot, name: str) -> None:
    """Point a facade provider at the slot, once and for good (never reset: see module doc)."""
    facade.override(providers.Callable(resolve, slot, name))


def service_providers(container_cls) -> dict[str, providers.Provider]:
    return {n: p for n, p in container_cls.providers.items() if not isinstance(p, _SKIP)}


def import_class(path: str) -> type:
    module_name, _, qualname = path.rpartition(".")
    if not module_name:
        raise GenerationError(f"{path!r} is not a dotted path to a class")
    try:
        owner = importlib.import_module(module_name)
    except ImportError as exc:
        raise GenerationError(f"cannot import {module_name}: {exc}") from exc
    return lookup_qualname(owner, qualname, path)


def lookup_qualname(owner, qualname: str, what: str):
    target = owner
    for part in qualname.split("."):
        target = getattr(target, part, None)
        if target is None:
            raise GenerationError(f"{what}: {owner.__name__} does not define {qualname}")
    return target


class GenerationBuilder:
    """Builds generations; only classes from ``reloadable`` packages are re-bound and measured."""

    def __init__(self, reloadable: tuple[str, ...] = ("services",), observer: Observer | None = None):
        self.reloadable = tuple(reloadable)
        self.observer = observer or Observer()

    def is_reloadable(self, module_name: str) -> bool:
        return any(module_name == p or module_name.startswith(p + ".") for p in self.reloadable)

    def current_class(self, cls: type) -> type:
        """The class of that name in the code loaded now (after a reload, the new one)."""
        cls = original_class(cls)
        owner = sys.modules.get(cls.__module__)
        if owner is None or not self.is_reloadable(cls.__module__):
            return cls
        return lookup_qualname(owner, cls.__qualname__, f"{cls.__module__}.{cls.__qualname__}")

    def build(
        self,
        *,
        module: str,
        version: str,
        container_cls,
        facade,
        config: dict,
        class_overrides: Mapping[str, str],
        number: int,
        only: set[str] | None = None,
        base: Generation | None = None,
    ) -> Generation:
        declared = service_providers(container_cls)
        names = set(declared) if only is None else set(only)
        unknown = names - set(declared)
        if unknown:
            raise GenerationError(f"module {module} declares no provider {', '.join(sorted(unknown))}")

        fresh_config = providers.Configuration(name=f"{module}.config", strict=True)
        fresh_config.from_dict(config or {}, required=False)
        base_memo = self._dependency_memo(container_cls, facade, fresh_config)
        facade_names = set(getattr(facade, "providers", {}) or {})

        built = dict(base.providers) if base is not None else {}
        classes = dict(base.classes) if base is not None else {}
        sources = dict(base.sources) if base is not None else {}
        for name in sorted(names):
            memo = dict(base_memo)
            for sibling, sibling_provider in declared.items():
                if sibling != name and sibling in facade_names:
                    memo[id(sibling_provider)] = getattr(facade, sibling)
            built[name], classes[name], sources[name] = self._copy(name, declared[name], memo, class_overrides)

        # What the module needs from outside (``core``, its dependencies) sits beside its own
        # services, so its lifecycle code reaches them as ``self.container.wallets``.
        needs = {
            attr: getattr(facade, attr)
            for attr, provider in container_cls.providers.items()
            if isinstance(provider, providers.DependenciesContainer)
        }
        dynamic = containers.DynamicContainer()
        dynamic.set_providers(config=fresh_config, **needs, **built)
        return Generation(
            module=module,
            number=number,
            version=version,
            providers=built,
            config=fresh_config,
            classes=classes,
            sources=sources,
            container=dynamic,
        )

    def _copy(self, name: str, declared, memo: dict, class_overrides: Mapping[str, str]):
        """A fresh copy of one provider (siblings and dependencies from ``memo``), its classes bound."""
        seeded = set(memo)
        copy = providers.deepcopy(declared, memo)
        fresh = [p for key, p in memo.items() if key not in seeded and isinstance(p, _CLASS_PROVIDERS)]
        if isinstance(copy, _CLASS_PROVIDERS) and copy not in fresh:
            fresh.append(copy)
        override = class_overrides.get(name)
        if override:
            if not isinstance(copy, _CLASS_PROVIDERS):
                raise GenerationError(f"{name} is not built from a class; it cannot be swapped")
            self._swap_class(copy, name, override)
        return (copy, *self._bind_classes(name, copy, fresh))

    def _dependency_memo(self, container_cls, facade, fresh_config) -> dict:
        memo = {}
        for name, provider in container_cls.providers.items():
            if isinstance(provider, providers.Configuration):
                memo[id(provider)] = fresh_config
            elif isinstance(provider, providers.DependenciesContainer):
                target = getattr(facade, name)
                memo[id(provider)] = target
                for child_name, child in provider.providers.items():
                    memo[id(child)] = getattr(target, child_name)
            elif isinstance(provider, providers.Dependency):
                memo[id(provider)] = getattr(facade, name)
        return memo

    def _swap_class(self, provider, name: str, path: str) -> None:
        declared = original_class(provider.cls)
        replacement = import_class(path)
        if not isinstance(replacement, type):
            raise GenerationError(f"{path} is not a class")
        missing = public_methods(declared) - {
            attr for attr in public_methods(replacement) if callable(getattr(replacement, attr, None))
        }
        if missing:
            raise GenerationError(
                f"{path} cannot stand in for {declared.__qualname__}: it lacks {', '.join(sorted(missing))}"
            )
        provider.set_provides(replacement)

    def _bind_classes(self, name: str, top, fresh) -> tuple[type | None, frozenset[str]]:
        """Re-bind copied providers to the current code and measure it; return the top class."""
        sources: set[str] = set()
        top_class = None
        for provider in fresh:
            cls = provider.cls
            if not isinstance(cls, type):
                continue
            current = self.current_class(cls)
            if self.is_reloadable(current.__module__):
                sources.add(current.__module__)
                provider.set_provides(instrumented_class(current, name, self.observer))
            if provider is top:
                top_class = current
        return top_class, frozenset(sources)
