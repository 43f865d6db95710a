"""Everything ``--validate-only`` reports, gathered once: per app, the graph, what blocks."""

import ast
import inspect
import re
from dataclasses import dataclass, field
from pathlib import Path

from django.apps import apps
from django.db import models
from packaging.requirements import Requirement

from modkit.modularize import checks
from modkit.modularize.discovery import LocalApp, local_apps, select
from modkit.modularize.graph import DependencyGraph, Edge, format_cycle
from modkit.modularize.orm_scan import OrmUse, ViewScanner
from modkit.modularize.resolver import DjangoResolver
from modkit.modularize.source import imports as file_imports
from modkit.modularize.source import owner, parse

NAME_RULE = "lower case letters, digits and _, starting with a letter"


@dataclass
class AppReport:
    app: LocalApp
    imported: list[str] = field(default_factory=list)
    import_problems: list[checks.ImportProblem] = field(default_factory=list)
    migrations: checks.MigrationState | None = None
    module: checks.ModuleFound | None = None
    module_problem: str = ""
    dependencies: list[str] = field(default_factory=list)
    external: list[str] = field(default_factory=list)
    orm_uses: list[OrmUse] = field(default_factory=list)
    scanners: dict[str, ViewScanner] = field(default_factory=dict, repr=False)
    texts: dict[str, str] = field(default_factory=dict, repr=False)
    cycles: list[list[str]] = field(default_factory=list)
    # The app uses another module's app, but its module does not declare that dependency.
    undeclared: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return self.app.label

    @property
    def blockers(self) -> list[str]:
        found = [str(p) for p in self.import_problems]
        if self.migrations is not None:
            found += self.migrations.problems
        if self.module_problem:
            found.append(self.module_problem)
        found += [f"dependency cycle: {format_cycle(c)}" for c in self.cycles]
        return found

    def as_dict(self, root: Path) -> dict:
        return {
            "label": self.app.label,
            "name": self.app.name,
            "path": self.app.relative(self.app.path, root),
            "imports": {
                "ok": not self.import_problems,
                "modules": len(self.imported),
                "errors": [p.__dict__ for p in self.import_problems],
            },
            "migrations": self.migrations.as_dict() if self.migrations else None,
            "module": self.module.as_dict() if self.module else None,
            "depends_on": self.dependencies,
            "external_dependencies": self.external,
            "orm_uses": [u.as_dict() for u in self.orm_uses],
            "cycles": [format_cycle(c) for c in self.cycles],
            "undeclared_dependencies": self.undeclared,
            "blockers": self.blockers,
            "ok": not self.blockers,
        }


@dataclass
class Analysis:
    root: Path
    reports: list[AppReport]  # the selected apps, dependencies first
    graph: DependencyGraph
    cycles: list[list[str]]
    modules: dict[str, checks.ModuleFound]
    problems: list[str]  # not tied to one app: database unreachable, a configured module broken
    warnings: list[str]

    @property
    def blockers(self) -> list[str]:
        return self.problems + [f"{r.label}: {b}" for r in self.reports for b in r.blockers]

    @property
    def ok(self) -> bool:
        return not self.blockers

    def report(self, label: str) -> AppReport | None:
        return next((r for r in self.reports if r.label == label), None)


def relation_edges(app: LocalApp, packages: dict[str, str], root: Path) -> tuple[list[Edge], set[str]]:
    """Edges from the app's models to other apps' models (FK, one-to-one, many-to-many, parents)."""
    edges, external = [], set()
    local_labels = set(packages.values())
    for model in apps.get_app_config(app.label).get_models():
        lines = _field_lines(model)
        for f in model._meta.get_fields():
            if not f.is_relation or f.auto_created or f.related_model is None:
                continue
            target = f.related_model._meta.app_label
            if target == app.label:
                continue
            kind = type(f).__name__
            detail = f"{model._meta.label}.{f.name} -> {f.related_model._meta.label} ({kind})"
            if target in local_labels:
                edges.append(
                    Edge(
                        app.label,
                        target,
                        "relation",
                        detail,
                        *_where(model, lines.get(f.name), root),
                    )
                )
            else:
                external.add(target)
        for parent in model._meta.parents:
            target = parent._meta.app_label
            if target != app.label:
                detail = f"{model._meta.label} inherits {parent._meta.label}"
                if target in local_labels:
                    edges.append(Edge(app.label, target, "relation", detail, *_where(model, None, root)))
                else:
                    external.add(target)
    return edges, external


