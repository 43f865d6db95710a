"""In a real browser, pages fetch the picture size they need: the 240 thumbnail in catalog boxes
(480 on a 2x screen), the 480 one on the product page (the original on a 2x screen)."""

import pytest

from marketplace.products.models import ProductImage
from tests.support.catalog import picture_bytes, upload

pytestmark = pytest.mark.django_db(transaction=True)


def current_sources(page, selector: str) -> list[str]:
    page.wait_for_function(
        "s => [...document.querySelectorAll(s)].every(img => img.complete && img.naturalWidth > 0)", arg=selector
    )
    return page.eval_on_selector_all(
        selector, "imgs => imgs.map(img => new URL(img.currentSrc).pathname + new URL(img.currentSrc).search)"
    )


@pytest.mark.parametrize("scale", [1, 2])
def test_each_page_fetches_the_size_it_shows(chromium, live_server, look, make_vendor, make_product, scale):
    bob = make_vendor("bob")
    product_id = make_product(bob, images=[upload(picture_bytes("PNG", (1200, 800)))])
    image_id = ProductImage.objects.get(product_id=product_id).pk
    picture = f"/products/images/{image_id}/"
    context = chromium.new_context(
        base_url=live_server.url, device_scale_factor=scale, viewport={"width": 1280, "height": 900}
    )
    try:
        page = context.new_page()
        fetched: list[str] = []
        page.on("request", lambda request: "/products/images/" in request.url and fetched.append(request.url))
        for url in ("/products/", f"/vendors/{bob.shop_slug}/"):
            page.goto(url)
            assert current_sources(page, "img.listing-image") == [f"{picture}?size={240 * scale}"]
        page.goto(f"/products/{product_id}/")
        expected = f"{picture}?size=480" if scale == 1 else picture
        assert current_sources(page, ".gallery img") == [expected]
        if scale == 2:  # the pages at 1x are the other journeys'
            look("product-2x", on=page)
        assert all("size=" in url or scale == 2 for url in fetched)  # the original only where it is needed
    finally:
        context.close()
