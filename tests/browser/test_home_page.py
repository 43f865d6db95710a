"""The home page as a visitor, a buyer and a vendor see it, on a laptop and a phone."""

import re

import pytest
from playwright.sync_api import expect

from marketplace.products.demo import demo_picture

pytestmark = pytest.mark.django_db(transaction=True)

HOME = re.compile(r"^https?://[^/]+/$")


def sign_in(page, username, password="a sturdy passphrase"):
    page.goto("/accounts/login/")
    page.fill("[name=username]", username)
    page.fill("[name=password]", password)
    page.click("button:has-text('Sign in')")
    expect(page).to_have_url(HOME)


@pytest.fixture
def stocked(market, make_product, order_in, review_service):
    """The market's shop with pictured products, an open order and a reviewed one."""
    for title, colour, category in [
        ("Field guide to lamps and lighting", "#a14a2f", "lighting"),
        ("Claw hammer, 16 oz", "#5b6b7a", "tools"),
        ("A Wizard of Earthsea", "#4b3f72", "fiction"),
    ]:
        make_product(market.vendor, title=title, category=category, images=[demo_picture(title, colour)])
    order_in("shipped")
    review_service.leave(actor_id=market.buyer.pk, reference=order_in("completed"), rating=5, text="Bright and solid.")
    return market


def test_visitor_buyer_and_vendor_home_pages(page, look, stocked):
    page.goto("/")
    expect(page.locator("#home-newest-title")).to_have_text("New in the shops")
    expect(page.locator(".home-newest .listing")).to_have_count(5)
    expect(page.locator(".home-best-rated .listing-title")).to_have_text(["Brass desk lamp"])
    expect(page.locator(".home-escrow li")).to_have_count(4)
    expect(page.locator(".site-nav >> text=Sell here")).to_have_attribute(
        "href", "/accounts/login/?next=%2Fvendors%2Fapply%2F"
    )
    expect(page.locator(".brand svg")).to_be_visible()
    look("visitor")

    sign_in(page, "buyer")
    expect(page.locator(".home-orders .home-figure")).to_have_text("1 open")
    expect(page.locator(".home-balance")).to_contain_text("BTC")
    expect(page.locator(".nav-balance svg[aria-label=BTC]")).to_be_visible()
    expect(page.locator(".site-nav >> text=Sell here")).to_have_attribute("href", "/vendors/apply/")
    look("buyer")

    page.click("button:has-text('Sign out')")
    sign_in(page, "vendor")
    expect(page.locator(".site-nav >> text=My shop")).to_have_attribute("href", "/vendors/dashboard/")
    look("vendor")


def test_sell_here_signs_a_visitor_in_and_lands_on_the_application(page, make_user):
    make_user("dora")
    page.goto("/")
    page.click(".site-nav >> text=Sell here")
    page.fill("[name=username]", "dora")
    page.fill("[name=password]", "a sturdy passphrase")
    page.click("button:has-text('Sign in')")
    expect(page).to_have_url(re.compile(r"/vendors/apply/$"))
    expect(page.locator("h1")).to_have_text("Open a shop")
