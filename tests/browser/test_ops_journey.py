"""An operator opens the ops page, reloads a module after confirming, and reads the result."""

import re

import pytest
from playwright.sync_api import expect

from tests.support.staff import browser_sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_operator_reloads_a_module_from_the_ops_page(page, live_server, make_staff):
    page.goto("/ops/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/ops/"))
    browser_sign_in(page, make_staff("operator", username="operator"), live_server.url)
    page.goto("/ops/")
    expect(page).to_have_url(re.compile(r"/ops/$"))

    expect(page.locator("#system-status")).to_have_text("UP")
    expect(page.locator("svg g.node[data-module=accounts]")).to_have_attribute("data-state", "ready")
    expect(page.locator("#recent-reloads")).to_contain_text("No reloads yet")

    page.click("tr[data-module=accounts] >> text=Reload…")
    expect(page.locator("h1")).to_have_text("Reload module accounts?")
    page.click("button:has-text('Reload accounts')")  # not confirmed: the browser refuses to send
    expect(page.locator("h1")).to_have_text("Reload module accounts?")

    page.check("[name=confirm]")
    page.click("button:has-text('Reload accounts')")
    expect(page).to_have_url(re.compile(r"/ops/reloads/[0-9a-f-]+/$"))
    expect(page.locator(".alert-success")).to_contain_text("Module accounts reloaded on 1 worker(s)")
    expect(page.locator("#reload-detail")).to_have_attribute("data-status", "ok")
    expect(page.locator("#reload-detail")).to_contain_text("by operator (page)")

    page.click("text=Back to operations")
    expect(page.locator("#recent-reloads tr[data-status=ok]")).to_have_count(1)


def test_a_non_staff_user_is_refused(page, make_user):
    make_user("shopper")
    page.goto("/accounts/login/")
    page.fill("[name=username]", "shopper")
    page.fill("[name=password]", "a sturdy passphrase")
    page.click("button:has-text('Sign in')")
    expect(page.locator(".site-nav")).not_to_contain_text("Ops")
    response = page.goto("/ops/")
    assert response.status == 403
    expect(page.locator("h1")).to_have_text("Not allowed")


def test_an_operator_reads_health_as_a_table_and_refusals_apart_from_failures(
    page, live_server, make_staff, fresh_health, look
):
    def pool():
        return {"pool": {"size": 3, "idle": 1}, "hosts": ["db-1", "db-2"], "tls": True}

    def broken():
        raise ConnectionError("refused by 10.0.0.9:6379")

    fresh_health.add_check("search_pool", pool)
    fresh_health.add_check("broker", broken)
    try:
        browser_sign_in(page, make_staff("operator", username="operator"), live_server.url)
        page.goto("/ops/")
        components = page.locator("#components")
        expect(page.locator("#system-status")).to_have_text("DEGRADED")
        expect(components.locator("tr[data-component=database] td").first).to_contain_text("Up")
        expect(components.locator("tr[data-component=broker]")).to_contain_text("Down")
        expect(components.locator("tr[data-component=broker] [data-message]")).to_have_text(
            "ConnectionError: refused by 10.0.0.9:6379"
        )
        pool_row = components.locator("tr[data-component=search_pool]")
        expect(pool_row.locator("dt", has_text="pool.size")).to_be_visible()
        expect(pool_row).to_contain_text("db-1, db-2")
        expect(components.locator("tr[data-check-of='module.accounts']").first).to_be_visible()
        assert "{'" not in components.inner_text()

        expect(page.locator("#metrics th", has_text="Refused")).to_be_visible()
        expect(page.locator("#metrics th", has_text="Failed")).to_be_visible()
        look("ops-page")
    finally:
        for name in ("search_pool", "broker"):
            fresh_health._extra.pop(name, None)
        fresh_health._memo.clear()
