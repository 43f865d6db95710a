"""Per-app checks: does its code import, are its migrations complete and applied, has it a module.

Migrations are judged with Django's own machinery, as ``makemigrations --check`` and
``showmigrations`` judge them: the loader (graph, conflicts, consistency, what is applied)
and the autodetector (model changes no migration describes).
"""

import importlib
import importlib.util
import traceback
from dataclasses import dataclass, field

from django.apps import apps
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.migrations.autodetector import MigrationAutodetector
from django.db.migrations.exceptions import InconsistentMigrationHistory
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.questioner import NonInteractiveMigrationQuestioner
from django.db.migrations.state import ProjectState
from django.utils import translation

from modkit.modularize.discovery import LocalApp


@dataclass
class ImportProblem:
    module: str
    error: str
    file: str = ""
    line: int = 0

    def __str__(self) -> str:
        where = f" ({self.file}:{self.line})" if self.file else ""
        return f"{self.module} does not import: {self.error}{where}"


def check_imports(app: LocalApp, root) -> tuple[list[str], list[ImportProblem]]:
    """Import every module of the app (not its tests or migrations); report what fails."""
    imported, problems = [], []
    for file in app.python_files():
        name = app.module_name(file)
        try:
            importlib.import_module(name)
        except Exception as exc:  # any failure is a finding to report, not a crash
            frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == str(file)]
            line = getattr(exc, "lineno", 0) if isinstance(exc, SyntaxError) else (frames[-1].lineno if frames else 0)
            problems.append(ImportProblem(name, f"{type(exc).__name__}: {exc}", app.relative(file, root), line or 0))
        else:
            imported.append(name)
    return imported, problems


@dataclass
class MigrationState:
    label: str
    has_models: bool
    applied: list[str] = field(default_factory=list)
    unapplied: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # operations makemigrations would write
    conflicts: list[str] = field(default_factory=list)
    inconsistent: str = ""

    @property
    def problems(self) -> list[str]:
        found = []
        if self.missing:
            found.append(
                f"model changes without a migration (makemigrations {self.label} would write: "
                f"{'; '.join(self.missing)})"
            )
        if self.conflicts:
            found.append(f"conflicting migrations (several leaves): {', '.join(self.conflicts)}")
        if self.inconsistent:
            found.append(f"inconsistent migration history: {self.inconsistent}")
        if self.unapplied:
            found.append(f"unapplied migrations: {', '.join(self.unapplied)} (run manage.py migrate)")
        return found

    def as_dict(self) -> dict:
        return {
            "has_models": self.has_models,
            "applied": self.applied,
            "unapplied": self.unapplied,
            "missing": self.missing,
            "conflicts": self.conflicts,
            "inconsistent": self.inconsistent,
            "ok": not self.problems,
        }


class DatabaseUnreachable(Exception):
    pass


def check_migrations(labels: list[str], database: str = DEFAULT_DB_ALIAS) -> dict[str, MigrationState]:
    connection = connections[database]
    try:
        loader = MigrationLoader(connection, ignore_no_migrations=True)
    except DatabaseError as exc:
        raise DatabaseUnreachable(f"{type(exc).__name__}: {exc}") from exc
    states = {
        label: MigrationState(label, has_models=bool(list(apps.get_app_config(label).get_models()))) for label in labels
    }
    try:
        loader.check_consistent_history(connection)
    except InconsistentMigrationHistory as exc:
        for label, state in states.items():
            if f"{label}." in str(exc):
                state.inconsistent = str(exc)
    for label, names in loader.detect_conflicts().items():
        if label in states:
            states[label].conflicts = sorted(names)

    questioner = NonInteractiveMigrationQuestioner(specified_apps=set(labels), dry_run=True, verbosity=0)
    # With no language active, as makemigrations compares them: a translated choice label read in
    # another language is not a change to the model.
    with translation.override(None):
        autodetector = MigrationAutodetector(loader.project_state(), ProjectState.from_apps(apps), questioner)
        changes = autodetector.changes(graph=loader.graph, trim_to_apps=set(labels), convert_apps=set(labels))
    for label, migrations in changes.items():
        if label in states:
            states[label].missing = [op.describe() for m in migrations for op in m.operations]

    for label, state in states.items():
        seen = set()
        for leaf in loader.graph.leaf_nodes(label):
            for node in loader.graph.forwards_plan(leaf):
                if node[0] != label or node in seen:
                    continue
                seen.add(node)
                (state.applied if node in loader.applied_migrations else state.unapplied).append(node[1])
    return states


@dataclass
class ModuleFound:
    name: str
    path: str  # dotted path of the class
    version: str
    enabled: bool
    urls: str | None = None
    wire: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    dependencies: tuple[str, ...] = ()

    def belongs_to(self, app: LocalApp) -> bool:
        """Its pages or views are the app's (a module without either is matched by name)."""
        if self.path.startswith(app.name + "."):
            return True
        code = [c for c in (self.urls, *self.wire) if c]
        if not code:
            return self.name == app.label.lower()
        return any(c == app.name or c.startswith(app.name + ".") for c in code)

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "class": self.path,
            "version": self.version,
            "enabled": self.enabled,
            "urls": self.urls,
            "services": list(self.services),
        }


def _describe(cls, enabled: bool) -> ModuleFound:
    from modkit.generations import service_providers

    container = cls.container_class
    return ModuleFound(
        name=cls.info.name,
        path=f"{cls.__module__}.{cls.__qualname__}",
        version=cls.info.version,
        enabled=enabled,
        urls=cls.urls,
        wire=tuple(cls.wire),
        services=tuple(service_providers(container)) if container is not None else (),
        dependencies=tuple(cls.info.dependencies),
    )


def find_modules(apps: list, layout) -> tuple[dict[str, ModuleFound], list[str]]:
    """Modules the project enables (``layout.enable``) and those where the layout would put an app's.

    Returns them by name, and the problems met (an enabled module that does not load, a module
    file without its ``@module`` class).
    """
    from modkit.discovery import resolve_module_class

    found: dict[str, ModuleFound] = {}
    problems: list[str] = []
    for spec in layout.enabled():
        try:
            cls = resolve_module_class(spec, package=layout.modules or "modules")
        except Exception as exc:
            problems.append(f"enabled module {spec!r} does not load: {type(exc).__name__}: {exc}")
            continue
        found[cls.info.name] = _describe(cls, enabled=True)
    for app in apps:
        dotted = layout.module_import(app, app.label.lower())
        if any(m.path.startswith(dotted + ".") for m in found.values()) or not _importable(dotted):
            continue
        try:
            cls = _module_class_in(dotted)
        except Exception as exc:
            problems.append(f"{dotted} exists but gives no module: {type(exc).__name__}: {exc}")
            continue
        found.setdefault(cls.info.name, _describe(cls, enabled=False))
    return found, problems


def _importable(dotted: str) -> bool:
    try:
        return importlib.util.find_spec(dotted) is not None
    except (ImportError, ValueError):
        return False


def _module_class_in(dotted: str):
    from modkit.base import BaseModule

    owner = importlib.import_module(dotted)
    for value in vars(owner).values():
        declared = isinstance(value, type) and issubclass(value, BaseModule) and value.info is not None
        if declared and value.__module__ == dotted:
            return value
    raise LookupError(f"no @module class in {dotted}")
