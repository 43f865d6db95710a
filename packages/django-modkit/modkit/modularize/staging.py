"""Carrying a plan out safely: written to a copy of the project, verified there, then moved in.

The copy gets the new files and the line that enables the new modules. There ``manage.py check``
must pass, ``manage.py test`` must pass for the migrated apps (their own tests and the generated
ones), and every page the apps serve, error pages included, must answer as it did before, byte for
byte (:mod:`modkit.modularize.snapshot`). Only then are the files written into the project, each
one atomically; if writing one fails, the ones already written are taken back. On any failure the
project is left as it was.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from importlib.util import find_spec
from pathlib import Path

from django.conf import settings

from modkit.modularize.plan import Plan, PlannedFile
from modkit.modularize.snapshot import differences

IGNORED = (".git", ".hg", ".venv", "venv", "node_modules", "__pycache__", "*.pyc", ".*_cache", "*.sqlite3", "media")
STEP_TIMEOUT = 1800


@dataclass
class Step:
    name: str
    command: list[str]
    passed: bool = False
    output: str = ""

    def as_dict(self) -> dict:
        return {"name": self.name, "command": " ".join(self.command), "passed": self.passed}


@dataclass
class Outcome:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "created": self.created,
            "updated": self.updated,
            "verified": [s.as_dict() for s in self.steps],
            "problems": self.problems,
        }


def carry_out(plan: Plan, *, root: Path) -> Outcome:
    outcome = Outcome()
    writes = plan.writes
    outside = [str(f.path) for f in writes if not f.path.resolve().is_relative_to(root)]
    settings_file = _settings_file()
    if outside:
        outcome.problems.append(f"outside the project root {root}: {', '.join(outside)}")
    elif settings_file is None or not settings_file.is_relative_to(root):
        outcome.problems.append(f"the settings module {settings.SETTINGS_MODULE} is not a file under {root}")
    if outcome.problems:
        return outcome
    with tempfile.TemporaryDirectory(prefix="migrate-to-modules-") as tmp:
        copy = Path(tmp) / root.name
        shutil.copytree(root, copy, ignore=shutil.ignore_patterns(*IGNORED), symlinks=True)
        pages = _Pages(plan, Path(tmp))
        # The apps' own tests pass before anything changes, or a failure after would blame the migration.
        own_tests = Step("manage.py test, before any change", [*_manage(root), "test", "--noinput", *_labels(plan)])
        for step in (own_tests, pages.record("before")):
            if not _verified(step, copy, outcome):
                return outcome
        for planned in writes:
            _write(copy / planned.path.resolve().relative_to(root), planned.content)
        if plan.settings_file is None:
            _enable(copy / settings_file.relative_to(root), plan)
        for step in [*_steps(plan, root), pages.record("after")]:
            if not _verified(step, copy, outcome):
                return outcome
        if not _verified(pages.compare(), copy, outcome):
            return outcome
    _move_in(writes, root, outcome)
    return outcome


def _verified(step: "Step", copy: Path, outcome: Outcome) -> bool:
    outcome.steps.append(step)
    if step.command:
        _run(step, copy)
    if not step.passed:
        why = _tail(step.output)
        outcome.problems.append(f"{step.name} failed in the staged copy: nothing was written\n{why}")
    return step.passed


class _Pages:
    """Every page of the migrated apps, recorded before and after; they must answer the same.

    The one expected difference: an app whose pages the project's URLconf did not mount is
    mounted by its new module (``url_prefix``), so those pages are new, and only those.
    """

    def __init__(self, plan: Plan, where: Path):
        self.labels = [app.app.label for app in plan.apps]
        self.mounted = tuple(f"/{app.url_prefix}" for app in plan.apps if app.urls)
        self.where = where

    def record(self, moment: str) -> Step:
        out = self.where / f"pages-{moment}.json"
        command = [sys.executable, "-m", "modkit.modularize.snapshot", "--apps", *self.labels, "--out", str(out)]
        return Step(f"pages recorded {moment}", command)

    def compare(self) -> Step:
        before, after = (json.loads((self.where / f"pages-{m}.json").read_text()) for m in ("before", "after"))
        new = {key for key in after.keys() - before.keys() if self.mounted and key.split()[-1].startswith(self.mounted)}
        changed = differences(before, {k: v for k, v in after.items() if k not in new})
        name = f"every page answers as before ({len(before)} answers)"
        if new:
            name += f"; {len(new)} answers from pages the new modules mount ({', '.join(self.mounted)})"
        step = Step(name, [])
        step.passed = not changed
        step.output = "\n".join(changed)
        return step


def _settings_file() -> Path | None:
    spec = find_spec(os.environ.get("DJANGO_SETTINGS_MODULE") or settings.SETTINGS_MODULE)
    return Path(spec.origin).resolve() if spec and spec.origin else None


def _enable(settings_file: Path, plan: Plan) -> None:
    """The staged project runs with the new modules enabled, as the user will after the run."""
    text = settings_file.read_text(encoding="utf-8")
    settings_file.write_text(text.rstrip("\n") + "\n\n" + "\n".join(plan.settings_lines) + "\n", encoding="utf-8")


def _manage(root: Path) -> list[str]:
    return [sys.executable, "manage.py"] if (root / "manage.py").is_file() else [sys.executable, "-m", "django"]


def _labels(plan: Plan, root: Path | None = None) -> list[str]:
    """The migrated apps, and with ``root`` the generated tests that live outside them."""
    labels = [app.app.name for app in plan.apps]
    for app in plan.apps if root is not None else ():
        test = next(f.path.resolve() for f in app.files if f.kind == "test")
        if not test.is_relative_to(app.app.path):
            labels.append(_dotted(test.relative_to(root)))
    return labels


def _steps(plan: Plan, root: Path) -> list[Step]:
    return [
        Step("manage.py check", [*_manage(root), "check"]),
        Step("manage.py test", [*_manage(root), "test", "--noinput", *_labels(plan, root)]),
    ]


def _dotted(relative: Path) -> str:
    return ".".join(relative.with_suffix("").parts)


def _run(step: Step, copy: Path) -> None:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(copy), env.get("PYTHONPATH", "")) if p)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    try:
        done = subprocess.run(
            step.command, cwd=copy, env=env, capture_output=True, text=True, timeout=STEP_TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired as exc:
        step.output = f"timed out after {exc.timeout} s"
        return
    step.output = done.stdout + done.stderr
    step.passed = done.returncode == 0


def _tail(output: str, lines: int = 40) -> str:
    return "\n".join("    " + line for line in output.rstrip().splitlines()[-lines:])


def _write(path: Path, content: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(content, encoding="utf-8")
    os.replace(partial, path)


def _move_in(writes: list[PlannedFile], root: Path, outcome: Outcome) -> None:
    done: list[tuple[Path, str | None]] = []
    try:
        for planned in writes:
            before = planned.path.read_text(encoding="utf-8") if planned.path.exists() else None
            _write(planned.path, planned.content)
            done.append((planned.path, before))
    except OSError as exc:
        for path, before in reversed(done):
            path.unlink() if before is None else _write(path, before)
        outcome.problems.append(f"writing into the project failed ({exc}); what was written is taken back")
        return
    for path, before in done:
        shown = str(path.relative_to(root))
        (outcome.created if before is None else outcome.updated).append(shown)
