"""Choosing a language from the footer: the whole page follows, amounts keep their eight decimals
with the language's separators, and the choice holds across pages and after signing in."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_visitor_switches_to_german_then_spanish_and_a_buyer_keeps_it(page, look, market):
    page.goto("/products/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.click(".languages >> text=Deutsch")
    expect(page).to_have_url(re.compile(r"/products/$"))
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.locator("h1")).to_have_text("Alle Produkte")
    # The saw, 60,000 sat, reads with a decimal comma in German, every decimal kept.
    expect(page.locator(".listing-price").first).to_contain_text("0,00060000")
    look("catalog-de")

    page.click(".site-nav >> text=Anmelden")
    page.fill("[name=username]", "buyer")
    page.fill("[name=password]", "a sturdy passphrase")
    page.click("main button[type=submit]")
    expect(page.locator(".nav-balance")).to_contain_text("0,01000000")
    page.goto("/wallets/")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    look("wallet-de")

    page.click(".languages >> text=Español")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.locator(".nav-balance")).to_contain_text("0,01000000")
    look("wallet-es")
    page.goto("/")
    expect(page.locator(".languages [aria-current=true]")).to_have_text("Español")
