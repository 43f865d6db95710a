"""The module system, and the marketplace's modules.

``from modules import ModuleRegistry, BaseModule, module, AccountsModule``
"""

from pkgutil import extend_path

from modules.accounts import AccountsContainer, AccountsModule
from modules.base import BaseModule, ModuleInfo, ModuleState
from modules.decorators import module
from modules.health import Status
from modules.registry import ModuleGraphError, ModuleRegistry

__all__ = [
    "AccountsContainer",
    "AccountsModule",
    "BaseModule",
    "ModuleGraphError",
    "ModuleInfo",
    "ModuleRegistry",
    "ModuleState",
    "Status",
    "module",
]

# A project's own ``modules/`` and ``services/`` folders (without ``__init__.py``) on sys.path
# extend this package, so ``modules.shop`` may live in the project that migrated its shop app.
__path__ = extend_path(__path__, __name__)
