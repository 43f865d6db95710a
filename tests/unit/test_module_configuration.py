"""What a module brings to settings: its Django apps, its configuration defaults and required keys."""

from importlib.metadata import EntryPoint

import pytest
from dependency_injector import containers, providers
from django.core.exceptions import ImproperlyConfigured
from modkit import BaseModule, Runtime, current, discovery, module
from modkit.discovery import ENTRY_POINT_GROUP
from modkit.settings import module_apps
from modkit.standalone import ApplicationContainer


class Greeter:
    def __init__(self, greeting: str, limit: int):
        self.greeting = greeting
        self.limit = limit


class GreeterContainer(containers.DeclarativeContainer):
    config = providers.Configuration()
    greeter = providers.Factory(Greeter, greeting=config.greeting, limit=config.limit.as_int())


@module(name="greetings", version="1.0.0")
class Greetings(BaseModule):
    container_class = GreeterContainer
    config_defaults = {"greeting": "Hello", "limit": 3}


@module(name="strict", version="1.0.0")
class Strict(BaseModule):
    container_class = GreeterContainer
    config_defaults = {"limit": 3}
    config_required = ("greeting",)


@module(name="tabled", version="1.0.0")
class Tabled(BaseModule):
    apps = ("tests.fixtures.no_such_app",)


@pytest.fixture
def boot():
    previous = current._active

    def boot(name, **config):
        runtime = Runtime(
            ApplicationContainer(),
            load_config=lambda settings=None: {"modules": [f"{__name__}.{name}"], "services": {}, **config},
        )
        runtime.boot()
        return runtime

    yield boot
    current.set_active(previous)


def test_defaults_fill_what_the_project_does_not_set(boot):
    runtime = boot("Greetings", greetings={"limit": 7})
    greeter = runtime.module_container("greetings").greeter()
    assert (greeter.greeting, greeter.limit) == ("Hello", 7)
    assert runtime.current_config()["greetings"] == {"greeting": "Hello", "limit": 7}


def test_a_required_key_the_project_does_not_set_stops_the_start(boot):
    with pytest.raises(ImproperlyConfigured, match="module strict needs 'greeting' in its configuration section"):
        boot("Strict", strict={"limit": 1})
    assert boot("Strict", strict={"greeting": "Hi"}).module_container("strict").greeter().limit == 3


def test_a_module_whose_app_is_not_installed_does_not_start(boot):
    with pytest.raises(ImproperlyConfigured, match=r"tabled: its Django app\(s\) tests.fixtures.no_such_app"):
        boot("Tabled")


def test_apps_come_from_entry_points_and_the_hosts_package(monkeypatch):
    point = EntryPoint(name="favourites", value="favourites.module:FavouritesModule", group=ENTRY_POINT_GROUP)
    monkeypatch.setattr(discovery, "installed", lambda: {"favourites": point})
    enabled = ["accounts", "favourites", "orders", "tests.fixtures.failing_modules.InventoryModule", "accounts"]
    assert module_apps(enabled, package="marketplace") == ["marketplace.accounts", "favourites", "marketplace.orders"]
    # Without a package of its own, a project gets apps only from modules installed with pip.
    assert module_apps(enabled) == ["favourites"]
    # An app the project lists itself is not listed twice (Django refuses duplicate labels).
    assert module_apps(enabled, package="marketplace", installed=["marketplace.orders"]) == [
        "marketplace.accounts",
        "favourites",
    ]


def test_the_marketplace_installs_the_apps_its_modules_declare():
    from django.apps import apps

    from containers import runtime

    for record in runtime.modules:
        for app in type(record.module).apps:
            assert apps.is_installed(app), app
