"""``{% load listings %}{% listing_cards rows show_vendor=True %}``: product cards, each drawn once.

A card (``vendors/_listing.html``) shows its row and nothing else: the row is a frozen
``ProductCard`` holding every value the card prints (title, price, stock, rating, picture, shop),
and the rest is the reader's language. So a card's HTML is a function of the row, the language
and ``show_vendor``, and is kept under all of them: an edited price, stock count, title or rating
is another row, hence another key, drawn afresh on the very next page. Nothing has to be
invalidated, and no version has to be read to know a kept card is current.

Drawing a page of 24 cards through the template engine took a third of an uncached catalog page's
time (bench/profile_catalog.py); a kept card costs a dictionary look-up.
"""

import functools

from django import template
from django.core.signals import setting_changed
from django.template import Context
from django.urls import get_script_prefix
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

register = template.Library()

CARD = "vendors/_listing.html"
# About 1 kB each: every card of 500 products in three languages, with and without the shop's
# name, fits; beyond that the least recently shown are drawn again when next shown.
KEPT = 4096


@functools.lru_cache(maxsize=KEPT)
def _drawn(card: template.Template, row, show_vendor: bool, autoescape: bool, language: str, prefix: str) -> str:
    # ``language`` and ``prefix`` (links) are the active ones: keys only, the engine reads them itself.
    return card.render(Context({"row": row, "show_vendor": show_vendor}, autoescape=autoescape))


@register.simple_tag(takes_context=True)
def listing_cards(context, rows, show_vendor=False):
    # The template object is part of the key: when the loader reads an edited card afresh
    # (development), the cards drawn from the old one are never served again.
    card = context.template.engine.get_template(CARD)
    show_vendor = bool(show_vendor)
    language, prefix = get_language(), get_script_prefix()
    drawn = []
    for row in rows:
        try:
            drawn.append(_drawn(card, row, show_vendor, context.autoescape, language, prefix))
        except TypeError:  # a row that cannot be a key (not frozen): drawn every time
            drawn.append(card.render(Context({"row": row, "show_vendor": show_vendor}, autoescape=context.autoescape)))
    return mark_safe("".join(drawn))


def _forget(**kwargs):
    # Number formats, languages and the like shape every card: a test that changes them starts afresh.
    _drawn.cache_clear()


setting_changed.connect(_forget, dispatch_uid="listings.forget_cards")
