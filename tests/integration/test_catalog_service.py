"""CatalogService on the real database: listings, ownership, pictures, stock for orders."""

import sys

import pytest
from django.db import transaction

from marketplace.products.models import Product, ProductImage
from services.errors import (
    NotFound,
    OutOfStock,
    PermissionDenied,
    ProductError,
    ProductUnavailable,
    VendorNotActive,
)
from tests.support.catalog import upload

pytestmark = pytest.mark.django_db


def test_the_provider_builds_the_current_catalog_service(catalog_service):
    assert isinstance(catalog_service, sys.modules["services.catalog_service"].CatalogService)


def test_an_approved_vendor_lists_a_product_with_pictures(make_vendor, make_product, png):
    bob = make_vendor("bob")
    product_id = make_product(bob, title="  Brass lamp ", price_sat=150_000, images=[png(), png((300, 200))])
    product = Product.objects.get(pk=product_id)
    assert (product.title, product.price_sat, product.stock, product.vendor_id) == (
        "Brass lamp",
        150_000,
        5,
        bob.vendor_id,
    )
    images = list(ProductImage.objects.filter(product=product))
    assert [(i.width, i.height, i.position) for i in images] == [(64, 48, 0), (300, 200, 1)]


@pytest.mark.parametrize("status", ["pending", "rejected"])
def test_only_approved_shops_list(make_vendor, make_product, status):
    eve = make_vendor("eve", status=status)
    with pytest.raises(VendorNotActive):
        make_product(eve)
    assert not Product.objects.exists()


def test_a_buyer_cannot_list(make_user, make_product):
    with pytest.raises(VendorNotActive, match="Apply to open a shop"):
        make_product(make_user("alice"))


def test_a_suspended_shop_cannot_list_or_edit_but_can_hide_and_delete(
    make_vendor, make_product, catalog_service, vendor_service, staff, categories
):
    bob = make_vendor("bob")
    product_id = make_product(bob)
    vendor_service.suspend(staff_id=staff.pk, vendor_id=bob.vendor_id, reason="Unpaid fees.")
    with pytest.raises(VendorNotActive):
        make_product(bob, title="Another")
    with pytest.raises(VendorNotActive):
        catalog_service.update_product(
            actor_id=bob.pk,
            product_id=product_id,
            title="New",
            description="",
            price_sat=1,
            stock=1,
            category_id=categories["tools"],
            is_active=True,
        )
    with pytest.raises(VendorNotActive):
        catalog_service.set_listed(actor_id=bob.pk, product_id=product_id, listed=True)
    catalog_service.set_listed(actor_id=bob.pk, product_id=product_id, listed=False)
    catalog_service.delete_product(actor_id=bob.pk, product_id=product_id)
    assert Product.objects.get().deleted_at is not None


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"title": ""}, "title"),
        ({"title": "x" * 121}, "title"),
        ({"description": "<script>alert('x')</script>"}, "description"),
        ({"description": "<img src=x onerror=alert(1)>"}, "description"),
        ({"price_sat": -5}, "price"),
        ({"price_sat": 0}, "price"),
        ({"price_sat": "0.001"}, "price"),
        ({"price_sat": 1.5}, "price"),
        ({"price_sat": 21_000_000 * 100_000_000 + 1}, "price"),
        ({"stock": -1}, "stock"),
        ({"stock": "many"}, "stock"),
        ({"category": None}, "category"),
    ],
)
def test_bad_input_is_refused_field_by_field_and_changes_nothing(
    make_vendor, catalog_service, categories, overrides, field
):
    bob = make_vendor("bob")
    data = {"title": "Brass lamp", "description": "", "price_sat": 1000, "stock": 1, "category": categories["tools"]}
    data.update(overrides)
    with pytest.raises(ProductError) as caught:
        catalog_service.create_product(
            actor_id=bob.pk,
            title=data["title"],
            description=data["description"],
            price_sat=data["price_sat"],
            stock=data["stock"],
            category_id=data["category"],
        )
    assert field in caught.value.errors
    assert not Product.objects.exists()


def test_an_unknown_category_is_refused(make_vendor, make_product, catalog_service):
    bob = make_vendor("bob")
    with pytest.raises(ProductError) as caught:
        catalog_service.create_product(
            actor_id=bob.pk, title="Lamp", description="", price_sat=10, stock=1, category_id=987654
        )
    assert caught.value.errors["category"] == ["Choose one of the categories."]


