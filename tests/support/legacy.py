"""Django projects of someone else, copied and driven in subprocesses: the legacy fixture project
(``tests/fixtures/legacy_project``) and what any such project needs (``Project``, ``Run``).

Each copy gets its own SQLite file and an environment of its own: nothing of this repository's
settings (``DJANGO_*``, ``DATABASE_URL``, ``MARKETPLACE_*``) reaches it, and only the copy is put on
``PYTHONPATH``; modkit comes from the environment, as in a project that installed it.
"""

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.support.projects import ROOT

LEGACY = ROOT / "tests" / "fixtures" / "legacy_project"
LEGACY_APPS = ("pricing", "inventory", "shop", "blog", "notes")  # in dependency order, the cycle broken
SKIPPED = ("__pycache__", "*.pyc", "*.sqlite3", ".pytest_cache", ".ruff_cache")


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str

    @property
    def json(self) -> dict:
        return json.loads(self.stdout)

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def __str__(self) -> str:
        return f"exit {self.code}\n--- stdout ---\n{self.stdout[-6000:]}\n--- stderr ---\n{self.stderr[-6000:]}"


class Project:
    """A copy of a Django project with its own settings module and database file."""

    def __init__(self, source: Path, destination: Path, *, settings_module: str, database_variable: str):
        self.root = destination
        shutil.copytree(source, destination, ignore=shutil.ignore_patterns(*SKIPPED))
        self.settings_module = settings_module
        self.database_variable = database_variable
        self.database = destination.parent / f"{destination.name}.sqlite3"

    @property
    def settings_file(self) -> Path:
        return self.root.joinpath(*self.settings_module.split(".")).with_suffix(".py")

    def env(self, **extra: str) -> dict:
        environment = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("DJANGO_", "MARKETPLACE_", "PYTHONPATH", "DATABASE_URL", "REDIS_URL"))
        }
        environment.update(
            PYTHONPATH=str(self.root),
            PYTHONDONTWRITEBYTECODE="1",
            DJANGO_SETTINGS_MODULE=self.settings_module,
        )
        environment[self.database_variable] = str(self.database)
        environment.update(extra)
        return environment

    def _run(self, command: list[str], env: dict | None, timeout: float) -> Run:
        completed = subprocess.run(
            command,
            cwd=self.root,
            env=self.env(**(env or {})),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        return Run(completed.returncode, completed.stdout, completed.stderr)

    def manage(self, *args: str, env: dict | None = None, timeout: float = 600) -> Run:
        return self._run([sys.executable, "manage.py", *args], env, timeout)

    def python(self, *args: str, env: dict | None = None, timeout: float = 600) -> Run:
        return self._run([sys.executable, *args], env, timeout)

    def pytest(self, *args: str, env: dict | None = None, timeout: float = 600) -> Run:
        """pytest (with pytest-django) in the copy, on the copy's settings."""
        return self.python(
            "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(self.root), *args, env=env, timeout=timeout
        )

    def files(self) -> dict[str, str]:
        """Every file of the project with its content (to prove what a command changed)."""
        return {
            p.relative_to(self.root).as_posix(): p.read_text(encoding="utf-8", errors="replace")
            for p in sorted(self.root.rglob("*"))
            if p.is_file() and "__pycache__" not in p.parts and p.suffix not in (".sqlite3", ".pyc")
        }

    def add_installed_app(self, app: str) -> None:
        """What the project's developer does: one more line in the settings' ``INSTALLED_APPS``."""
        text = self.settings_file.read_text(encoding="utf-8")
        start = text.index("INSTALLED_APPS = [")
        end = text.index("\n]", start)
        self.settings_file.write_text(f'{text[:end]}\n    "{app}",{text[end:]}', encoding="utf-8")

    def append_to_settings(self, line: str) -> None:
        text = self.settings_file.read_text(encoding="utf-8")
        self.settings_file.write_text(text.rstrip("\n") + "\n\n" + line + "\n", encoding="utf-8")

    def pages(self, labels: list[str], out: Path, env: dict | None = None) -> Run:
        """Every page of ``labels`` as modkit's page snapshot records it (``out``: the JSON file)."""
        return self.python("-m", "modkit.modularize.snapshot", "--apps", *labels, "--out", str(out), env=env)


class LegacyProject(Project):
    """Five plain apps (``LEGACY_APPS``), one dependency cycle, no tests of their own."""

    def __init__(self, destination: Path):
        super().__init__(LEGACY, destination, settings_module="legacy.settings", database_variable="LEGACY_DB")

    def break_the_cycle(self) -> None:
        """The fix a developer makes: the inventory app stops reaching into the shop's models."""
        views = self.root / "inventory" / "views.py"
        text = views.read_text().replace("from shop.models import OrderLine\n\n", "")
        views.write_text(text[: text.index("\n\ndef product_orders")] + "\n")
        urls = self.root / "inventory" / "urls.py"
        urls.write_text("".join(line for line in urls.read_text().splitlines(True) if "product_orders" not in line))

    def settings_with(self, line: str, name: str = "settings_modules") -> str:
        """A settings module that is the project's own plus ``line`` (the one the command printed)."""
        path = self.root / "legacy" / f"{name}.py"
        path.write_text(f"from legacy.settings import *  # noqa: F403\n\n{line}\n", encoding="utf-8")
        return f"legacy.{name}"
