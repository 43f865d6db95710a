"""``fills``: a module points another module's slot at one of its providers, by declaration."""

import pytest
from dependency_injector import containers, providers
from django.core.exceptions import ImproperlyConfigured
from modkit import BaseModule, Runtime, current, module
from modkit.standalone import ApplicationContainer


class Nobody:
    def describe(self):
        return "nobody"


class Somebody:
    def describe(self):
        return "somebody"


class ShopsContainer(containers.DeclarativeContainer):
    greeter = providers.Dependency(default=providers.Singleton(Nobody))
    door = providers.Factory(lambda greeter: f"door opened by {greeter.describe()}", greeter=greeter)


class StaffContainer(containers.DeclarativeContainer):
    shops = providers.DependenciesContainer()
    clerk = providers.Singleton(Somebody)


@module(name="shops", version="1.0.0")
class Shops(BaseModule):
    container_class = ShopsContainer


@module(name="staff", version="1.0.0", dependencies=["shops"])
class Staff(BaseModule):
    container_class = StaffContainer
    fills = {"shops.greeter": "clerk"}

    def initialize(self):
        # What the module needs from outside sits beside its own services.
        self.seen = self.container.shops.door()
        return True


@module(name="stranger", version="1.0.0")
class Stranger(BaseModule):
    container_class = StaffContainer
    fills = {"shops.greeter": "clerk"}


@module(name="typo", version="1.0.0", dependencies=["shops"])
class Typo(BaseModule):
    container_class = StaffContainer
    fills = {"shops.greeting": "clerk"}


@module(name="absent", version="1.0.0", dependencies=["shops"])
class Absent(BaseModule):
    container_class = StaffContainer
    fills = {"shops.greeter": "manager"}


@pytest.fixture
def boot():
    previous = current._active

    def boot(*names):
        paths = [f"{__name__}.{name}" for name in names]
        runtime = Runtime(ApplicationContainer(), load_config=lambda settings=None: {"modules": paths, "services": {}})
        runtime.boot()
        return runtime

    yield boot
    current.set_active(previous)


def test_the_slot_follows_the_module_that_fills_it(boot):
    runtime = boot("Shops", "Staff")
    assert runtime.module_container("shops").door() == "door opened by nobody"
    runtime.ensure_started()
    assert runtime.module_container("shops").door() == "door opened by somebody"
    assert runtime.modules.get("staff").seen == "door opened by somebody"


def test_a_module_fills_only_slots_of_its_dependencies(boot):
    with pytest.raises(ImproperlyConfigured, match="does not declare a dependency on 'shops'"):
        boot("Shops", "Stranger")


def test_the_slot_must_exist(boot):
    with pytest.raises(ImproperlyConfigured, match=r"shops's container has no slot .* 'greeting'"):
        boot("Shops", "Typo")


def test_the_provider_must_exist(boot):
    with pytest.raises(ImproperlyConfigured, match="with 'manager', which its container does not provide"):
        boot("Shops", "Absent")