def test_bad_pictures_are_refused_and_nothing_is_stored(make_vendor, make_product, png, settings):
    from django.core.files.storage import default_storage

    bob = make_vendor("bob")
    before = set(default_storage.listdir("products")[1]) if default_storage.exists("products") else set()
    with pytest.raises(ProductError) as caught:
        make_product(bob, images=[png(), upload(b"not an image", name="notes.txt")])
    assert "notes.txt is not a picture" in caught.value.errors["images"][0]
    assert not Product.objects.exists()
    after = set(default_storage.listdir("products")[1]) if default_storage.exists("products") else set()
    assert after == before


def test_too_many_pictures(make_vendor, make_product, png, catalog_service):
    bob = make_vendor("bob")
    with pytest.raises(ProductError) as caught:
        make_product(bob, images=[png() for _ in range(catalog_service.max_images + 1)])
    assert "At most" in caught.value.errors["images"][0]


def test_the_owner_edits_pictures_and_fields(make_vendor, make_product, catalog_service, categories, png):
    bob = make_vendor("bob")
    product_id = make_product(bob, images=[png(), png()])
    first, second = ProductImage.objects.filter(product_id=product_id).order_by("position")
    catalog_service.update_product(
        actor_id=bob.pk,
        product_id=product_id,
        title="Brass lamp, large",
        description="Bigger.\nBrighter.",
        price_sat=200_000,
        stock=9,
        category_id=categories["tools"],
        is_active=False,
        add_images=[png((10, 10))],
        remove_image_ids=[first.pk],
    )
    product = Product.objects.get(pk=product_id)
    assert (product.title, product.description, product.price_sat, product.stock, product.is_active) == (
        "Brass lamp, large",
        "Bigger.\nBrighter.",
        200_000,
        9,
        False,
    )
    remaining = list(ProductImage.objects.filter(product_id=product_id).order_by("position"))
    assert [i.pk for i in remaining][0] == second.pk and len(remaining) == 2
    assert (remaining[1].width, remaining[1].height) == (10, 10)


def test_no_one_edits_what_is_not_theirs(make_vendor, make_user, make_product, catalog_service, categories, staff):
    bob, eve = make_vendor("bob"), make_vendor("eve")
    product_id = make_product(bob)
    kwargs = dict(
        product_id=product_id,
        title="Mine now",
        description="",
        price_sat=1,
        stock=0,
        category_id=categories["tools"],
        is_active=True,
    )
    with pytest.raises(NotFound):
        catalog_service.update_product(actor_id=eve.pk, **kwargs)
    with pytest.raises(NotFound):
        catalog_service.set_listed(actor_id=eve.pk, product_id=product_id, listed=False)
    with pytest.raises(NotFound):
        catalog_service.delete_product(actor_id=eve.pk, product_id=product_id)
    with pytest.raises(VendorNotActive):
        catalog_service.update_product(actor_id=staff.pk, **kwargs)
    with pytest.raises(VendorNotActive):
        catalog_service.delete_product(actor_id=make_user("alice").pk, product_id=product_id)
    product = Product.objects.get()
    assert (product.title, product.is_active, product.deleted_at) == ("Brass desk lamp", True, None)


def test_a_staff_unlisting_is_not_undone_by_the_vendor(
    make_vendor, make_product, catalog_service, moderation_service, staff
):
    bob = make_vendor("bob")
    product_id = make_product(bob)
    moderation_service.unlist(staff_id=staff.pk, product_id=product_id, note="Counterfeit brand.")
    with pytest.raises(PermissionDenied, match="Counterfeit brand"):
        catalog_service.set_listed(actor_id=bob.pk, product_id=product_id, listed=True)


def test_a_deleted_product_is_gone_for_its_owner_too(make_vendor, make_product, catalog_service):
    bob = make_vendor("bob")
    product_id = make_product(bob)
    catalog_service.delete_product(actor_id=bob.pk, product_id=product_id)
    with pytest.raises(NotFound):
        catalog_service.delete_product(actor_id=bob.pk, product_id=product_id)
    assert Product.objects.filter(pk=product_id).exists()  # the row stays for past orders


# stock, for the orders module
@pytest.mark.django_db(transaction=True)
def test_reserve_stock_needs_the_callers_transaction(make_vendor, make_product, catalog_service):
    product_id = make_product(make_vendor("bob"))
    with pytest.raises(RuntimeError, match="inside the caller's transaction"):
        catalog_service.reserve_stock(items={product_id: 1})


