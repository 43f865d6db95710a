"""The legacy fixture project (``tests/fixtures/legacy_project``), copied and driven in subprocesses.

Each copy gets its own SQLite file; commands run with the copy first on ``PYTHONPATH`` and the
modular system (this checkout) after it, as in a project that installed it.
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


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str

    @property
    def json(self) -> dict:
        return json.loads(self.stdout)

    def __str__(self) -> str:
        return f"exit {self.code}\n--- stdout ---\n{self.stdout[-6000:]}\n--- stderr ---\n{self.stderr[-6000:]}"


class LegacyProject:
    def __init__(self, destination: Path):
        self.root = destination
        shutil.copytree(LEGACY, destination, ignore=shutil.ignore_patterns("__pycache__", "*.sqlite3"))
        self.database = destination / "db.sqlite3"

    def env(self, **extra) -> dict:
        environment = {
            k: v
            for k, v in os.environ.items()
            if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "MARKETPLACE_MODULES"}
        }
        environment.update(
            PYTHONPATH=os.pathsep.join([str(self.root), str(ROOT)]),
            LEGACY_DB=str(self.database),
            DJANGO_SETTINGS_MODULE="legacy.settings",
            PYTHONDONTWRITEBYTECODE="1",
        )
        environment.update(extra)
        return environment

    def manage(self, *args: str, env: dict | None = None, timeout: float = 180) -> Run:
        completed = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=self.root,
            env=self.env(**(env or {})),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        return Run(completed.returncode, completed.stdout, completed.stderr)

    def pytest(self, *args: str, timeout: float = 300) -> Run:
        completed = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                "--ds=legacy.settings",
                "--rootdir",
                str(self.root),
                *args,
            ],
            cwd=self.root,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        return Run(completed.returncode, completed.stdout, completed.stderr)

    def break_the_cycle(self) -> None:
        """The fix a developer makes: the inventory app stops reaching into the shop's models."""
        views = self.root / "inventory" / "views.py"
        text = views.read_text().replace("from shop.models import OrderLine\n\n", "")
        views.write_text(text[: text.index("\n\ndef product_orders")] + "\n")
        urls = self.root / "inventory" / "urls.py"
        urls.write_text("".join(line for line in urls.read_text().splitlines(True) if "product_orders" not in line))

    def snapshot(self) -> dict[str, str]:
        """Every file of the project with its content (to prove what a command changed)."""
        return {
            str(p.relative_to(self.root)): p.read_text()
            for p in sorted(self.root.rglob("*"))
            if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".sqlite3"
        }
