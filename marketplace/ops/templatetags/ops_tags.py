"""Small display helpers for the ops page."""

import datetime

from django import template

register = template.Library()

_BADGES = {
    "UP": "badge-up",
    "DEGRADED": "badge-degraded",
    "DOWN": "badge-down",
    "ready": "badge-up",
    "failed": "badge-down",
    "registered": "badge-waiting",
    "stopped": "badge-stopped",
    "ok": "badge-up",
    "incomplete": "badge-degraded",
}


@register.filter
def badge(status) -> str:
    """The CSS class of a health status, a module state or a reload outcome."""
    return _BADGES.get(str(status), "badge-waiting")


@register.filter
def duration(seconds) -> str:
    try:
        seconds = int(float(seconds))
    except (TypeError, ValueError):
        return "–"
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    if minutes:
        return f"{minutes}m {seconds}s"
    return f"{seconds}s"


@register.filter
def percent(ratio) -> str:
    if ratio is None:
        return "–"
    return f"{float(ratio) * 100:.1f}%"


@register.filter
def epoch(value):
    """A Unix timestamp as an aware datetime, for the ``date`` filter."""
    try:
        return datetime.datetime.fromtimestamp(float(value), datetime.UTC)
    except (TypeError, ValueError):
        return None


@register.filter
def get(mapping, key):
    try:
        return mapping.get(key)
    except AttributeError:
        return None


_MARKS = {"UP": "✓", "DEGRADED": "!", "DOWN": "✕"}


@register.filter
def status_mark(status) -> str:
    """A sign beside the status word, so the badge does not speak by colour alone."""
    return _MARKS.get(str(status), "?")
