"""The catalogue of every service by name: its module, its class and its provider.

``reload_service(name)`` and the metrics look names up here. The provider is the application
container's (what views are wired to and tests override); the class is the one the module's
current generation builds.
"""

import threading
from dataclasses import dataclass

from dependency_injector import providers


@dataclass(frozen=True)
class ServiceEntry:
    name: str
    module: str
    provider: providers.Provider
    cls: type | None
    generation: int
    sources: tuple[str, ...]

    @property
    def class_path(self) -> str:
        return f"{self.cls.__module__}.{self.cls.__qualname__}" if self.cls else "(not a class)"

    def describe(self) -> dict:
        return {
            "name": self.name,
            "module": self.module,
            "class": self.class_path,
            "generation": self.generation,
            "sources": list(self.sources),
        }


class ServiceRegistry:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[str, ServiceEntry] = {}

    def register(self, entry: ServiceEntry) -> None:
        with self._lock:
            current = self._entries.get(entry.name)
            if current is not None and current.module != entry.module:
                raise ValueError(
                    f"service name {entry.name!r} is provided by both {current.module} and "
                    f"{entry.module}; service names must be unique"
                )
            entries = dict(self._entries)
            entries[entry.name] = entry
            self._entries = entries

    def remove_module(self, module: str, keep: set[str]) -> None:
        with self._lock:
            self._entries = {n: e for n, e in self._entries.items() if e.module != module or n in keep}

    def get(self, name: str) -> ServiceEntry:
        """By name (``user_service``) or qualified by module (``accounts.user_service``)."""
        entry = self._entries.get(name)
        if entry is None and "." in name:
            module, _, short = name.partition(".")
            entry = self._entries.get(short)
            if entry is not None and entry.module != module:
                entry = None
        if entry is None:
            known = ", ".join(sorted(self._entries)) or "none"
            raise KeyError(f"no service named {name!r} (known: {known})")
        return entry

    def provider(self, name: str) -> providers.Provider:
        return self.get(name).provider

    def __contains__(self, name: str) -> bool:
        try:
            self.get(name)
        except KeyError:
            return False
        return True

    def __iter__(self):
        return iter(sorted(self._entries.values(), key=lambda e: (e.module, e.name)))

    def names(self) -> list[str]:
        return sorted(self._entries)

    def for_module(self, module: str) -> list[ServiceEntry]:
        return [e for e in self if e.module == module]

    def describe(self) -> list[dict]:
        return [e.describe() for e in self]
