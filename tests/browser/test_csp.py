"""Chromium enforces the Content-Security-Policy: inline code injected into a page does not run,
the console says so (what the ``page`` fixture listens for on every journey) and the violation
is reported to /csp-report/, which logs it."""

import logging
import time

import pytest

pytestmark = pytest.mark.django_db(transaction=True)

INJECT = """() => {
  const holder = document.createElement("div");
  holder.innerHTML = '<p id="styled" style="color: rgb(255, 0, 0)">styled</p>';
  document.body.appendChild(holder);
  const script = document.createElement("script");
  script.textContent = "window.injectedRan = true;";
  document.body.appendChild(script);
  return [window.injectedRan === true, getComputedStyle(document.getElementById("styled")).color];
}"""


def test_the_design_page_shows_its_token_samples_from_a_script_file(page, live_server, make_staff):
    """The samples used style="" attributes; they are styled by marketplace/design.js now, and
    its specimen forms still go nowhere when sent."""
    from tests.support.staff import browser_sign_in

    browser_sign_in(page, make_staff("operator", username="designer"), live_server.url)
    page.goto("/design/")
    swatch = page.locator("[data-token='color.primary'] .swatch")
    assert swatch.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(173, 79, 11)"
    space = page.locator(".token-space [data-sample=width]").first
    assert space.evaluate("e => e.getBoundingClientRect().width") > 0
    page.locator("[data-form-state] form button[type=submit]").first.click()
    assert page.url.endswith("/design/")


def test_the_admin_works_under_the_same_policy(page, live_server, make_user):
    """Django's admin needs no exception: its scripts are files; a date widget and the
    changelist (with their JavaScript) run, and the page fixture sees no violation."""
    from django.contrib.auth import get_user_model

    from tests.support.staff import browser_sign_in

    root = make_user("root")
    get_user_model().objects.filter(pk=root.pk).update(is_superuser=True, is_staff=True)
    root.refresh_from_db()
    browser_sign_in(page, root, live_server.url)
    page.goto("/admin/")
    assert page.locator("#site-name").count() == 1
    page.goto("/admin/accounts/user/")
    page.locator("#action-toggle").check()  # the changelist's select-all, actions.js
    assert page.locator("input.action-select:checked").count() >= 1
    page.goto(f"/admin/accounts/user/{root.pk}/change/")
    page.locator(".datetimeshortcuts a", has_text="Today").first.click()  # DateTimeShortcuts.js
    page.locator(".datetimeshortcuts .date-icon").first.click()
    assert page.locator(".calendarbox").first.is_visible()


def test_injected_inline_code_is_blocked_and_reported(chromium, live_server, caplog):
    caplog.set_level(logging.WARNING, logger="marketplace.csp")
    context = chromium.new_context(base_url=live_server.url)
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    try:
        page.goto("/")
        ran, colour = page.evaluate(INJECT)
        assert ran is False and colour != "rgb(255, 0, 0)"
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and len(reports(caplog)) < 2:
            page.wait_for_timeout(100)
    finally:
        context.close()
    assert any("Content Security Policy" in text and "script" in text for text in console), console
    assert any("Content Security Policy" in text and "style" in text for text in console), console
    found = " | ".join(reports(caplog))
    assert "directive=script-src-elem" in found and "directive=style-src-attr" in found, found


def reports(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "marketplace.csp" and "CSP violation" in r.getMessage()]
