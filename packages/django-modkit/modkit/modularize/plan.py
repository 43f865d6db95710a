"""The migration plan (what ``--dry-run`` prints): per app, the files to write and the views to change.

Where the files go and how the host enables a module is the :class:`~modkit.modularize.layout.Layout`'s
business; carrying the plan out safely is :mod:`modkit.modularize.staging`'s.
"""

import importlib.util
from dataclasses import dataclass, field
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.urls import URLResolver, get_resolver

from modkit.modularize.analysis import Analysis, AppReport, app_models
from modkit.modularize.discovery import LocalApp, local_apps
from modkit.modularize.layout import Layout, clash, ours
from modkit.modularize.lifting import Param
from modkit.modularize.naming import Imports, camel, snake
from modkit.modularize.render import module_file, service_file, test_file
from modkit.modularize.resolver import lookup_field, model_ref
from modkit.modularize.rewrite import rewrite_views
from modkit.modularize.rules import Rule, find_rules
from modkit.modularize.servicegen import Method, ServiceBuilder, ViewChange
from modkit.modularize.testgen import TestWriter


@dataclass
class PlannedFile:
    kind: str  # module | service | test | view | settings
    path: Path
    content: str
    exists: bool = False
    mine: bool = False  # written by an earlier run (it carries the marker)

    @property
    def unchanged(self) -> bool:
        return self.exists and self.path.read_text(encoding="utf-8") == self.content

    def as_dict(self, root: Path) -> dict:
        return {
            "kind": self.kind,
            "path": _shown(self.path, root),
            "exists": self.exists,
            "lines": self.content.count("\n"),
        }


@dataclass
class AppPlan:
    app: LocalApp
    name: str
    layout: Layout
    title: str
    description: str
    author: str
    dependencies: list[str]
    dependency_classes: list[tuple[str, str]]
    registry_members: list[str]
    models: list[str]
    urls: str | None
    url_prefix: str | None
    wire: list[str]
    builder: ServiceBuilder | None
    files: list[PlannedFile] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    untested: list[str] = field(default_factory=list)
    blockers: list[str] = field(default_factory=list)
    # What stays where it is, with its place: rules in forms and views, signals, context processors.
    rules: list[Rule] = field(default_factory=list)

    @property
    def module_class(self) -> str:
        return f"{camel(self.name)}Module"

    @property
    def container_class(self) -> str:
        return f"{camel(self.name)}Container"

    @property
    def service_class(self) -> str | None:
        return f"{camel(self.name)}Service" if self.builder is not None else None

    @property
    def service_name(self) -> str:
        return f"{self.name}_service"

    @property
    def module_import(self) -> str:
        return self.layout.module_import(self.app, self.name)

    @property
    def service_import(self) -> str:
        return self.layout.service_import(self.app, self.name)

    @property
    def enable_entry(self) -> str:
        return self.layout.enable_entry(self.app, self.name)

    @property
    def provide(self) -> str:
        return f"{self.name}.{self.service_name}"

    @property
    def methods(self) -> list[Method]:
        return self.builder.methods if self.builder else []

    @property
    def view_changes(self) -> list[ViewChange]:
        return self.builder.changes if self.builder else []

    def injection(self) -> str:
        module, name = self.layout.not_found
        return (
            f"in each view below: @inject as the innermost decorator and the parameter "
            f'{self.service_name}: {self.service_class} = Provide["{self.provide}"] '
            f"(from dependency_injector.wiring import Provide, inject; "
            f"from {self.service_import} import {self.service_class}; "
            f"from {module} import {name} where a 404 shortcut was replaced)"
        )

    def as_dict(self, root: Path) -> dict:
        return {
            "app": self.app.label,
            "module": self.name,
            "module_class": f"{self.module_import}.{self.module_class}",
            "enable": self.enable_entry,
            "container": self.container_class if self.builder else None,
            "service": f"{self.service_import}.{self.service_class}" if self.builder else None,
            "dependencies": self.dependencies,
            "urls": self.urls,
            "url_prefix": self.url_prefix,
            "wire": self.wire,
            "methods": [
                {"name": m.name, "operation": m.operation, "params": [p.name for p in m.params], "from": m.origin()}
                for m in self.methods
            ],
            "files": [f.as_dict(root) for f in self.files],
            "view_changes": [c.as_dict() for c in self.view_changes],
            "untested_methods": self.untested,
            "notes": self.notes,
            "rules": [r.as_dict() for r in self.rules],
            "blockers": self.blockers,
        }


