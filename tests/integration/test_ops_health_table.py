"""The ops page's health table (text, never Python repr) and its services' refused/failed columns."""

import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from marketplace.products.models import Product
from services.health_table import flatten, health_rows

pytestmark = pytest.mark.django_db

INDEX = "/ops/"


@pytest.fixture
def extra_checks(fresh_health):
    """Two checks a module might add: one answering nested details, one failing."""

    def pool():
        return {"pool": {"size": 3, "idle": 1}, "hosts": ["db-1", "db-2"], "tls": True, "lag": None}

    def broken():
        raise ConnectionError("refused by 10.0.0.9:6379")

    fresh_health.add_check("test_pool", pool)
    fresh_health.add_check("test_broker", broken)
    yield
    for name in ("test_pool", "test_broker"):
        fresh_health._extra.pop(name, None)
    fresh_health._memo.clear()


def components_table(html: str) -> str:
    return re.search(r'<table class="ops-table" id="components">.*?</table>', html, re.S).group(0)


def row(table: str, name: str) -> str:
    return re.search(rf'<tr data-component="{re.escape(name)}".*?</tr>', table, re.S).group(0)


def test_each_component_is_a_row_of_text_with_its_details_as_key_value_rows(staff_client, extra_checks):
    html = staff_client.get(INDEX).content.decode()
    table = components_table(html)
    assert "{" not in table and "&#x27;" not in table and "[" not in table  # no dict, str or list repr

    pool = row(table, "test_pool")
    assert 'data-status="UP"' in pool and "Up</span>" in pool and "ms</td>" in pool
    for key, value in (("pool.size", "3"), ("pool.idle", "1"), ("hosts", "db-1, db-2"), ("tls", "yes"), ("lag", "–")):
        assert f'<dt>{key}</dt><dd class="mono">{value}</dd>' in pool

    broker = row(table, "test_broker")
    assert 'data-status="DOWN"' in broker and "Down</span>" in broker
    assert '<span class="error" data-message>ConnectionError: refused by 10.0.0.9:6379</span>' in broker
    assert 'id="system-status">DEGRADED<' in html  # a non-critical check down

    accounts_check = re.search(r'<tr data-component="users_table"[^>]*data-check-of="module.accounts"', table)
    assert accounts_check, "a module's own checks are rows under it"


def service_row(html: str, service: str) -> tuple[int, int]:
    found = re.search(
        rf'<tr data-service="{service}">.*?<td data-refused>(\d+)</td>'
        r'<td data-failed>(?:<span class="error">)?(\d+)',
        html,
        re.S,
    )
    return (int(found.group(1)), int(found.group(2))) if found else (0, 0)


def test_a_non_vendor_opening_a_vendor_page_is_a_refusal_not_a_failure(staff_client):
    call_command("load_demo_data", stdout=io.StringIO())
    product = Product.objects.filter(vendor__user__username="bob").first()
    buyer = Client()
    buyer.force_login(get_user_model().objects.get(username="alice"))

    before = service_row(staff_client.get(INDEX).content.decode(), "vendor_service")
    assert buyer.get(f"/products/{product.pk}/edit/").status_code == 403
    html = staff_client.get(INDEX).content.decode()
    refused, failed = service_row(html, "vendor_service")
    assert (refused, failed) == (before[0] + 1, before[1])
    assert '<th scope="col">Refused</th><th scope="col">Failed</th>' in html


def test_rows_from_a_report():
    report = {
        "components": {
            "module.shop": {
                "status": "DOWN",
                "critical": True,
                "duration_ms": 0.2,
                "detail": {"state": "failed", "version": "1.0", "error": "ImportError: no module x"},
            },
            "module.cart": {
                "status": "UP",
                "critical": False,
                "duration_ms": 4.0,
                "detail": {"state": "ready", "checks": {"rows": {"status": "UP", "duration_ms": 1.5, "detail": {}}}},
            },
            "chain": {"status": "UP", "critical": False, "duration_ms": 0.1, "detail": {"detail": "manual deposits"}},
        }
    }
    shop, cart, chain = health_rows(report)
    assert (shop.label, shop.message, shop.failing) == ("Down", "ImportError: no module x", True)
    assert shop.details == [("state", "failed"), ("version", "1.0")]
    assert cart.checks[0].name == "rows" and cart.checks[0].message == "OK" and not cart.checks[0].critical
    assert ("checks", "rows") not in [key for key, _ in cart.details]
    assert chain.message == "manual deposits" and chain.details == []
    assert flatten({"a": {"b": {"c": 1.50}}, "d": {}}) == [("a.b.c", "1.5"), ("d", "none")]
