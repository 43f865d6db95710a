"""The corpus of legacy projects (tests/fixtures/corpus) is sound: each one's own suite passes,
its migrations are complete and ``check`` is clean, as its developer would find it."""

import os
import re
import subprocess
import sys

import pytest

from tests.support.projects import ROOT

pytestmark = pytest.mark.isolated

CORPUS = ROOT / "tests" / "fixtures" / "corpus"
PROJECTS = {"library": "LIBRARY_DB", "polls": "POLLS_DB", "bookmarks": "BOOKMARKS_DB"}


def _manage(project: str, *args: str, tmp_path) -> str:
    # Nothing of this repository's environment: the project's own settings, its own database file.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTHONPATH", "DATABASE_URL"))}
    env[PROJECTS[project]] = str(tmp_path / f"{project}.sqlite3")
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=CORPUS / project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, f"{project}: manage.py {' '.join(args)}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout + done.stderr


@pytest.mark.parametrize("project", sorted(PROJECTS))
def test_the_projects_own_suite_passes(project, tmp_path):
    out = _manage(project, "test", "-v", "1", tmp_path=tmp_path)
    ran = re.search(r"^Ran (\d+) tests?", out, re.M)
    assert ran and int(ran.group(1)) >= 20 and re.search(r"^OK\b", out, re.M), out[-2000:]


@pytest.mark.parametrize("project", sorted(PROJECTS))
def test_its_migrations_are_complete_and_check_is_clean(project, tmp_path):
    _manage(project, "makemigrations", "--check", "--dry-run", tmp_path=tmp_path)
    _manage(project, "check", tmp_path=tmp_path)
