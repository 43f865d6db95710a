"""``from modules.base import BaseModule``: the spelling of the project's first guide, kept working."""

from modkit.base import BaseModule, ModuleInfo, ModuleState

__all__ = ["BaseModule", "ModuleInfo", "ModuleState"]
