"""Service metrics recorded once, where the container builds services.

A service class is replaced, in the provider only, by a subclass of the same name whose public
methods count their calls, errors and time. The subclass is made once per class and service
name and hangs off the class itself, so it goes away with the class after a reload.
"""

import functools
import inspect
import time

from containers.metrics import SERVICE_CALLS, SERVICE_ERRORS, SERVICE_LATENCY

_CACHE_ATTR = "__marketplace_instrumented__"


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


def _wrap(fn, service: str, method: str):
    calls = SERVICE_CALLS.labels(service, method)
    errors = SERVICE_ERRORS.labels(service, method)
    latency = SERVICE_LATENCY.labels(service, method)
    clock = time.perf_counter

    @functools.wraps(fn)
    def measured(*args, **kwargs):
        started = clock()
        try:
            return fn(*args, **kwargs)
        except Exception:
            errors.inc()
            raise
        finally:
            calls.inc()
            latency.observe(clock() - started)

    return measured


def instrumented_class(cls: type, service: str) -> type:
    cls = original_class(cls)
    cache = cls.__dict__.get(_CACHE_ATTR)
    if cache is None:
        cache = {}
        setattr(cls, _CACHE_ATTR, cache)
    sub = cache.get(service)
    if sub is None:
        namespace = {attr: _wrap(fn, service, attr) for attr, fn in _public_functions(cls).items()}
        namespace.update(
            __module__=cls.__module__,
            __qualname__=cls.__qualname__,
            __doc__=cls.__doc__,
            __wrapped_class__=cls,
        )
        sub = type(cls.__name__, (cls,), namespace)
        cache[service] = sub
    return sub


def public_methods(cls: type) -> set[str]:
    return set(_public_functions(original_class(cls)))
