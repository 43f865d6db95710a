"""Every page a visitor, a buyer, a vendor and a staff member reach from the header: axe-core
finds no serious or critical violation on it, on a 1280 px screen nor on a phone, and on the
phone it does not scroll sideways.

The links are read from the header each person sees (main row and staff menu), so a page a
module adds to the navigation is checked without a change here. A page is looked at for the
first person who reaches it; the home page for each of them, since it shows their header.
"""

from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import VIEWPORTS
from tests.support.staff import browser_sign_in

pytestmark = pytest.mark.django_db(transaction=True)

STAFF_ROLES = "support,moderator,finance,operator"
PHONE = VIEWPORTS["phone"]


def header_links(page) -> list[str]:
    """The site's own pages the header links to, in order, each once; signing out is a form, not a link."""
    hrefs = page.eval_on_selector_all(".site-header a[href]", "links => links.map(a => a.href)")
    paths = [urlsplit(href).path for href in hrefs if urlsplit(href).netloc == urlsplit(page.url).netloc]
    return list(dict.fromkeys(paths))


def phone_width(page) -> int:
    """How wide the page is on a phone (content reflows, WCAG 1.4.10: the page never scrolls sideways;
    the header's row and wide tables scroll inside themselves)."""
    before = page.viewport_size
    page.set_viewport_size(PHONE)
    try:
        return page.evaluate("document.documentElement.scrollWidth")
    finally:
        page.set_viewport_size(before)


def walk(page, look, who: str, checked: set[str]) -> tuple[list[str], list[str]]:
    """Look at each page of ``who``'s header not yet checked (the home page always: it shows their
    header); returns the header's paths and the problems found."""
    page.goto("/")
    paths = header_links(page)
    problems = [] if "/" in paths else [f"{who}: no link home in {paths}"]
    for path in paths:
        if path in checked and path != "/":
            continue
        checked.add(path)
        response = page.goto(path)
        if response.status != 200:
            problems.append(f"{who}: {path} answered {response.status}")
            continue
        try:
            look(f"{who}{path.rstrip('/').replace('/', '-') or '-home'}")
        except AssertionError as failure:
            problems.append(f"{who}: " + str(failure).split("\n")[0])
        if (width := phone_width(page)) > PHONE["width"]:
            problems.append(f"{who}: {path} is {width} px wide on a {PHONE['width']} px phone: it scrolls sideways")
    return paths, problems


def test_every_page_in_the_navigation_passes_axe(page, look, live_server, market, place, make_staff):
    place(market.buyer, {market.lamp: 1})  # rows on the buyer's and the vendor's pages
    people = {
        "visitor": None,
        "buyer": market.buyer,
        "vendor": market.vendor,
        "staff": make_staff(STAFF_ROLES, username="stella"),
    }
    checked: set[str] = set()
    reached, problems = {}, []
    for who, person in people.items():
        page.context.clear_cookies()
        if person is not None:
            browser_sign_in(page, person, live_server.url)
        reached[who], found = walk(page, look, who, checked)
        problems += found
    assert not problems, "\n".join(problems)
    assert {"/accounts/login/", "/products/"} <= set(reached["visitor"]), reached
    assert "/vendors/dashboard/" in reached["vendor"], reached
    assert {"/ops/", "/design/", "/wallets/finance/", "/orders/disputes/"} <= set(reached["staff"]), reached
    assert len(checked) >= 15, checked
