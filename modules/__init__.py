"""The module system, and the marketplace's modules.

``from modules import ModuleRegistry, BaseModule, module, AccountsModule``
"""

from pkgutil import extend_path

from modkit import BaseModule, ModuleGraphError, ModuleInfo, ModuleRegistry, ModuleState, Status, module

from modules.accounts import AccountsContainer, AccountsModule

# The built-in modules, imported on first use: a module's file imports its app's models, which
# exist only where that app is installed.
_BUILT_IN = {
    "WalletsContainer": "modules.wallets",
    "WalletsModule": "modules.wallets",
    "VendorsContainer": "modules.vendors",
    "VendorsModule": "modules.vendors",
    "ProductsContainer": "modules.products",
    "ProductsModule": "modules.products",
    "OrdersContainer": "modules.orders",
    "OrdersModule": "modules.orders",
    "NotificationsContainer": "modules.notifications",
    "NotificationsModule": "modules.notifications",
}


def __getattr__(name: str):
    if name in _BUILT_IN:
        import importlib

        return getattr(importlib.import_module(_BUILT_IN[name]), name)
    raise AttributeError(f"module 'modules' has no attribute {name!r}")


__all__ = [
    "AccountsContainer",
    "AccountsModule",
    "BaseModule",
    "ModuleGraphError",
    "ModuleInfo",
    "ModuleRegistry",
    "ModuleState",
    "NotificationsContainer",
    "NotificationsModule",
    "OrdersContainer",
    "OrdersModule",
    "ProductsContainer",
    "ProductsModule",
    "Status",
    "WalletsContainer",
    "WalletsModule",
    "VendorsContainer",
    "VendorsModule",
    "module",
]

# A project's own ``modules/`` and ``services/`` folders (without ``__init__.py``) on sys.path
# extend this package, so ``modules.shop`` may live in the project that migrated its shop app.
__path__ = extend_path(__path__, __name__)
