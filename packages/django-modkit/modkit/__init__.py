"""Modules of dependency-injector services for Django, reloadable while they serve.

``from modkit import BaseModule, module, Runtime``: declare a module, enable it, reload it.
"""

from modkit.base import BaseModule, ModuleInfo, ModuleState
from modkit.decorators import module
from modkit.errors import ServiceUnavailable
from modkit.health import Status
from modkit.navigation import NavEntry
from modkit.observers import Observer
from modkit.registry import ModuleGraphError, ModuleRegistry
from modkit.reloading import ReloadFailed, ReloadResult
from modkit.runtime import Runtime
from modkit.services import ServiceEntry, ServiceRegistry

__version__ = "0.1.0"

__all__ = [
    "BaseModule",
    "ModuleGraphError",
    "ModuleInfo",
    "ModuleRegistry",
    "ModuleState",
    "NavEntry",
    "Observer",
    "ReloadFailed",
    "ReloadResult",
    "Runtime",
    "ServiceEntry",
    "ServiceRegistry",
    "ServiceUnavailable",
    "Status",
    "module",
]
