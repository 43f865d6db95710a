"""The orders module's home page sections: the best-rated products, and a buyer's open orders."""

from django import template
from modkit.current import active

register = template.Library()


def _container():
    return active().module_container("orders")


@register.simple_tag
def home_best_rated():
    return _container().rated_products().best_rated()


@register.simple_tag(takes_context=True)
def home_open_orders(context):
    user = context.get("user")
    if user is None or not user.is_authenticated:
        return None
    return _container().order_glance().open_orders(buyer_id=user.pk)
