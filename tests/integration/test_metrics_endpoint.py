"""``/metrics`` and ``get_system_metrics()``: per view name, statuses, queries, cache, modules, reloads."""

import pytest
from django.core.cache import cache
from django.test import Client

from marketplace.apps import MarketplaceConfig
from tests.support.ops import metric_value

pytestmark = pytest.mark.django_db

REQUESTS = "marketplace_http_requests_total"


def scrape(client) -> str:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    return response.content.decode()


def test_requests_are_counted_by_view_name_never_by_path(client):
    before = scrape(client)
    client.get("/accounts/login/")
    client.get("/accounts/login/?next=/somewhere/else")
    client.get("/no/such/page/zqxjkv")
    after = scrape(client)
    delta = metric_value(after, REQUESTS, view="accounts:login", method="GET") - metric_value(
        before, REQUESTS, view="accounts:login", method="GET"
    )
    assert delta == 2
    assert metric_value(after, REQUESTS, view="<unresolved>") - metric_value(before, REQUESTS, view="<unresolved>") == 1
    assert "zqxjkv" not in after and 'view="/accounts' not in after
    assert metric_value(after, "marketplace_http_request_duration_seconds_count", area="accounts") >= 2
    assert metric_value(after, "marketplace_http_request_seconds_total", view="accounts:login") > 0
    assert metric_value(after, "marketplace_http_responses_total", status="4xx") >= 1
    assert 'status="404"' not in after  # status classes, not codes


def test_database_queries_per_request_are_counted(client, make_user):
    make_user("metricsuser")
    before = scrape(client)
    response = client.post("/accounts/login/", {"username": "metricsuser", "password": "a sturdy passphrase"})
    assert response.status_code == 302
    after = scrape(client)
    queries = metric_value(after, "marketplace_db_queries_total", view="accounts:login") - metric_value(
        before, "marketplace_db_queries_total", view="accounts:login"
    )
    assert queries >= 2  # the user and the session at least
    assert metric_value(after, "marketplace_db_queries_per_request_count") > metric_value(
        before, "marketplace_db_queries_per_request_count"
    )


def test_cache_hits_and_misses_are_counted_in_the_backend(client):
    before = scrape(client)
    cache.get("metrics-test:absent")
    cache.set("metrics-test:present", 1)
    cache.get("metrics-test:present")
    cache.get_many(["metrics-test:present", "metrics-test:absent-too"])
    after = scrape(client)

    def delta(result):
        return metric_value(after, "marketplace_cache_requests_total", result=result) - metric_value(
            before, "marketplace_cache_requests_total", result=result
        )

    assert (delta("hit"), delta("miss")) == (2, 2)


def test_cached_none_is_a_hit_and_a_miss_returns_the_default():
    cache.set("metrics-test:none", None)
    assert cache.get("metrics-test:none", "default") is None
    assert cache.get("metrics-test:nothing", "default") == "default"


def test_module_states_generations_and_reloads_are_exported(client, runtime):
    runtime.reload_module("accounts")
    text = scrape(client)
    assert metric_value(text, "marketplace_module_state", module="accounts", state="ready") == 1
    assert metric_value(text, "marketplace_module_state", module="accounts", state="failed") == 0
    generation = runtime.generation("accounts").number
    assert metric_value(text, "marketplace_module_generation", module="accounts") == generation
    assert metric_value(text, "marketplace_reloads_total", kind="module", target="accounts", outcome="ok") >= 1
    assert metric_value(text, "marketplace_reload_duration_seconds_count", kind="module") >= 1
    assert metric_value(text, "marketplace_service_calls_total", service="user_service") >= 1


def test_system_metrics_give_the_same_figures_as_a_dict(client):
    client.get("/accounts/login/")
    cache.get("metrics-test:dict")
    figures = MarketplaceConfig().get_system_metrics()
    assert {
        "uptime_seconds",
        "modules",
        "generations",
        "services",
        "requests",
        "database",
        "cache",
        "reloads",
        "cluster",
    } <= set(figures)
    login = figures["requests"]["by_view"]["accounts:login GET"]
    assert login["count"] >= 1 and login["mean_ms"] > 0 and login["p95_ms"] is not None
    text = scrape(client)
    assert login["count"] == metric_value(text, REQUESTS, view="accounts:login", method="GET")
    assert figures["cache"]["misses"] >= 1 and 0 <= (figures["cache"]["hit_ratio"] or 0) <= 1
    assert figures["database"]["per_request"] >= 0
    assert figures["requests"]["by_status"]["2xx"] >= 1


class TestAccessWhenNotPublic:
    @pytest.fixture(autouse=True)
    def private(self, settings):
        settings.METRICS_PUBLIC = False
        settings.METRICS_TOKEN = "a-long-enough-secret-token-0123456789"

    def test_anonymous_and_non_staff_are_refused(self, client, buyer_client):
        for who in (client, buyer_client):
            response = who.get("/metrics")
            assert response.status_code == 401
            assert response["WWW-Authenticate"].startswith("Bearer")
            assert b"marketplace_" not in response.content

    def test_staff_session_is_enough(self, staff_client):
        assert staff_client.get("/metrics").status_code == 200

    def test_the_bearer_token_is_enough_and_must_match(self):
        client = Client()
        good = client.get("/metrics", headers={"Authorization": "Bearer a-long-enough-secret-token-0123456789"})
        assert good.status_code == 200 and b"marketplace_http_requests_total" in good.content
        assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert client.get("/metrics", headers={"Authorization": "Basic abc"}).status_code == 401

    def test_no_token_configured_means_no_token_accepted(self, settings):
        settings.METRICS_TOKEN = ""
        assert Client().get("/metrics", headers={"Authorization": "Bearer "}).status_code == 401
