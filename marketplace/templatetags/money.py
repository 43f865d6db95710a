"""``{% load money %}`` then ``{{ amount_sat|btc }}`` -> ``0.00150000`` (``0,00150000`` in German).

``btc`` is for reading: always 8 decimals, exact, with the visitor's language's separators.
``btc_plain`` is for what people type back (a form field's value): the one notation the amount
fields accept whatever the language, ``1234.00150000``.
"""

from decimal import Decimal

from django import template
from django.utils import formats

from services.money import format_btc

register = template.Library()


def _sats(value) -> int | None:
    return None if value is None or value == "" else int(value)


@register.filter
def btc(sats) -> str:
    sats = _sats(sats)
    if sats is None:
        return ""
    # A Decimal from the exact text: number_format() never turns it into a float.
    return formats.number_format(Decimal(format_btc(sats)), decimal_pos=8, use_l10n=True, force_grouping=True)


@register.filter
def btc_plain(sats) -> str:
    sats = _sats(sats)
    return "" if sats is None else format_btc(sats)
