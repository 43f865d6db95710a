"""The header kept per person (marketplace/vendors/kept_parts.py): drawn once, then reused on the
shared pages, and exact under every change of what it shows: a posting, a notification written
or read, a shop opened, a role given or taken, the person's own row, a module stopping, the
language. Its CSRF token is still new per request, and nobody gets another person's."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from marketplace.vendors.caching import SIGNED_IN_HEADER

pytestmark = pytest.mark.django_db

CATALOG = reverse("products:list")
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
UNREAD = re.compile(r'id="unread-count">(\d+)<')


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def header(response) -> str:
    assert response.status_code == 200
    html = response.content.decode()
    return html[html.index('<nav class="site-nav"') : html.index("</nav>")]


@pytest.fixture
def alice(make_user, fund):
    user = make_user("alice")
    fund(user, 1_234_567)
    return user


@pytest.fixture
def kept(market, alice):
    """Alice has seen the catalog once: her header is kept."""
    client = signed_in(alice)
    assert client.get(CATALOG)[SIGNED_IN_HEADER] == "miss"
    return client


def test_the_kept_header_is_the_header_drawn_afresh(kept, alice, container, monkeypatch, django_assert_num_queries):
    with django_assert_num_queries(2):  # session and user: nothing of the header is asked
        reused = kept.get(CATALOG)
    assert reused[SIGNED_IN_HEADER] == "hit"
    with monkeypatch.context() as off:
        off.setattr(container.vendors.page_cache(), "timeout", 0)
        fresh = kept.get(CATALOG)
    assert fresh[SIGNED_IN_HEADER] == "off"
    same = TOKEN.sub("-", header(reused))
    assert same == TOKEN.sub("-", header(fresh))
    assert "0.01234567" in same and ">alice</a>" in same


def test_a_posting_shows_at_the_next_request(kept, alice, market, wallet_service):
    assert "0.01234567" in header(kept.get(CATALOG))
    wallet_service.transfer(sender_id=alice.pk, recipient_id=market.buyer.pk, amount_sat=567, idempotency_key="k1")
    page = kept.get(CATALOG)
    assert page[SIGNED_IN_HEADER] == "hit" and "0.01234000" in header(page)


def test_the_other_party_of_a_posting_sees_theirs_too(kept, alice, market, wallet_service):
    buyer = signed_in(market.buyer)
    assert "0.01000000" in header(buyer.get(CATALOG))
    wallet_service.transfer(sender_id=alice.pk, recipient_id=market.buyer.pk, amount_sat=1_000, idempotency_key="k2")
    page = buyer.get(CATALOG)
    assert page[SIGNED_IN_HEADER] == "hit" and "0.01001000" in header(page)


def test_a_notification_written_then_read_shows_at_the_next_request(
    kept, alice, container, django_capture_on_commit_callbacks
):
    assert UNREAD.search(header(kept.get(CATALOG))) is None
    with django_capture_on_commit_callbacks(execute=True):
        container.notifications.notification_service().notify(
            user_ids=[alice.pk], subject="Hello", body="About it.", path="", kind="orders", thread=""
        )
    assert UNREAD.search(header(kept.get(CATALOG))).group(1) == "1"
    container.notifications.notification_inbox().mark_all_read(user_id=alice.pk)
    assert UNREAD.search(header(kept.get(CATALOG))) is None


def test_a_shop_opened_shows_at_the_next_request(kept, alice, container):
    assert "Sell here" in header(kept.get(CATALOG))
    container.vendors.vendor_service().apply(
        user_id=alice.pk, shop_name="Alice's Attic", slug="alices-attic", description="Old things, kept well."
    )
    shown = header(kept.get(CATALOG))
    assert "My shop" in shown and "Sell here" not in shown


def test_a_role_given_then_taken_shows_at_the_next_request(kept, alice, container):
    access = container.core.staff_access()
    assert "staff-menu" not in header(kept.get(CATALOG))
    access.set_roles(user_id=alice.pk, roles=["moderator"])
    page = kept.get(CATALOG)
    assert page[SIGNED_IN_HEADER] == "bypass" and "staff-menu" in header(page)  # staff never share
    access.set_roles(user_id=alice.pk, roles=[])
    page = kept.get(CATALOG)
    assert page[SIGNED_IN_HEADER] == "hit" and "staff-menu" not in header(page)


def test_a_permission_given_through_a_group_counts_too(kept, alice):
    from django.contrib.auth.models import Group, Permission

    group = Group.objects.create(name="helpers")
    group.permissions.add(Permission.objects.get(codename="operate", content_type__app_label="accounts"))
    assert kept.get(CATALOG)[SIGNED_IN_HEADER] == "hit"  # no member yet
    group.user_set.add(alice)
    page = kept.get(CATALOG)
    assert page[SIGNED_IN_HEADER] == "bypass" and "staff-menu" in header(page)
    group.delete()
    assert kept.get(CATALOG)[SIGNED_IN_HEADER] == "hit"


def test_a_new_display_name_shows_at_the_next_request(kept, alice, container):
    container.accounts.user_service().update_profile(user_id=alice.pk, display_name="Alice A.", bio="")
    assert ">Alice A.</a>" in header(kept.get(CATALOG))


def test_a_module_that_stops_serving_leaves_the_header(kept, runtime):
    assert "nav-notifications" in header(kept.get(CATALOG))
    runtime.modules.mark_failed("notifications", "stopped by the test")
    try:
        assert "nav-notifications" not in header(kept.get(CATALOG))
    finally:
        runtime.modules.mark_ready("notifications")
    assert "nav-notifications" in header(kept.get(CATALOG))


def test_the_header_is_kept_per_language(kept):
    assert "Sign out" in header(kept.get(CATALOG))
    german = header(kept.get(CATALOG, HTTP_ACCEPT_LANGUAGE="de"))
    assert "Abmelden" in german and "Sign out" not in german
    assert "Sign out" in header(kept.get(CATALOG))


def test_nobody_gets_another_persons_header(kept, market):
    buyer = signed_in(market.buyer)
    theirs = header(buyer.get(CATALOG))
    assert f">{market.buyer.username}</a>" in theirs and ">alice</a>" not in theirs and "0.01234567" not in theirs


def test_the_kept_sign_out_form_carries_this_requests_token(kept):
    first, second = (TOKEN.search(header(kept.get(CATALOG))).group(1) for _ in range(2))
    assert first != second  # masked anew per request, as Django does
    enforcing = Client(enforce_csrf_checks=True)
    enforcing.cookies = kept.cookies
    page = enforcing.get(CATALOG)
    assert page[SIGNED_IN_HEADER] == "hit"
    token = TOKEN.search(header(page)).group(1)
    assert enforcing.post(reverse("accounts:logout"), {"csrfmiddlewaretoken": token}).status_code == 302
