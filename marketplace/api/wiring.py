"""``@injected``: a ninja operation whose services come from the containers, like a view's.

ninja reads an operation's parameters from its signature, and would take ``service=Provide[...]``
for a query parameter; this hides the injected ones from ninja and leaves them to
dependency-injector's ``@inject`` (bound when the module's ``wire`` lists the router's module).
"""

import functools
import inspect

from dependency_injector.wiring import Provide, Provider, inject


def _injected_parameter(parameter: inspect.Parameter) -> bool:
    return isinstance(parameter.default, Provide | Provider)


def injected(operation):
    bound = inject(operation)
    signature = inspect.signature(operation)

    @functools.wraps(operation)
    def handler(request, *args, **kwargs):
        return bound(request, *args, **kwargs)

    del handler.__wrapped__  # ninja must see the signature below, not the operation's
    handler.__signature__ = signature.replace(
        parameters=[p for p in signature.parameters.values() if not _injected_parameter(p)]
    )
    return handler