def _field_lines(model) -> dict[str, int]:
    try:
        source_file = inspect.getsourcefile(model)
        tree, _ = parse(Path(source_file))
    except (TypeError, OSError, SyntaxError):
        return {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name == model.__name__:
            return {
                t.id: stmt.lineno
                for stmt in node.body
                if isinstance(stmt, ast.Assign)
                for t in stmt.targets
                if isinstance(t, ast.Name)
            } | {"": node.lineno}
    return {}


def _where(model, line: int | None, root: Path) -> tuple[str, int]:
    try:
        path = Path(inspect.getsourcefile(model))
    except TypeError:
        return "", 0
    shown = str(path.relative_to(root)) if path.is_relative_to(root) else str(path)
    return shown, line or _field_lines(model).get("", 0)


def import_edges(app: LocalApp, packages: dict[str, str], root: Path) -> list[Edge]:
    edges = []
    for file in app.python_files():
        try:
            tree, text = parse(file)
        except (SyntaxError, UnicodeDecodeError):
            continue  # the import check reports it
        for imp in file_imports(tree, app.module_name(file), file.name == "__init__.py", text):
            target = owner(imp.target, packages) or owner(imp.module, packages)
            if target and target != app.label:
                edges.append(
                    Edge(
                        app.label,
                        target,
                        "import",
                        imp.statement.splitlines()[0],
                        app.relative(file, root),
                        imp.line,
                    )
                )
    return edges


def scan_orm(app: LocalApp, root: Path, resolver) -> tuple[list[OrmUse], dict, dict]:
    uses, scanners, texts = [], {}, {}
    for file in app.views_files():
        try:
            tree, text = parse(file)
        except (SyntaxError, UnicodeDecodeError):
            continue
        shown = app.relative(file, root)
        scanner = ViewScanner(
            resolver=resolver,
            text=text,
            tree=tree,
            module_name=app.module_name(file),
            is_package=file.name == "__init__.py",
            file=shown,
        )
        uses.extend(scanner.scan())
        scanners[shown] = scanner
        texts[shown] = text
    return uses, scanners, texts


def analyse(
    *, root: Path, wanted: list[str] | None, layout, database: str = "default", names: dict[str, str] | None = None
) -> Analysis:
    """``names``: app label -> module name chosen with ``--name`` (default: the label, lower case)."""
    every = local_apps()
    chosen = select(every, wanted)
    reports = {a.label: AppReport(app=a) for a in chosen}
    for report in reports.values():
        report.imported, report.import_problems = checks.check_imports(report.app, root)
    graph = _graph(every, reports, root)
    problems: list[str] = []
    try:
        states = checks.check_migrations(list(reports), database)
    except checks.DatabaseUnreachable as exc:
        problems.append(f"database unreachable, migrations cannot be checked: {exc}")
        states = {}
    found, module_problems = checks.find_modules(every, layout)
    warnings = _assign_module_problems(module_problems, reports)
    resolver = DjangoResolver()
    cycles = graph.cycles()
    for report in reports.values():
        report.migrations = states.get(report.label)
        report.dependencies = graph.dependencies(report.label)
        report.cycles = [c for c in cycles if report.label in c]
        report.orm_uses, report.scanners, report.texts = scan_orm(report.app, root, resolver)
        _find_module(report, found, (names or {}).get(report.label, report.label.lower()))
    _undeclared(reports.values(), every, found, graph)
    order = graph.order(list(reports))
    return Analysis(
        root=root,
        reports=[reports[label] for label in order],
        graph=graph,
        cycles=[c for c in cycles if any(n in reports for n in c)],
        modules=found,
        problems=problems,
        warnings=warnings,
    )


def _graph(every: list[LocalApp], reports: dict[str, AppReport], root: Path) -> DependencyGraph:
    packages = {a.name: a.label for a in every}
    graph = DependencyGraph(a.label for a in every)
    for app in every:
        relations, external = relation_edges(app, packages, root)
        for edge in relations + import_edges(app, packages, root):
            graph.add(edge)
        if app.label in reports:
            reports[app.label].external = sorted(external)
    return graph


def _assign_module_problems(messages: list[str], reports: dict[str, AppReport]) -> list[str]:
    """A broken module file blocks its app; any other module problem is a warning."""
    warnings = []
    for message in messages:
        target = next((r for r in reports.values() if message.startswith(f"{r.app.name}.")), None)
        if target is not None:
            target.module_problem = message
        else:
            warnings.append(message)
    return warnings


def _find_module(report: AppReport, found: dict, name: str) -> None:
    """The app's module if it has one; otherwise whether ``name`` can name a new one."""
    report.module = next((m for m in found.values() if m.belongs_to(report.app)), None)
    if report.module is not None or report.module_problem:
        return
    taken = found.get(name) or _installed_module(name)
    if taken is not None:
        report.module_problem = (
            f"the module name {name!r} is taken by {taken.path}, which serves other code; "
            f"choose another with --name {report.label}=<name>"
        )
    elif not _valid_name(name):
        report.module_problem = (
            f"{name!r} cannot name a module ({NAME_RULE}); choose one with --name {report.label}=<name>"
        )


def _installed_module(name: str):
    """A module of that name installed with pip (its entry point), even when not enabled."""
    from modkit.discovery import installed

    point = installed().get(name)
    return None if point is None else checks.ModuleFound(name=name, path=point.value, version="", enabled=False)


def _undeclared(reports, every, found, graph) -> None:
    """An existing module whose app needs another module's app should say so in @module(...)."""
    module_of = {}
    for app in every:
        owner = next((m for m in found.values() if m.belongs_to(app)), None)
        if owner is not None:
            module_of[app.label] = owner
    for report in reports:
        if report.module is None:
            continue
        declared = {Requirement(spec).name for spec in report.module.dependencies}
        for dep in report.dependencies:
            needed = module_of.get(dep)
            if needed is not None and needed.name not in declared and needed.name != report.module.name:
                why = graph.evidence(report.label, dep)[0]
                report.undeclared.append(
                    f"module {report.module.name} does not declare {needed.name!r} among its "
                    f"dependencies, yet its app needs {dep} ({why})"
                )


def _valid_name(name: str) -> bool:
    return bool(re.match(r"^[a-z][a-z0-9_]*$", name))


def app_models(label: str) -> list[type[models.Model]]:
    return [m for m in apps.get_app_config(label).get_models() if not m._meta.abstract]
