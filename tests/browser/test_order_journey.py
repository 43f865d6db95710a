"""The whole journey through the real pages: a vendor lists a product, a buyer with a deposited
balance buys it, the vendor accepts and ships, the buyer confirms and reviews, and the wallet
pages show the buyer debited and the vendor credited less commission."""

import re

import pytest
from playwright.sync_api import expect

from marketplace.orders.models import Order

HOME = re.compile(r"^https?://[^/]+/$")  # where signing in leads

pytestmark = pytest.mark.django_db(transaction=True)


def sign_in(page, user):
    page.goto("/accounts/login/")
    page.fill("[name=username]", user.username)
    page.fill("[name=password]", user.raw_password)
    page.click("button:has-text('Sign in')")
    expect(page).to_have_url(HOME)


def test_list_buy_accept_ship_confirm_review(
    chromium, live_server, page, look, make_user, make_vendor, fund, catalog_service
):
    catalog_service.create_category(name="Lighting", slug="lighting")
    dora = make_vendor("dora")
    alice = make_user("alice")
    fund(alice, 2_500_000)

    # Dora lists a lamp.
    shop = chromium.new_context(base_url=live_server.url)
    vendor = shop.new_page()
    sign_in(vendor, dora)
    vendor.goto("/vendors/dashboard/")
    vendor.click("text=List a product")
    look("new-product", on=vendor)
    vendor.fill("[name=title]", "Copper storm lantern")
    vendor.fill("[name=description]", "Wind-proof. Burns for 12 hours.")
    vendor.fill("[name=price]", "0.0012")
    vendor.fill("[name=stock]", "3")
    vendor.select_option("[name=category]", label="Lighting")
    vendor.click("button:has-text('List product')")
    expect(vendor.locator("#product-title")).to_have_text("Copper storm lantern")
    product_url = vendor.url

    # Alice buys it from her deposited balance.
    sign_in(page, alice)
    expect(page.locator(".nav-balance")).to_contain_text("0.02500000")
    page.goto("/products/")
    look("catalog")
    page.click("text=Copper storm lantern")
    assert page.url == product_url
    look("product")
    page.fill("#quantity", "1")
    page.click("button:has-text('Add to cart')")
    expect(page.locator(".alert-success")).to_contain_text("Copper storm lantern is in your cart (1)")
    expect(page.locator("#cart-total")).to_have_text("0.00120000")
    look("cart")
    page.click("a:text-is('Check out')")
    expect(page.locator("#checkout-balance")).to_have_text("0.02500000 BTC")
    look("checkout")
    page.click("#pay")
    expect(page.locator(".alert-success")).to_contain_text("Paid 0.00120000 BTC into escrow for 1 order")
    expect(page.locator("#order-state")).to_have_text("Paid, waiting for the vendor")
    reference = page.locator("#order-reference").inner_text()
    look("order-paid")
    expect(page.locator(".nav-balance")).to_contain_text("0.02380000")

    # Dora accepts and ships from her queue.
    vendor.goto("/vendors/dashboard/")
    vendor.click("#sales-link")
    row = vendor.locator(f"#order-{reference}")
    expect(row).to_contain_text("alice")
    look("sales", on=vendor)
    row.locator("button:has-text('Accept')").click()
    expect(vendor.locator(".alert-success")).to_contain_text("Order accepted")
    row = vendor.locator(f"#order-{reference}")
    row.locator("[name=tracking_note]").fill("Parcel DX-4471")
    row.locator("button:has-text('Mark shipped')").click()
    expect(vendor.locator(".alert-success")).to_contain_text("Marked as shipped")

    # Alice sees it shipped, confirms, and reviews.
    page.goto("/orders/")
    look("orders")
    page.click(f"a:text-is('{reference}')")
    expect(page.locator("#order-state")).to_have_text("Shipped")
    expect(page.locator("#tracking-note")).to_have_text("Parcel DX-4471")
    page.click("button:has-text('Confirm delivery')")
    expect(page.locator(".alert-success")).to_contain_text("the payment was released to the vendor")
    expect(page.locator("#order-state")).to_have_text("Completed")
    look("order-completed")
    page.select_option("#review-form [name=rating]", "5")
    page.fill("#review-form [name=text]", "Bright, sturdy, well packed.")
    page.click("button:has-text('Post review')")
    expect(page.locator("#review")).to_contain_text("Bright, sturdy, well packed.")
    page.goto("/notifications/")
    expect(page.locator("#notifications")).to_contain_text(f"Order {reference} has shipped")
    look("notifications")

    # The wallet pages: the buyer paid the price; the vendor got it less 2.5 % commission.
    page.click(".nav-balance")
    expect(page.locator("#available-balance")).to_contain_text("0.02380000")
    vendor.goto("/wallets/")
    expect(vendor.locator("#available-balance")).to_contain_text("0.00117000")
    expect(vendor.locator("#history")).to_contain_text(f"order {reference}")
    look("vendor-wallet", on=vendor)
    vendor.goto(f"/vendors/{dora.shop_slug}/")
    expect(vendor.locator("#shop-rating")).to_have_text("5.0 / 5 from 1 review")
    look("storefront-reviewed", on=vendor)
    shop.close()

    order = Order.objects.get(reference=reference)
    assert (order.state, order.vendor_payout_sat, order.commission_sat) == ("completed", 117_000, 3_000)
