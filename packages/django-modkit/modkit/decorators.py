"""``@module(...)``: attach a module's metadata to its ``BaseModule`` subclass."""

import re
from collections.abc import Iterable

from packaging.requirements import InvalidRequirement, Requirement
from packaging.version import InvalidVersion, Version

from modkit.base import BaseModule, ModuleInfo

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def module(
    *,
    name: str,
    version: str,
    description: str = "",
    author: str = "",
    dependencies: Iterable[str] = (),
):
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(f"module name {name!r} must be lower case letters, digits and _")
    try:
        Version(str(version))
    except InvalidVersion:
        raise ValueError(f"module {name}: version {version!r} is not a valid version") from None
    specs = tuple(dependencies)
    for spec in specs:
        try:
            requirement = Requirement(spec)
        except InvalidRequirement as exc:
            raise ValueError(f"module {name}: dependency {spec!r} is not valid ({exc})") from None
        if requirement.name == name:
            raise ValueError(f"module {name} cannot depend on itself")

    def decorate(cls):
        if not (isinstance(cls, type) and issubclass(cls, BaseModule)):
            raise TypeError("@module(...) decorates subclasses of modkit.BaseModule")
        cls.info = ModuleInfo(
            name=name,
            version=str(version),
            description=description,
            author=author,
            dependencies=specs,
        )
        return cls

    return decorate
