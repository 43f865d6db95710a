"""A vendor makes a token on their profile, uses it, sees its last use, and revokes it; the API's
reference page works under the site's Content-Security-Policy."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_wallet_journey import sign_in

pytestmark = [pytest.mark.django_db(transaction=True)]


def test_a_token_is_made_shown_once_used_and_revoked(page, look, make_vendor):
    vera = make_vendor("vera")
    sign_in(page, vera)  # signing in counts as giving the password again, for a few minutes
    page.click(".nav-profile")
    page.locator("#api-access a:has-text('Your API tokens')").click()
    expect(page).to_have_url(re.compile(r"/api/tokens/$"))
    expect(page.locator("main")).to_contain_text("You have no tokens yet.")
    look("tokens")

    page.fill("[name=name]", "stock sync")
    page.check("input[value='vendor:read']")
    page.check("input[value='vendor:write']")
    page.click("button:has-text('Create token')")
    secret = page.locator("#token-secret").inner_text()
    assert re.fullmatch(r"mkt_[\w-]{43}", secret)
    expect(page.locator("#tokens")).to_contain_text("stock sync")
    expect(page.locator("#tokens")).to_contain_text("never")
    look("token-made")

    used = page.request.get("/api/v1/vendor/products", headers={"Authorization": f"Bearer {secret}"})
    assert used.status == 200 and used.json() == []
    refused = page.request.get("/api/v1/wallet", headers={"Authorization": f"Bearer {secret}"})
    assert refused.status == 403

    page.goto("/api/tokens/")
    expect(page.locator("#token-secret")).to_have_count(0)  # shown once
    assert secret not in page.content()
    expect(page.locator("#tokens")).to_contain_text("from 127.0.0.1")

    page.click("button:has-text('Revoke stock sync')")
    expect(page.locator(".alert-success")).to_contain_text("The token was revoked")
    expect(page.locator("main")).to_contain_text("You have no tokens yet.")
    gone = page.request.get("/api/v1/vendor/products", headers={"Authorization": f"Bearer {secret}"})
    assert gone.status == 401


def test_the_reference_page_draws_the_operations(page):
    page.goto("/api/v1/docs")
    expect(page.locator(".swagger-ui .title")).to_contain_text("Marketplace API")
    expect(page.locator(".opblock-summary-path").first).to_be_visible()
    expect(page.locator("[data-path='/api/v1/products']").first).to_be_visible()
