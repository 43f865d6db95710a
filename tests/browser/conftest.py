"""Playwright driving Debian's Chromium, headless, against Django's live server on 127.0.0.1."""

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def pytest_collection_modifyitems(items):
    for item in items:
        item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def chromium():
    if not shutil.which(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: apt-get install chromium (./dev test does it)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in the test thread; the ORM calls the tests
    # make around it are ordinary synchronous ones. Only while the browser runs.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
            yield browser
            browser.close()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def page(chromium, live_server):
    context = chromium.new_context(base_url=live_server.url)
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # Chromium says in the console what the Content-Security-Policy blocked (test_csp.py checks it does).
    blocked: list[str] = []
    page.on("console", lambda message: "Content Security Policy" in message.text and blocked.append(message.text))
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"
    assert not blocked, f"Content-Security-Policy violations: {blocked}"


SCREENS = Path(os.environ.get("MARKETPLACE_SCREENSHOTS", Path(__file__).resolve().parents[2] / "var" / "screenshots"))
SERIOUS = {"serious", "critical"}
# Every page is looked at as a laptop and as a phone shows it.
VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


def axe_violations(page) -> list[dict]:
    """axe-core's serious and critical findings on the page as it is drawn now.

    The script goes in through the DevTools protocol (``page.evaluate``), which the page's
    Content-Security-Policy does not govern; once per document, both viewports share it."""
    from axe_playwright_python.base import AXE_SCRIPT

    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(AXE_SCRIPT)
    found = page.evaluate("axe.run(document, {resultTypes: ['violations']}).then(r => r.violations)")
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [(n["target"], n["failureSummary"].splitlines()[-1].strip()) for n in v["nodes"]][:5],
        }
        for v in found
        if v["impact"] in SERIOUS
    ]


@pytest.fixture
def look(page, request):
    """``look("cart")``: screenshots of the page as a 1280 px screen and a 390 px phone show it (under
    var/screenshots/<test file>/<test>/), and no serious or critical axe-core
    violation in either. ``on=`` another page (a second browser context); ``accessible=False`` only
    takes the pictures. The page gets its own viewport back afterwards."""
    folder = SCREENS / request.node.module.__name__.rsplit(".", 1)[-1] / request.node.name

    def look(name: str, *, accessible: bool = True, on=None) -> None:
        target = on or page
        folder.mkdir(parents=True, exist_ok=True)
        before = target.viewport_size
        found = {}
        try:
            for size in VIEWPORTS.values():
                target.set_viewport_size(size)
                target.screenshot(path=str(folder / f"{name}-{size['width']}px.png"), full_page=True)
                if accessible and (violations := axe_violations(target)):
                    found[size["width"]] = violations
        finally:
            if before:
                target.set_viewport_size(before)
        assert not found, f"axe-core on {name} ({target.url}), by width: {found}"

    return look
