"""Navigation entries a module declares, gathered into menus for the page being drawn.

A module lists its links on its class, ``nav = (NavEntry("Catalog", "products:list"),)``; the
host's layout loops over ``menus(runtime, user)["main"]``. Only modules that serve contribute,
so switching a module off removes its links with its pages.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class NavEntry:
    label: str
    url: str
    """A URL name, with the module's namespace (``"products:list"``)."""
    menu: str = "main"
    signed_in: bool = False
    permissions: tuple[str, ...] = ()
    """Shown to a user with any one of these (``"accounts.rule_disputes"``); none: to everyone."""
    order: int = 100
    """Place in its menu; equal orders keep the modules' start order."""
    template: str | None = None
    """A template drawing the entry itself (a live figure in the link, say), given ``entry``."""
    css_class: str = ""
    title: str = ""

    def visible_to(self, user) -> bool:
        if (self.signed_in or self.permissions) and not getattr(user, "is_authenticated", False):
            return False
        return not self.permissions or any(user.has_perm(permission) for permission in self.permissions)


def menus(runtime, user) -> dict[str, list[NavEntry]]:
    """Every menu's entries this user may see, from the modules that serve, in order."""
    found: dict[str, list[tuple[int, int, NavEntry]]] = {}
    for rank, name in enumerate(runtime.modules.initialization_order()):
        if not runtime.modules.is_ready(name):
            continue
        for entry in type(runtime.modules.get(name)).nav:
            if entry.visible_to(user):
                found.setdefault(entry.menu, []).append((entry.order, rank, entry))
    return {menu: [entry for *_, entry in sorted(rows, key=lambda row: row[:2])] for menu, rows in found.items()}