@dataclass
class Plan:
    target: Path
    layout: Layout
    apps: list[AppPlan]
    settings_lines: list[str]
    warnings: list[str]
    modules_after: list[str]
    # Apps that are modules already (an earlier run, or by hand): nothing to do for them.
    done: list[str] = field(default_factory=list)
    settings_file: PlannedFile | None = None  # with --rewrite-views: the views need the modules enabled

    @property
    def blockers(self) -> list[str]:
        return [f"{a.app.label}: {b}" for a in self.apps for b in a.blockers]

    @property
    def writes(self) -> list[PlannedFile]:
        files = [f for a in self.apps for f in a.files]
        files += [self.settings_file] if self.settings_file is not None else []
        return [f for f in files if not f.unchanged]

    def as_dict(self, root: Path) -> dict:
        return {
            "target": str(self.target),
            "apps": [a.as_dict(root) for a in self.apps],
            "settings": {"modules": self.modules_after, "lines": self.settings_lines},
            "warnings": self.warnings,
            "already_modules": self.done,
            "blockers": self.blockers,
        }


def _shown(path: Path, root: Path) -> str:
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)


def default_target() -> Path:
    return Path(getattr(settings, "BASE_DIR", None) or Path.cwd()).resolve()


def default_author() -> str:
    project = settings.ROOT_URLCONF.split(".")[0]
    return f"{project.capitalize()} team"


def url_prefix_of(urls_module: str) -> str | None:
    """Where the project's root URLconf mounts an app's URLconf, if it does (and if it loads)."""
    try:
        patterns = get_resolver().url_patterns
    except Exception:  # a broken URLconf is reported by the import check, not here
        return None
    for entry in patterns:
        if isinstance(entry, URLResolver):
            name = entry.urlconf_name
            name = getattr(name, "__name__", name)
            if name == urls_module:
                return str(entry.pattern)
    return None


def _field_info(label: str, lookup: str):
    try:
        return lookup_field(label, lookup)
    except LookupError:
        return None


def build_plan(
    analysis: Analysis,
    *,
    layout: Layout,
    author: str,
    names: dict[str, str] | None = None,
    rewrite: bool = False,
) -> Plan:
    """``names``: app label -> module name chosen with ``--name`` (default: the label).

    ``rewrite``: the views are rewritten to use the services, and the settings file enables the
    new modules (the rewritten views need them).
    """
    names = names or {}
    module_of = _modules_by_app(analysis, layout, names)
    plans: list[AppPlan] = []
    done = [r.label for r in analysis.reports if r.module is not None]
    local_packages = {p for p in (layout.modules, layout.services) if p}
    local_packages |= {a.name.split(".")[0] for a in local_apps()}
    for report in analysis.reports:
        if report.module is None:
            context = _Context(analysis, module_of, layout, author, local_packages)
            plans.append(_app_plan(report, names.get(report.label, report.label.lower()), context))
            if rewrite:
                _rewrites(plans[-1], report, layout.root)
    configured = layout.enabled()
    after = configured + [p.enable_entry for p in plans if p.enable_entry not in configured]
    plan = Plan(
        target=layout.root,
        layout=layout,
        apps=plans,
        settings_lines=_settings_lines(layout, after, bool(plans)),
        warnings=list(analysis.warnings),
        modules_after=after,
        done=done,
    )
    if rewrite and plans:
        plan.settings_file = _settings_write(layout, plan.settings_lines)
    return plan


def _rewrites(plan: AppPlan, report: AppReport, root: Path) -> None:
    for result in rewrite_views(plan, report.texts, root):
        if result.problem:
            plan.blockers.append(f"{_shown(result.path, root)} cannot be rewritten: {result.problem}")
        else:
            plan.files.append(PlannedFile("view", result.path, result.text, exists=True, mine=True))


