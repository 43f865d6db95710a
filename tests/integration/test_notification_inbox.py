"""The notifications list: grouped by what it is about, unread counted in the navigation at one
indexed query, marked read one by one, all at once, or by opening one; never another's."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from marketplace.notifications.models import Notification
from services.errors import NotFound

pytestmark = pytest.mark.django_db

TABLE = "notifications_notification"


def login(user, **kwargs) -> Client:
    client = Client(**kwargs)
    client.force_login(user)
    return client


@pytest.fixture
def inbox(container, clock):
    return container.notifications.notification_inbox()


@pytest.fixture
def notify(container, django_capture_on_commit_callbacks):
    def send(user, subject, *, thread="", link="", kind="orders"):
        with django_capture_on_commit_callbacks(execute=True):
            container.notifications.notification_service().notify(
                user_ids=[user.pk], subject=subject, body=f"About {subject}.", path=link, kind=kind, thread=thread
            )
        return Notification.objects.filter(user=user).latest("id")

    return send


def unread(user) -> int:
    return Notification.objects.filter(user=user, read_at=None).count()


# the navigation
def test_the_navigation_counts_unread_at_one_indexed_query(market, notify):
    for n in range(3):
        notify(market.buyer, f"Note {n}")
    client = login(market.buyer)
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/orders/").content.decode()
    ours = [q["sql"] for q in queries.captured_queries if TABLE in q["sql"]]
    assert len(ours) == 1 and "COUNT" in ours[0].upper() and "read_at" in ours[0]
    assert (
        'aria-label="Notifications, 3 unread"' in page and '<span class="badge nav-count" id="unread-count">3' in page
    )
    if connection.vendor == "sqlite":  # the partial index of unread rows answers it, not the table
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN QUERY PLAN {ours[0]}")  # the captured text has its values in it
            assert "notifications_unread" in " ".join(str(row) for row in cursor.fetchall())


def test_nothing_unread_draws_the_plain_link_and_visitors_cost_nothing(market, notify):
    page = login(market.vendor).get("/orders/").content.decode()
    assert re.search(r'<a class="nav-notifications" href="/notifications/">Notifications</a>', page)
    with CaptureQueriesContext(connection) as queries:
        page = Client().get("/").content.decode()
    assert not [q for q in queries.captured_queries if TABLE in q["sql"]]
    assert "nav-notifications" not in page


# the list
def test_the_list_groups_by_order_newest_group_first(market, place, order_service, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = place(market.buyer, {market.lamp: 1})
        second = place(market.buyer, {market.saw: 1})
        order_service.accept(actor_id=market.vendor.pk, reference=first)
        order_service.accept(actor_id=market.vendor.pk, reference=second)
        order_service.ship(actor_id=market.vendor.pk, reference=first, tracking_note="DHL 42")
    page = login(market.buyer).get("/notifications/").content.decode()
    headings = re.findall(r'<h2 id="group-\d+"><a href="([^"]+)">Order ([\w-]+)</a>', page)
    assert headings == [(f"/orders/{first}/", first), (f"/orders/{second}/", second)]
    first_group = page[page.index(f">Order {first}<") : page.index(f">Order {second}<")]
    assert first_group.index("has shipped") < first_group.index("was accepted")  # newest first inside too
    assert page.count('<span class="badge badge-new">New</span>') == 3 and "3 unread" in page
    shipped = Notification.objects.get(user=market.buyer, subject__endswith="has shipped")
    assert f'href="/notifications/{shipped.pk}/open/"' in page and "Order updates" in page


def test_the_list_is_paginated_by_group(market, notify, inbox, django_assert_max_num_queries):
    for n in range(12):
        notify(market.buyer, f"About R{n}", thread=f"order:R{n}")
    for n in range(7):
        notify(market.buyer, f"More about R0, {n}", thread="order:R0")
    page = inbox.page(user_id=market.buyer.pk, number="1")
    assert [g.title for g in page.groups][:2] == ["Order R0", "Order R11"] and len(page.groups) == 10
    assert page.groups[0].total == 8 and len(page.groups[0].rows) == 5 and page.groups[0].earlier == 3
    assert [g.title for g in inbox.page(user_id=market.buyer.pk, number="2").groups] == ["Order R2", "Order R1"]
    for nonsense in ("abc", "-1", "0", "99999999999999999999999"):
        assert inbox.page(user_id=market.buyer.pk, number=nonsense).page.number in (1, 2), nonsense
    client = login(market.buyer)
    client.get("/notifications/")
    with django_assert_max_num_queries(10) as queries:  # with the session, the user, other modules' nav
        html = client.get("/notifications/?page=2").content.decode()
    ours = [q["sql"] for q in queries.captured_queries if TABLE in q["sql"]]
    assert len(ours) == 4  # groups counted, a page of groups, their latest rows, unread (the nav's too)
    assert "Page 2 of 2" in html and "← Newer" in html and "Order R1<" in html
    assert "3 earlier notifications" in client.get("/notifications/").content.decode()


def test_an_empty_list_says_what_will_appear(market):
    html = login(market.buyer).get("/notifications/").content.decode()
    assert 'id="notifications-empty"' in html and "Nothing yet." in html and "Mark all as read" not in html


# marking read
def test_opening_one_marks_it_read_and_goes_where_it_leads(market, notify):
    note = notify(market.buyer, "Shipped", thread="order:R1", link="/orders/R1/")
    client = login(market.buyer)
    response = client.get(f"/notifications/{note.pk}/open/")
    assert response.status_code == 302 and response["Location"] == "/orders/R1/"
    assert unread(market.buyer) == 0
    assert 'aria-label="Notifications,' not in client.get("/orders/").content.decode()


@pytest.mark.parametrize("link", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:x"])
def test_opening_never_leaves_the_site(market, notify, link):
    note = notify(market.buyer, "Odd", link=link)
    response = login(market.buyer).get(f"/notifications/{note.pk}/open/")
    assert response.status_code == 302 and response["Location"] == "/notifications/"


def test_nobody_reads_or_marks_anothers(market, notify, inbox):
    note = notify(market.buyer, "Mine", link="/orders/R1/")
    vendor = login(market.vendor)
    for method, url in (
        ("get", f"/notifications/{note.pk}/open/"),
        ("post", f"/notifications/{note.pk}/read/"),
        ("get", "/notifications/0/open/"),
        ("post", "/notifications/999999/read/"),
        ("get", "/notifications/99999999999999999999999/open/"),
        ("post", "/notifications/99999999999999999999999/read/"),
    ):
        assert getattr(vendor, method)(url).status_code == 404, url
    assert vendor.get("/notifications/abc/open/").status_code == 404
    for act in (inbox.mark_read, inbox.open):
        with pytest.raises(NotFound):
            act(user_id=market.vendor.pk, notification_id=note.pk)
    assert vendor.post("/notifications/read/").status_code == 302  # all of the vendor's: none of the buyer's
    assert unread(market.buyer) == 1


def test_mark_one_and_mark_all(market, notify):
    first = notify(market.buyer, "One", thread="order:R1")
    notify(market.buyer, "Two", thread="order:R1")
    notify(market.buyer, "Three", thread="order:R2")
    client = login(market.buyer)
    assert client.get(f"/notifications/{first.pk}/read/").status_code == 405
    response = client.post(f"/notifications/{first.pk}/read/", {"page": "2"})
    assert response.status_code == 302 and response["Location"] == "/notifications/?page=2"
    assert unread(market.buyer) == 2
    assert client.post(f"/notifications/{first.pk}/read/", {"page": "x/../evil"})["Location"] == "/notifications/"
    response = client.post("/notifications/read/", follow=True)
    assert "2 notifications marked as read." in response.content.decode() and unread(market.buyer) == 0


def test_marking_needs_the_csrf_token(market, notify):
    note = notify(market.buyer, "One")
    client = login(market.buyer, enforce_csrf_checks=True)
    assert client.post(f"/notifications/{note.pk}/read/").status_code == 403
    assert client.post("/notifications/read/").status_code == 403
    assert unread(market.buyer) == 1


def test_notifications_written_before_kinds_get_them(market, clock):
    from importlib import import_module

    from django.apps import apps

    migration = import_module("marketplace.notifications.migrations.0002_kinds_threads_and_email_opt_outs")
    common = {"user": market.buyer, "body": "", "backend": "log", "created_at": clock.now()}
    rows = [
        Notification.objects.create(
            topic="orders.changed", subject="Order R1 has shipped", link="/orders/R1/", **common
        ),
        Notification.objects.create(
            topic="orders.changed", subject="A dispute was opened", link="/orders/R1/", **common
        ),
        Notification.objects.create(topic="orders.message_posted", subject="New message", link="/orders/R2/", **common),
        Notification.objects.create(topic="wallets.deposit_credited", subject="Deposit", link="/wallets/", **common),
        Notification.objects.create(topic="", subject="Hello", **common),
    ]
    migration.kinds_and_threads(apps, None)
    found = [(n.kind, n.thread) for n in Notification.objects.filter(pk__in=[r.pk for r in rows]).order_by("pk")]
    assert found == [
        ("orders", "order:R1"),
        ("disputes", "order:R1"),
        ("messages", "order:R2"),
        ("wallet", "wallet"),
        ("", ""),
    ]
