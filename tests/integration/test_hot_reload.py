"""Hot reload of real code edited on disk (in a disposable copy), seen through a real view."""

import pytest

from tests.support.projects import copy_project, run_scenario

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    project = copy_project(tmp_path_factory.mktemp("hot-reload") / "project")
    return run_scenario("hot_reload_edit.py", cwd=project)


def steps(report) -> dict:
    return {step["label"]: step for step in report["steps"]}


def test_an_edited_service_serves_after_reload_without_restart(report):
    assert report["initial"] == 10
    step = steps(report)["service edited"]
    assert step["ok"] and step["shown"] == 4242


def test_a_syntax_error_is_refused_and_the_old_code_keeps_serving(report):
    for label in ("service syntax error", "module reload with the broken service"):
        step = steps(report)[label]
        assert not step["ok"]
        assert "SyntaxError" in step["error"]
        assert step["shown"] == 4242
        assert step["state"] == "ready"


def test_fixing_the_file_and_reloading_again_works(report):
    step = steps(report)["service fixed"]
    assert step["ok"] and step["shown"] == 7777


def test_a_raising_initialize_rolls_the_whole_module_back(report):
    step = steps(report)["module initialize raises"]
    assert not step["ok"]
    assert "initialize exploded" in step["error"]
    # The service file changed too (5555), but nothing of the failed reload serves.
    assert step["shown"] == 7777
    assert (step["state"], step["version"], step["health"]) == ("ready", "1.0.0", "UP")


def test_a_new_module_version_serves_with_its_code(report):
    step = steps(report)["module version 1.1.0"]
    assert step["ok"]
    assert (step["shown"], step["version"], step["state"]) == (5555, "1.1.0", "ready")


def test_a_failing_health_check_rolls_back(report):
    step = steps(report)["module health check fails"]
    assert not step["ok"] and "health check failed" in step["error"]
    assert (step["version"], step["shown"], step["health"]) == ("1.1.0", 5555, "UP")


def test_services_changed_together_meet_each_other_before_the_swap(report):
    step = steps(report)["module with two services changed together"]
    assert step["ok"], step.get("error")
    assert (step["shown"], step["version"]) == (6060, "1.2.1")


def test_restoring_everything(report):
    step = steps(report)["everything restored"]
    assert step["ok"] and (step["shown"], step["version"]) == (10, "1.3.0")


def test_every_reload_is_recorded(report):
    outcomes = [(r["kind"], r["ok"]) for r in report["reload_log"]]
    assert outcomes == [
        ("service", True),
        ("service", False),
        ("module", False),
        ("service", True),
        ("module", False),
        ("module", True),
        ("module", False),
        ("module", True),
        ("module", True),
    ]
