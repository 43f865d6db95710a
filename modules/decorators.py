"""``from modules.decorators import module``: the spelling of the project's first guide, kept working."""

from modkit.decorators import module

__all__ = ["module"]
