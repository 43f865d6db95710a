"""The runtime that booted in this process, for a module instance built on its own to find.

Kept apart from ``runtime.py`` so that ``base.py`` needs nothing that imports it back.
"""

_active = None


def set_active(runtime) -> None:
    global _active
    _active = runtime


def active():
    if _active is None:
        raise RuntimeError("no modkit runtime has booted in this process")
    return _active
