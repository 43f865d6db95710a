"""Every code block in docs/ runs, in order, in a disposable copy of the project."""

import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.docs import DocRunner, blocks, overlay_python, sandbox_env
from tests.support.projects import ROOT, copy_project

pytestmark = pytest.mark.slow

DOCS = sorted((ROOT / "docs").glob("*.md"))
# A document that deploys against real servers says so on its first line; it runs in the
# PostgreSQL + Redis pass (where .ci/run has started both on their usual ports). Every other
# document runs with neither (sandbox_env), the same on both passes: it is marked isolated.
NEEDS_SERVERS = "<!-- runs against PostgreSQL and Redis -->"
# A document that installs packages says so; it gets an environment of its own over this one.
OWN_ENVIRONMENT = "<!-- runs in an environment of its own -->"


def _param(doc: Path):
    marks = [pytest.mark.postgres] if doc.read_text().startswith(NEEDS_SERVERS) else [pytest.mark.isolated]
    return pytest.param(doc, id=doc.name, marks=marks)


@pytest.mark.parametrize("doc", [_param(d) for d in DOCS])
def test_every_code_block_runs(doc: Path, tmp_path):
    project = copy_project(tmp_path / "project")
    env = sandbox_env(project)
    migrate = subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v0"], cwd=project, env=env, capture_output=True, text=True
    )
    assert migrate.returncode == 0, migrate.stderr
    python = overlay_python(project / "var" / "env") if OWN_ENVIRONMENT in doc.read_text() else sys.executable
    runner = DocRunner(project, env, python)
    try:
        for block in blocks(doc.read_text()):
            runner.run(block)
    finally:
        runner.close()


def test_the_docs_are_linked_from_the_readme():
    readme = (ROOT / "README.md").read_text()
    for doc in DOCS:
        assert f"docs/{doc.name}" in readme, f"README does not link docs/{doc.name}"
