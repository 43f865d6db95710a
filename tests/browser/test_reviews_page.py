"""A buyer with a completed order reviews it, and the review is there to read at once: on the
product page (summary, bars, text), on the shop page (with what it was about) and as stars on the
catalog card, also for anonymous visitors whose pages come from the page cache."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)


def sign_in(page, user):
    page.goto("/accounts/login/")
    page.fill("[name=username]", user.username)
    page.fill("[name=password]", user.raw_password)
    page.click("button:has-text('Sign in')")
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))  # wherever signing in leads


def test_a_review_shows_on_the_product_the_shop_and_the_catalog_card(
    chromium, live_server, page, look, make_user, make_vendor, make_product, fund, place, order_service
):
    dora = make_vendor("dora")
    lantern = make_product(dora, title="Copper storm lantern", price_sat=120_000, stock=4)
    alice = make_user("alice")
    fund(alice, 1_000_000)
    reference = place(alice, {lantern: 1})
    order_service.accept(actor_id=dora.pk, reference=reference)
    order_service.ship(actor_id=dora.pk, reference=reference)
    order_service.confirm(actor_id=alice.pk, reference=reference)

    # An anonymous visitor's pages, kept in the page cache before the review.
    visitor = chromium.new_context(base_url=live_server.url).new_page()
    for url in (f"/products/{lantern}/", f"/vendors/{dora.shop_slug}/", "/products/"):
        visitor.goto(url)
    expect(visitor.locator("#no-reviews")).to_have_count(0)  # the catalog has no reviews section
    visitor.goto(f"/products/{lantern}/")
    expect(visitor.locator("#no-reviews")).to_contain_text("reviews come from buyers after a completed order")
    look("product-before", on=visitor)

    sign_in(page, alice)
    page.goto(f"/orders/{reference}/")
    page.select_option("#review-form [name=rating]", "4")
    page.fill("#review-form [name=text]", "Bright and sturdy.\nThe handle gets warm after an hour.")
    page.click("button:has-text('Post review')")
    expect(page.locator("#review")).to_contain_text("Bright and sturdy.")

    for viewer in (page, visitor):
        viewer.goto(f"/products/{lantern}/")
        expect(viewer.locator("#product-rating [role=img]")).to_have_attribute(
            "aria-label", "Rated 4.0 out of 5, 1 review"
        )
        review = viewer.locator("#review-list .review")
        expect(review).to_have_count(1)
        expect(review.locator(".review-text")).to_have_text(
            "Bright and sturdy.\nThe handle gets warm after an hour.", use_inner_text=True
        )
        expect(review.locator(".reviewer")).to_have_text("alice")
        expect(viewer.locator("#rating-bars meter").first).to_have_attribute(
            "aria-label", "5 stars: 0 of 1 reviews (0%)"
        )
    look("product-reviewed", on=visitor)

    visitor.goto(f"/vendors/{dora.shop_slug}/")
    expect(visitor.locator("#shop-rating")).to_have_text("4.0 / 5 from 1 review")
    expect(visitor.locator("#review-list .review-about")).to_have_text("About Copper storm lantern")
    look("shop-reviewed", on=visitor)
    visitor.click("#review-list .review-about a")
    expect(visitor.locator("#product-title")).to_have_text("Copper storm lantern")

    visitor.goto("/products/")
    card = visitor.locator(".listing", has_text="Copper storm lantern")
    expect(card.get_by_role("img", name="Rated 4.0 out of 5, 1 review")).to_be_visible()
    look("catalog-reviewed", on=visitor)