def _settings_write(layout: Layout, lines: list[str]) -> PlannedFile | None:
    spec = importlib.util.find_spec(settings.SETTINGS_MODULE)
    if spec is None or not spec.origin:
        return None
    path = Path(spec.origin)
    text = path.read_text(encoding="utf-8")
    added = "\n# Modules made by migrate_to_modules (their views receive the services by injection).\n"
    return PlannedFile("settings", path, text.rstrip("\n") + "\n" + added + "\n".join(lines) + "\n", True, True)


def _modules_by_app(analysis: Analysis, layout: Layout, names: dict[str, str]) -> dict[str, tuple[str, str, str]]:
    """App label -> (module name, version, class path), for the modules that exist and those planned."""
    module_of: dict[str, tuple[str, str, str]] = {}
    for app in local_apps():
        owner = next((m for m in analysis.modules.values() if m.belongs_to(app)), None)
        if owner is not None:
            module_of[app.label] = (owner.name, owner.version, owner.path)
    for report in analysis.reports:
        if report.module is None:
            name = names.get(report.label, report.label.lower())
            where = f"{layout.module_import(report.app, name)}.{camel(name)}Module"
            module_of[report.label] = (name, "1.0.0", where)
    return module_of


@dataclass
class _Context:
    analysis: Analysis
    module_of: dict[str, tuple[str, str, str]]
    layout: Layout
    author: str
    local_packages: set[str]


def _module_closure(label: str, analysis: Analysis, module_of) -> list[str]:
    """App labels whose modules this app's module needs, directly or through others."""
    seen: list[str] = []
    frontier = [label]
    while frontier:
        current = frontier.pop()
        for dep in analysis.graph.dependencies(current):
            if dep in module_of and dep not in seen and dep != label:
                seen.append(dep)
                frontier.append(dep)
    return seen


def _app_plan(report: AppReport, name: str, context: _Context) -> AppPlan:
    app = report.app
    title = app.verbose_name if app.verbose_name.lower() != app.label.lower() else camel(app.label)
    urls, prefix = _mount(app)
    plan = AppPlan(
        app=app,
        name=name,
        layout=context.layout,
        title=title,
        description=f"{title} (the {app.label} app, migrated by migrate_to_modules)",
        author=context.author,
        dependencies=_declared_dependencies(report, context.module_of),
        dependency_classes=[],
        registry_members=[f"{camel(name)}Module()"],
        models=[m._meta.label for m in app_models(app.label)],
        urls=urls,
        url_prefix=prefix,
        wire=[app.module_name(f) for f in app.views_files()],
        builder=None,
    )
    for dep in _module_closure(app.label, context.analysis, context.module_of):
        module_path, _, cls = context.module_of[dep][2].rpartition(".")
        plan.dependency_classes.append((module_path, cls))
        plan.registry_members.append(f"{cls}()")
    if report.orm_uses or plan.models:
        plan.builder = _service_builder(report, plan, context)
    _notes(plan, report, context.module_of)
    plan.rules = find_rules(app, context.layout.root, report.scanners)
    _files(plan, context)
    plan.blockers = _clashes(plan)
    return plan


def _mount(app: LocalApp) -> tuple[str | None, str | None]:
    """The module mounts the app's URLconf only when the project's own URLconf does not already."""
    urls_module = f"{app.name}.urls"
    if not ((app.path / "urls.py").is_file() or (app.path / "urls").is_dir()):
        return None, None
    if url_prefix_of(urls_module) is not None:
        return None, None
    return urls_module, f"{app.label.lower()}/"


def _declared_dependencies(report: AppReport, module_of) -> list[str]:
    declared = []
    for dep in report.dependencies:
        if dep in module_of:
            dep_name, version, _ = module_of[dep]
            major, minor = (version.split(".") + ["0"])[:2]
            declared.append(f"{dep_name}>={major}.{minor}")
    return declared


