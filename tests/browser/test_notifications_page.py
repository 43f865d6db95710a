"""A buyer hears that the vendor shipped: the count in the navigation, the list grouped by order,
opening one (the count drops), marking all read; then chooses what is e-mailed."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)

HOME = re.compile(r"^https?://[^/]+/$")


def sign_in(page, user):
    page.goto("/accounts/login/")
    page.fill("[name=username]", user.username)
    page.fill("[name=password]", user.raw_password)
    page.click("button:has-text('Sign in')")
    expect(page).to_have_url(HOME)


def test_shipped_counted_opened_marked_read_and_email_chosen(
    chromium, live_server, page, look, make_user, make_vendor, make_product, fund, place, order_service
):
    dora = make_vendor("dora")
    alice = make_user("alice")
    fund(alice, 2_500_000)
    lamp = make_product(dora, title="Copper storm lantern", price_sat=120_000, stock=5)
    saw = make_product(dora, title="Japanese pull saw", price_sat=60_000, stock=5)
    earlier = place(alice, {saw: 1})
    order_service.accept(actor_id=dora.pk, reference=earlier)  # alice: "accepted", in its own group
    reference = place(alice, {lamp: 1})

    # Dora accepts and ships from her sales queue.
    shop = chromium.new_context(base_url=live_server.url)
    vendor = shop.new_page()
    sign_in(vendor, dora)
    vendor.goto("/orders/sales/")
    row = vendor.locator(f"#order-{reference}")
    row.locator("button:has-text('Accept')").click()
    expect(vendor.locator(".alert-success")).to_contain_text("Order accepted")
    row = vendor.locator(f"#order-{reference}")
    row.locator("[name=tracking_note]").fill("Parcel DX-4471")
    row.locator("button:has-text('Mark shipped')").click()
    expect(vendor.locator(".alert-success")).to_contain_text("Marked as shipped")

    # Alice sees the count in the navigation, read out as "4 unread" (the deposit that funded her too).
    sign_in(page, alice)
    link = page.locator("a.nav-notifications")
    expect(link).to_have_accessible_name("Notifications, 4 unread")
    expect(page.locator("#unread-count")).to_have_text("4")
    page.click("a.nav-notifications")
    expect(page.locator("#inbox-unread")).to_have_text("4 unread")
    groups = page.locator(".notification-group h2")
    expect(groups).to_have_count(3)
    expect(groups.first).to_contain_text(f"Order {reference}")  # the newest group first
    expect(groups.nth(1)).to_contain_text(f"Order {earlier}")
    expect(groups.nth(2)).to_contain_text("Your wallet")
    shipped = page.locator(".notification", has_text="has shipped")
    expect(shipped).to_contain_text("New")
    expect(shipped).to_contain_text("Parcel DX-4471")
    look("inbox-unread")

    # Opening it leads to the order, and the count drops.
    shipped.get_by_role("link", name=f"Order {reference} has shipped").click()
    expect(page).to_have_url(re.compile(rf"/orders/{reference}/$"))
    expect(page.locator("#order-state")).to_have_text("Shipped")
    expect(page.locator("a.nav-notifications")).to_have_accessible_name("Notifications, 3 unread")

    # Marking all read: the badge goes.
    page.click("a.nav-notifications")
    expect(page.locator(".notification.unread")).to_have_count(3)
    page.click("button:has-text('Mark all as read')")
    expect(page.locator(".alert-success")).to_contain_text("3 notifications marked as read.")
    expect(page.locator("#inbox-unread")).to_have_text("All read")
    expect(page.locator("#unread-count")).to_have_count(0)
    expect(page.locator("a.nav-notifications")).to_have_accessible_name("Notifications")
    expect(page.locator(".notification.unread")).to_have_count(0)
    look("inbox-read")

    # No more e-mails about messages: the profile's card.
    page.click("text=Choose what is e-mailed to you")
    card = page.locator("#notification-email")
    expect(card.get_by_label("Messages")).to_be_checked()
    card.get_by_label("Messages").uncheck()
    card.get_by_role("button", name="Save e-mail preferences").click()
    expect(page.locator(".alert-success")).to_contain_text("E-mail preferences saved.")
    expect(page.locator("#notification-email").get_by_label("Messages")).not_to_be_checked()
    expect(page.locator("#notification-email").get_by_label("Order updates")).to_be_checked()
    page.locator("#notification-email").scroll_into_view_if_needed()
    look("email-preferences")

    # Dora has her own list: the new orders, not alice's.
    vendor.goto("/notifications/")
    expect(vendor.locator(".notification-group")).to_have_count(2)
    expect(vendor.locator("#notifications")).not_to_contain_text("has shipped")
    shop.close()


def test_an_empty_list_says_what_will_come(page, look, make_user):
    bob = make_user("bob")
    sign_in(page, bob)
    expect(page.locator("a.nav-notifications")).to_have_accessible_name("Notifications")
    page.goto("/notifications/")
    expect(page.locator("#notifications-empty")).to_contain_text("Nothing yet.")
    look("inbox-empty")
