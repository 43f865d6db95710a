"""Choosing a language: a plain link sets the cookie and goes back to the page, only within the
site; pages are drawn in the chosen language, and the page cache keeps one copy per language."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db

CATALOG = reverse("products:list")
FOOTER_EN = "A modular marketplace · amounts in bitcoin"


def choose(client, code, next_url):
    return client.get(reverse("language", args=[code]), {"next": next_url})


def test_a_language_link_sets_the_cookie_and_goes_back_to_the_page(client):
    answer = choose(client, "de", "/products/?q=hammer")
    assert answer.status_code == 302 and answer["Location"] == "/products/?q=hammer"
    cookie = answer.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == "de" and cookie["httponly"] and cookie["samesite"] == "Lax"
    page = client.get(CATALOG)
    assert '<html lang="de">' in page.content.decode()
    assert FOOTER_EN not in page.content.decode()


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/", "javascript:alert(1)", "\\\\evil.example", "", "http:/x"]
)
def test_a_language_link_never_leaves_the_site(client, target):
    answer = choose(client, "es", target)
    assert answer.status_code == 302 and answer["Location"] == reverse("home")


def test_an_unknown_language_is_not_found_and_sets_nothing(client):
    answer = choose(client, "xx", "/")
    assert answer.status_code == 404
    assert settings.LANGUAGE_COOKIE_NAME not in answer.cookies
    assert client.post(reverse("language", args=["de"])).status_code == 405


def test_the_browser_language_is_honoured_without_a_cookie():
    page = Client(headers={"accept-language": "es-ES,es;q=0.9"}).get(CATALOG)
    assert '<html lang="es">' in page.content.decode()
    assert "Accept-Language" in page["Vary"]


def test_the_page_cache_keeps_one_copy_per_language(make_vendor, make_product):
    make_product(make_vendor("bob"), title="Claw hammer")
    english, german = Client(), Client()
    german.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
    assert english.get(CATALOG)["X-Page-Cache"] in ("miss", "off")
    first_german = german.get(CATALOG)
    assert first_german["X-Page-Cache"] in ("miss", "off"), "a German visitor was served the English copy"
    assert '<html lang="de">' in first_german.content.decode()
    english_again = english.get(CATALOG)
    assert '<html lang="en">' in english_again.content.decode() and FOOTER_EN in english_again.content.decode()


def test_a_signed_in_choice_is_kept_on_the_account(client, make_user):
    alice = make_user("alice")
    client.force_login(alice)
    choose(client, "es", "/")
    alice.refresh_from_db()
    assert alice.language == "es"
