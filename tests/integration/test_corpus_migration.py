"""``migrate_to_modules`` on each project of the corpus (``tests/fixtures/corpus``), as its developer
would run it: on a copy with ``"modkit"`` added to ``INSTALLED_APPS`` and the database migrated,
with nothing of this repository in the environment (modkit alone).

Each project goes through the whole flow once (module-scoped fixtures ``library``, ``polls`` and
``bookmarks``): its own suite, ``--validate-only``, ``--dry-run``, its pages recorded, the real
run with ``--rewrite-views`` (the views then receive the services and the settings enable the
modules), its suite and the generated tests run again (by Django's runner and by pytest), ruff on
the generated and rewritten files, the pages recorded again, and a second run. The tests below
read what that flow found.
"""

import json

import pytest
from modkit.modularize.snapshot import MISSING, differences

from tests.support.corpus import (
    PROJECTS,
    CorpusProject,
    changes,
    dotted,
    enabled_entries,
    expected_files,
    ran_count,
    ruff,
    settings_line,
    steps,
    unittest_classes,
    unittest_methods,
)
from tests.support.projects import ROOT

pytestmark = [pytest.mark.slow, pytest.mark.isolated]

CMD = "migrate_to_modules"
VERIFICATION = (
    "manage.py test, before any change",
    "pages recorded before",
    "manage.py check",
    "manage.py test",
    "pages recorded after",
    "every page answers as before",
)


def _flow(name: str, tmp_path_factory) -> dict:
    corpus = PROJECTS[name]
    where = tmp_path_factory.mktemp(f"corpus-{name}")
    project = CorpusProject(corpus, where / name)
    migrate = project.manage("migrate", "--noinput", "-v0")
    assert migrate.code == 0, migrate
    labels = list(corpus.apps)
    found: dict = {"project": project, "corpus": corpus}
    found["own_tests"] = project.manage("test", "--noinput", "-v", "1")
    before = project.files()
    found["validate"] = project.manage(CMD, "--validate-only")
    found["dry_run"] = project.manage(CMD, "--dry-run")
    found["dry_run_changes"] = changes(before, project.files())
    found["pages_before"] = project.pages(labels, where / "pages-before.json")
    found["run"] = project.manage(CMD, "--rewrite-views")
    after = project.files()
    found["before"], found["after"] = before, after
    found["changes"] = changes(before, after)
    created = found["changes"][0]
    found["generated_tests"] = [p for p in created if p.rpartition("/")[2].startswith("test_")]
    found["tests_after"] = project.manage("test", "--noinput", "-v", "2")
    found["pytest"] = project.pytest(*found["generated_tests"]) if found["generated_tests"] else None
    written = [p for p in created + found["changes"][1] if p.endswith(".py") and "settings" not in p]
    found["ruff"] = ruff(project, written) if created else None
    found["line"] = settings_line(found["run"].stdout)
    found["pages_after"] = project.pages(labels, where / "pages-after.json")
    found["check"] = project.manage("check")
    found["health"] = project.manage("health")
    found["pages"] = {moment: where / f"pages-{moment}.json" for moment in ("before", "after")}
    enabled = project.files()
    found["second_run"] = project.manage(CMD)
    found["second_run_changes"] = changes(enabled, project.files())
    return found


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    return _flow("library", tmp_path_factory)


@pytest.fixture(scope="module")
def polls(tmp_path_factory):
    return _flow("polls", tmp_path_factory)


@pytest.fixture(scope="module")
def bookmarks(tmp_path_factory):
    return _flow("bookmarks", tmp_path_factory)


@pytest.fixture(params=sorted(PROJECTS))
def migration(request):
    return request.getfixturevalue(request.param)


def _planned(migration) -> list[str]:
    root = migration["project"].root
    return sorted(f for app in migration["corpus"].apps for f in expected_files(root, app))


def _enable_entries(migration) -> list[str]:
    return [f"{app}.module.{app.capitalize()}Module" for app in migration["corpus"].apps]


# --validate-only and --dry-run
def test_validate_only_passes(migration):
    run = migration["validate"]
    assert run.code == 0, run
    assert "Nothing blocks the migration." in run.stdout
    for app in migration["corpus"].apps:
        assert f"] {app}: imports ok" in run.stdout, run


