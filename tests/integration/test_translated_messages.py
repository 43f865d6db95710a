"""Refusals and flash messages from Python read in the visitor's language: German or Spanish
when asked for (the language cookie on pages, Accept-Language on the API), and exactly the
English of before otherwise."""

import pytest
from django.conf import settings
from django.test import Client

from marketplace.orders.models import CartItem

pytestmark = pytest.mark.django_db

OWN_PRODUCT = {
    "en": "This is your own product: you cannot buy it.",
    "de": "Das ist Ihr eigenes Produkt: Sie können es nicht kaufen.",
    "es": "Este es su propio producto: no puede comprarlo.",
}


def signed_in(user, language: str | None = None) -> Client:
    client = Client()
    client.force_login(user)
    if language:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language  # what /language/<code>/ sets
    return client


@pytest.mark.parametrize("language", ["en", "de", "es"])
def test_a_refusal_on_a_page_reads_in_the_chosen_language(market, language):
    vendor = signed_in(market.vendor, None if language == "en" else language)
    response = vendor.post("/orders/cart/add/", {"product_id": market.lamp, "quantity": "1"})
    page = response.content.decode()
    assert response.status_code == 400
    assert OWN_PRODUCT[language] in page
    for other in set(OWN_PRODUCT) - {language}:
        assert OWN_PRODUCT[other] not in page
    assert not CartItem.objects.exists()


def test_a_composed_refusal_keeps_its_amounts_in_german(market, make_user, fund):
    poor = make_user("poor")
    fund(poor, 100_000)
    client = signed_in(poor, "de")
    client.post("/orders/cart/add/", {"product_id": market.lamp, "quantity": "1"})
    response = client.post("/orders/checkout/", {"idempotency_key": "k1", "expected_total_sat": "120000"})
    assert response.status_code == 400
    assert (
        "Guthaben nicht ausreichend: Diese Bestellung kostet 0.00120000 BTC und Ihr verfügbares Guthaben "
        "beträgt 0.00100000 BTC."
    ) in response.content.decode()


@pytest.mark.parametrize("language", ["en", "de", "es"])
def test_a_refusal_through_the_api_follows_accept_language(market, api_client, language):
    vendor_api = api_client(market.vendor, "orders:write")
    headers = {} if language == "en" else {"Accept-Language": f"{language},en;q=0.5"}
    response = vendor_api.post("/cart/items", {"product_id": market.lamp}, headers=headers)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "cart_error"  # codes are the API's: never translated
    assert error["message"] == OWN_PRODUCT[language]


def test_an_api_field_error_is_translated_in_spanish(market, api_client):
    buyer_api = api_client(market.buyer, "orders:write")
    response = buyer_api.post(
        "/cart/items", {"product_id": market.lamp, "quantity": 6}, headers={"Accept-Language": "es"}
    )
    error = response.json()["error"]
    assert response.status_code == 422 and error["code"] == "cart_error" and error["field"] == "quantity"
    assert error["message"] == "Solo quedan 5 de Brass desk lamp."  # the plural form for 5


def test_a_flash_message_reads_in_german(market):
    buyer = signed_in(market.buyer, "de")
    response = buyer.post("/orders/cart/add/", {"product_id": market.lamp, "quantity": "2"}, follow=True)
    assert response.status_code == 200
    shown = [str(message) for message in response.context["messages"]]
    assert shown == ["Brass desk lamp liegt in Ihrem Warenkorb (2)."]


def test_the_same_flash_message_stays_english_without_a_choice(market):
    buyer = signed_in(market.buyer)
    response = buyer.post("/orders/cart/add/", {"product_id": market.lamp, "quantity": "2"}, follow=True)
    assert [str(message) for message in response.context["messages"]] == ["Brass desk lamp is in your cart (2)."]
