"""Finding a module class from its name in settings.

``"catalog.module.CatalogModule"`` is a dotted path. A bare name (``"favourites"``) is, first, a
module installed with pip that declares itself in the ``modkit.modules`` entry-point group::

    [project.entry-points."modkit.modules"]
    favourites = "favourites.module:FavouritesModule"

and otherwise a Python module ``<package>.<name>`` (the host's own package of modules) that
defines a ``@module(name=<name>)`` class.
"""

import importlib
from importlib.metadata import EntryPoint, entry_points

from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from modkit.base import BaseModule

ENTRY_POINT_GROUP = "modkit.modules"


def installed() -> dict[str, EntryPoint]:
    """Modules installed with pip, by name."""
    return {point.name: point for point in entry_points(group=ENTRY_POINT_GROUP)}


def _checked(cls, what: str, name: str | None = None) -> type[BaseModule]:
    if not (isinstance(cls, type) and issubclass(cls, BaseModule) and cls.info is not None):
        raise ImproperlyConfigured(f"{what} is not a @module-decorated BaseModule subclass")
    if name is not None and cls.info.name != name:
        raise ImproperlyConfigured(f"{what} declares the module {cls.info.name!r}, not {name!r}")
    return cls


def resolve_module_class(spec: str, package: str = "modules") -> type[BaseModule]:
    if "." in spec:
        return _checked(import_string(spec), spec)
    point = installed().get(spec)
    if point is not None:
        where = f"{point.value} (entry point {spec!r} of {point.dist.name if point.dist else 'an installed package'})"
        try:
            cls = point.load()
        except Exception as exc:
            raise ImproperlyConfigured(f"module {spec!r}: cannot load {where}: {type(exc).__name__}: {exc}") from exc
        return _checked(cls, where, spec)
    try:
        owner = importlib.import_module(f"{package}.{spec}")
    except ModuleNotFoundError as exc:
        if exc.name not in (package, f"{package}.{spec}"):
            raise
        known = ", ".join(sorted(installed())) or "none"
        raise ImproperlyConfigured(
            f"no module named {spec!r}: no package installed with pip declares it (installed modules: "
            f"{known}) and there is no {package}.{spec}"
        ) from None
    for value in vars(owner).values():
        if (
            isinstance(value, type)
            and issubclass(value, BaseModule)
            and value.info is not None
            and value.info.name == spec
        ):
            return value
    raise ImproperlyConfigured(f"{package}.{spec} defines no @module(name={spec!r}) class")
