"""The module system, and the marketplace's modules.

``from modules import ModuleRegistry, BaseModule, module, AccountsModule``
"""

from modules.accounts import AccountsContainer, AccountsModule  # noqa: E402  (needs the above)
from modules.base import BaseModule, ModuleInfo, ModuleState
from modules.decorators import module
from modules.health import Status
from modules.products import ProductsContainer, ProductsModule
from modules.registry import ModuleGraphError, ModuleRegistry
from modules.vendors import VendorsContainer, VendorsModule

__all__ = [
    "AccountsContainer",
    "AccountsModule",
    "BaseModule",
    "ModuleGraphError",
    "ModuleInfo",
    "ModuleRegistry",
    "ModuleState",
    "ProductsContainer",
    "ProductsModule",
    "Status",
    "VendorsContainer",
    "VendorsModule",
    "module",
]