def test_the_dry_run_plans_every_app_and_writes_nothing(migration):
    run = migration["dry_run"]
    assert run.code == 0, run
    apps = migration["corpus"].apps
    assert f"Plan: {len(apps)} module(s), in dependency order" in run.stdout
    for app in apps:
        assert f"== {app} -> module '{app}' ==" in run.stdout
        for path in expected_files(migration["project"].root, app):
            assert f"file      {path} (new)" in run.stdout, run
    line = settings_line(run.stdout)
    assert line is not None and line.startswith("MODKIT_MODULES = ["), run
    assert sorted(enabled_entries(line)) == sorted(_enable_entries(migration))
    assert "Nothing was written (dry run)." in run.stdout
    assert migration["dry_run_changes"] == ([], [], [])


# the real run, views rewritten
def test_the_run_writes_module_service_and_test_inside_each_app_and_nothing_else(migration):
    run = migration["run"]
    assert run.code == 0, run
    created, changed, removed = migration["changes"]
    assert created == _planned(migration)
    settings = f"{migration['corpus'].settings_module.replace('.', '/')}.py"
    views = sorted(f"{app}/views.py" for app in migration["corpus"].apps)
    assert changed == sorted([*views, settings]) and removed == [], migration["changes"]
    listed = run.stdout.partition("\nCreated:\n")[2].split("\nChanged:\n")[0].split()
    assert sorted(listed) == created
    assert sorted(enabled_entries(migration["line"])) == sorted(_enable_entries(migration))
    assert migration["after"][settings].endswith(migration["line"] + "\n")


def test_the_views_receive_the_service_instead_of_using_the_orm(migration):
    for app in migration["corpus"].apps:
        before, after = migration["before"][f"{app}/views.py"], migration["after"][f"{app}/views.py"]
        assert "from dependency_injector.wiring import Provide, inject" in after
        assert f'Provide["{app}.{app}_service"]' in after and "@inject" in after
        assert after.count(".objects.") < before.count(".objects.") or ".objects." not in before, app
        assert "get_object_or_404" not in after, app
        compile(after, f"{app}/views.py", "exec")


def test_every_verification_step_passed_in_the_staged_copy(migration):
    found = steps(migration["run"].stdout)
    assert found and all(found.values()), migration["run"]
    names = list(found)
    for expected in VERIFICATION:
        assert any(name == expected or name.startswith(f"{expected} (") for name in names), names
    assert any(name.startswith("every page answers as before") for name in names)


def test_nothing_is_written_outside_the_app_packages(migration):
    created, changed, removed = migration["changes"]
    assert created, migration["run"]
    apps = migration["corpus"].apps
    assert all(path.split("/")[0] in apps for path in created), created
    for app in apps:
        assert sorted(p for p in created if p.startswith(f"{app}/")) == expected_files(migration["project"].root, app)


def test_the_notifications_app_of_bookmarks_is_no_clash_with_modkit_alone(bookmarks):
    """This repository has a ``notifications`` module of its own; the bookmarks project, using modkit
    alone, does not see it: its notifications app becomes a module inside its own package."""
    assert (ROOT / "modules" / "notifications.py").is_file()  # the name the marketplace uses
    dry_run = bookmarks["dry_run"]
    assert "already importable" not in dry_run.stdout and "--name" not in dry_run.stdout, dry_run
    assert "== notifications -> module 'notifications' ==" in dry_run.stdout
    assert bookmarks["run"].code == 0, bookmarks["run"]
    created = bookmarks["changes"][0]
    assert [p for p in created if "notifications" in p] == [
        "notifications/module.py",
        "notifications/notifications_service.py",
        "notifications/test_notifications_service.py",  # notifications/tests.py is a module, not a package
    ]
    assert "notifications.module.NotificationsModule" in enabled_entries(bookmarks["line"])


# the generated tests
def test_the_generated_test_file_defines_a_django_test_case(migration):
    assert migration["generated_tests"], migration["run"]
    for path in migration["generated_tests"]:
        source = migration["after"][path]
        assert "django.test" in source, path
        assert unittest_classes(source), f"{path} defines no TestCase class"
        assert unittest_methods(source), f"{path} has no test method in a TestCase class"


def test_the_projects_suite_passes_and_runs_the_generated_tests(migration):
    own = migration["own_tests"]
    assert own.code == 0, own
    before = ran_count(own.output)
    assert before, own
    after = migration["tests_after"]
    assert after.code == 0, after
    generated = {path: unittest_methods(migration["after"][path]) for path in migration["generated_tests"]}
    assert generated and all(generated.values()), f"no TestCase tests in the generated files: {generated}"
    assert ran_count(after.output) == before + sum(len(m) for m in generated.values()), after.stderr[-3000:]
    for path, methods in generated.items():
        for method in methods:
            assert f"({dotted(path)}.{method})" in after.output, f"{path}::{method} did not run"


