"""A vendor applies, staff approve, the vendor lists a product with a picture, a buyer finds it
by searching, in a real browser."""

import re

import pytest
from playwright.sync_api import expect

from tests.support.catalog import picture_bytes
from tests.support.staff import browser_sign_in

HOME = re.compile(r"^https?://[^/]+/$")  # where signing in leads

pytestmark = pytest.mark.django_db(transaction=True)


def sign_in(page, username, password="a sturdy passphrase"):
    page.goto("/accounts/login/")
    page.fill("[name=username]", username)
    page.fill("[name=password]", password)
    page.click("button:has-text('Sign in')")
    expect(page).to_have_url(HOME)


def test_apply_approve_list_and_find(
    chromium, live_server, page, look, make_user, make_staff, catalog_service, tmp_path
):
    catalog_service.create_category(name="Lighting", slug="lighting")
    make_user("dora")
    boss = make_staff("moderator", username="boss")
    make_user("alice")

    # Dora applies to open a shop.
    sign_in(page, "dora")
    page.click(".site-nav a[href='/vendors/apply/']")  # "Sell here", for someone without a shop
    expect(page.locator("h1")).to_have_text("Open a shop")
    page.fill("[name=shop_name]", "Dora's Lanterns")
    page.fill("[name=slug]", "Doras Lanterns")
    page.fill("[name=description]", "Hand-made lanterns.\nShipped worldwide.")
    page.click("button:has-text('Send application')")
    expect(page.locator(".field-error")).to_contain_text("lower-case letters")
    look("shop-application-with-errors")
    page.fill("[name=slug]", "doras-lanterns")
    page.click("button:has-text('Send application')")
    expect(page.locator("#shop-status")).to_have_text("Waiting for review")
    page.goto("/products/new/")
    expect(page.locator(".refusal")).to_contain_text("waiting for review")
    look("listing-refused")

    # Staff approve it, in another browser.
    staff_context = chromium.new_context(base_url=live_server.url)
    staff_page = staff_context.new_page()
    browser_sign_in(staff_page, boss, live_server.url)
    staff_page.goto("/")
    staff_page.click("#staff-menu summary")
    staff_page.click("#staff-menu >> text=Shops")
    look("staff-shops", on=staff_page)
    row = staff_page.locator("tr", has_text="Dora's Lanterns")
    row.locator("button:has-text('Approve')").click()
    expect(staff_page.locator(".alert-success")).to_contain_text("Dora's Lanterns: approved")
    staff_context.close()

    # Dora lists a lantern with a picture.
    picture = tmp_path / "lantern.png"
    picture.write_bytes(picture_bytes("PNG", (400, 300), "#d4a017"))
    page.goto("/vendors/dashboard/")
    expect(page.locator("#shop-status")).to_have_text("Approved")
    look("dashboard")
    page.click("text=List a product")
    page.fill("[name=title]", "Copper storm lantern")
    page.fill("[name=description]", "Wind-proof.\n<b>Burns</b> for 12 hours.")
    page.fill("[name=price]", "-1")
    page.fill("[name=stock]", "4")
    page.select_option("[name=category]", label="Lighting")
    page.set_input_files("[name=images]", str(picture))
    page.click("button:has-text('List product')")
    expect(page.locator(".field-error").first).to_contain_text("The smallest amount is")
    look("new-product-with-errors")
    page.fill("[name=price]", "0.0025")
    page.fill("[name=description]", "Wind-proof.\nBurns for 12 hours.")
    page.set_input_files("[name=images]", str(picture))
    page.click("button:has-text('List product')")
    expect(page.locator("#product-title")).to_have_text("Copper storm lantern")
    expect(page.locator("#product-price")).to_have_text("0.00250000")
    image = page.locator(".gallery img").first
    expect(image).to_be_visible()
    look("product")
    picture_url = image.get_attribute("src")
    response = page.request.get(picture_url)
    assert (response.status, response.headers["content-type"]) == (200, "image/png")
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
    assert page.evaluate("img => img.naturalWidth", image.element_handle()) == 400

    # A buyer searches the catalog and finds it.
    buyer_context = chromium.new_context(base_url=live_server.url)
    buyer = buyer_context.new_page()
    sign_in(buyer, "alice")
    buyer.click("nav >> text=Catalog")
    buyer.fill("#q", "LANTERN")
    buyer.click("button:has-text('Show products')")
    expect(buyer.locator("#result-count")).to_have_text("1 product")
    look("search-results", on=buyer)
    buyer.click("text=Copper storm lantern")
    expect(buyer.locator("#product-stock")).to_have_text("4 in stock")
    expect(buyer.locator("#product-description")).to_contain_text("Burns for 12 hours.")
    buyer.click("text=Dora's Lanterns")
    expect(buyer.locator("#shop-name")).to_have_text("Dora's Lanterns")
    expect(buyer.locator("#shop-rating")).to_have_text("No reviews yet")
    look("storefront", on=buyer)
    buyer_context.close()
