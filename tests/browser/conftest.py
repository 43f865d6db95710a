"""Playwright driving Debian's Chromium, headless, against Django's live server on 127.0.0.1."""

import os
from pathlib import Path
import shutil

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


def axe_violations(page) -> list[dict]:
    """axe-core's serious and critical findings on the page as it is drawn now."""
    from axe_playwright_python.sync_playwright import Axe

    found = Axe().run(page).response["violations"]
    return [
        {"id": v["id"], "impact": v["impact"], "help": v["help"], "targets": [n["target"] for n in v["nodes"]][:5]}
        for v in found
        if v["impact"] in SERIOUS
    ]


@pytest.fixture
def look(page, request):
    """``look("cart")``: keep a screenshot of the page (a CI artifact under var/screenshots/) and
    assert that axe-core finds no serious or critical violation on it."""
    folder = SCREENS / request.node.module.__name__.rsplit(".", 1)[-1] / request.node.name
    seen: list[str] = []

    def look(name: str, *, accessible: bool = True) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        width = page.viewport_size["width"] if page.viewport_size else 0
        page.screenshot(path=str(folder / f"{name}-{width}px.png"), full_page=True)
        seen.append(name)
        if accessible:
            violations = axe_violations(page)
            assert not violations, f"axe-core on {name} ({page.url}): {violations}"

    return look
