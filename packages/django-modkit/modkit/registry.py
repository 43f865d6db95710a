"""The module graph: validated before anything starts, started in dependency order.

Errors name the whole path, in the manner of Odoo's module graph: a cycle as
``orders -> wallets -> orders``, a missing module with the chain of modules that need it.
"""

import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, replace

from packaging.version import Version

from modkit.base import BaseModule, ModuleState

log = logging.getLogger(__name__)


class ModuleGraphError(Exception):
    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("invalid module graph:\n  " + "\n  ".join(self.problems))


@dataclass(frozen=True)
class ModuleRecord:
    module: BaseModule
    state: ModuleState
    error: str | None = None
    blocked_by: str | None = None
    changed_at: float = 0.0


class ModuleRegistry:
    """Holds the modules, their states and the order they start in.

    Readers (requests asking whether a module serves) never take the lock: every change
    replaces one record in one dict assignment.
    """

    def __init__(self, modules: Iterable[BaseModule] = ()):
        self._lock = threading.RLock()
        self._records: dict[str, ModuleRecord] = {}
        for mod in modules:
            self.register(mod)

    # membership
    def register(self, module: BaseModule) -> None:
        if not isinstance(module, BaseModule) or module.info is None:
            raise TypeError(f"{module!r} is not a @module-decorated BaseModule instance")
        with self._lock:
            if module.name in self._records:
                raise ValueError(f"module {module.name!r} is already registered")
            self._records[module.name] = ModuleRecord(module, ModuleState.REGISTERED, changed_at=time.time())

    def __contains__(self, name: str) -> bool:
        return name in self._records

    def __iter__(self):
        return iter(list(self._records.values()))

    def names(self) -> list[str]:
        return list(self._records)

    def get(self, name: str) -> BaseModule:
        try:
            return self._records[name].module
        except KeyError:
            raise KeyError(f"no module named {name!r} (known: {', '.join(self._records) or 'none'})") from None

    def record(self, name: str) -> ModuleRecord:
        self.get(name)
        return self._records[name]

    def state(self, name: str) -> ModuleState:
        return self.record(name).state

    def states(self) -> dict[str, str]:
        return {name: str(rec.state) for name, rec in self._records.items()}

    def is_ready(self, name: str) -> bool:
        record = self._records.get(name)
        return record is not None and record.state is ModuleState.READY

    def _set(self, name: str, **changes) -> None:
        with self._lock:
            self._records[name] = replace(self._records[name], changed_at=time.time(), **changes)

    def replace_module(self, name: str, module: BaseModule) -> None:
        """Put a reloaded instance in place of the running one, keeping its state."""
        if module.name != name:
            raise ValueError(f"cannot replace module {name!r} with {module.name!r}")
        self._set(name, module=module, error=None)

    def mark_ready(self, name: str) -> None:
        self._set(name, state=ModuleState.READY, error=None, blocked_by=None)

    def mark_failed(self, name: str, error: str) -> None:
        self._set(name, state=ModuleState.FAILED, error=error)

    # graph
    def dependencies_of(self, name: str) -> tuple[str, ...]:
        return self.get(name).info.dependency_names

    def dependants_of(self, name: str) -> list[str]:
        """Every module that needs ``name``, directly or through others, in start order."""
        found: set[str] = set()
        frontier = [name]
        while frontier:
            current = frontier.pop()
            for other, record in self._records.items():
                if current in record.module.info.dependency_names and other not in found:
                    found.add(other)
                    frontier.append(other)
        return [n for n in self.initialization_order() if n in found]

    def _chain_to(self, name: str) -> list[str]:
        """A shortest chain from a module nobody needs down to ``name``, for error messages."""
        parents = {
            n: [o for o, r in self._records.items() if n in r.module.info.dependency_names] for n in self._records
        }
        chain = [name]
        seen = {name}
        while parents.get(chain[0]):
            nxt = next((p for p in parents[chain[0]] if p not in seen), None)
            if nxt is None:
                break
            chain.insert(0, nxt)
            seen.add(nxt)
        return chain

    def problems(self, candidate: BaseModule | None = None) -> list[str]:
        """Everything wrong with the graph; with ``candidate``, as if it replaced its namesake."""
        records = dict(self._records)
        if candidate is not None:
            records[candidate.name] = ModuleRecord(candidate, ModuleState.REGISTERED)
        problems: list[str] = []
        for name, record in records.items():
            for requirement in record.module.info.requirements:
                needed = records.get(requirement.name)
                chain = " -> ".join(self._chain_to(name) + [requirement.name])
                if needed is None:
                    problems.append(
                        f"missing module: {name} needs {str(requirement)!r}, which is not registered (path: {chain})"
                    )
                elif requirement.specifier and not requirement.specifier.contains(
                    Version(needed.module.version), prereleases=True
                ):
                    problems.append(
                        f"version mismatch: {name} needs {str(requirement)!r} but "
                        f"{requirement.name} is {needed.module.version} (path: {chain})"
                    )
        problems.extend(f"dependency cycle: {' -> '.join(cycle)}" for cycle in _cycles(records))
        return problems

    def validate(self) -> None:
        problems = self.problems()
        if problems:
            raise ModuleGraphError(problems)

    def initialization_order(self) -> list[str]:
        order: list[str] = []
        visiting: set[str] = set()

        def visit(name: str) -> None:
            if name in order or name in visiting or name not in self._records:
                return
            visiting.add(name)
            for dep in self._records[name].module.info.dependency_names:
                visit(dep)
            visiting.discard(name)
            order.append(name)

        for name in self._records:
            visit(name)
        return order

    # lifecycle
    def initialize_all(self) -> dict[str, str]:
        """Start every module not yet ready, dependencies first; a failure stops only its dependants."""
        self.validate()
        with self._lock:
            for name in self.initialization_order():
                record = self._records[name]
                if record.state is ModuleState.READY:
                    continue
                blocker = next((d for d in record.module.info.dependency_names if not self.is_ready(d)), None)
                if blocker is not None:
                    self._set(
                        name,
                        state=ModuleState.REGISTERED,
                        blocked_by=blocker,
                        error=f"not started: needs {blocker}, which is {self.state(blocker)}",
                    )
                    continue
                self._initialize_one(name)
        return self.states()

    def _initialize_one(self, name: str) -> None:
        module = self.get(name)
        try:
            module.fill_slots()
            outcome = module.initialize()
            if outcome is not False:
                module.subscribe_declared()
        except Exception as exc:
            log.exception("module %s failed to initialize", name)
            self._set(name, state=ModuleState.FAILED, error=f"{type(exc).__name__}: {exc}", blocked_by=None)
            return
        if outcome is False:
            self._set(name, state=ModuleState.FAILED, error="initialize() returned False", blocked_by=None)
        else:
            self._set(name, state=ModuleState.READY, error=None, blocked_by=None)

    def cleanup_all(self) -> dict[str, str]:
        """Stop ready modules in the reverse of their start order."""
        with self._lock:
            for name in reversed(self.initialization_order()):
                record = self._records[name]
                if record.state is not ModuleState.READY:
                    continue
                try:
                    record.module.cleanup()
                    self._set(name, state=ModuleState.STOPPED, error=None)
                except Exception as exc:
                    log.exception("module %s failed to clean up", name)
                    self._set(name, state=ModuleState.STOPPED, error=f"cleanup: {type(exc).__name__}: {exc}")
        return self.states()


def _cycles(records: dict[str, ModuleRecord]) -> list[list[str]]:
    """Each elementary cycle once, as a closed path starting at its first module in registration order."""
    rank = {name: i for i, name in enumerate(records)}
    found: list[list[str]] = []
    seen: set[tuple[str, ...]] = set()

    def walk(start: str, current: str, path: list[str]) -> None:
        for dep in records[current].module.info.dependency_names:
            if dep not in records:
                continue
            if dep == start:
                key = tuple(path)
                if key not in seen:
                    seen.add(key)
                    found.append(path + [start])
            elif dep not in path and rank[dep] > rank[start]:
                walk(start, dep, path + [dep])

    for name in records:
        walk(name, name, [name])
    return found
