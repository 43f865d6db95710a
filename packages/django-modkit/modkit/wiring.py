"""Wiring that reads only what each wired module defines.

dependency-injector's ``wire`` walks every member of a module, including every class the module
merely imports (``HttpResponse``, forms, models...), and inspects each of their methods. On the
marketplace that was 5,900 methods and a tenth of a second at every process start, to find
nothing: names imported from elsewhere are wired where they are defined, if that module is
wired at all. Here ``wire`` sees a stand-in holding the module's own functions and classes and
its markers, and what it patches is copied back onto the module.
"""

import importlib
import types
from collections.abc import Iterable

MARKERS_MODULE = "dependency_injector.wiring"


def wire_own_members(container, module_names: Iterable[str]) -> None:
    pairs = []
    for name in module_names:
        module = importlib.import_module(name)
        pairs.append((module, _stand_in(module)))
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
        if type(value).__module__ == MARKERS_MODULE or getattr(value, "__module__", None) == module.__name__:
            setattr(stand_in, attribute, value)
    return stand_in
