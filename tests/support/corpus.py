"""The corpus of legacy projects (``tests/fixtures/corpus``) copied and driven in subprocesses, and
what the tests of ``migrate_to_modules`` read from its output and from the files it writes.

A copy is the project as its developer would have it to run the command: ``"modkit"`` added to
``INSTALLED_APPS``, its database migrated.
"""

import ast
import re
from dataclasses import dataclass
from pathlib import Path

from tests.support.legacy import Project, Run
from tests.support.projects import ROOT

CORPUS = ROOT / "tests" / "fixtures" / "corpus"

# The ruff rules generated code must pass, with nothing of this repository's configuration.
RUFF_CHECK = ("check", "--no-cache", "--isolated", "--select", "E,F,W,I,B,UP", "--line-length", "120")
RUFF_FORMAT = ("format", "--check", "--isolated", "--line-length", "120")

STEP = re.compile(r"^Verified in a staged copy: (?P<name>.+) (?P<state>passed|FAILED)$", re.M)
RAN = re.compile(r"^Ran (\d+) tests? in", re.M)


@dataclass(frozen=True)
class Corpus:
    name: str
    settings_module: str
    database_variable: str
    apps: tuple[str, ...]
    error_statuses: frozenset[int]  # what some of its pages answer some visitor, besides 200 and redirects


PROJECTS = {
    "library": Corpus("library", "locallibrary.settings", "LIBRARY_DB", ("catalog",), frozenset({403, 404})),
    "polls": Corpus("polls", "mysite.settings", "POLLS_DB", ("polls",), frozenset({404})),
    "bookmarks": Corpus(
        "bookmarks", "config.settings", "BOOKMARKS_DB", ("bookmarks", "notifications"), frozenset({404, 405})
    ),
}


class CorpusProject(Project):
    def __init__(self, corpus: Corpus, destination: Path):
        super().__init__(
            CORPUS / corpus.name,
            destination,
            settings_module=corpus.settings_module,
            database_variable=corpus.database_variable,
        )
        self.corpus = corpus
        self.add_installed_app("modkit")

    def env(self, **extra: str) -> dict:
        # The corpus projects run from their own directory, with nothing on PYTHONPATH (its README).
        environment = super().env(**extra)
        if "PYTHONPATH" not in extra:
            environment.pop("PYTHONPATH")
        return environment


# What the command wrote and said
def changes(before: dict[str, str], after: dict[str, str]) -> tuple[list[str], list[str], list[str]]:
    """Files created, changed and removed between two ``Project.files()``."""
    created = sorted(set(after) - set(before))
    changed = sorted(p for p in before if p in after and after[p] != before[p])
    removed = sorted(set(before) - set(after))
    return created, changed, removed


def expected_files(root: Path, app: str, *, service: bool = True) -> list[str]:
    """Where the default layout puts an app's module, service and generated test, inside the app."""
    tests = f"{app}/tests" if (root / app / "tests" / "__init__.py").is_file() else app
    test = f"{tests}/test_{app}_service.py" if service else f"{tests}/test_{app}_module.py"
    files = [f"{app}/module.py", test]
    if service:
        files.append(f"{app}/{app}_service.py")
    return sorted(files)


def steps(output: str) -> dict[str, bool]:
    """The staged verification steps the run printed: name -> passed."""
    return {m["name"]: m["state"] == "passed" for m in STEP.finditer(output)}


def settings_line(output: str, setting: str = "MODKIT_MODULES") -> str | None:
    """The line that enables the new modules, as the command printed it."""
    found = re.search(rf"^\s*({setting}\s*\+?=\s*\[.*\])\s*$", output, re.M)
    return found.group(1) if found else None


def enabled_entries(line: str) -> list[str]:
    return list(ast.literal_eval(line.partition("=")[2].strip()))


def ran_count(output: str) -> int | None:
    """How many tests Django's test runner ran (``Ran 43 tests in 1.2s``)."""
    found = RAN.search(output)
    return int(found.group(1)) if found else None


def unittest_classes(source: str) -> list[ast.ClassDef]:
    """Classes deriving from a ``...TestCase`` (Django's runner runs those, pytest-django too)."""

    def base_name(node: ast.expr) -> str:
        return node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", "")

    tree = ast.parse(source)
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef) and any(base_name(b).endswith("TestCase") for b in node.bases)
    ]


def unittest_methods(source: str) -> list[str]:
    """``Class.test_x`` for each test a unittest runner finds in ``source``."""
    return [
        f"{cls.name}.{item.name}"
        for cls in unittest_classes(source)
        for item in cls.body
        if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) and item.name.startswith("test")
    ]


def dotted(path: str) -> str:
    return path.removesuffix(".py").replace("/", ".")


def ruff(project: Project, files: list[str]) -> tuple[Run, Run]:
    """``ruff check`` and ``ruff format --check`` on ``files`` of the project, run from its root."""
    check = project.python("-m", "ruff", *RUFF_CHECK, *files, timeout=120)
    fmt = project.python("-m", "ruff", *RUFF_FORMAT, *files, timeout=120)
    return check, fmt
