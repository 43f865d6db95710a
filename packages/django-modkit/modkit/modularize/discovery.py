"""Which apps of the project are its own ("local"), and which Python files belong to each."""

import site
import sysconfig
from dataclasses import dataclass, field
from pathlib import Path

from django.apps import AppConfig, apps
from django.conf import settings

# The modular system is the destination of a migration, never its subject.
TOOL_APPS = ("modkit",)
SKIPPED_DIRS = {"migrations", "tests", "__pycache__", "templates", "static", "node_modules"}


@dataclass(frozen=True)
class LocalApp:
    label: str
    name: str
    path: Path
    verbose_name: str
    config: AppConfig = field(compare=False, repr=False)
    # Directories of other local apps nested inside this one (``marketplace/accounts``).
    nested: tuple[Path, ...] = field(default=(), compare=False, repr=False)

    def python_files(self) -> list[Path]:
        """The app's own code: no migrations, no tests, nothing of an app nested inside it."""
        found = []
        for file in sorted(self.path.rglob("*.py")):
            relative = file.relative_to(self.path)
            if any(part in SKIPPED_DIRS for part in relative.parts[:-1]):
                continue
            if file.name == "tests.py" or file.name.startswith("test_"):
                continue
            if any(file.is_relative_to(inner) for inner in self.nested):
                continue
            found.append(file)
        return found

    def views_files(self) -> list[Path]:
        single = self.path / "views.py"
        package = self.path / "views"
        files = [single] if single.is_file() else []
        if package.is_dir():
            files.extend(f for f in sorted(package.rglob("*.py")) if "__pycache__" not in f.parts)
        return files

    def module_name(self, file: Path) -> str:
        """``shop/views/orders.py`` -> ``shop.views.orders``; a package's ``__init__`` -> the package."""
        parts = list(file.relative_to(self.path).with_suffix("").parts)
        if parts and parts[-1] == "__init__":
            parts.pop()
        return ".".join([self.name, *parts])

    def relative(self, file: Path, root: Path) -> str:
        try:
            return str(file.relative_to(root))
        except ValueError:
            return str(file)


def _library_dirs() -> list[Path]:
    paths = sysconfig.get_paths()
    dirs = {paths[key] for key in ("stdlib", "platstdlib", "purelib", "platlib") if key in paths}
    dirs.update(site.getsitepackages())
    dirs.add(site.getusersitepackages())
    return [Path(d).resolve() for d in dirs if d]


def is_local(config: AppConfig) -> bool:
    """An app of the project itself: not Django's, not installed from a package index."""
    if config.name.startswith("django."):
        return False
    path = Path(config.path).resolve()
    return not any(path.is_relative_to(lib) for lib in _library_dirs())


def is_modular_system(config: AppConfig) -> bool:
    """modkit itself, and the apps a host names in ``MODKIT_MIGRATION["exclude"]`` (its runtime's own)."""
    excluded = (getattr(settings, "MODKIT_MIGRATION", None) or {}).get("exclude", ())
    return config.name in TOOL_APPS or config.name in excluded


def local_apps() -> list[LocalApp]:
    """Every local app, in ``INSTALLED_APPS`` order, minus the modular system's own."""
    configs = [c for c in apps.get_app_configs() if is_local(c)]
    paths = {c.label: Path(c.path).resolve() for c in configs}
    found = []
    for config in configs:
        if is_modular_system(config):
            continue
        own = paths[config.label]
        nested = tuple(p for label, p in paths.items() if label != config.label and p.is_relative_to(own))
        found.append(
            LocalApp(
                label=config.label,
                name=config.name,
                path=own,
                verbose_name=str(config.verbose_name),
                config=config,
                nested=nested,
            )
        )
    return found


class UnknownApp(LookupError):
    pass


def select(available: list[LocalApp], wanted: list[str] | None) -> list[LocalApp]:
    """``wanted`` by label (``accounts``) or dotted name (``marketplace.accounts``); all if empty."""
    if not wanted:
        return list(available)
    by_key = {a.label: a for a in available} | {a.name: a for a in available}
    chosen, unknown = [], []
    for key in wanted:
        app = by_key.get(key)
        if app is None:
            unknown.append(key)
        elif app not in chosen:
            chosen.append(app)
    if unknown:
        installed = {c.label for c in apps.get_app_configs()} | {c.name for c in apps.get_app_configs()}
        problems = []
        for key in unknown:
            if key in installed:
                problems.append(f"{key} is installed but is not one of the project's own apps")
            else:
                problems.append(f"no installed app is labelled {key!r}")
        local = ", ".join(a.label for a in available) or "none"
        raise UnknownApp("; ".join(problems) + f" (the project's own apps: {local})")
    return chosen
