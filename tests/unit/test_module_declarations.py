"""What a module declares on its class: ``fills``, ``subscriptions``, ``nav`` and page parts."""

import pytest
from dependency_injector import containers, providers
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ImproperlyConfigured
from django.template import Context, Engine
from modkit import BaseModule, NavEntry, Runtime, current, module
from modkit.navigation import menus
from modkit.standalone import ApplicationContainer

from services.events import EventPublisher


class Nobody:
    def describe(self):
        return "nobody"


class Somebody:
    def describe(self):
        return "somebody"


class ShopsContainer(containers.DeclarativeContainer):
    greeter = providers.Dependency(default=providers.Singleton(Nobody))
    door = providers.Factory(lambda greeter: f"door opened by {greeter.describe()}", greeter=greeter)


class Logbook:
    def __init__(self):
        self.lines = []

    def record(self, topic, payload):
        self.lines.append((topic, payload))


class StaffContainer(containers.DeclarativeContainer):
    shops = providers.DependenciesContainer()
    clerk = providers.Singleton(Somebody)
    logbook = providers.Singleton(Logbook)


@module(name="shops", version="1.0.0")
class Shops(BaseModule):
    container_class = ShopsContainer
    nav = (
        NavEntry("Till", "shops:till", signed_in=True, order=20),
        NavEntry("Shops", "shops:list", order=10),
        NavEntry("Audit", "shops:audit", menu="staff", permissions=("shops.audit", "shops.inspect")),
    )
    page_slots = ("actions",)
    publishes = {"shops.opened": "shop_id"}


@module(name="staff", version="1.0.0", dependencies=["shops"])
class Staff(BaseModule):
    container_class = StaffContainer
    fills = {"shops.greeter": "clerk"}

    def initialize(self):
        # What the module needs from outside sits beside its own services.
        self.seen = self.container.shops.door()
        return True


@module(name="listener", version="1.0.0", dependencies=["shops"])
class Listener(BaseModule):
    container_class = StaffContainer
    subscriptions = {"shops.opened": "logbook.record"}


@module(name="sulky", version="1.0.0", dependencies=["shops"])
class Sulky(Listener):
    nav = (NavEntry("Sulking", "sulky:index", order=15),)
    page_parts = {"shops.actions": "sulk.html"}

    def initialize(self):
        return False


@module(name="seller", version="1.0.0", dependencies=["shops"])
class Seller(BaseModule):
    page_parts = {"shops.actions": "sell.html"}


@module(name="misplaced", version="1.0.0", dependencies=["shops"])
class Misplaced(BaseModule):
    page_parts = {"shops.footer": "sell.html"}


@module(name="intruder", version="1.0.0")
class Intruder(BaseModule):
    page_parts = {"shops.actions": "sell.html"}


@module(name="deaf", version="1.0.0", dependencies=["shops"])
class Deaf(BaseModule):
    container_class = StaffContainer
    subscriptions = {"shops.opened": "logbook.listen"}


@module(name="misheard", version="1.0.0", dependencies=["shops"])
class Misheard(BaseModule):
    container_class = StaffContainer
    subscriptions = {"shops.closed": "logbook.record"}


@module(name="nobody_home", version="1.0.0", dependencies=["shops"])
class NobodyHome(BaseModule):
    container_class = StaffContainer
    subscriptions = {"shops.opened": "diary.record"}


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
        events = EventPublisher()
        runtime = Runtime(
            ApplicationContainer(),
            load_config=lambda settings=None: {"modules": paths, "services": {}},
            events=lambda: events,
        )
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


def test_a_declared_subscription_calls_the_service_once_the_module_started(boot):
    runtime = boot("Shops", "Listener")
    events = runtime.events()
    assert events.handlers("shops.opened") == []
    runtime.ensure_started()
    events._deliver("shops.opened", {"shop": 7})
    assert runtime.module_container("listener").logbook().lines == [("shops.opened", {"shop": 7})]
    runtime.stop()
    assert events.handlers("shops.opened") == []


