"""The products module's home page sections, read from its ``catalog_highlights`` service."""

from django import template
from modkit.current import active

register = template.Library()


def _highlights():
    # Through the live container: a reload of the products module is followed on the next page.
    return active().module_container("products").catalog_highlights()


@register.simple_tag
def home_newest():
    return _highlights().newest()


@register.simple_tag
def home_categories():
    return _highlights().categories()