def _service_builder(report: AppReport, plan: AppPlan, context: _Context) -> ServiceBuilder:
    builder = ServiceBuilder(
        scanners=report.scanners,
        texts=report.texts,
        service_var=plan.service_name,
        provide=plan.provide,
        field_info=_field_info,
        not_found=context.layout.not_found,
        service_class=(plan.service_import, f"{camel(plan.name)}Service"),
    )
    builder.imports = Imports(local_packages=context.local_packages)
    for use in report.orm_uses:
        builder.add(use)
    if not report.orm_uses:
        for label in plan.models:
            _add_primary_key_read(builder, label)
    builder.finalize()
    return builder


def _notes(plan: AppPlan, report: AppReport, module_of) -> None:
    skipped = [d for d in report.dependencies if d not in module_of]
    if skipped:
        plan.notes.append(
            f"depends on {', '.join(skipped)}, which has no module: that dependency is not declared "
            f"(migrate it too, then add it to the module's dependencies)"
        )
    if plan.urls:
        plan.notes.append(f"{plan.urls} is not mounted by the root URLconf; the module mounts it at {plan.url_prefix}")
    if report.external:
        plan.notes.append(f"uses models of {', '.join(report.external)} (outside the project): nothing to declare")


def _files(plan: AppPlan, context: _Context) -> None:
    layout = context.layout
    test_imports = Imports(local_packages=context.local_packages)
    writer = TestWriter(imports=test_imports, field_info=_field_info, not_found=layout.not_found)
    for method in plan.methods:
        writer.add(method)
    plan.untested = writer.result.untested
    files = [PlannedFile("module", layout.module_path(plan.app, plan.name), module_file(plan))]
    if plan.builder is not None:
        files.append(PlannedFile("service", layout.service_path(plan.app, plan.name), service_file(plan)))
    test_path = layout.test_path(plan.app, plan.name, service=plan.builder is not None)
    files.append(PlannedFile("test", test_path, test_file(plan, writer.result, test_imports)))
    for planned in files:
        planned.exists = planned.path.exists()
        planned.mine = ours(planned.path)
    plan.files = files


def _clashes(plan: AppPlan) -> list[str]:
    """Files in the way that an earlier run did not write, and names something else answers to."""
    found = []
    for planned in plan.files:
        if planned.kind in ("module", "service", "test") and planned.exists and not planned.mine:
            shown = _shown(planned.path, plan.layout.root)
            hint = f"pass --name {plan.app.label}=<another name>"
            found.append(f"{shown} exists and was not written by migrate_to_modules: {hint}")
    named = [(plan.module_import, plan.files[0])]
    if plan.builder is not None:
        named.append((plan.service_import, plan.files[1]))
    for dotted, planned in named:
        if problem := clash(dotted, planned.path):
            found.append(f"{problem}: pass --name {plan.app.label}=<another name>")
    return found


def _add_primary_key_read(builder: ServiceBuilder, label: str) -> None:
    """An app whose views never touch its models still gets a read per model."""
    model = apps.get_model(label)
    ref = model_ref(model)
    local = builder.imports.use(ref.module, ref.name)
    not_found = builder.imports.use(*builder.not_found)
    noun = snake(ref.name)
    message = f"No {ref.spoken} with that id."
    method = Method(
        name=f"get_{noun}",
        operation="get",
        model=ref,
        params=[Param(name="pk", source="pk", feeds=(label, "pk"))],
        returns=local,
        body=[
            "try:",
            f"    return {local}.{ref.default_manager}.get(pk=pk)",
            f"except {local}.DoesNotExist:",
            f"    raise {not_found}({message!r}) from None",
        ],
        uses=[],
        strong=True,
        doc=f"One {ref.spoken} by primary key (its app's views never read it directly).",
    )
    builder.methods.append(method)
    builder._annotate(method)


def _settings_lines(layout: Layout, modules: list[str], changed: bool) -> list[str]:
    if not changed:
        return []
    configured = layout.enabled()
    if configured:  # extended in place: whatever already holds the list sees the new entries
        listed = ", ".join(f'"{m}"' for m in modules if m not in configured)
        return [f"{layout.enable} += [{listed}]"]
    listed = ", ".join(f'"{m}"' for m in modules)
    return [f"{layout.enable} = [{listed}]"]