def test_reserve_stock_takes_all_or_nothing_and_reports_the_purchase(make_vendor, make_product, catalog_service):
    bob = make_vendor("bob")
    lamp = make_product(bob, title="Lamp", price_sat=1000, stock=5)
    saw = make_product(bob, title="Saw", price_sat=700, stock=1, category="tools")
    with transaction.atomic():
        lines = catalog_service.reserve_stock(items=[(saw, 1), (lamp, 2), (lamp, 1)])
    assert [(x.product_id, x.title, x.price_sat, x.quantity, x.total_sat, x.vendor_user_id) for x in lines] == [
        (lamp, "Lamp", 1000, 3, 3000, bob.pk),
        (saw, "Saw", 700, 1, 700, bob.pk),
    ]
    assert dict(Product.objects.values_list("pk", "stock")) == {lamp: 2, saw: 0}

    with transaction.atomic():
        with pytest.raises(OutOfStock) as caught:
            catalog_service.reserve_stock(items={lamp: 1, saw: 1})
        assert (caught.value.product_id, caught.value.available) == (saw, 0)
    # the caller caught the refusal and went on: our partial decrement was still undone
    assert dict(Product.objects.values_list("pk", "stock")) == {lamp: 2, saw: 0}

    with transaction.atomic():
        catalog_service.restore_stock(items={saw: 1, lamp: 3})
    assert dict(Product.objects.values_list("pk", "stock")) == {lamp: 5, saw: 1}


def test_products_that_cannot_be_bought_are_refused(make_vendor, make_product, catalog_service, vendor_service, staff):
    bob = make_vendor("bob")
    hidden = make_product(bob, title="Hidden", is_active=False)
    with transaction.atomic(), pytest.raises(ProductUnavailable, match="Hidden is no longer for sale"):
        catalog_service.reserve_stock(items={hidden: 1})
    with transaction.atomic(), pytest.raises(ProductUnavailable):
        catalog_service.reserve_stock(items={999_999: 1})
    listed = make_product(bob, title="Listed")
    vendor_service.suspend(staff_id=staff.pk, vendor_id=bob.vendor_id, reason="Under investigation.")
    with transaction.atomic(), pytest.raises(ProductUnavailable):
        catalog_service.reserve_stock(items={listed: 1})
    for bad in ({listed: 0}, {listed: -1}, {listed: True}, {listed: 1.0}, {}):
        with transaction.atomic(), pytest.raises(ProductError):
            catalog_service.reserve_stock(items=bad)


def test_purchase_lines_read_price_title_and_shop(make_vendor, make_product, catalog_queries):
    bob = make_vendor("bob")
    lamp = make_product(bob, title="Lamp", price_sat=1234, stock=2)
    hidden = make_product(bob, title="Hidden", is_active=False)
    lines = catalog_queries.purchase_lines(items={lamp: 2, hidden: 1, 424242: 1})
    assert set(lines) == {lamp, hidden}
    assert (lines[lamp].price_sat, lines[lamp].total_sat, lines[lamp].vendor_name, lines[lamp].available) == (
        1234,
        2468,
        "Bob's Shop",
        True,
    )
    assert lines[hidden].available is False


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_buyers_never_take_stock_below_zero(make_vendor, make_product, catalog_service):
    """Eight threads each buy 1 lamp and 1 saw, in opposite orders; 5 lamps exist. Rows are locked
    in primary-key order, so no deadlock; exactly 5 purchases succeed."""
    import threading

    from django.db import connection

    bob = make_vendor("bob")
    lamp = make_product(bob, title="Lamp", stock=5)
    saw = make_product(bob, title="Saw", stock=50, category="tools")
    outcomes, barrier = [], threading.Barrier(8)

    def buy(order):
        try:
            barrier.wait()
            with transaction.atomic():
                catalog_service.reserve_stock(items=order)
            outcomes.append("ok")
        except OutOfStock:
            outcomes.append("out")
        except Exception as exc:  # a deadlock or anything else fails the test below
            outcomes.append(repr(exc))
        finally:
            connection.close()

    threads = [
        threading.Thread(target=buy, args=([(lamp, 1), (saw, 1)] if i % 2 else [(saw, 1), (lamp, 1)],))
        for i in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(outcomes) == ["ok"] * 5 + ["out"] * 3
    assert dict(Product.objects.values_list("pk", "stock")) == {lamp: 0, saw: 45}
