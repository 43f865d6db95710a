"""Signed-in pages from the page cache: the shared part kept, the header, messages, module slot
and CSRF tokens drawn per request (marketplace/shared_pages.py).

The same page with the cache off and on reads the same; an edit shows at the next request;
nobody's own figures reach another person; owners and staff never use nor fill the shared copy;
a form on a cached page posts; a message shows once; the query counts are fixed."""

import re

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse

from marketplace.vendors.caching import SIGNED_IN_HEADER

pytestmark = pytest.mark.django_db

CATALOG = reverse("products:list")
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def signed_in(user, **kwargs) -> Client:
    client = Client(**kwargs)
    client.force_login(user)
    return client


def urls(market) -> dict:
    return {
        "catalog": CATALOG,
        "product": reverse("products:detail", args=[market.lamp]),
        "shop": reverse("vendors:storefront", args=[market.vendor.shop_slug]),
    }


def favourites_slot() -> int:
    """The example module (CI's second pass enables it) adds a button to the product page: for a
    signed-in person one more form and one query (is it among their favourites)."""
    from containers import runtime

    return 1 if runtime.modules.is_ready("favourites") else 0


def normalised(response) -> str:
    """The page with its CSRF tokens (a new mask at every render) made equal."""
    return TOKEN.sub('name="csrfmiddlewaretoken" value="-"', response.content.decode())


@pytest.fixture
def alice(make_user, fund, container, django_capture_on_commit_callbacks):
    user = make_user("alice")
    fund(user, 1_234_567)
    with django_capture_on_commit_callbacks(execute=True):
        container.notifications.notification_service().notify(
            user_ids=[user.pk], subject="Hello Alice", body="About it.", path="", kind="orders", thread=""
        )
    return user


@pytest.fixture
def page_cache(container):
    return container.vendors.page_cache()


@pytest.mark.parametrize("page", ["catalog", "product", "shop"])
def test_a_page_is_the_same_with_the_cache_off_and_on(market, alice, page, page_cache, monkeypatch):
    url = urls(market)[page]
    client = signed_in(alice)
    with monkeypatch.context() as off:
        off.setattr(page_cache, "timeout", 0)
        uncached = client.get(url)
    assert uncached[SIGNED_IN_HEADER] == "off"
    miss, hit = client.get(url), client.get(url)
    assert (miss[SIGNED_IN_HEADER], hit[SIGNED_IN_HEADER]) == ("miss", "hit")
    assert normalised(uncached) == normalised(miss) == normalised(hit)
    html = hit.content.decode()
    assert "0.01234567" in html and 'id="unread-count">1<' in html and ">alice</a>" in html
    assert "X-Page-Cache" not in hit  # that header is the visitors' whole pages'
    assert {"private", "no-store"} <= {part.strip() for part in hit["Cache-Control"].split(",")}
    forms = 2 + favourites_slot() if page == "product" else 1  # sign out; add to cart
    assert len(TOKEN.findall(html)) == forms
    assert "Cookie" in hit["Vary"]


def test_nobodys_own_figures_reach_another_person(market, alice, make_user):
    bea = make_user("bea")
    for url in urls(market).values():
        mine = signed_in(alice).get(url)
        theirs = signed_in(bea).get(url)
        assert (mine[SIGNED_IN_HEADER], theirs[SIGNED_IN_HEADER]) == ("miss", "hit")
        html = theirs.content.decode()
        assert ">bea</a>" in html and ">alice</a>" not in html
        assert "0.01234567" not in html and "0.00000000" in html  # bea's balance, not alice's
        assert "unread-count" not in html
        assert not set(TOKEN.findall(mine.content.decode())) & set(TOKEN.findall(html))
        back = signed_in(alice).get(url)  # and the other way round
        assert back[SIGNED_IN_HEADER] == "hit" and ">alice</a>" in back.content.decode()
        assert ">bea</a>" not in back.content.decode() and "0.01234567" in back.content.decode()


