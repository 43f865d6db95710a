"""The header in a real browser, for a superuser, each staff role and a shopper, on a 1280 px
screen and on a phone: one line that never wraps nor widens the page, and a staff menu that opens
inside the screen with exactly the entries the person's roles allow.

``NAV_SCREENSHOTS=<dir>`` saves each header, closed and open, as PNG files to look at.
"""

import os
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from tests.support.staff import browser_sign_in

pytestmark = pytest.mark.django_db(transaction=True)

VIEWPORTS = {"desktop": (1280, 800), "phone": (390, 844)}
MENU = {
    "anonymous": set(),
    "shopper": set(),
    "support": {"/orders/lookup/"},
    "moderator": {"/vendors/staff/", "/products/moderation/"},
    "finance": {"/orders/disputes/", "/orders/lookup/", "/wallets/finance/", "/wallets/staff/withdrawals/"},
    "operator": {"/ops/", "/design/"},
}
MENU["superuser"] = set().union(*MENU.values())


def people(make_user, make_staff) -> dict:
    crowd = {"anonymous": None, "shopper": make_user("shopper")}
    for role in ("support", "moderator", "finance", "operator"):
        crowd[role] = make_staff(role, username=role)
    boss = make_user("boss")
    # The longest name a profile allows would push the menu off a 1280 px line if it were not cut short.
    get_user_model().objects.filter(pk=boss.pk).update(is_superuser=True, display_name="B" * 80)
    crowd["superuser"] = boss
    return crowd


def one_line(page) -> bool:
    """Every visible item of the header sits on the same line."""
    tops = page.eval_on_selector_all(
        ".site-header > .brand, .site-nav > *",
        "items => items.filter(e => e.offsetParent !== null)"
        ".map(e => Math.round(e.getBoundingClientRect().top + e.getBoundingClientRect().height / 2))",
    )
    return max(tops) - min(tops) <= 4


def test_the_header_keeps_to_one_line_and_the_staff_menu_fits(chromium, live_server, look, make_user, make_staff):
    shots = os.environ.get("NAV_SCREENSHOTS")
    for name, user in people(make_user, make_staff).items():
        for size, (width, height) in VIEWPORTS.items():
            context = chromium.new_context(base_url=live_server.url, viewport={"width": width, "height": height})
            page = context.new_page()
            if user is not None:
                browser_sign_in(page, user, live_server.url)
            page.goto("/")
            where = f"{name} on {size}"
            assert one_line(page), where
            assert page.evaluate("document.documentElement.scrollWidth") <= width, where
            links = page.eval_on_selector_all("#staff-menu a", "links => links.map(a => a.getAttribute('href'))")
            assert set(links) == MENU[name] and len(links) == len(MENU[name]), where
            if shots:
                page.screenshot(path=str(Path(shots) / f"{name}-{size}.png"), clip=_top(width))
            if MENU[name]:
                page.click("#staff-menu summary")
                panel = page.locator(".staff-menu-items").bounding_box()
                assert panel and panel["x"] >= 0 and panel["x"] + panel["width"] <= width, where
                assert panel["y"] + panel["height"] <= height, where
                for href in MENU[name]:
                    assert page.locator(f'#staff-menu a[href="{href}"]').is_visible(), (where, href)
                assert one_line(page), where
                if shots:
                    page.screenshot(path=str(Path(shots) / f"{name}-{size}-open.png"), clip=_top(width, 420))
            if size == "desktop":  # look() sees both widths, the staff menu open
                look(name, on=page)
            context.close()


def _top(width: int, height: int = 160) -> dict:
    return {"x": 0, "y": 0, "width": width, "height": height}
