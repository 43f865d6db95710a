"""VendorsModule and ProductsModule: metadata, health, demo data, configuration, hot reload."""

import sys

import pytest
from django.db import connection
from django.urls import reverse

from containers import ReloadFailed
from modules import ProductsModule, VendorsModule

pytestmark = pytest.mark.django_db


def test_metadata_and_dependencies():
    vendors, products = VendorsModule(), ProductsModule()
    assert (vendors.name, vendors.get_dependencies()) == ("vendors", ["accounts>=1.0"])
    assert (products.name, products.get_dependencies()) == ("products", ["vendors>=1.0"])
    assert (vendors.url_prefix, products.url_prefix) == ("vendors/", "products/")


def test_both_modules_are_ready_and_healthy(runtime, make_vendor, make_product):
    make_product(make_vendor("bob"))
    assert runtime.modules.states()["vendors"] == "ready"
    assert runtime.modules.states()["products"] == "ready"
    vendors = runtime.modules.get("vendors").get_module_health()
    products = runtime.modules.get("products").get_module_health()
    assert vendors["status"] == products["status"] == "UP"
    assert vendors["checks"]["vendors_table"]["detail"]["active_shops"] == 1
    detail = products["checks"]["catalog"]["detail"]
    assert detail["products"] == 1 and detail["backend"] in ("fts5", "postgres")
    assert runtime.health()["components"]["module.products"]["status"] == "UP"


def test_services_are_in_the_registry(runtime):
    for name, module in [
        ("vendor_service", "vendors"),
        ("page_cache", "vendors"),
        ("catalog_service", "products"),
        ("catalog_queries", "products"),
        ("moderation_service", "products"),
        ("search_backend", "products"),
    ]:
        assert runtime.services.get(name).module == module


def test_demo_data_makes_two_approved_shops_with_products_and_is_idempotent(runtime, vendor_service):
    from marketplace.products.models import Category, Product
    from marketplace.vendors.models import Vendor

    for name in ("accounts", "vendors", "products"):
        runtime.modules.get(name).load_demo_data()
    shops = {v.user.username: v for v in Vendor.objects.select_related("user")}
    assert set(shops) == {"bob", "carol"} and all(v.is_active for v in shops.values())
    assert Product.objects.filter(vendor__user__username="bob").count() == 3
    assert Product.objects.filter(vendor__user__username="carol").count() == 3
    assert Category.objects.filter(parent=None).count() == 2
    assert all(p.images.count() == 1 for p in Product.objects.all())
    counts = (Vendor.objects.count(), Product.objects.count(), Category.objects.count())
    lines = [
        line for name in ("accounts", "vendors", "products") for line in runtime.modules.get(name).load_demo_data()
    ]
    assert (Vendor.objects.count(), Product.objects.count(), Category.objects.count()) == counts
    assert "0 shop(s) opened" in lines[1] and "0 categories and 0 product(s)" in lines[2]


def test_the_search_backend_is_chosen_by_configuration(marketplace_config, container):
    # "auto" (the default) serves the backend that understands words on this database.
    own, foreign = ("postgres", "fts5") if connection.vendor == "postgresql" else ("fts5", "postgres")
    assert container.products.catalog_queries().search_backend == own
    with marketplace_config(products={"search_backend": "simple"}, reload=["products"]):
        assert container.products.catalog_queries().search_backend == "simple"
    assert container.products.catalog_queries().search_backend == own
    with pytest.raises(ReloadFailed, match="search backend needs"):
        with marketplace_config(products={"search_backend": foreign}, reload=["products"]):
            pass
    assert container.products.catalog_queries().search_backend == own


def test_reloading_products_keeps_shops_showing_listings_and_caches_following_shops(
    runtime, container, client, make_vendor, make_product, vendor_service, staff, django_capture_on_commit_callbacks
):
    from dependency_injector import providers

    bob = make_vendor("bob")
    product_id = make_product(bob)
    events = container.core.events()
    before = len(events.handlers("vendors.shop_changed"))
    result = runtime.reload_module("products")
    assert result.ok
    assert len(events.handlers("vendors.shop_changed")) == before  # the old module's handler left
    assert isinstance(container.products.catalog_queries(), sys.modules["services.catalog_queries"].CatalogQueries)
    shop = reverse("vendors:storefront", args=[bob.shop_slug])
    assert "Brass desk lamp" in client.get(shop).content.decode()
    detail = reverse("products:detail", args=[product_id])
    assert client.get(detail).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        vendor_service.suspend(staff_id=staff.pk, vendor_id=bob.vendor_id, reason="Checking papers.")
    assert client.get(detail).status_code == 404
    slot = container.vendors.listings
    assert isinstance(slot.last_overriding, providers.Provider)


def test_reloading_vendors_keeps_the_products_slot(runtime, client, make_vendor, make_product):
    bob = make_vendor("bob")
    make_product(bob)
    assert runtime.reload_module("vendors").ok
    page = client.get(reverse("vendors:storefront", args=[bob.shop_slug]))
    assert "Brass desk lamp" in page.content.decode()


def test_nav_links_follow_the_enabled_modules(client, make_staff):
    home = client.get("/").content.decode()
    assert reverse("products:list") in home
    client.force_login(make_staff("moderator", username="staffer2"))
    home = client.get("/").content.decode()
    assert reverse("vendors:staff") in home and reverse("products:moderation") in home
