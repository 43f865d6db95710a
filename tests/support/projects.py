"""Run a scenario in a child Python process: against this project, or a disposable copy of it.

Scenarios that edit source files on disk, change which modules run, or could crash the
interpreter run out of process; they print one JSON line, the last, with their findings.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("containers", "services", "modules", "marketplace", "tests", "packages", "examples")


def copy_project(destination: Path) -> Path:
    destination.mkdir(parents=True, exist_ok=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache", ".hypothesis", "build", "*.egg-info")
    for package in PACKAGES:
        shutil.copytree(ROOT / package, destination / package, ignore=ignore)
    for top in [*ROOT.glob("*.py"), ROOT / "pyproject.toml"]:
        shutil.copy2(top, destination / top.name)
    (destination / "var").mkdir(exist_ok=True)
    return destination


def run_scenario(
    script: str,
    *,
    cwd: Path = ROOT,
    env: dict | None = None,
    args: list[str] = (),
    timeout: float = 600,
) -> dict:
    """Run ``tests/scenarios/<script>`` with ``cwd`` first on the path; return its JSON report."""
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "marketplace.settings.test",
        "PYTHONPATH": str(cwd),
        "PYTHONFAULTHANDLER": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "MARKETPLACE_VAR_DIR": str(Path(cwd) / "var"),
    }
    environment.pop("DATABASE_URL", None)  # scenarios use their own SQLite file under var/
    environment.update(env or {})
    completed = subprocess.run(
        [sys.executable, "-X", "faulthandler", str(Path(cwd) / "tests" / "scenarios" / script), *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    lines = [line for line in completed.stdout.splitlines() if line.startswith("{")]
    if completed.returncode != 0 or not lines:
        raise AssertionError(
            f"scenario {script} exited with {completed.returncode}\n"
            f"--- stdout ---\n{completed.stdout[-4000:]}\n--- stderr ---\n{completed.stderr[-8000:]}"
        )
    return json.loads(lines[-1])
