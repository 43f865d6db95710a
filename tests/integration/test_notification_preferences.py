"""E-mail preferences per kind of notification, on the profile page: all on until switched off;
a switched-off kind is never e-mailed, yet still appears in the list on the site."""

import pytest
from django.core import mail
from django.test import Client

from marketplace.notifications.models import EmailOptOut, Notification
from services.errors import ServiceError
from services.notification_kinds import KIND_KEYS

pytestmark = pytest.mark.django_db


def login(user, **kwargs) -> Client:
    client = Client(**kwargs)
    client.force_login(user)
    return client


@pytest.fixture
def preferences(container):
    return container.notifications.notification_preferences()


def off(user) -> set[str]:
    return set(EmailOptOut.objects.filter(user=user).values_list("kind", flat=True))


def test_the_profile_card_shows_every_kind_on_by_default(market):
    html = login(market.buyer).get("/accounts/profile/").content.decode()
    assert 'id="notification-email"' in html and 'action="/notifications/preferences/"' in html
    for key in KIND_KEYS:
        assert f'value="{key}" id="email-{key}" aria-describedby="email-{key}-help" checked' in html, key


def test_saving_switches_kinds_off_and_on(market, preferences):
    client = login(market.buyer)
    response = client.post("/notifications/preferences/", {"email": ["orders", "disputes", "reviews"]})
    assert response.status_code == 302 and response["Location"] == "/accounts/profile/#notification-email"
    assert off(market.buyer) == {"messages", "wallet"}
    html = client.get("/accounts/profile/").content.decode()
    assert "E-mail preferences saved." in html
    assert 'id="email-messages" aria-describedby="email-messages-help">' in html  # unticked now
    client.post("/notifications/preferences/", {"email": ["messages", "orders"]})
    assert off(market.buyer) == {"disputes", "reviews", "wallet"}
    assert [p.on for p in preferences.email_preferences(user_id=market.buyer.pk)] == [True, True, False, False, False]
    client.post("/notifications/preferences/", {})  # nothing ticked: nothing e-mailed
    assert off(market.buyer) == set(KIND_KEYS) and off(market.vendor) == set()


def test_an_unknown_kind_changes_nothing(market, preferences):
    client = login(market.buyer)
    client.post("/notifications/preferences/", {"email": ["orders"]})
    response = client.post("/notifications/preferences/", {"email": ["orders", "pigeons"]}, follow=True)
    assert "Unknown kind of notification: pigeons. Nothing was changed." in response.content.decode()
    assert off(market.buyer) == set(KIND_KEYS) - {"orders"}
    with pytest.raises(ServiceError):
        preferences.set_email_preferences(user_id=market.buyer.pk, wanted=["x" * 1000])


def test_saving_needs_the_csrf_token_and_a_post(market):
    client = login(market.buyer, enforce_csrf_checks=True)
    assert client.post("/notifications/preferences/", {}).status_code == 403
    assert client.get("/notifications/preferences/").status_code == 405
    assert off(market.buyer) == set()
    assert Client().post("/notifications/preferences/", {}).status_code == 302  # to sign in
    assert off(market.buyer) == set()


def test_a_switched_off_kind_sends_no_mail_but_still_appears(
    market, place, message_service, order_service, marketplace_config, preferences, django_capture_on_commit_callbacks
):
    preferences.set_email_preferences(user_id=market.vendor.pk, wanted=set(KIND_KEYS) - {"messages"})
    with marketplace_config(notifications={"backend": "email"}, reload=["notifications"]):
        with django_capture_on_commit_callbacks(execute=True):
            ref = place(market.buyer, {market.lamp: 1})
            message_service.post(actor_id=market.buyer.pk, reference=ref, body="Gift wrap, please.")
    assert [m.subject for m in mail.outbox] == [f"[Marketplace] New order {ref}"]  # the order, not the message
    message = Notification.objects.get(user=market.vendor, kind="messages")
    assert message.backend == "inbox" and message.status == "sent" and message.read_at is None
    assert message.subject == f"New message about order {ref}" and message.thread == f"order:{ref}"


def test_switching_off_after_it_was_written_still_stops_the_mail(
    market, container, clock, marketplace_config, preferences
):
    waiting = Notification.objects.create(
        user=market.buyer,
        topic="wallets.deposit_credited",
        kind="wallet",
        thread="wallet",
        subject="Deposit",
        body="0.1 BTC",
        backend="email",
        status="pending",
        created_at=clock.now(),
    )  # written, its sending queued, when the buyer switched wallet e-mails off
    preferences.set_email_preferences(user_id=market.buyer.pk, wanted=["orders"])
    with marketplace_config(notifications={"backend": "email"}, reload=["notifications"]):
        container.notifications.notification_service().deliver(notification_id=waiting.pk)
    waiting.refresh_from_db()
    assert mail.outbox == [] and (waiting.backend, waiting.status) == ("inbox", "sent")
