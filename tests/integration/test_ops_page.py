"""The staff ops page: who may see it, what it shows, reloads with confirmation, the journal."""

import copy
import re

import pytest
from django.test import Client

from marketplace.ops.models import ReloadRequest, WorkerReloadResult
from tests.support.staff import verified_client

pytestmark = pytest.mark.django_db

INDEX = "/ops/"
RELOAD_ACCOUNTS = "/ops/reload/module/accounts/"


def test_anonymous_visitors_are_sent_to_sign_in(client):
    for url in (INDEX, RELOAD_ACCOUNTS):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=/ops/")
    assert client.post(RELOAD_ACCOUNTS, {"confirm": "yes"}).status_code == 302
    assert not ReloadRequest.objects.exists()


def test_signed_in_non_staff_get_403(buyer_client):
    assert buyer_client.get(INDEX).status_code == 403
    assert buyer_client.post(RELOAD_ACCOUNTS, {"confirm": "yes"}).status_code == 403
    assert not ReloadRequest.objects.exists()


def test_the_page_shows_status_components_modules_graph_workers_metrics(staff_client, fresh_health, runtime):
    page = staff_client.get(INDEX)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="system-status">UP<' in html
    for component in ("database", "migrations", "cache", "module.accounts", "reloads"):
        assert f'data-component="{component}"' in html
    assert '<tr data-module="accounts">' in html and "1.0.0" in html
    assert '<g class="node up" data-module="accounts" data-state="ready">' in html
    assert "<script" not in html
    assert f'data-worker="{runtime_worker()}"' in html
    assert "REDIS_URL is not set" in html or "Workers" in html
    assert "requests, all workers" in html and "cache hits" in html and "DB queries per request" in html
    assert 'href="/ops/reload/module/accounts/"' in html and 'href="/ops/reload/service/user_service/"' in html
    assert 'href="/ops/reloads/' not in html  # nothing reloaded yet through the journal


def runtime_worker() -> str:
    from containers import cluster

    return cluster.worker_id


def test_reloading_asks_for_confirmation_first(staff_client, runtime):
    before = runtime.generation("accounts").number
    page = staff_client.get(RELOAD_ACCOUNTS)
    assert page.status_code == 200
    assert b'name="csrfmiddlewaretoken"' in page.content and b'name="confirm"' in page.content
    unconfirmed = staff_client.post(RELOAD_ACCOUNTS, {})
    assert unconfirmed.status_code == 400 and b"Tick the confirmation first" in unconfirmed.content
    assert runtime.generation("accounts").number == before
    assert not ReloadRequest.objects.exists()


def test_a_reload_without_the_csrf_token_is_refused(make_staff, runtime):
    client = verified_client(make_staff("operator", username="csrfstaff"), Client(enforce_csrf_checks=True))
    before = runtime.generation("accounts").number
    assert client.post(RELOAD_ACCOUNTS, {"confirm": "yes"}).status_code == 403
    assert runtime.generation("accounts").number == before


def test_a_confirmed_reload_applies_records_and_reports(staff_client, runtime):
    before = runtime.generation("accounts").number
    response = staff_client.post(RELOAD_ACCOUNTS, {"confirm": "yes"}, headers={"X-Request-ID": "ops-test-1"})
    assert response.status_code == 302
    assert runtime.generation("accounts").number > before

    request = ReloadRequest.objects.get()
    what = (request.kind, request.target, request.via, request.requested_by)
    assert what == ("module", "accounts", "page", "opsstaff")
    assert request.user.username == "opsstaff" and request.request_id == "ops-test-1"
    result = WorkerReloadResult.objects.get(request=request)
    assert result.ok and result.worker == runtime_worker()
    assert result.generation == runtime.generation("accounts").number
    assert result.modules["accounts"]["state"] == "ready"
    assert response["Location"] == f"/ops/reloads/{request.pk}/"

    detail = staff_client.get(response["Location"])
    assert detail.status_code == 200
    assert b'data-status="ok"' in detail.content and b"applied" in detail.content
    index = staff_client.get(INDEX).content.decode()
    assert f'data-reload="{request.pk}" data-status="ok"' in index


def test_a_broken_reload_is_rolled_back_and_shown(staff_client, runtime, settings, fresh_health):
    original = copy.deepcopy(settings.MARKETPLACE)
    broken = copy.deepcopy(original)
    broken["services"] = {"user_service": "tests.fixtures.custom_services.NotAUserService"}
    settings.MARKETPLACE = broken
    try:
        before = runtime.generation("accounts").number
        response = staff_client.post("/ops/reload/service/user_service/", {"confirm": "yes"}, follow=True)
        assert response.status_code == 200
        html = response.content.decode()
        assert 'data-status="failed"' in html and "rolled back" in html and "NotAUserService" in html
        assert runtime.generation("accounts").number == before
        assert not WorkerReloadResult.objects.get().ok
        index = staff_client.get(INDEX).content.decode()
        assert re.search(r'data-reload="[0-9a-f-]+" data-status="failed"', index)
        assert 'id="system-status">DEGRADED<' in index
    finally:
        settings.MARKETPLACE = original
        assert runtime.reload_service("user_service").ok


def test_unknown_targets_and_kinds_are_404(staff_client):
    assert staff_client.get("/ops/reload/module/nonesuch/").status_code == 404
    assert staff_client.post("/ops/reload/gadget/accounts/", {"confirm": "yes"}).status_code == 404
    assert staff_client.get("/ops/reloads/not-a-uuid/").status_code == 404
    assert staff_client.get("/ops/reloads/00000000-0000-0000-0000-000000000000/").status_code == 404


def test_the_nav_links_staff_to_the_ops_page(staff_client, buyer_client):
    assert b'href="/ops/"' in staff_client.get("/").content
    assert b'href="/ops/"' not in buyer_client.get("/").content


def test_recent_reloads_are_read_with_a_fixed_number_of_queries(staff_client, container):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries_for_page() -> int:
        container.core.health_service()._memo.clear()  # the same health work on every render
        with CaptureQueriesContext(connection) as captured:
            page = staff_client.get(INDEX)
        assert page.status_code == 200
        return len(captured)

    for _ in range(3):
        staff_client.post(RELOAD_ACCOUNTS, {"confirm": "yes"})
    with_three = queries_for_page()
    for _ in range(3):
        staff_client.post(RELOAD_ACCOUNTS, {"confirm": "yes"})
    assert queries_for_page() == with_three
    assert staff_client.get(INDEX).content.decode().count('data-status="ok"') == 6
