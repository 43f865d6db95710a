"""A notification is written in one person's request for another: it reads in the recipient's
language (``User.language``), whatever language the person who caused it was using, and so does
its e-mail; a recipient who never chose one reads the site's default, English."""

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client

from marketplace.notifications.models import Notification

pytestmark = pytest.mark.django_db


def speaks(user, language: str) -> None:
    get_user_model().objects.filter(pk=user.pk).update(language=language)


def test_a_vendor_acting_in_english_ships_and_a_german_buyer_reads_german(
    market, order_in, marketplace_config, django_capture_on_commit_callbacks
):
    speaks(market.buyer, "de")
    ref = order_in("accepted")
    vendor = Client()  # no language cookie, no Accept-Language: the vendor's pages are English
    vendor.force_login(market.vendor)
    with marketplace_config(notifications={"backend": "email"}, reload=["notifications"]):
        with django_capture_on_commit_callbacks(execute=True):
            response = vendor.post(f"/orders/{ref}/ship/", {"tracking_note": "DHL 42"})
            assert response.status_code == 302
            assert "Marked as shipped; the buyer has been told." in vendor.get(response["Location"]).content.decode()
    shipped = Notification.objects.get(user=market.buyer, topic="orders.changed", subject__contains="versandt")
    assert shipped.subject == f"Bestellung {ref} wurde versandt"
    assert shipped.body == "Der Verkäufer hat Ihre Bestellung versandt.\n\nDHL 42"  # the vendor's note as written
    (message,) = [m for m in mail.outbox if m.to == ["buyer@example.com"]]
    assert message.subject == f"[Marketplace] Bestellung {ref} wurde versandt"
    assert message.body.startswith("Der Verkäufer hat Ihre Bestellung versandt.")
    assert message.extra_headers["Content-Language"] == "de"


def test_one_event_tells_each_party_in_their_own_language(
    market, order_in, order_service, clock, django_capture_on_commit_callbacks
):
    speaks(market.buyer, "es")
    ref = order_in("funded")
    with django_capture_on_commit_callbacks(execute=True):
        clock.advance(days=4)
        order_service.process_timeouts()
    told = dict(Notification.objects.filter(subject__contains=ref).values_list("user__username", "subject"))
    assert told == {
        "buyer": f"El pedido {ref} no se aceptó a tiempo",
        "vendor": f"Order {ref} was not accepted in time",  # no language chosen: the site's English
    }


def test_an_unknown_language_falls_back_to_english(market, place, django_capture_on_commit_callbacks):
    speaks(market.vendor, "xx")
    with django_capture_on_commit_callbacks(execute=True):
        ref = place(market.buyer, {market.lamp: 1})
    assert Notification.objects.get(user=market.vendor).subject == f"New order {ref}"
