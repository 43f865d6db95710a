"""The design tokens reach the browser: staff sign in, open /design/, and the styles are the tokens'."""

import re

import pytest
from playwright.sync_api import expect

from tests.support.staff import browser_sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def computed(page, selector: str, prop: str) -> str:
    return page.eval_on_selector(selector, f"e => getComputedStyle(e).getPropertyValue('{prop}').trim()")


def test_staff_see_the_components_styled_by_the_tokens(page, look, live_server, make_staff):
    page.goto("/design/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/design/$"))
    browser_sign_in(page, make_staff("operator", username="ops"), live_server.url)
    page.goto("/design/")
    expect(page).to_have_url(re.compile(r"/design/$"))
    expect(page.locator("h1").first).to_have_text("Design system")

    assert computed(page, "html", "--color-primary") == "#ad4f0b"
    assert computed(page, "html", "--color-input-bg") == "#ffffff"  # a reference, resolved
    primary = page.locator("#buttons button:not([class]):not([disabled])").first
    assert primary.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(173, 79, 11)"
    disabled = page.locator("#buttons button[disabled]").first
    assert disabled.evaluate("e => getComputedStyle(e).opacity") == "0.55"
    assert computed(page, ".badge-down", "color") == "rgb(179, 38, 30)"
    assert computed(page, ".alert-info", "color") == "rgb(31, 92, 153)"
    field = page.locator("[data-form-state=with-errors] .has-error input").first
    assert field.evaluate("e => getComputedStyle(e).borderColor") == "rgb(179, 38, 30)"
    look("design")
