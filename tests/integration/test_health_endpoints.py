"""Health over HTTP and from the command line; a refused reload shows as DEGRADED."""

import copy
import json

import pytest
from django.core.management import CommandError, call_command

from containers import ReloadFailed

pytestmark = pytest.mark.django_db


def test_liveness_touches_neither_database_nor_cache(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/health/live")
    assert response.status_code == 200
    assert response.json()["status"] == "UP"
    assert response["Cache-Control"].startswith("max-age=0")


def test_readiness_is_up_on_a_migrated_database(client, fresh_health):
    response = client.get("/health/ready")
    assert response.status_code == 200 and response.json() == {"status": "UP"}


def test_details_are_for_staff_only(client, buyer_client, staff_client, fresh_health):
    assert client.get("/health/").json() == {"status": "UP"}
    assert buyer_client.get("/health/").json() == {"status": "UP"}
    report = staff_client.get("/health/").json()
    assert report["status"] == "UP"
    assert {"database", "migrations", "cache", "module.accounts", "reloads"} <= set(report["components"])
    for component in report["components"].values():
        assert {"status", "critical", "duration_ms", "detail"} <= set(component)
    assert report["components"]["cache"]["critical"] is False


def test_results_are_cached_briefly(client, fresh_health, django_assert_num_queries):
    client.get("/health/ready")
    with django_assert_num_queries(0):
        for _ in range(5):
            assert client.get("/health/ready").status_code == 200


def test_the_health_command_prints_and_exits_zero_when_up(capsys, fresh_health):
    call_command("health")
    out = capsys.readouterr().out
    assert out.startswith("System: UP")
    assert "database" in out and "module.accounts" in out and "cache (optional)" in out


def test_the_health_command_speaks_json(capsys, fresh_health):
    call_command("health", "--json")
    report = json.loads(capsys.readouterr().out)
    assert report["status"] == "UP" and "migrations" in report["components"]


def test_the_health_command_fails_when_down(fresh_health, monkeypatch):
    def refused():
        raise ConnectionError("database unreachable")

    monkeypatch.setattr(fresh_health._database, "ping", refused)
    with pytest.raises(CommandError, match="DOWN"):
        call_command("health")


def test_a_refused_reload_degrades_health_until_a_good_one(runtime, settings, fresh_health):
    original = copy.deepcopy(settings.MARKETPLACE)
    broken = copy.deepcopy(original)
    broken["services"] = {"user_service": "tests.fixtures.custom_services.NotAUserService"}
    settings.MARKETPLACE = broken
    try:
        with pytest.raises(ReloadFailed):
            runtime.reload_service("user_service")
        report = fresh_health.system()
        assert report["status"] == "DEGRADED"
        reloads = report["components"]["reloads"]
        assert reloads["status"] == "DOWN" and reloads["critical"] is False
        assert "service user_service" in reloads["detail"]["error"]
    finally:
        settings.MARKETPLACE = original
        assert runtime.reload_service("user_service").ok
    fresh_health._memo.clear()
    assert fresh_health.system()["status"] == "UP"


def test_a_module_reload_settles_its_services_refused_reloads(runtime, settings, fresh_health):
    original = copy.deepcopy(settings.MARKETPLACE)
    broken = copy.deepcopy(original)
    broken["services"] = {"user_service": "tests.fixtures.custom_services.NotAUserService"}
    settings.MARKETPLACE = broken
    with pytest.raises(ReloadFailed):
        runtime.reload_service("user_service")
    settings.MARKETPLACE = original
    assert [r.target for r in runtime.outstanding_failures()] == ["user_service"]
    assert runtime.reload_module("accounts").ok
    assert runtime.outstanding_failures() == []
