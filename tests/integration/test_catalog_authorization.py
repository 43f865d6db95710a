"""Every page that changes or reveals something, against five people: each gets exactly the
expected answer (the page, a sign-in redirect, 403 or 404; never a 500), and nobody changes
what is not theirs."""

import pytest
from django.test import Client
from django.urls import reverse

from marketplace.products.models import Product, ProductReport
from marketplace.vendors.models import Vendor
from tests.support.staff import verified_client

pytestmark = pytest.mark.django_db

ACTORS = ["anonymous", "buyer", "vendor_a", "vendor_b", "staff"]  # staff: a moderator, second factor done
LOGIN = "login"  # a redirect to the sign-in page


@pytest.fixture
def world(make_user, make_vendor, make_product, staff, png, vendor_service, categories):
    vendor_a, vendor_b = make_vendor("ann"), make_vendor("ben")
    product = make_product(vendor_a, images=[png()])
    pending = make_vendor("pat", status="pending")
    suspended = make_vendor("sue")
    vendor_service.suspend(staff_id=staff.pk, vendor_id=suspended.vendor_id, reason="Under review.")
    from marketplace.products.models import ProductImage

    clients = {"anonymous": Client()}
    for name, user in [("buyer", make_user("alice")), ("vendor_a", vendor_a), ("vendor_b", vendor_b), ("staff", staff)]:
        clients[name] = verified_client(user) if user is staff else Client()
        if user is not staff:
            clients[name].force_login(user)
    return {
        "clients": clients,
        "product": product,
        "image": ProductImage.objects.get().pk,
        "pending": pending.vendor_id,
        "suspended": suspended.vendor_id,
        "vendor_a": vendor_a.vendor_id,
        "shop_a": vendor_a.shop_slug,
        "categories": categories,
    }


def product_form(world, **overrides):
    data = {
        "title": "Taken over",
        "description": "",
        "price": "0.001",
        "stock": "3",
        "category": str(world["categories"]["tools"]),
        "is_active": "on",
    }
    data.update(overrides)
    return data


def check(response, expected):
    if expected == LOGIN:
        assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))
    elif isinstance(expected, tuple):
        assert (response.status_code, response["Location"]) == expected
    else:
        assert response.status_code == expected, response.content[:300]


# (name, method, url(world), data(world) or None, answers per actor)
CASES = [
    (
        "apply page",
        "get",
        lambda w: reverse("vendors:apply"),
        None,
        [LOGIN, 200, (302, "/vendors/dashboard/"), (302, "/vendors/dashboard/"), 200],
    ),
    (
        "dashboard",
        "get",
        lambda w: reverse("vendors:dashboard"),
        None,
        [LOGIN, (302, "/vendors/apply/"), 200, 200, (302, "/vendors/apply/")],
    ),
    (
        "edit shop page",
        "get",
        lambda w: reverse("vendors:edit-shop"),
        None,
        [LOGIN, (302, "/vendors/apply/"), 200, 200, (302, "/vendors/apply/")],
    ),
    ("staff queue", "get", lambda w: reverse("vendors:staff"), None, [LOGIN, 403, 403, 403, 200]),
    ("approve", "post", lambda w: reverse("vendors:approve", args=[w["pending"]]), None, [LOGIN, 403, 403, 403, 302]),
    (
        "reject",
        "post",
        lambda w: reverse("vendors:reject", args=[w["pending"]]),
        lambda w: {"reason": "Too vague."},
        [LOGIN, 403, 403, 403, 302],
    ),
    (
        "suspend",
        "post",
        lambda w: reverse("vendors:suspend", args=[w["vendor_a"]]),
        lambda w: {"reason": "Fraud reports."},
        [LOGIN, 403, 403, 403, 302],
    ),
    (
        "unsuspend",
        "post",
        lambda w: reverse("vendors:unsuspend", args=[w["suspended"]]),
        None,
        [LOGIN, 403, 403, 403, 302],
    ),
    (
        "approve a shop that does not exist",
        "post",
        lambda w: reverse("vendors:approve", args=[987654]),
        None,
        [LOGIN, 403, 403, 403, 404],
    ),
    ("storefront", "get", lambda w: reverse("vendors:storefront", args=[w["shop_a"]]), None, [200, 200, 200, 200, 200]),
    (
        "suspended storefront",
        "get",
        lambda w: reverse("vendors:storefront", args=["sue-shop"]),
        None,
        [404, 404, 404, 404, 200],
    ),
    ("new product page", "get", lambda w: reverse("products:create"), None, [LOGIN, 403, 200, 200, 403]),
    ("create product", "post", lambda w: reverse("products:create"), product_form, [LOGIN, 403, 302, 302, 403]),
    ("edit page", "get", lambda w: reverse("products:edit", args=[w["product"]]), None, [LOGIN, 403, 200, 404, 403]),
    (
        "edit",
        "post",
        lambda w: reverse("products:edit", args=[w["product"]]),
        product_form,
        [LOGIN, 403, 302, 404, 403],
    ),
    ("unlist", "post", lambda w: reverse("products:unlist", args=[w["product"]]), None, [LOGIN, 403, 302, 404, 403]),
    ("relist", "post", lambda w: reverse("products:relist", args=[w["product"]]), None, [LOGIN, 403, 302, 404, 403]),
    (
        "delete page",
        "get",
        lambda w: reverse("products:delete", args=[w["product"]]),
        None,
        [LOGIN, 403, 200, 404, 403],
    ),
    ("delete", "post", lambda w: reverse("products:delete", args=[w["product"]]), None, [LOGIN, 403, 302, 404, 403]),
    (
        "edit a product that does not exist",
        "post",
        lambda w: reverse("products:edit", args=[987654]),
        product_form,
        [LOGIN, 403, 404, 404, 403],
    ),
    ("product page", "get", lambda w: reverse("products:detail", args=[w["product"]]), None, [200, 200, 200, 200, 200]),
    ("picture", "get", lambda w: reverse("products:image", args=[w["image"]]), None, [200, 200, 200, 200, 200]),
    (
        "report page",
        "get",
        lambda w: reverse("products:report", args=[w["product"]]),
        None,
        [LOGIN, 200, 200, 200, 200],
    ),
    (
        "report",
        "post",
        lambda w: reverse("products:report", args=[w["product"]]),
        lambda w: {"reason": "misleading", "details": "Not brass."},
        [LOGIN, 302, 400, 302, 302],
    ),
    ("moderation queue", "get", lambda w: reverse("products:moderation"), None, [LOGIN, 403, 403, 403, 200]),
    (
        "staff unlist",
        "post",
        lambda w: reverse("products:moderate-unlist", args=[w["product"]]),
        lambda w: {"note": "Counterfeit."},
        [LOGIN, 403, 403, 403, 302],
    ),
    (
        "staff dismiss",
        "post",
        lambda w: reverse("products:moderate-dismiss", args=[w["product"]]),
        None,
        [LOGIN, 403, 403, 403, 302],
    ),
]


