"""Pages draw other modules' parts in their slots: the vendor dashboard's shop links, the product page's actions."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_a_vendors_dashboard_shows_the_links_products_and_orders_put_there(client, make_vendor):
    bob = make_vendor("bob")
    client.force_login(bob)
    page = client.get(reverse("vendors:dashboard")).content.decode()
    assert f'href="{reverse("products:create")}">List a product</a>' in page
    assert f'<a href="{reverse("orders:sales")}" id="sales-link">Orders to fulfil</a>' in page


def test_a_pending_shop_gets_neither(client, make_vendor):
    carol = make_vendor("carol", status="pending")
    client.force_login(carol)
    page = client.get(reverse("vendors:dashboard")).content.decode()
    assert "List a product" not in page and "sales-link" not in page


def test_a_part_goes_when_its_module_stops_serving(client, make_vendor, runtime):
    bob = make_vendor("bob")
    client.force_login(bob)
    runtime.modules.mark_failed("orders", "stopped by the test")
    try:
        page = client.get(reverse("vendors:dashboard")).content.decode()
    finally:
        runtime.modules.mark_ready("orders")
    assert "List a product" in page and "sales-link" not in page
