"""Every code block in docs/ runs, in order, in a disposable copy of the project."""

import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.docs import DocRunner, blocks, sandbox_env
from tests.support.projects import ROOT, copy_project

pytestmark = pytest.mark.slow

DOCS = sorted((ROOT / "docs").glob("*.md"))


@pytest.mark.parametrize("doc", DOCS, ids=[d.name for d in DOCS])
def test_every_code_block_runs(doc: Path, tmp_path):
    project = copy_project(tmp_path / "project")
    env = sandbox_env(project)
    migrate = subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v0"], cwd=project, env=env, capture_output=True, text=True
    )
    assert migrate.returncode == 0, migrate.stderr
    runner = DocRunner(project, env)
    found = blocks(doc.read_text())
    for block in found:
        runner.run(block)


def test_the_docs_are_linked_from_the_readme():
    readme = (ROOT / "README.md").read_text()
    for doc in DOCS:
        assert f"docs/{doc.name}" in readme, f"README does not link docs/{doc.name}"
