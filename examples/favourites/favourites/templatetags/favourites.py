"""``{% load favourites %}{% is_favourite product as fav %}`` for pages drawn by other modules."""

from django import template
from modkit.current import active

register = template.Library()


@register.simple_tag(takes_context=True)
def is_favourite(context, product) -> bool:
    user = context.get("user")
    if user is None or not user.is_authenticated:
        return False
    # A template tag has no injection: it asks the running runtime, at the edge, like a view would.
    service = active().module_container("favourites").favourite_service()
    return service.is_favourite(user_id=user.pk, product_id=product.id)
