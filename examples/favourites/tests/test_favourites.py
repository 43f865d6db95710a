"""The favourites module on the real database, through its service, its pages and the running system."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from dependency_injector import providers
from django.test import Client
from django.urls import reverse
from favourites.errors import TooManyFavourites, UnknownProduct
from favourites.favourite_service import FavouriteService
from favourites.models import Favourite

pytestmark = pytest.mark.django_db

NOON = datetime(2030, 6, 1, 12, tzinfo=UTC)


@pytest.fixture
def favourites(runtime):
    """The live container of the module: its providers follow reloads, as the views' do."""
    return runtime.module_container("favourites")


@pytest.fixture
def service(favourites) -> FavouriteService:
    return favourites.favourite_service()


@pytest.fixture
def bob(make_vendor):
    return make_vendor("bob")


@pytest.fixture
def lamp(bob, make_product):
    return make_product(bob, title="Brass desk lamp", price_sat=120_000)


@pytest.fixture
def alice(make_user):
    return make_user("alice")


@pytest.fixture
def alice_client(alice):
    client = Client()
    client.force_login(alice)
    return client


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


# the service
def test_add_and_remove_are_idempotent(service, alice, lamp):
    assert service.add(user_id=alice.pk, product_id=lamp) is True
    assert service.add(user_id=alice.pk, product_id=lamp) is False
    assert service.is_favourite(user_id=alice.pk, product_id=lamp)
    assert service.count_for(user_id=alice.pk) == 1

    assert service.remove(user_id=alice.pk, product_id=lamp) is True
    assert service.remove(user_id=alice.pk, product_id=lamp) is False
    assert not service.is_favourite(user_id=alice.pk, product_id=lamp)
    assert service.count_for(user_id=alice.pk) == 0


def test_a_full_list_refuses_more(container, alice, bob, make_product):
    # A plain class: built by hand with the real catalog, it takes any limit.
    service = FavouriteService(
        catalog=container.products.catalog_queries(), clock=container.core.clock(), max_per_user=2
    )
    first, second, third = (make_product(bob, title=f"Item {n}") for n in range(3))
    service.add(user_id=alice.pk, product_id=first)
    service.add(user_id=alice.pk, product_id=second)

    with pytest.raises(TooManyFavourites, match="full"):
        service.add(user_id=alice.pk, product_id=third)
    assert service.add(user_id=alice.pk, product_id=second) is False  # already there: no refusal
    assert service.count_for(user_id=alice.pk) == 2


def test_the_configured_limit_has_a_default(service):
    assert service.max_per_user == 100


@pytest.mark.parametrize("product_id", [987_654, "not a number", None, ""])
def test_unknown_products_are_refused(service, alice, product_id):
    with pytest.raises(UnknownProduct):
        service.add(user_id=alice.pk, product_id=product_id)
    assert not Favourite.objects.exists()


def test_hidden_and_deleted_products_are_refused(service, catalog_service, alice, bob, make_product):
    hidden = make_product(bob, title="Not yet", is_active=False)
    deleted = make_product(bob, title="Gone")
    catalog_service.delete_product(actor_id=bob.pk, product_id=deleted)

    for product_id in (hidden, deleted):
        with pytest.raises(UnknownProduct, match="no such product"):
            service.add(user_id=alice.pk, product_id=product_id)
    # Not even for the vendor who may see the hidden one: a list is for what is for sale.
    with pytest.raises(UnknownProduct):
        service.add(user_id=bob.pk, product_id=hidden)


def test_the_list_comes_in_one_query(
    favourites, container, catalog_service, alice, bob, make_product, django_assert_num_queries
):
    from services.clock import ManualClock

    clock = ManualClock(NOON)
    ids = [make_product(bob, title=f"Item {n}", price_sat=1_000 + n) for n in range(3)]
    with container.core.clock.override(clock):
        service = favourites.favourite_service()
        for product_id in ids:
            service.add(user_id=alice.pk, product_id=product_id)
            clock.advance(minutes=1)
    catalog_service.set_listed(actor_id=bob.pk, product_id=ids[0], listed=False)

    with django_assert_num_queries(1):
        rows = service.list_for(user_id=alice.pk)

    assert [(r.title, r.price_sat, r.vendor_name) for r in rows] == [
        ("Item 2", 1_002, "Bob's Shop"),
        ("Item 1", 1_001, "Bob's Shop"),
        ("Item 0", 1_000, "Bob's Shop"),
    ]
    assert rows[0].added_at == NOON + timedelta(minutes=2)
    assert [r.available for r in rows] == [True, True, False]  # hidden since it was added
    assert rows[0].url == reverse("products:detail", args=[ids[2]])


