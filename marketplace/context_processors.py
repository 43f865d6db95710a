"""What every page's layout needs from the modular system: which modules serve, and their links."""

from django.utils.functional import SimpleLazyObject
from modkit.navigation import menus


def modules(request) -> dict:
    from containers import runtime

    return {
        "enabled_modules": {name: runtime.modules.is_ready(name) for name in runtime.modules.names()},
        # Worked out only when a page draws a menu (and its permission checks with it).
        "nav": SimpleLazyObject(lambda: menus(runtime, request.user)),
    }
