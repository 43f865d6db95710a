"""A module whose initialize() raises is isolated: 503 on its pages, the rest keeps serving."""

import pytest

from tests.support.projects import run_scenario

MODULES = "accounts,tests.fixtures.failing_modules.InventoryModule,tests.fixtures.failing_modules.ReportsModule"


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    var = tmp_path_factory.mktemp("failed-module-var")
    return run_scenario("failed_module.py", env={"MARKETPLACE_MODULES": MODULES, "MARKETPLACE_VAR_DIR": str(var)})


def test_the_failed_module_and_its_dependant_do_not_start(report):
    before = report["before"]
    assert before["states"] == {"accounts": "ready", "inventory": "failed", "reports": "registered"}
    assert "inventory database unreachable" in before["errors"]["inventory"]
    assert "needs inventory" in before["errors"]["reports"]


def test_their_pages_answer_503_with_a_clear_page(report):
    pages = report["before"]["pages"]
    assert pages["/inventory/"]["status"] == 503
    assert "The <strong>inventory</strong> module is not serving" in pages["/inventory/"]["body"]
    assert pages["/reports/"]["status"] == 503
    assert "it needs <strong>inventory</strong>" in pages["/reports/"]["body"]
    assert report["before"]["retry_after"] == "30"


def test_everything_else_keeps_serving(report):
    pages = report["before"]["pages"]
    assert pages["/"]["status"] == 200
    assert pages["/accounts/login/"]["status"] == 200
    # Optional modules down: degraded, still ready for traffic.
    assert report["before"]["health"] == "DEGRADED"
    assert report["before"]["ready"] == 200


def test_reloading_the_fixed_module_starts_it_and_its_dependants(report):
    assert report["reload_ok"] is True
    after = report["after"]
    assert after["states"] == {"accounts": "ready", "inventory": "ready", "reports": "ready"}
    assert after["pages"]["/inventory/"] == {"status": 200, "body": "inventory is serving"}
    assert after["pages"]["/reports/"] == {"status": 200, "body": "reports is serving"}
    assert after["health"] == "UP"


def test_the_ops_page_keeps_working_and_shows_the_failure(report):
    ops = report["before"]["ops"]
    assert ops["status"] == 200
    assert '<g class="node down" data-module="inventory" data-state="failed">' in ops["body"]
    assert '<g class="node waiting" data-module="reports" data-state="registered">' in ops["body"]
    assert "inventory database unreachable" in ops["body"]
    assert 'id="system-status">DEGRADED<' in ops["body"]
    after = report["after"]["ops"]
    assert after["status"] == 200 and '<g class="node up" data-module="inventory" data-state="ready">' in after["body"]
