"""``{% load notification_tags %}``: the figures the navigation and the profile card draw.

The unread count is asked once per request however often a page draws it, and never for a
visitor (the navigation entry is only drawn for a signed-in user).
"""

from dependency_injector.wiring import Provide, inject
from django import template

register = template.Library()

CACHED = "_notifications_unread"


@register.simple_tag(takes_context=True)
def unread_notifications(context) -> int:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return 0
    if not hasattr(request, CACHED):
        setattr(request, CACHED, _unread(user.pk))
    return getattr(request, CACHED)


def remember_unread(request, count: int) -> None:
    """A page that counted them already (the list) spares the navigation asking again."""
    setattr(request, CACHED, count)


@register.simple_tag(takes_context=True)
def email_preferences(context) -> list:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    return _preferences(user.pk)


@inject
def _unread(user_id: int, inbox=Provide["notifications.notification_inbox"]) -> int:
    return inbox.unread_count(user_id=user_id)


@inject
def _preferences(user_id: int, preferences=Provide["notifications.notification_preferences"]) -> list:
    return preferences.email_preferences(user_id=user_id)