@pytest.mark.parametrize("actor_index, actor", list(enumerate(ACTORS)))
@pytest.mark.parametrize("name, method, url, data, answers", CASES, ids=[c[0] for c in CASES])
def test_each_person_gets_exactly_the_expected_answer(world, actor_index, actor, name, method, url, data, answers):
    client = world["clients"][actor]
    payload = data(world) if data else {}
    response = getattr(client, method)(url(world), payload)
    check(response, answers[actor_index])


def test_what_others_try_changes_nothing(world):
    """Everyone but the owner and staff tries every change; the product and the shops are intact."""
    product_id = world["product"]
    for actor in ["anonymous", "buyer", "vendor_b"]:
        client = world["clients"][actor]
        client.post(reverse("products:edit", args=[product_id]), product_form(world))
        client.post(reverse("products:unlist", args=[product_id]))
        client.post(reverse("products:delete", args=[product_id]))
        client.post(reverse("products:moderate-unlist", args=[product_id]), {"note": "Counterfeit."})
        client.post(reverse("vendors:approve", args=[world["pending"]]))
        client.post(reverse("vendors:suspend", args=[world["vendor_a"]]), {"reason": "Fraud reports."})
        client.post(reverse("vendors:unsuspend", args=[world["suspended"]]))
    product = Product.objects.get(pk=product_id)
    assert (product.title, product.is_active, product.moderation, product.deleted_at) == (
        "Brass desk lamp",
        True,
        "ok",
        None,
    )
    assert Vendor.objects.get(pk=world["pending"]).status == "pending"
    assert Vendor.objects.get(pk=world["vendor_a"]).suspended_at is None
    assert Vendor.objects.get(pk=world["suspended"]).suspended_at is not None


def test_state_changes_need_post(world):
    staff = world["clients"]["staff"]
    for url in [
        reverse("vendors:approve", args=[world["pending"]]),
        reverse("products:moderate-unlist", args=[world["product"]]),
    ]:
        assert staff.get(url).status_code == 405
    owner = world["clients"]["vendor_a"]
    assert owner.get(reverse("products:unlist", args=[world["product"]])).status_code == 405
    assert not ProductReport.objects.exists()


def test_csrf_is_enforced_on_state_changes(world, staff):
    client = verified_client(staff, Client(enforce_csrf_checks=True))
    assert client.post(reverse("vendors:approve", args=[world["pending"]])).status_code == 403
    assert Vendor.objects.get(pk=world["pending"]).status == "pending"
