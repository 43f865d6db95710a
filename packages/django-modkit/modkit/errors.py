"""Errors the package raises to the code that calls services."""


class ServiceUnavailable(Exception):
    """A service, or the module that provides it, is not serving right now.

    A host may raise its own subclass instead (``Runtime(unavailable=...)``), so its error pages
    and API catch one class for every "not serving" case.
    """