@pytest.mark.parametrize("field", ["price", "stock", "title"])
def test_an_edit_shows_to_signed_in_people_at_the_next_request(market, alice, catalog_service, categories, field):
    client = signed_in(alice)
    for url in urls(market).values():
        client.get(url)
        assert client.get(url)[SIGNED_IN_HEADER] == "hit"
    change = {"price": {"price_sat": 99_000}, "stock": {"stock": 0}, "title": {"title": "Copper desk lamp"}}[field]
    values = {"title": "Brass desk lamp", "price_sat": 120_000, "stock": 5, **change}
    catalog_service.update_product(
        actor_id=market.vendor.pk,
        product_id=market.lamp,
        description="A lamp.",
        category_id=categories["lighting"],
        is_active=True,
        **values,
    )
    expected = {"price": "0.00099000", "stock": "Sold out", "title": "Copper desk lamp"}[field]
    for url in urls(market).values():
        page = client.get(url)
        assert page[SIGNED_IN_HEADER] == "miss" and expected in page.content.decode(), url
    product = client.get(urls(market)["product"]).content.decode()
    assert ('id="add-to-cart"' in product) == (field != "stock")  # the slot follows the stock too


def test_a_sale_shows_at_once(market, alice, catalog_service):
    client = signed_in(alice)
    url = urls(market)["product"]
    client.get(url)
    with transaction.atomic():
        catalog_service.reserve_stock(items={market.lamp: 5})
    assert "Sold out" in client.get(url).content.decode()


def test_the_vendor_never_gets_nor_fills_the_shared_copy(market, alice, catalog_service):
    product, shop = urls(market)["product"], urls(market)["shop"]
    vendor = signed_in(market.vendor)
    own = vendor.get(product)
    assert own[SIGNED_IN_HEADER] == "bypass" and ">Edit<" in own.content.decode()
    assert vendor.get(shop)[SIGNED_IN_HEADER] == "bypass"
    buyer = signed_in(alice)
    for url in (product, shop):
        first = buyer.get(url)
        assert first[SIGNED_IN_HEADER] == "miss", "the vendor's page was kept for others"
        assert buyer.get(url)[SIGNED_IN_HEADER] == "hit"
    html = buyer.get(product).content.decode()
    assert ">Edit<" not in html and "Report this listing" in html and 'id="add-to-cart"' in html
    again = vendor.get(product)
    assert again[SIGNED_IN_HEADER] == "bypass" and ">Edit<" in again.content.decode()
    assert 'id="add-to-cart"' not in again.content.decode()
    # Hidden: the vendor still sees it (with a notice), a buyer does not, and nothing is kept.
    catalog_service.set_listed(actor_id=market.vendor.pk, product_id=market.lamp, listed=False)
    hidden = vendor.get(product)
    assert hidden.status_code == 200 and 'id="hidden-notice"' in hidden.content.decode()
    assert buyer.get(product).status_code == 404
    assert buyer.get(product).status_code == 404


def test_a_suspended_shop_is_its_owners_alone(market, alice, vendor_service, staff):
    shop = urls(market)["shop"]
    buyer, vendor = signed_in(alice), signed_in(market.vendor)
    buyer.get(shop)
    assert buyer.get(shop)[SIGNED_IN_HEADER] == "hit"
    vendor_service.suspend(staff_id=staff.pk, vendor_id=market.vendor.vendor_id, reason="Checking.")
    own = vendor.get(shop)
    assert own.status_code == 200 and "only you" in own.content.decode()
    assert buyer.get(shop).status_code == 404


def test_staff_never_get_nor_fill_the_shared_copy(market, alice, make_staff):
    moderator = signed_in(make_staff("moderator", username="mod"))
    product = urls(market)["product"]
    theirs = moderator.get(product)
    assert theirs[SIGNED_IN_HEADER] == "bypass" and "Unlist (staff)" in theirs.content.decode()
    buyer = signed_in(alice)
    first = buyer.get(product)
    assert first[SIGNED_IN_HEADER] == "miss" and "Unlist (staff)" not in first.content.decode()
    assert buyer.get(product)[SIGNED_IN_HEADER] == "hit"
    again = moderator.get(product)
    assert again[SIGNED_IN_HEADER] == "bypass" and "Unlist (staff)" in again.content.decode()
    assert "Staff" in again.content.decode() and ">mod</a>" in again.content.decode()