def test_a_module_that_does_not_start_is_not_subscribed(boot):
    runtime = boot("Shops", "Sulky")
    runtime.ensure_started()
    assert runtime.modules.state("sulky") == "failed"
    assert runtime.events().handlers("shops.opened") == []


def test_the_handler_method_must_exist(boot):
    with pytest.raises(ImproperlyConfigured, match="'shops.opened' with 'logbook.listen', but Logbook has no method"):
        boot("Shops", "Deaf")


def test_a_handled_topic_must_be_one_its_module_publishes(boot):
    with pytest.raises(ImproperlyConfigured, match="shops publishes no such topic \\(it publishes: shops.opened\\)"):
        boot("Shops", "Misheard")


def test_the_handler_service_must_exist(boot):
    with pytest.raises(ImproperlyConfigured, match="its container provides no 'diary'"):
        boot("Shops", "NobodyHome")


class Member:
    is_authenticated = True

    def __init__(self, *permissions):
        self.permissions = set(permissions)

    def has_perm(self, permission):
        return permission in self.permissions


def labels(found):
    return {menu: [entry.label for entry in entries] for menu, entries in found.items()}


def test_menus_hold_what_serving_modules_declare_for_this_user(boot):
    runtime = boot("Shops", "Sulky")
    runtime.ensure_started()  # sulky fails: its link is not shown
    assert labels(menus(runtime, AnonymousUser())) == {"main": ["Shops"]}
    assert labels(menus(runtime, Member())) == {"main": ["Shops", "Till"]}
    assert labels(menus(runtime, Member("shops.inspect"))) == {"main": ["Shops", "Till"], "staff": ["Audit"]}


def test_a_page_slot_draws_the_parts_of_the_modules_that_serve(boot):
    runtime = boot("Shops", "Seller", "Sulky")
    runtime.ensure_started()  # sulky fails: its part is not drawn
    engine = Engine(
        loaders=[
            ("django.template.loaders.locmem.Loader", {"sell.html": "[{{ slot }}: sell {{ item }}]", "sulk.html": "!"})
        ],
        libraries={"modkit": "modkit.templatetags.modkit"},
    )
    page = engine.from_string('<p>{% load modkit %}{% module_slot "shops.actions" %}</p>')
    assert page.render(Context({"item": "a lamp"})) == "<p>[shops.actions: sell a lamp]</p>"


def test_a_part_goes_only_in_a_slot_the_page_offers(boot):
    with pytest.raises(ImproperlyConfigured, match="shops offers no page slot 'footer'"):
        boot("Shops", "Misplaced")


def test_a_part_goes_only_in_pages_of_a_dependency(boot):
    with pytest.raises(ImproperlyConfigured, match="draws in 'shops.actions', but does not declare a dependency"):
        boot("Shops", "Intruder")


@module(name="homely", version="1.0.0")
class Homely(BaseModule):
    page_parts = {"site.home": "home_part.html"}


@module(name="lost", version="1.0.0")
class Lost(BaseModule):
    page_parts = {"site.attic": "home_part.html"}


@module(name="site", version="1.0.0")
class Impostor(BaseModule):
    pass


def test_a_module_fills_a_slot_of_the_site_without_a_dependency(boot, settings):
    settings.MODKIT_SITE_SLOTS = ("home",)
    runtime = boot("Shops", "Homely", "Sulky")
    runtime.ensure_started()
    engine = Engine(
        loaders=[("django.template.loaders.locmem.Loader", {"home_part.html": "[{{ slot }}]", "sulk.html": "sulk"})],
        libraries={"modkit": "modkit.templatetags.modkit"},
    )
    page = engine.from_string('{% load modkit %}<{% module_slot "site.home" %}>')
    assert page.render(Context({})) == "<[site.home]>"


def test_a_site_slot_must_be_offered_by_the_host(boot, settings):
    settings.MODKIT_SITE_SLOTS = ("home",)
    with pytest.raises(ImproperlyConfigured, match=r"the site offers no page slot 'attic' \(MODKIT_SITE_SLOTS: home\)"):
        boot("Lost")


def test_no_module_may_take_the_name_of_the_site(boot):
    with pytest.raises(ImproperlyConfigured, match="no module may be named 'site'"):
        boot("Impostor")