def test_the_generated_tests_pass_under_pytest(migration):
    run = migration["pytest"]
    assert run is not None, migration["run"]
    assert run.code == 0, run
    assert " passed" in run.stdout and " failed" not in run.stdout and " error" not in run.stdout


def test_the_generated_files_are_ruff_clean(migration):
    assert migration["ruff"] is not None, migration["run"]
    check, fmt = migration["ruff"]
    assert check.code == 0, check
    assert fmt.code == 0, fmt


# the modules enabled
def test_with_the_modules_enabled_the_project_checks_and_is_healthy(migration):
    assert migration["line"] is not None, migration["run"]
    assert migration["check"].code == 0, migration["check"]
    health = migration["health"]
    assert health.code == 0, health
    assert "System: UP" in health.stdout
    for app in migration["corpus"].apps:
        assert f"module.{app}" in health.stdout, health


def test_with_the_views_rewritten_every_page_answers_as_before(migration):
    assert migration["pages_before"].code == 0, migration["pages_before"]
    assert migration["line"] is not None, migration["run"]
    assert migration["pages_after"].code == 0, migration["pages_after"]
    before, after = (json.loads(migration["pages"][m].read_text()) for m in ("before", "after"))
    statuses = {answer["status"] for answer in before.values()}
    assert migration["corpus"].error_statuses <= statuses, statuses  # error pages count too
    assert before[f"anonymous GET {MISSING}"]["status"] == 404
    assert len(before) > 3 * 2  # the apps' own pages, not only the missing one
    assert differences(before, after) == []


def test_a_second_run_has_nothing_to_do_and_changes_nothing(migration):
    run = migration["second_run"]
    assert run.code == 0, run
    assert "nothing to do" in run.stdout.lower()
    assert f"Already modules, nothing to do: {', '.join(migration['corpus'].apps)}" in run.stdout
    assert migration["second_run_changes"] == ([], [], [])


# when the run is refused
FAILING_TEST = """

class LeftFailingTests(TestCase):
    def test_left_failing(self):
        self.fail("a test of the app that fails before any change")
"""


@pytest.fixture(scope="module")
def refused(tmp_path_factory):
    """The polls project with a failing test of its own, then with a syntax error in its views."""
    project = CorpusProject(PROJECTS["polls"], tmp_path_factory.mktemp("corpus-refused") / "polls")
    migrate = project.manage("migrate", "--noinput", "-v0")
    assert migrate.code == 0, migrate
    tests = project.root / "polls" / "tests.py"
    original = tests.read_text()
    tests.write_text(original + FAILING_TEST)
    before = project.files()
    found = {"failing_test": project.manage(CMD), "failing_test_changes": changes(before, project.files())}
    tests.write_text(original)
    views = project.root / "polls" / "views.py"
    lines = views.read_text().count("\n")
    views.write_text(views.read_text() + "\n\ndef broken(request:\n    return None\n")
    found["syntax_error_line"] = lines + 3
    before = project.files()
    found["syntax_error"] = project.manage(CMD, "--dry-run")
    found["syntax_error_run"] = project.manage(CMD)
    found["syntax_error_changes"] = changes(before, project.files())
    return found


def test_a_failing_test_of_the_app_refuses_the_run_and_nothing_is_written(refused):
    run = refused["failing_test"]
    assert run.code == 1, run
    assert "nothing was written" in run.stdout.lower()
    assert steps(run.stdout).get("manage.py test, before any change") is False, run
    assert "test_left_failing" in run.stdout
    assert "Created:" not in run.stdout
    assert refused["failing_test_changes"] == ([], [], [])


def test_a_syntax_error_gets_its_error_and_no_plan(refused):
    run = refused["syntax_error"]
    assert run.code == 1, run
    assert "SyntaxError" in run.stdout, run
    assert "polls.views does not import: SyntaxError: '(' was never closed" in run.stdout, run
    assert f"(polls/views.py:{refused['syntax_error_line']})" in run.stdout, run
    assert "Plan:" not in run.stdout
    assert "module(s) do not import" in run.stdout
    real = refused["syntax_error_run"]
    assert real.code == 1 and "Plan:" not in real.stdout and "Verified in a staged copy" not in real.stdout, real
    assert refused["syntax_error_changes"] == ([], [], [])
