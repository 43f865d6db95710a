"""Wiring reads what a module defines, wires it as dependency-injector would, and skips imports."""

import sys
import types

import pytest
from dependency_injector import containers, providers
from dependency_injector.wiring import Provide
from modkit.wiring import wire_own_members


class Greeter:
    def greet(self):
        return "hello"


class Container(containers.DeclarativeContainer):
    greeter = providers.Singleton(Greeter)
    name = providers.Object("Ada")


class Inspected:
    """Stands for a class a view module imports from elsewhere (``HttpResponse``, a form)."""

    def render(self):
        return "rendered"


def _fake_module(name: str) -> types.ModuleType:
    module = types.ModuleType(name)
    source = """
from typing import Annotated

from dependency_injector.wiring import Provide, inject

GREETER = Provide["greeter"]


@inject
def view(greeter=GREETER):
    return greeter.greet()


def unwired(name=Provide["name"]):
    return name


class Page:
    @inject
    def title(self, name=Provide["name"]):
        return name


class Static:
    @staticmethod
    def name(name: Annotated[str, Provide["name"]] = ""):
        return name


def plain(value=1):
    return value


class Plain:
    def render(self):
        return "plain"


Plain.itself = Plain  # a class naming itself is read once, not forever
"""
    exec(compile(source, f"<{name}>", "exec"), module.__dict__)
    return module


@pytest.fixture
def wired_module():
    name = "modkit_wiring_probe"
    module = _fake_module(name)
    module.Imported = Inspected  # what the module imports from elsewhere
    sys.modules[name] = module
    container = Container()
    yield container, module
    del sys.modules[name]


def test_own_functions_methods_and_markers_are_wired(wired_module):
    container, module = wired_module
    wire_own_members(container, [module.__name__])

    assert module.view() == "hello"
    assert module.unwired() == "Ada"  # a marker without @inject is patched, as wire() does
    assert module.Page().title() == "Ada"
    assert module.Static.name() == "Ada"  # an Annotated hint, on a static method
    assert isinstance(module.GREETER, Provide)  # a named marker stays one: other modules import it


def test_names_imported_from_elsewhere_are_left_as_they_are(wired_module, monkeypatch):
    container, module = wired_module
    looked_at = []
    import dependency_injector.wiring as wiring

    real = wiring._patch_method

    def spy(cls, name, method, *args, **kwargs):
        looked_at.append(cls)
        return real(cls, name, method, *args, **kwargs)

    monkeypatch.setattr(wiring, "_patch_method", spy)
    wire_own_members(container, [module.__name__])

    assert module.Page in looked_at
    assert Inspected not in looked_at
    assert module.Imported is Inspected


def test_what_asks_for_nothing_is_not_inspected(wired_module, monkeypatch):
    container, module = wired_module
    inspected = []
    import dependency_injector.wiring as wiring

    real = wiring._fetch_reference_injections

    def spy(fn):
        inspected.append(getattr(fn, "__qualname__", fn))
        return real(fn)

    spy.cache_clear = real.cache_clear
    monkeypatch.setattr(wiring, "_fetch_reference_injections", spy)
    wire_own_members(container, [module.__name__])

    assert "plain" not in inspected
    assert "Plain.render" not in inspected
    assert "unwired" in inspected  # a marker default without @inject is still found
    assert module.plain() == 1


def test_wiring_again_follows_an_overridden_provider(wired_module):
    container, module = wired_module
    wire_own_members(container, [module.__name__])

    class Loud(Greeter):
        def greet(self):
            return "HELLO"

    with container.greeter.override(providers.Singleton(Loud)):
        assert module.view() == "HELLO"
    assert module.view() == "hello"


def test_a_module_imported_later_is_wired_when_it_is(tmp_path, monkeypatch):
    package = tmp_path / "modkit_lazy_probe"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "views.py").write_text(
        "from dependency_injector.wiring import Provide, inject\n\n"
        'GREETER = Provide["greeter"]\n\n\n@inject\ndef view(greeter=GREETER):\n    return greeter.greet()\n'
    )
    # The API's operations take the views' named markers, whichever module is imported first.
    (package / "api.py").write_text(
        "from dependency_injector.wiring import inject\n\nfrom modkit_lazy_probe.views import GREETER\n\n\n"
        "@inject\ndef operation(greeter=GREETER):\n    return greeter.greet()\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    container = Container()
    try:
        wire_own_members(container, ["modkit_lazy_probe.views", "modkit_lazy_probe.api"])
        assert "modkit_lazy_probe.views" not in sys.modules  # nothing imported at start

        from modkit_lazy_probe import views

        assert views.view() == "hello"
        from modkit_lazy_probe import api

        assert api.operation() == "hello"
    finally:
        for name in ("modkit_lazy_probe.views", "modkit_lazy_probe.api", "modkit_lazy_probe"):
            sys.modules.pop(name, None)


def test_a_misspelt_module_fails_at_start(wired_module):
    container, module = wired_module
    with pytest.raises(ModuleNotFoundError, match="modkit_wiring_probe_typo"):
        wire_own_members(container, ["modkit_wiring_probe_typo.views"])
