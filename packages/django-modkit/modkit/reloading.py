"""Importing code anew for a hot reload, all or nothing.

Each module is compiled from its source file (never from ``__pycache__``, whose timestamps
cannot tell two edits in the same second apart) into a *new* module object. Code already
running keeps its old module and globals, so an in-flight request finishes on the old version
whole. If any module fails to import, every entry of ``sys.modules`` is put back.
"""

import ast
import importlib
import importlib.util
import os
import socket
import sys
import time
import types
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib._bootstrap import _ModuleLockManager


@dataclass(frozen=True)
class ReloadResult:
    kind: str  # "service" or "module"
    target: str
    ok: bool
    version_before: str = ""
    version_after: str = ""
    generation: int = 0
    duration_ms: float = 0.0
    error: str | None = None
    at: float = field(default_factory=time.time)
    worker: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")

    def as_dict(self) -> dict:
        return dict(self.__dict__)

    def __str__(self) -> str:
        outcome = "ok" if self.ok else f"FAILED: {self.error}"
        return f"reload {self.kind} {self.target}: {outcome} ({self.duration_ms:.1f} ms)"


class ReloadFailed(Exception):
    def __init__(self, result: ReloadResult):
        super().__init__(str(result))
        self.result = result


# What was made from a file's text is kept for its latest text only, one entry per file. Keyed
# by the text instead, a cache would keep every edited version (up to 128 compiled copies of a
# 14 kB service: about 9 MB), and memory would grow with the number of reloads, which
# docs/hot-reload.md and tests/integration/test_reload_stress.py rule out. An older text seldom
# comes back; when it does, it is compiled again.
_latest_imports: dict[str, tuple[str, frozenset[str]]] = {}
_latest_code: dict[str, tuple[str, types.CodeType]] = {}


def _latest(cache: dict, filename: str, source: str, make: Callable[[str], object]):
    """``make(source)``, made again only when ``filename``'s text changed; nothing kept on error."""
    kept = cache.get(filename)
    if kept is not None and kept[0] == source:
        return kept[1]
    made = make(source)
    cache[filename] = (source, made)
    return made


def _imports(source: str) -> frozenset[str]:
    """What a source imports, absolutely."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return frozenset()
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            imported.add(node.module)
            imported.update(f"{node.module}.{alias.name}" for alias in node.names)
    return frozenset(imported)


def _compiled(source: str, filename: str) -> types.CodeType:
    """The code of a source; the same text compiles to the same code, so it is compiled once
    (what ``__pycache__`` does for plain imports, checked here by the text, not the mtime)."""
    return _latest(_latest_code, filename, source, lambda text: compile(text, filename, "exec", dont_inherit=True))


def import_order(names: Iterable[str]) -> list[str]:
    """``names`` with each module after the ones of the set it imports (read from its source)."""
    wanted = sorted(set(names))
    needs: dict[str, set[str]] = {}
    for name in wanted:
        spec = importlib.util.find_spec(name)
        source = spec.loader.get_source(name) if spec and spec.loader else None
        imported = _latest(_latest_imports, spec.origin or name, source, _imports) if source else frozenset()
        needs[name] = {other for other in wanted if other != name and other in imported}
    ordered: list[str] = []
    while len(ordered) < len(wanted):
        ready = [n for n in wanted if n not in ordered and needs[n] <= set(ordered)]
        if not ready:  # an import cycle: fall back to name order for the rest
            ready = [n for n in wanted if n not in ordered]
        ordered.append(ready[0])
    return ordered


def fresh_import(names: Iterable[str]) -> Callable[[], None]:
    """Re-import ``names`` (dependencies first); return an undo. On failure, undo and re-raise."""
    importlib.invalidate_caches()
    undo_steps: list[Callable[[], None]] = []
    names = import_order(names)

    def undo() -> None:
        for step in reversed(undo_steps):
            step()
        undo_steps.clear()

    try:
        for name in names:
            undo_steps.extend(_import_one(name))
    except BaseException:
        undo()
        raise
    return undo


def _import_one(name: str) -> list[Callable[[], None]]:
    old = sys.modules.get(name)
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None or not hasattr(spec.loader, "get_source"):
        raise ImportError(f"cannot reload {name}: no source loader")
    source = spec.loader.get_source(name)
    if source is None:
        raise ImportError(f"cannot reload {name}: no source file")
    code = _compiled(source, spec.origin or name)
    module = importlib.util.module_from_spec(spec)

    steps: list[Callable[[], None]] = []

    def restore_entry() -> None:
        if old is None:
            sys.modules.pop(name, None)
        else:
            sys.modules[name] = old

    # As the import system does for a first import: the module's lock held and its spec marked
    # initializing (before it is in sys.modules), so another thread importing the name meanwhile
    # (``from services.x import Y`` in a view imported late) waits for the whole new module
    # instead of taking a half-run one.
    with _ModuleLockManager(name):
        module.__spec__._initializing = True
        sys.modules[name] = module
        try:
            exec(code, module.__dict__)
        except BaseException:
            restore_entry()
            raise
        finally:
            module.__spec__._initializing = False
    steps.append(restore_entry)

    parent_name, _, child = name.rpartition(".")
    parent = sys.modules.get(parent_name) if parent_name else None
    if parent is not None:
        previous = {child: getattr(parent, child, None)}
        setattr(parent, child, module)
        # Re-exports such as ``from modules.accounts import AccountsModule`` follow the new code.
        for attr, value in list(vars(parent).items()):
            if getattr(value, "__module__", None) == name and hasattr(module, attr) and attr != child:
                previous[attr] = value
                setattr(parent, attr, getattr(module, attr))

        def restore_parent() -> None:
            for attr, value in previous.items():
                if value is None:
                    parent.__dict__.pop(attr, None)
                else:
                    setattr(parent, attr, value)

        steps.append(restore_parent)
    return steps
