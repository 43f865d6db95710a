"""Service calls measured once, where the container builds services.

When the runtime's observer records calls, a service class is replaced, in the provider only,
by a subclass of the same name whose public methods report their calls, errors and time. The
subclass is made once per class, service name and observer, and hangs off the class itself, so
it goes away with the class after a reload.
"""

import functools
import inspect
import time

from modkit.observers import MethodRecorder, Observer

_CACHE_ATTR = "__modkit_instrumented__"


def original_class(cls: type) -> type:
    return cls.__dict__.get("__wrapped_class__", cls)


def _public_functions(cls: type) -> dict:
    found = {}
    for klass in cls.__mro__[:-1]:
        for attr, value in vars(klass).items():
            if attr.startswith("_") or attr in found:
                continue
            found[attr] = value
    return {attr: fn for attr, fn in found.items() if inspect.isfunction(fn)}


def _wrap(fn, record: MethodRecorder):
    clock = time.perf_counter

    @functools.wraps(fn)
    def measured(*args, **kwargs):
        started = clock()
        try:
            result = fn(*args, **kwargs)
        except BaseException as error:
            record(clock() - started, error)
            raise
        record(clock() - started, None)
        return result

    return measured


def instrumented_class(cls: type, service: str, observer: Observer) -> type:
    cls = original_class(cls)
    recorders = {attr: observer.service_method(service, attr) for attr in _public_functions(cls)}
    if not any(recorders.values()):
        return cls
    cache = cls.__dict__.get(_CACHE_ATTR)
    if cache is None:
        cache = {}
        setattr(cls, _CACHE_ATTR, cache)
    sub = cache.get((service, observer))
    if sub is None:
        namespace = {
            attr: _wrap(fn, recorders[attr]) if recorders[attr] else fn for attr, fn in _public_functions(cls).items()
        }
        namespace.update(
            __module__=cls.__module__,
            __qualname__=cls.__qualname__,
            __doc__=cls.__doc__,
            __wrapped_class__=cls,
        )
        sub = type(cls.__name__, (cls,), namespace)
        cache[(service, observer)] = sub
    return sub


def public_methods(cls: type) -> set[str]:
    return set(_public_functions(original_class(cls)))
