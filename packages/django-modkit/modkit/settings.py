"""``INSTALLED_APPS`` from the enabled modules, for a settings file.

Settings are read before Django loads any app, so a module's class (which imports its models)
cannot be asked; its apps are found from where it comes from instead:

- a module installed with pip: the package of its ``modkit.modules`` entry point
  (``favourites = "favourites.module:FavouritesModule"`` gives ``favourites``);
- a bare name, with ``package``: ``<package>.<name>`` when there is such a package (the
  marketplace keeps its ``orders`` module's app in ``marketplace.orders``);
- a dotted path to a class: nothing; list its app yourself.

A module's ``apps`` declaration is checked against ``INSTALLED_APPS`` when it starts, so a module
whose apps are elsewhere fails with a message that names them rather than a missing table.
"""

from collections.abc import Iterable
from importlib.util import find_spec

from modkit import discovery


def module_apps(modules: Iterable[str], *, package: str | None = None, installed: Iterable[str] = ()) -> list[str]:
    """The Django apps of ``modules`` (names or dotted paths), in their order, each once, less
    those ``installed`` lists already (``INSTALLED_APPS``, where a project may name an app itself)."""
    points = discovery.installed()
    found: list[str] = []
    listed = set(installed)
    for spec in modules:
        app = None
        if spec in points:
            app = points[spec].module.partition(".")[0]
        elif "." not in spec and package and find_spec(f"{package}.{spec}") is not None:
            app = f"{package}.{spec}"
        if app and app not in found and app not in listed:
            found.append(app)
    return found