def test_the_add_to_cart_form_of_a_cached_page_posts_and_its_message_shows_once(market, alice, make_user, cart_service):
    product = urls(market)["product"]
    signed_in(make_user("bea")).get(product)  # someone else fills the cache
    buyer = signed_in(alice, enforce_csrf_checks=True)
    page = buyer.get(product)
    assert page[SIGNED_IN_HEADER] == "hit"
    form = re.search(
        r'<form method="post" action="([^"]+)"[^>]*id="add-to-cart">.*?</form>', page.content.decode(), re.S
    )
    token = TOKEN.search(form.group(0)).group(1)
    added = buyer.post(form.group(1), {"csrfmiddlewaretoken": token, "product_id": market.lamp, "quantity": 2})
    assert added.status_code == 302 and added["Location"] == reverse("orders:cart")
    assert [(line.product_id, line.quantity) for line in cart_service.contents(user_id=alice.pk).lines] == [
        (market.lamp, 2)
    ]
    told = "Brass desk lamp is in your cart (2)."
    shown = buyer.get(product)
    assert shown[SIGNED_IN_HEADER] == "hit" and shown.content.decode().count(told) == 1
    later = buyer.get(product)
    assert later[SIGNED_IN_HEADER] == "hit" and told not in later.content.decode()
    refused = buyer.post(form.group(1), {"csrfmiddlewaretoken": "x" * 64, "product_id": market.lamp, "quantity": 1})
    assert refused.status_code == 403  # the check is still on


def test_a_message_waiting_on_a_cache_miss_shows_once_too(market, alice):
    product = urls(market)["product"]
    buyer = signed_in(alice)
    buyer.post(reverse("orders:cart-add"), {"product_id": market.lamp, "quantity": 1})
    first = buyer.get(product)
    assert first[SIGNED_IN_HEADER] == "miss" and "is in your cart (1)" in first.content.decode()
    again = buyer.get(product)
    assert again[SIGNED_IN_HEADER] == "hit" and "is in your cart" not in again.content.decode()


# query counts: session, user, the user's permissions and their groups' (the staff check and the
# header's staff menu share them), then the header's shop, unread notifications and balance;
# once the header is kept for the person, session and user only
HEADER = 7
KEPT_HEADER = 2


@pytest.mark.parametrize(("page", "miss"), [("catalog", 3), ("product", 3), ("shop", 5)])
def test_a_signed_in_page_runs_fixed_queries(market, alice, page, miss, django_assert_num_queries):
    url = urls(market)[page]
    client = signed_in(alice)
    slot = favourites_slot() if page == "product" else 0  # drawn per request, like the header
    with django_assert_num_queries(HEADER + miss + slot):  # the page's own: categories, rows; product, pictures, ...
        assert client.get(url)[SIGNED_IN_HEADER] == "miss"
    with django_assert_num_queries(KEPT_HEADER + slot):
        assert client.get(url)[SIGNED_IN_HEADER] == "hit"


def test_the_wallet_page_runs_fixed_queries(market, alice, wallet_service, django_assert_num_queries):
    """Personal through and through, so never shared: drawn per request, at a fixed count."""
    wallet = reverse("wallets:wallet")
    client = signed_in(alice)
    client.get(wallet)  # the deposit address is handed out on the first visit
    for n in range(30):
        wallet_service.transfer(
            sender_id=alice.pk, recipient_id=market.buyer.pk, amount_sat=10 + n, idempotency_key=f"w-{n}"
        )
    # session, user, the user is active, the deposit address, the balance (the header's too),
    # pending deposits, withdrawals, the history's count and page; permissions and their
    # groups', the header's shop and unread notifications
    for url in (wallet, wallet + "?page=2"):
        with django_assert_num_queries(13):
            page = client.get(url)
        assert page.status_code == 200 and SIGNED_IN_HEADER not in page
        assert page.content.decode().count("0.01233832") >= 2  # the header and the wallet agree
