"""The migration plan (what ``--dry-run`` prints) and carrying it out (new files only).

Where files go, under ``target`` (the project root unless ``--target``):
``modules/<app>.py``, ``services/<app>_service.py`` and ``tests/integration/test_<app>_service.py``
(``tests/`` when there is no ``integration`` folder). In this project these are the modular
system's own packages; in another project they are folders *without* ``__init__.py`` that extend
the system's ``modules`` and ``services`` packages (they use ``pkgutil.extend_path``), so a new
module is enabled by its bare name in ``MARKETPLACE["modules"]`` and its services hot-reload
like the built-in ones.
"""

import importlib
import pkgutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.urls import URLResolver, get_resolver

from marketplace.apps import MarketplaceConfig
from marketplace.modularize.analysis import Analysis, AppReport, app_models
from marketplace.modularize.discovery import LocalApp, local_apps
from marketplace.modularize.lifting import Param
from marketplace.modularize.naming import Imports, camel, snake
from marketplace.modularize.render import module_file, service_file, test_file
from marketplace.modularize.resolver import lookup_field, model_ref
from marketplace.modularize.servicegen import Method, ServiceBuilder, ViewChange
from marketplace.modularize.testgen import TestWriter


@dataclass
class PlannedFile:
    kind: str  # module | service | test
    path: Path
    content: str
    exists: bool = False

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
    def service_module(self) -> str:
        return f"{self.name}_service"

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
        return (
            f"in each view below: @inject as the innermost decorator and the parameter "
            f'{self.service_name}: {self.service_class} = Provide["{self.provide}"] '
            f"(from dependency_injector.wiring import Provide, inject; "
            f"from services.{self.service_module} import {self.service_class}; "
            f"from services.errors import NotFound where a 404 shortcut was replaced)"
        )

    def as_dict(self, root: Path) -> dict:
        return {
            "app": self.app.label,
            "module": self.name,
            "module_class": f"modules.{self.name}.{self.module_class}",
            "container": self.container_class if self.builder else None,
            "service": f"services.{self.service_module}.{self.service_class}" if self.builder else None,
            "dependencies": self.dependencies,
            "urls": self.urls,
            "url_prefix": self.url_prefix,
            "wire": self.wire,
            "methods": [
                {
                    "name": m.name,
                    "operation": m.operation,
                    "params": [p.name for p in m.params],
                    "from": m.origin(),
                }
                for m in self.methods
            ],
            "files": [f.as_dict(root) for f in self.files],
            "view_changes": [c.as_dict() for c in self.view_changes],
            "untested_methods": self.untested,
            "notes": self.notes,
        }


