"""Where a migration writes an app's module, service and tests, and how the host enables it.

Two layouts. By default everything goes inside the app's own package (``catalog/module.py``,
``catalog/catalog_service.py``, the test next to the app's tests), so nothing new appears at the
top of the project, where a ``services`` or ``modules`` of the host or of an installed package
would clash; the module is enabled by its class path in ``MODKIT_MODULES``.

A project that keeps modules and services in packages of their own says so in settings::

    MODKIT_MIGRATION = {
        "modules": "modules",            # modules/<name>.py
        "services": "services",          # services/<name>_service.py
        "tests": "tests/integration",    # relative to BASE_DIR
        "enable": "MARKETPLACE_MODULES", # the setting listing enabled modules by name
        "not_found": "services.errors.NotFound",
    }
"""

import importlib.util
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from modkit.modularize.naming import camel

MARKER = "written by migrate_to_modules"


@dataclass(frozen=True)
class Layout:
    root: Path
    modules: str | None = None
    services: str | None = None
    tests: str | None = None
    enable: str = "MODKIT_MODULES"
    exclude: tuple[str, ...] = ()  # apps of the host's own runtime, never migrated
    not_found: tuple[str, str] = ("django.core.exceptions", "ObjectDoesNotExist")

    @classmethod
    def from_settings(cls, root: Path) -> "Layout":
        options = dict(getattr(settings, "MODKIT_MIGRATION", None) or {})
        not_found = options.pop("not_found", None)
        layout = cls(root=root, **options)
        if not_found:
            module, _, name = not_found.rpartition(".")
            layout = cls(root=root, **options, not_found=(module, name))
        return layout

    @property
    def by_name(self) -> bool:
        """Modules enabled by bare name (``modules.<name>``) rather than by class path."""
        return self.modules is not None

    def module_import(self, app, name: str) -> str:
        return f"{self.modules}.{name}" if self.by_name else f"{app.name}.module"

    def service_import(self, app, name: str) -> str:
        return f"{self.services}.{name}_service" if self.services else f"{app.name}.{name}_service"

    def module_path(self, app, name: str) -> Path:
        return self._file(self.module_import(app, name), app)

    def service_path(self, app, name: str) -> Path:
        return self._file(self.service_import(app, name), app)

    def test_path(self, app, name: str, *, service: bool) -> Path:
        file = f"test_{name}_service.py" if service else f"test_{name}_module.py"
        if self.tests:
            return self.root / self.tests / file
        tests = app.path / "tests"
        return (tests if (tests / "__init__.py").is_file() else app.path) / file

    def enable_entry(self, app, name: str) -> str:
        return name if self.by_name else f"{app.name}.module.{camel(name)}Module"

    def enabled(self) -> list[str]:
        return list(getattr(settings, self.enable, None) or [])

    def _file(self, dotted: str, app) -> Path:
        head, _, tail = dotted.rpartition(".")
        if head == app.name:
            return app.path / f"{tail}.py"
        return self.root.joinpath(*head.split(".")) / f"{tail}.py"


def clash(dotted: str, path: Path) -> str | None:
    """Something importable already answers to ``dotted`` and is not the file we would write."""
    try:
        spec = importlib.util.find_spec(dotted)
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    origin = Path(spec.origin).resolve() if spec.origin else None
    if origin == path.resolve():
        return None
    return f"{dotted} is already importable from {origin or 'a namespace package'}"


def ours(path: Path) -> bool:
    return path.is_file() and MARKER in path.read_text(encoding="utf-8")[:400]
