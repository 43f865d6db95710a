"""``{% load money %}`` then ``{{ amount_sat|btc }}`` -> ``0.00150000``."""

from django import template

from services.money import format_btc

register = template.Library()


@register.filter
def btc(sats) -> str:
    if sats is None or sats == "":
        return ""
    return format_btc(int(sats))
