"""Wiring that reads only what each wired module defines.

dependency-injector's ``wire`` walks every member of a module, including every class the module
merely imports (``HttpResponse``, forms, models...), and inspects each of their methods. On the
marketplace that was 5,900 methods and a tenth of a second at every process start, to find
nothing: names imported from elsewhere are wired where they are defined, if that module is
wired at all. Here ``wire`` sees a stand-in holding those of the module's own functions and
classes that ask for something (a marker as a default or in an ``Annotated`` hint, what ``wire``
would look for through ``inspect.signature``, at a tenth of the cost), and what it patches is
copied back onto the module.

A marker kept in a module's name (``ORDERS = Provide["orders.order_service"]``, the defaults of
its views) stays a marker: ``wire`` would replace it by a service built then, which another
module importing the name (the API's operations) would take for an ordinary default, and which
would never follow a reload.

A module not imported yet is wired when it is (wrapt's post-import hook), by whoever imports it:
a process that serves no page (a scheduled command with no system checks, a task worker) does
not import the views, the API and their libraries unless its work needs them.
"""

import functools
import importlib.util
import inspect
import sys
import types
from collections.abc import Iterable
from typing import Annotated, get_args, get_origin

from wrapt import register_post_import_hook

MARKERS_MODULE = "dependency_injector.wiring"


def wire_own_members(container, module_names: Iterable[str]) -> None:
    """Wire the named modules: those imported already at once, the others as they are imported."""
    names = set(module_names)
    for name in sorted(names - set(sys.modules)):
        if importlib.util.find_spec(name) is None:  # a misspelt name fails at start, as an import would
            raise ModuleNotFoundError(f"no module named {name!r} to wire", name=name)
        register_post_import_hook(functools.partial(_wire_imported, container), name)
    _wire(container, [sys.modules[name] for name in sorted(names & set(sys.modules))])


def _wire_imported(container, module: types.ModuleType) -> None:
    _wire(container, [module])


def _wire(container, modules: list[types.ModuleType]) -> None:
    pairs = [(module, _stand_in(module)) for module in modules]
    container.wire(modules=[stand_in for _, stand_in in pairs])
    for module, stand_in in pairs:
        for attribute, value in vars(stand_in).items():
            if not attribute.startswith("__") and vars(module).get(attribute) is not value:
                setattr(module, attribute, value)


def _stand_in(module: types.ModuleType) -> types.ModuleType:
    stand_in = types.ModuleType(module.__name__)
    for attribute, value in vars(module).items():
        if attribute.startswith("__"):
            continue
        if getattr(value, "__module__", None) == module.__name__ and _asks(value):
            setattr(stand_in, attribute, value)
    return stand_in


def _is_marker(value) -> bool:
    return type(value).__module__ == MARKERS_MODULE


def _asks(value) -> bool:
    if isinstance(value, type):  # its methods, as wire() patches them (not its nested classes)
        members = vars(value)
        return _hinted(members.get("__annotations__")) or any(
            _asks(getattr(member, "__func__", member)) for member in members.values() if not isinstance(member, type)
        )
    if not callable(value):
        return False
    try:
        function = inspect.unwrap(value)  # through @inject and functools.wraps, to the parameters
    except ValueError:
        return True  # a cycle of __wrapped__: let wire() decide
    defaults = (
        *(getattr(function, "__defaults__", None) or ()),
        *(getattr(function, "__kwdefaults__", None) or {}).values(),
    )
    if any(_is_marker(default) for default in defaults):
        return True
    return _hinted(getattr(function, "__annotations__", None))


def _hinted(hints) -> bool:
    hints = hints if isinstance(hints, dict) else {}
    return any(
        _is_marker(extra) for hint in hints.values() if get_origin(hint) is Annotated for extra in get_args(hint)[1:]
    )
