"""Bad input on the vendors' and catalog's pages: a clear message, a 4xx, and nothing changed."""

import pytest
from django.urls import reverse

from marketplace.products.models import Product, ProductImage, ProductReport
from marketplace.vendors.models import Vendor
from tests.support.catalog import picture_bytes, upload
from tests.support.staff import verified_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def bob(make_vendor, client):
    user = make_vendor("bob")
    client.force_login(user)
    return user


def form(categories, **overrides):
    data = {
        "title": "Brass desk lamp",
        "description": "A lamp.",
        "price": "0.0012",
        "stock": "4",
        "category": str(categories["lighting"]),
        "is_active": "on",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


TEN_MB = b"\x89PNG\r\n\x1a\n" + b"\0" * (10 * 1024 * 1024)


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"price": "-0.001"}, "The smallest amount is 0.00000001 BTC"),
        ({"price": "0"}, "The smallest amount is 0.00000001 BTC"),
        ({"price": "abc"}, "Enter an amount in BTC"),
        ({"price": "1e3"}, "Enter an amount in BTC"),
        ({"price": "NaN"}, "Enter an amount in BTC"),
        ({"price": "0.000000001"}, "at most 8 decimal places"),
        ({"price": "99999999"}, "more bitcoin than will ever exist"),
        ({"price": ""}, "This field is required"),
        ({"stock": "-1"}, "greater than or equal to 0"),
        ({"stock": "lots"}, "Enter a whole number"),
        ({"title": ""}, "This field is required"),
        ({"title": "x" * 500}, "at most 120 characters"),
        ({"description": "<script>alert('owned')</script>"}, "Plain text only: remove the HTML markup"),
        ({"description": "Nice <a href='http://evil.example'>link</a>"}, "Plain text only"),
        ({"category": "987654"}, "Select a valid choice"),
        ({"category": "tools"}, "Select a valid choice"),
        ({"images": lambda: upload(TEN_MB, name="huge.png")}, "huge.png is 10.0 MB; the limit is 5 MB"),
        (
            {"images": lambda: upload(b"MZ\x90\x00 this is an executable", name="setup.png")},
            "setup.png is not a picture we can read",
        ),
        (
            {"images": lambda: upload(b"%PDF-1.7", name="menu.pdf", content_type="application/pdf")},
            "menu.pdf is not a picture we can read",
        ),
    ],
)
def test_listing_a_product_with_bad_input(client, bob, categories, overrides, message):
    data = form(categories, **{k: v for k, v in overrides.items() if not callable(v)})
    for key, make in overrides.items():
        if callable(make):
            data[key] = make()
    response = client.post(reverse("products:create"), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Product.objects.exists() and not ProductImage.objects.exists()


def test_editing_with_bad_input_changes_nothing(client, bob, categories, make_product, png):
    product_id = make_product(bob, price_sat=120_000, images=[png()])
    url = reverse("products:edit", args=[product_id])
    for overrides in [{"price": "-1"}, {"price": "junk"}, {"description": "<script>x</script>"}, {"category": "0"}]:
        assert client.post(url, form(categories, title="Changed", **overrides)).status_code == 400
    response = client.post(url, form(categories, title="Changed", images=upload(b"not an image", "x.png")))
    assert response.status_code == 400 and "x.png is not a picture" in response.content.decode()
    product = Product.objects.get()
    assert (product.title, product.price_sat) == ("Brass desk lamp", 120_000)
    assert ProductImage.objects.count() == 1


def test_a_good_listing_with_pictures_goes_through(client, bob, categories):
    response = client.post(
        reverse("products:create"),
        {
            **form(categories, description="Line one.\nLine two: 5 < 6 & 7 > 3."),
            "images": [upload(picture_bytes("PNG"), "a.png"), upload(picture_bytes("JPEG"), "b.jpg", "image/jpeg")],
        },
    )
    product = Product.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("products:detail", args=[product.pk])
    assert product.price_sat == 120_000 and ProductImage.objects.filter(product=product).count() == 2
    page = client.get(response["Location"]).content.decode()
    assert "Line one.<br>Line two: 5 &lt; 6 &amp; 7 &gt; 3." in page


def test_markup_stored_before_the_rule_would_still_be_shown_as_text(client, bob, make_product):
    product_id = make_product(bob)
    Product.objects.filter(pk=product_id).update(description="<script>alert(1)</script>")
    from containers import container

    container.vendors.page_cache().bump([f"product:{product_id}"])
    page = client.get(reverse("products:detail", args=[product_id])).content.decode()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


@pytest.mark.parametrize(
    "params",
    [
        {"page": "99999999999999999999999"},
        {"page": "-1"},
        {"page": "x"},
        {"page": "1e10"},
    ],
)
def test_huge_or_junk_page_numbers_give_a_real_page(client, make_vendor, bulk_products, params):
    bulk_products(make_vendor("bob"), 30)
    response = client.get(reverse("products:list"), params)
    assert response.status_code == 200
    assert "Page " in response.content.decode()
    shop = client.get(reverse("vendors:storefront", args=["bob-shop"]), params)
    assert shop.status_code == 200


@pytest.mark.parametrize(
    "params, message",
    [
        ({"category": "does-not-exist"}, "There is no category “does-not-exist”"),
        ({"min_price": "free"}, "The lowest price “free” was ignored"),
        ({"max_price": "-0.5"}, "prices are not negative"),
        ({"sort": "'; DROP TABLE products_product; --"}, "Unknown sort order"),
        ({"vendor": "ghost"}, "There is no shop “ghost”"),
        ({"q": "lamp", "category": "??"}, "There is no category"),
    ],
)
def test_bad_catalog_parameters_get_a_message_not_a_500(client, make_vendor, make_product, params, message):
    make_product(make_vendor("bob"))
    response = client.get(reverse("products:list"), params)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert "Brass desk lamp" in response.content.decode()  # the catalog is still shown
    assert Product.objects.count() == 1


@pytest.mark.parametrize(
    "data, message",
    [
        ({"shop_name": "", "slug": "ok-slug"}, "This field is required"),
        ({"shop_name": "Fine shop", "slug": "Not A Slug!"}, "lower-case letters"),
        ({"shop_name": "Fine shop", "slug": "staff"}, "reserved"),
        ({"shop_name": "Fine shop", "slug": "fine", "description": "<iframe src=x>"}, "Plain text only"),
    ],
)
def test_applying_with_bad_input(client, make_user, data, message):
    client.force_login(make_user("alice"))
    response = client.post(reverse("vendors:apply"), data)
    assert response.status_code == 400 and message in response.content.decode()
    assert not Vendor.objects.exists()


def test_staff_must_give_a_reason_to_reject_or_suspend(client, make_vendor, staff):
    pending, active = make_vendor("pat", status="pending"), make_vendor("bob")
    verified_client(staff, client)
    for url in [
        reverse("vendors:reject", args=[pending.vendor_id]),
        reverse("vendors:suspend", args=[active.vendor_id]),
    ]:
        response = client.post(url, {"reason": ""}, follow=True)
        assert "Give a reason the vendor will see" in response.content.decode()
    assert Vendor.objects.get(pk=pending.vendor_id).status == "pending"
    assert Vendor.objects.get(pk=active.vendor_id).suspended_at is None


def test_reporting_needs_a_known_reason(client, make_vendor, make_product, make_user):
    product_id = make_product(make_vendor("bob"))
    client.force_login(make_user("alice"))
    url = reverse("products:report", args=[product_id])
    assert client.post(url, {"reason": "because"}).status_code == 400
    response = client.post(url, {"reason": "other", "details": ""})
    assert response.status_code == 400 and "Tell staff what is wrong" in response.content.decode()
    assert not ProductReport.objects.exists()


def test_an_overlong_search_is_cut_not_refused(client, make_vendor, make_product):
    make_product(make_vendor("bob"))
    response = client.get(reverse("products:list"), {"q": "lamp " + "x" * 5000})
    assert response.status_code == 200 and "No" in response.content.decode()
    assert client.get(reverse("products:list"), {"q": "LAMP"}).content.decode().count('class="listing"') == 1