@dataclass
class Plan:
    target: Path
    apps: list[AppPlan]
    settings_lines: list[str]
    warnings: list[str]
    modules_after: list[str]

    def as_dict(self, root: Path) -> dict:
        return {
            "target": str(self.target),
            "apps": [a.as_dict(root) for a in self.apps],
            "settings": {"modules": self.modules_after, "lines": self.settings_lines},
            "warnings": self.warnings,
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


def _tests_dir(target: Path) -> Path:
    integration = target / "tests" / "integration"
    return integration if integration.is_dir() else target / "tests"


def build_plan(analysis: Analysis, *, target: Path, author: str) -> Plan:
    target = target.resolve()
    root = analysis.root
    every = local_apps()
    module_of: dict[str, tuple[str, str, str]] = {}  # app label -> (module name, version, class path)
    for app in every:
        owner = next((m for m in analysis.modules.values() if m.belongs_to(app)), None)
        if owner is not None:
            module_of[app.label] = (owner.name, owner.version, owner.path)
    for report in analysis.reports:
        if report.module is None:
            name = report.label.lower()
            module_of[report.label] = (name, "1.0.0", f"modules.{name}.{camel(name)}Module")

    plans: list[AppPlan] = []
    warnings = list(analysis.warnings) + _placement_warnings(target)
    local_packages = {"modules", "services", *(a.name.split(".")[0] for a in every)}
    for report in analysis.reports:
        if report.module is not None:
            continue
        plans.append(_app_plan(report, analysis, module_of, target, root, author, local_packages))
    configured = _configured_names()
    after = configured + [p.name for p in plans if p.name not in configured]
    return Plan(
        target=target,
        apps=plans,
        settings_lines=_settings_lines(after, bool(plans)),
        warnings=warnings,
        modules_after=after,
    )


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


def _app_plan(
    report: AppReport,
    analysis: Analysis,
    module_of,
    target: Path,
    root: Path,
    author: str,
    local_packages: set[str],
) -> AppPlan:
    app = report.app
    name = app.label.lower()
    title = app.verbose_name if app.verbose_name.lower() != app.label.lower() else camel(app.label)
    direct = [d for d in report.dependencies if d in module_of]
    skipped = [d for d in report.dependencies if d not in module_of]
    dependencies = []
    for dep in direct:
        dep_name, version, _ = module_of[dep]
        major, minor = (version.split(".") + ["0"])[:2]
        dependencies.append(f"{dep_name}>={major}.{minor}")
    closure = _module_closure(app.label, analysis, module_of)
    dependency_classes = []
    members = [f"{camel(name)}Module()"]
    for dep in closure:
        dep_name, _version, path = module_of[dep]
        module_path, _, cls = path.rpartition(".")
        dependency_classes.append((module_path, cls))
        members.append(f"{cls}()")
    models = [m._meta.label for m in app_models(app.label)]
    urls_module = f"{app.name}.urls"
    has_urls = (app.path / "urls.py").is_file() or (app.path / "urls").is_dir()
    prefix = url_prefix_of(urls_module) if has_urls else None
    wire = [app.module_name(f) for f in app.views_files()]
    builder = None
    if report.orm_uses or models:
        builder = ServiceBuilder(
            scanners=report.scanners,
            texts=report.texts,
            service_var=f"{name}_service",
            provide=f"{name}.{name}_service",
            field_info=_field_info,
        )
        builder.imports = Imports(local_packages=local_packages)
        for use in report.orm_uses:
            builder.add(use)
        if not report.orm_uses:
            for label in models:
                _add_primary_key_read(builder, label)
        builder.finalize()
    plan = AppPlan(
        app=app,
        name=name,
        title=title,
        description=f"{title} (the {app.label} app, migrated by migrate_to_modules)",
        author=author,
        dependencies=dependencies,
        dependency_classes=dependency_classes,
        registry_members=members,
        models=models,
        urls=urls_module if has_urls else None,
        url_prefix=(prefix if prefix is not None else f"{name}/") if has_urls else None,
        wire=wire,
        builder=builder,
    )
    if skipped:
        plan.notes.append(
            f"depends on {', '.join(skipped)}, which has no module: that dependency is not declared "
            f"(migrate it too, then add it to the module's dependencies)"
        )
    if has_urls and prefix is None:
        plan.notes.append(f"{urls_module} is not mounted by the root URLconf; the module mounts it at {name}/")
    if report.external:
        plan.notes.append(f"uses models of {', '.join(report.external)} (outside the project): nothing to declare")
    tests_dir = _tests_dir(target)
    test_imports = Imports(local_packages=local_packages)
    writer = TestWriter(imports=test_imports, field_info=_field_info)
    for method in plan.methods:
        writer.add(method)
    plan.untested = writer.result.untested
    files = [PlannedFile("module", target / "modules" / f"{name}.py", module_file(plan))]
    if builder is not None:
        files.append(PlannedFile("service", target / "services" / f"{name}_service.py", service_file(plan)))
    files.append(
        PlannedFile(
            "test",
            tests_dir / (f"test_{name}_service.py" if builder else f"test_{name}_module.py"),
            test_file(plan, writer.result, test_imports),
        )
    )
    for f in files:
        f.exists = f.path.exists()
    plan.files = files
    return plan


def _add_primary_key_read(builder: ServiceBuilder, label: str) -> None:
    """An app whose views never touch its models still gets a read per model."""
    model = apps.get_model(label)
    ref = model_ref(model)
    local = builder.imports.use(ref.module, ref.name)
    not_found = builder.imports.use("services.errors", "NotFound")
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


def _configured_names() -> list[str]:
    from marketplace.modularize.checks import configured_module_specs

    return configured_module_specs()


def _settings_lines(modules: list[str], changed: bool) -> list[str]:
    if not changed:
        return []
    listed = ", ".join(f'"{m}"' for m in modules)
    lines = []
    if getattr(settings, "MARKETPLACE", None) is None:
        lines.append(f'MARKETPLACE = {{"modules": [{listed}]}}')
    else:
        lines.append(f'MARKETPLACE["modules"] = [{listed}]')
    lines.append(f"or in the environment: MARKETPLACE_MODULES={','.join(modules)}")
    if not any(isinstance(c, MarketplaceConfig) for c in apps.get_app_configs()):
        lines.append('and in INSTALLED_APPS: "marketplace.apps.MarketplaceConfig" (it starts the modules)')
    return lines


def _placement_warnings(target: Path) -> list[str]:
    """Will ``modules.<name>`` and ``services.<name>_service`` import from ``target``?"""
    warnings = []
    paths = {Path(p or ".").resolve() for p in sys.path}
    for package in ("modules", "services"):
        system = Path(importlib.import_module(package).__file__).parent.resolve()
        folder = (target / package).resolve()
        if folder == system:
            continue
        if (folder / "__init__.py").exists():
            warnings.append(
                f"{folder} is a package of its own and shadows the modular system's {package!r}: "
                f"move it, or pass --target"
            )
        if target not in paths:
            warnings.append(f"{target} is not on sys.path: modules written there will not import")
        elif not any((Path(p) / package / "__init__.py").exists() for p in paths):
            warnings.append(
                f"the modular system's {package!r} package is not on sys.path (an editable install "
                f"with an import hook?): add {system.parent} to PYTHONPATH so {folder} can extend it"
            )
    return list(dict.fromkeys(warnings))


@dataclass
class Outcome:
    created: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    verified: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def apply_plan(plan: Plan, root: Path) -> Outcome:
    """Write every planned file that does not exist yet; then load and validate the new modules."""
    outcome = Outcome()
    for app in plan.apps:
        for planned in app.files:
            shown = _shown(planned.path, root)
            if planned.path.exists():
                outcome.kept.append(shown)
                continue
            planned.path.parent.mkdir(parents=True, exist_ok=True)
            with open(planned.path, "x", encoding="utf-8") as fh:  # "x": never overwrite
                fh.write(planned.content)
            outcome.created.append(shown)
    if plan.apps:
        _verify(plan, outcome)
    return outcome


def _needs(container_class) -> bool:
    from dependency_injector import providers

    return any(isinstance(p, providers.DependenciesContainer) for p in container_class.providers.values())


def _verify(plan: Plan, outcome: Outcome) -> None:
    """The new modules import, build their services and pass the registry's validation."""
    from modkit.discovery import resolve_module_class
    from modkit.registry import ModuleRegistry

    importlib.invalidate_caches()
    for package in ("modules", "services"):
        owner = importlib.import_module(package)
        owner.__path__ = pkgutil.extend_path(list(owner.__path__), package)
        extra = str((plan.target / package).resolve())
        if extra not in owner.__path__ and (plan.target / package).is_dir():
            owner.__path__.append(extra)
    instances = []
    created = {a.name for a in plan.apps}
    for name in plan.modules_after:
        try:
            cls = resolve_module_class(name)
            module = cls()
            # The modules written here must at least build their service. Others enabled already
            # (built in, or installed with pip) are checked by the runtime when it starts them, with
            # what they need from other modules, which a bare container here would not have.
            if name in created and cls.container_class is not None and not _needs(cls.container_class):
                container = cls.container_class()
                service = f"{cls.info.name}_service"
                if service in container.providers:
                    container.providers[service]()
            instances.append(module)
        except Exception as exc:
            outcome.problems.append(f"module {name} does not load: {type(exc).__name__}: {exc}")
            continue
        if any(name == a.name for a in plan.apps):
            outcome.verified.append(name)
    problems = ModuleRegistry(instances).problems()
    outcome.problems.extend(f"registry: {p}" for p in problems)
