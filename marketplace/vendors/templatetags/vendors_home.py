"""The vendors module's home page section and its nav entry's one question: has this person a shop?"""

from django import template
from modkit.current import active

register = template.Library()


def _container():
    return active().module_container("vendors")


@register.simple_tag
def home_shops():
    return _container().shop_highlights().featured()


@register.simple_tag(takes_context=True)
def has_shop(context) -> bool:
    """Whether the signed-in person has a shop (any state: the dashboard tells them where it stands).

    One query per request at most: the answer is kept on the request for every other use."""
    request = context.get("request")
    user = context.get("user")
    if user is None or not user.is_authenticated:
        return False
    known = getattr(request, "_has_shop", None)
    if known is None:
        known = _container().vendor_service().get_for_user(user_id=user.pk) is not None
        if request is not None:
            request._has_shop = known
    return known
