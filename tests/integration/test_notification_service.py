"""Notifications: the other party hears of each change, only after it committed, by the
configured backend; a failing backend never breaks an order."""

import logging

import pytest
from django.core import mail
from django.db import transaction

from containers import ReloadFailed
from marketplace.notifications.models import Notification
from services.errors import InsufficientFunds

pytestmark = pytest.mark.django_db


def sent(user=None):
    rows = Notification.objects.order_by("pk")
    if user is not None:
        rows = rows.filter(user=user)
    return list(rows.values_list("user__username", "subject"))


def test_each_change_tells_the_other_party_after_commit(
    market, place, order_service, message_service, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as pending:
        ref = place(market.buyer, {market.lamp: 1})
    assert pending and sent() == []  # nothing before the commit
    with django_capture_on_commit_callbacks(execute=True):  # as if it committed now
        for callback in pending:
            callback()
    assert sent() == [("vendor", f"New order {ref}")]
    with django_capture_on_commit_callbacks(execute=True):
        order_service.accept(actor_id=market.vendor.pk, reference=ref)
        order_service.ship(actor_id=market.vendor.pk, reference=ref, tracking_note="DHL 42")
        message_service.post(actor_id=market.buyer.pk, reference=ref, body="Thanks!")
        order_service.confirm(actor_id=market.buyer.pk, reference=ref)
    assert sent(market.buyer) == [("buyer", f"Order {ref} was accepted"), ("buyer", f"Order {ref} has shipped")]
    assert sent(market.vendor)[1:] == [
        ("vendor", f"New message about order {ref}"),
        ("vendor", f"Order {ref} is complete"),
    ]
    shipped = Notification.objects.get(user=market.buyer, subject__endswith="has shipped")
    assert "DHL 42" in shipped.body and shipped.link == f"/orders/{ref}/" and shipped.status == "sent"


def test_a_rolled_back_change_tells_nobody(
    market, make_vendor, make_product, make_user, fund, order_service, django_capture_on_commit_callbacks
):
    other = make_vendor("other")
    book = make_product(other, title="Costly book", price_sat=900_000, stock=1, category="fiction")
    poor = make_user("poor")
    fund(poor, 200_000)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(InsufficientFunds):  # the lamp's order was paid, then the book's was not
            order_service.checkout(buyer_id=poor.pk, idempotency_key="k", items={market.lamp: 1, book: 1})
    assert callbacks == [] and sent() == []


def test_timeouts_and_rulings_tell_both_parties(
    market, order_in, order_service, clock, django_capture_on_commit_callbacks
):
    ref = order_in("disputed")
    funded = order_in("funded")
    with django_capture_on_commit_callbacks(execute=True):
        order_service.resolve_dispute(staff_id=market.staff.pk, reference=ref, ruling="refund", note="Lost parcel.")
        clock.advance(days=4)
        order_service.process_timeouts()
    assert set(sent()) == {
        ("buyer", f"The dispute on order {ref} was resolved"),
        ("vendor", f"The dispute on order {ref} was resolved"),
        ("buyer", f"Order {funded} was not accepted in time"),
        ("vendor", f"Order {funded} was not accepted in time"),
    }


def test_the_email_backend_sends_through_django(
    market, place, marketplace_config, container, django_capture_on_commit_callbacks
):
    with marketplace_config(
        notifications={"backend": "email", "site_url": "https://shop.example.com"}, reload=["notifications"]
    ):
        assert container.notifications.notification_service().backend_name == "email"
        with django_capture_on_commit_callbacks(execute=True):
            ref = place(market.buyer, {market.lamp: 1})
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["vendor@example.com"] and message.subject == f"[Marketplace] New order {ref}"
    assert f"https://shop.example.com/orders/{ref}/" in message.body and "0.00120000 BTC" in message.body
    assert container.notifications.notification_service().backend_name == "log"


class BrokenBackend:
    name = "broken"

    def send(self, notice):
        raise ConnectionRefusedError("mail server down")


def test_a_failing_backend_never_breaks_an_order(
    market, place, order_service, container, runtime, caplog, django_capture_on_commit_callbacks
):
    with container.notifications.notification_backend.override(BrokenBackend()):
        with caplog.at_level(logging.WARNING), django_capture_on_commit_callbacks(execute=True):
            ref = place(market.buyer, {market.lamp: 1})
            order_service.accept(actor_id=market.vendor.pk, reference=ref)
        health = runtime.modules.get("notifications").get_module_health()
    assert state_of(ref) == "accepted"
    failed = Notification.objects.filter(status="failed")
    assert failed.count() == 2 and "mail server down" in failed.first().error
    assert "failed on the broken backend" in caplog.text
    assert health["status"] == "DOWN" and "mail server down" in health["checks"]["delivery"]["detail"]["error"]
    assert runtime.container.core.health_service().system()["status"] != "DOWN"  # notifications are optional


def state_of(ref):
    from marketplace.orders.models import Order

    return Order.objects.get(reference=ref).state


def test_notify_waits_for_the_surrounding_transaction(market, container, django_capture_on_commit_callbacks):
    service = container.notifications.notification_service()
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            service.notify(user_ids=[market.buyer.pk], subject="Hello", body="Body")
            assert sent() == []
    assert sent() == [("buyer", "Hello")]


def test_an_unknown_backend_refuses_to_start(marketplace_config, container):
    with pytest.raises(ReloadFailed, match="must be one of log, email"):
        with marketplace_config(notifications={"backend": "pigeon"}, reload=["notifications"]):
            pass
    assert container.notifications.notification_service().backend_name == "log"