def test_a_deleted_product_leaves_every_list(
    service, catalog_service, alice, make_user, bob, lamp, make_product, django_capture_on_commit_callbacks
):
    carol = make_user("carol")
    saw = make_product(bob, title="Japanese pull saw")
    for user in (alice, carol):
        service.add(user_id=user.pk, product_id=lamp)
    service.add(user_id=alice.pk, product_id=saw)

    # "products.deleted" reaches the module after the deletion commits.
    with django_capture_on_commit_callbacks(execute=True):
        catalog_service.delete_product(actor_id=bob.pk, product_id=lamp)

    assert list(Favourite.objects.values_list("user_id", "product_id")) == [(alice.pk, saw)]


def test_the_health_check_reports_the_figures(runtime, service, alice, lamp):
    service.add(user_id=alice.pk, product_id=lamp)

    health = runtime.modules.get("favourites").get_module_health()

    assert health["status"] == "UP", health
    assert health["checks"]["favourites"]["detail"] == {"favourites": 1, "max_per_user": 100}


# the pages
def test_the_list_shows_favourites_with_links(alice_client, service, alice, lamp):
    service.add(user_id=alice.pk, product_id=lamp)

    page = alice_client.get(reverse("favourites:list"))

    assert page.status_code == 200
    html = page.content.decode()
    assert f'<a href="{reverse("products:detail", args=[lamp])}">Brass desk lamp</a>' in html
    assert "0.00120000" in html
    assert 'value="remove"' in html


def test_an_empty_list_says_so(alice_client):
    page = alice_client.get(reverse("favourites:list"))
    assert "No favourites yet." in page.content.decode()


def test_toggle_adds_removes_and_goes_back_to_a_safe_page(alice_client, alice, lamp):
    product_page = reverse("products:detail", args=[lamp])
    added = alice_client.post(reverse("favourites:toggle"), {"product_id": lamp, "action": "add", "next": product_page})
    assert added.status_code == 302 and added["Location"] == product_page
    assert Favourite.objects.filter(user=alice, product_id=lamp).exists()

    removed = alice_client.post(
        reverse("favourites:toggle"), {"product_id": lamp, "action": "remove", "next": "https://evil.example/"}
    )
    assert removed["Location"] == reverse("favourites:list")  # never off the site
    assert not Favourite.objects.exists()


@pytest.mark.parametrize(
    ("form", "said"),
    [
        ({"product_id": "garbage", "action": "add"}, "There is no such product for sale."),
        ({"product_id": "987654", "action": "add"}, "There is no such product for sale."),
        ({"action": "add"}, "There is no such product for sale."),
        ({"product_id": "1", "action": "explode"}, "Choose to add or to remove a favourite."),
        ({"product_id": "x" * 5000, "action": "remove"}, "There is no such product for sale."),
        ({"product_id": "9" * 30, "action": "add"}, "There is no such product for sale."),
        ({"product_id": "-1", "action": "add"}, "There is no such product for sale."),
        ({"product_id": "9" * 30, "action": "remove"}, "There is no such product for sale."),
    ],
)
def test_bad_requests_get_a_message_not_an_error(alice_client, form, said):
    page = alice_client.post(reverse("favourites:toggle"), form, follow=True)

    assert page.status_code == 200
    assert said in messages_of(page)


def test_anonymous_visitors_are_sent_to_sign_in(client, lamp):
    for response in (
        client.get(reverse("favourites:list")),
        client.post(reverse("favourites:toggle"), {"product_id": lamp, "action": "add"}),
    ):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))
    assert not Favourite.objects.exists()


