"""Business logic: plain classes with constructor injection.

Nothing here imports ``dependency_injector`` or looks anything up in a container; the
composition root (``containers``) builds these classes and hands them their collaborators.
"""

from pkgutil import extend_path

# A project's own ``modules/`` and ``services/`` folders (without ``__init__.py``) on sys.path
# extend this package, so ``modules.shop`` may live in the project that migrated its shop app.
__path__ = extend_path(__path__, __name__)
