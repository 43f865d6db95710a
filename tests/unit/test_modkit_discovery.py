"""Module names in settings: dotted paths, modules installed with pip (entry points), local packages."""

from importlib.metadata import EntryPoint

import pytest
from django.core.exceptions import ImproperlyConfigured
from modkit import discovery
from modkit.discovery import ENTRY_POINT_GROUP, resolve_module_class

from tests.fixtures.failing_modules import InventoryModule


def installed(monkeypatch, **points):
    found = {name: EntryPoint(name=name, value=value, group=ENTRY_POINT_GROUP) for name, value in points.items()}
    monkeypatch.setattr(discovery, "installed", lambda: found)


def test_a_dotted_path_names_the_class():
    assert resolve_module_class("tests.fixtures.failing_modules.InventoryModule") is InventoryModule


def test_a_bare_name_is_first_an_installed_entry_point(monkeypatch):
    installed(monkeypatch, inventory="tests.fixtures.failing_modules:InventoryModule")
    assert resolve_module_class("inventory") is InventoryModule


def test_then_a_module_of_the_hosts_package():
    # By name: a reload elsewhere in the suite may have replaced the class object since import.
    found = resolve_module_class("accounts")
    assert (found.__module__, found.__qualname__) == ("modules.accounts", "AccountsModule")


def test_an_entry_point_must_name_the_module_it_is_installed_as(monkeypatch):
    installed(monkeypatch, stock="tests.fixtures.failing_modules:InventoryModule")
    with pytest.raises(ImproperlyConfigured, match="declares the module 'inventory', not 'stock'"):
        resolve_module_class("stock")


def test_an_entry_point_that_does_not_load_says_which(monkeypatch):
    installed(monkeypatch, stock="tests.fixtures.no_such_file:StockModule")
    with pytest.raises(ImproperlyConfigured, match="module 'stock': cannot load tests.fixtures.no_such_file"):
        resolve_module_class("stock")


def test_an_unknown_name_lists_what_is_installed(monkeypatch):
    installed(monkeypatch, inventory="tests.fixtures.failing_modules:InventoryModule")
    with pytest.raises(ImproperlyConfigured, match=r"no module named 'wishlist'.*installed modules: inventory"):
        resolve_module_class("wishlist")


def test_a_class_that_is_not_a_module_is_refused():
    with pytest.raises(ImproperlyConfigured, match="is not a @module-decorated BaseModule subclass"):
        resolve_module_class("tests.fixtures.failing_modules.path")