def test_toggle_is_a_post_with_a_csrf_token(alice, lamp):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.get(reverse("favourites:toggle")).status_code == 405

    forged = client.post(reverse("favourites:toggle"), {"product_id": lamp, "action": "add"})
    assert forged.status_code == 403
    assert not Favourite.objects.exists()

    page = client.get(reverse("products:detail", args=[lamp])).content.decode()
    token = re.search(r'id="favourite-toggle">.*?name="csrfmiddlewaretoken" value="([^"]+)"', page, re.S).group(1)
    sent = client.post(
        reverse("favourites:toggle"), {"product_id": lamp, "action": "add", "csrfmiddlewaretoken": token}
    )
    assert sent.status_code == 302
    assert Favourite.objects.filter(user=alice, product_id=lamp).exists()


def test_the_product_page_has_the_button_for_signed_in_buyers(client, alice_client, service, alice, lamp):
    url = reverse("products:detail", args=[lamp])

    assert "Add to favourites" in alice_client.get(url).content.decode()
    service.add(user_id=alice.pk, product_id=lamp)
    assert "Remove from favourites" in alice_client.get(url).content.decode()
    assert 'id="favourite-toggle"' not in client.get(url).content.decode()  # anonymous: nothing


def test_the_menu_links_the_list_for_signed_in_users(client, alice_client):
    link = f'<a href="{reverse("favourites:list")}">Favourites</a>'
    assert link in alice_client.get(reverse("products:list")).content.decode()
    assert link not in client.get(reverse("products:list")).content.decode()


# the running system
def test_a_module_author_swaps_a_collaborator(favourites, container, alice_client, alice, lamp):
    # The pages get the override: views and template tags ask the same live provider.
    full = providers.Factory(
        FavouriteService, catalog=container.products.catalog_queries, clock=container.core.clock, max_per_user=0
    )
    with favourites.favourite_service.override(full):
        page = alice_client.post(reverse("favourites:toggle"), {"product_id": lamp, "action": "add"}, follow=True)
        assert "Your list is full (0 products): remove one first." in messages_of(page)

    # Reset at the end of the block: the configured service is back.
    alice_client.post(reverse("favourites:toggle"), {"product_id": lamp, "action": "add"})
    assert Favourite.objects.filter(user=alice, product_id=lamp).exists()


def test_the_clock_is_the_core_one(favourites, container, alice, lamp):
    from services.clock import ManualClock

    with container.core.clock.override(ManualClock(NOON)):
        favourites.favourite_service().add(user_id=alice.pk, product_id=lamp)
    assert Favourite.objects.get().created_at == NOON


def test_a_reloaded_module_keeps_serving(
    runtime, favourites, catalog_service, alice_client, alice, bob, lamp, django_capture_on_commit_callbacks
):
    result = runtime.reload_module("favourites")

    assert result.ok, result
    assert runtime.modules.state("favourites") == "ready"
    alice_client.post(reverse("favourites:toggle"), {"product_id": lamp, "action": "add"})
    page = alice_client.get(reverse("favourites:list"))
    assert page.status_code == 200 and "Brass desk lamp" in page.content.decode()
    assert "Remove from favourites" in alice_client.get(reverse("products:detail", args=[lamp])).content.decode()
    # The new generation handles the events: the old one stopped listening, the new one did not miss any.
    with django_capture_on_commit_callbacks(execute=True):
        catalog_service.delete_product(actor_id=bob.pk, product_id=lamp)
    assert not Favourite.objects.exists()
    assert runtime.modules.get("favourites").get_module_health()["status"] == "UP"


def test_the_configured_limit_follows_a_reload(runtime, favourites):
    import copy

    from django.conf import settings
    from django.test import override_settings

    changed = copy.deepcopy(settings.MARKETPLACE)
    changed["favourites"] = {"max_per_user": 3}
    try:
        with override_settings(MARKETPLACE=changed):
            assert runtime.reload_module("favourites").ok
            assert favourites.favourite_service().max_per_user == 3
    finally:
        runtime.reload_module("favourites")
    assert favourites.favourite_service().max_per_user == 100
