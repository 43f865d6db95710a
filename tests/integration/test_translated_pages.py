"""The cart, orders, wallet and profile pages drawn in German and in Spanish: no sentence their
templates mark for translation is left in English, and dates follow the language's formats.

What counts as "a sentence from the templates" is read from the templates themselves (their
``translate`` and ``blocktranslate`` tags), so a string marked later is checked too; a string
whose translation is the English word itself ("Status" in German) cannot tell and is left out.
"""

import html
import re

import pytest
from django.conf import settings
from django.template import loader
from django.templatetags.i18n import BlockTranslateNode, TranslateNode
from django.test import Client
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import trans_real

from tests.support.orders import order_row

pytestmark = pytest.mark.django_db

LANGUAGES = ["de", "es"]
# Each page and the templates that draw its content (the <main> of base.html).
PAGES = {
    "cart": ["orders/cart.html"],
    "orders": ["orders/list.html", "orders/_rows.html"],
    "order": ["orders/detail.html"],
    "wallet": ["wallets/wallet.html"],
    "profile": ["accounts/profile.html", "api/_profile_card.html"],
}
SHORT_DATETIME = {"de": r"\b\d{2}\.\d{2}\.\d{4} \d{2}:\d{2}\b", "es": r"\b\d{2}/\d{2}/\d{4} \d{2}:\d{2}\b"}
PLACEHOLDER = re.compile(r"%\([a-z_]+\)s")


def marked_strings(template_name: str) -> set[str]:
    """The English text of every string the template marks, placeholders and tags cut out: the
    longest literal run of each, the part a reader would see unchanged were it not translated."""
    nodelist = loader.get_template(template_name).template.nodelist
    ids = [node.filter_expression.var.literal for node in nodelist.get_nodes_by_type(TranslateNode)]
    for node in nodelist.get_nodes_by_type(BlockTranslateNode):
        ids.append(node.render_token_list(node.singular)[0].replace("%%", "%"))
    runs = set()
    for msgid in filter(None, ids):
        pieces = [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", p)).split()) for p in PLACEHOLDER.split(msgid)]
        longest = max(pieces, key=len)
        if re.search(r"[A-Za-z]{2}", longest):
            runs.add((msgid, longest))
    return runs


def main_text(response) -> str:
    assert response.status_code == 200
    body = response.content.decode()
    main = body[body.index("<main") : body.index("</main>")]
    # Attributes people read too (aria-label, placeholder, title, alt) count as text.
    attributes = " ".join(re.findall(r'(?:aria-label|placeholder|title|alt)="([^"]*)"', main))
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", main) + " " + attributes).split())


def shown(run: str, text: str) -> int:
    return len(re.findall(rf"(?<!\w){re.escape(run)}(?!\w)", text))


def client_for(user, language: str | None) -> Client:
    client = Client()
    client.force_login(user)
    if language:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


@pytest.fixture
def pages(market, order_in, clock):
    """Every page with something in it: a line in the cart, a shipped order with its dates, a
    wallet with history, and the buyer's profile."""
    reference = order_in("shipped")
    english = client_for(market.buyer, None)
    english.post(reverse("orders:cart-add"), {"product_id": market.saw, "quantity": "1"})
    urls = {
        "cart": reverse("orders:cart"),
        "orders": reverse("orders:list"),
        "order": reverse("orders:detail", args=[reference]),
        "wallet": reverse("wallets:wallet"),
        "profile": reverse("accounts:profile"),
    }
    return market.buyer, reference, urls


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_english_sentence_is_left_on_the_translated_pages(pages, language):
    buyer, _, urls = pages
    english, foreign = client_for(buyer, "en"), client_for(buyer, language)
    catalogue = trans_real.translation(language)._catalog
    left = {}
    for page, templates in PAGES.items():
        shown_in_english = main_text(english.get(urls[page]))
        shown_translated = main_text(foreign.get(urls[page]))
        checked = 0
        for template in templates:
            for msgid, run in marked_strings(template):
                if catalogue.get(msgid, catalogue.get((msgid, 0))) == msgid:
                    continue  # the same word in both languages (a missing one counts as English)
                in_english = shown(run, shown_in_english)
                if not in_english:
                    continue  # a branch this page did not take
                checked += 1
                # The same words may also come from data or from code ("Deposit" as a ledger line's
                # kind): the template's own use must be gone, so there is at least one fewer.
                if shown(run, shown_translated) >= in_english:
                    left.setdefault(page, []).append(run)
        assert checked >= 5, f"the {page} page shows too few marked strings to tell anything ({checked})"
    assert not left, f"English left on the {language} pages: {left}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_dates_use_the_language_formats(pages, language):
    buyer, reference, urls = pages
    order = order_row(reference)
    english, foreign = client_for(buyer, "en"), client_for(buyer, language)

    def drawn(when, fmt: str, code: str) -> str:
        with translation.override(code):
            return formats.date_format(timezone.localtime(when), fmt)

    checks = [
        ("order", order.created_at, "DATETIME_FORMAT"),
        ("order", order.shipped_at, "DATETIME_FORMAT"),
        ("orders", order.created_at, "SHORT_DATETIME_FORMAT"),
        ("profile", buyer.date_joined, "DATE_FORMAT"),
    ]
    for page, when, fmt in checks:
        in_english, translated = drawn(when, fmt, "en"), drawn(when, fmt, language)
        assert in_english != translated, f"{fmt} reads the same in English and {language}"
        assert in_english in main_text(english.get(urls[page]))
        text = main_text(foreign.get(urls[page]))
        assert translated in text and in_english not in text, f"{page}: {fmt} not in the {language} format"
    # The wallet's history (the deposit that funded the buyer, the payment): day first, 24-hour clock.
    wallet = main_text(foreign.get(urls["wallet"]))
    assert re.search(SHORT_DATETIME[language], wallet), f"no {language} short date in the wallet history"
    assert not re.search(r"\b(a\.m\.|p\.m\.|noon|midnight)", wallet)
