"""What a module declares on its class, checked against the others before it starts, and its
configuration section completed from its defaults.

Each check raises ``ImproperlyConfigured`` with a message that names the module, what it
declared and what is missing, so a mistake stops the start (or the reload) instead of a request.
"""

import copy
from collections.abc import Mapping

from dependency_injector import providers
from django.core.exceptions import ImproperlyConfigured

from modkit.base import BaseModule
from modkit.registry import ModuleRegistry


def completed_config(config: dict, classes: Mapping[str, type[BaseModule]]) -> dict:
    """Each module's section: its ``config_defaults`` under what the project set, required keys present."""
    for name, cls in classes.items():
        section = {**copy.deepcopy(cls.config_defaults), **(config.get(name) or {})}
        missing = [key for key in cls.config_required if section.get(key) in (None, "")]
        if missing:
            raise ImproperlyConfigured(
                f"module {name} needs {', '.join(repr(k) for k in missing)} in its configuration section "
                f"{name!r}, which the project does not set"
            )
        config[name] = section
    return config


SITE = "site"
"""The owner name of the host site's own page slots (``"site.home"``), which no module may take."""


def site_slots() -> tuple[str, ...]:
    """The slots the host site offers in its own pages: ``MODKIT_SITE_SLOTS = ("home",)``."""
    from django.conf import settings

    return tuple(getattr(settings, "MODKIT_SITE_SLOTS", ()))


def check_declarations(module: BaseModule, modules: ModuleRegistry) -> None:
    """What the module needs and declares must exist: apps, dependencies, slots, handlers, pages, topics."""
    if module.name == SITE:
        raise ImproperlyConfigured(f"no module may be named {SITE!r}: it names the host site's own page slots")
    _check_apps(module)
    declared = getattr(module.container_class, "providers", {})
    _check_needs(module, declared)
    _check_fills(module, declared, modules)
    _check_page_parts(module, modules)
    _check_subscriptions(module, declared, modules)
    _check_tasks(module, declared)


def _check_apps(module: BaseModule) -> None:
    from django.apps import apps

    missing = [app for app in module.apps if not apps.is_installed(app)]
    if missing:
        raise ImproperlyConfigured(
            f"module {module.name}: its Django app(s) {', '.join(missing)} are not in INSTALLED_APPS "
            f"(modkit.settings.module_apps derives them from the enabled modules)"
        )


def _check_needs(module: BaseModule, declared: Mapping) -> None:
    allowed = {"core", *module.info.dependency_names}
    for attr, provider in declared.items():
        if isinstance(provider, providers.DependenciesContainer) and attr not in allowed:
            raise ImproperlyConfigured(
                f"module {module.name}: its container uses {attr!r}, but the module does "
                f"not declare a dependency on {attr!r}"
            )


def _check_fills(module: BaseModule, declared: Mapping, modules: ModuleRegistry) -> None:
    for target, provider_name in module.fills.items():
        owner, _, slot = target.partition(".")
        where = f"module {module.name} fills {target!r}"
        if owner not in module.info.dependency_names:
            raise ImproperlyConfigured(f"{where}, but does not declare a dependency on {owner!r}")
        owner_class = type(modules.get(owner)).container_class
        if not isinstance(getattr(owner_class, "providers", {}).get(slot), providers.Dependency):
            raise ImproperlyConfigured(f"{where}, but {owner}'s container has no slot (providers.Dependency) {slot!r}")
        if provider_name not in declared:
            raise ImproperlyConfigured(f"{where} with {provider_name!r}, which its container does not provide")


def _check_page_parts(module: BaseModule, modules: ModuleRegistry) -> None:
    for target in module.page_parts:
        owner, _, slot = target.partition(".")
        where = f"module {module.name} draws in {target!r}"
        if owner == SITE:
            # The host's pages are always there: no dependency to declare, only the slot to exist.
            if slot not in site_slots():
                offered = ", ".join(site_slots()) or "none"
                raise ImproperlyConfigured(
                    f"{where}, but the site offers no page slot {slot!r} (MODKIT_SITE_SLOTS: {offered})"
                )
            continue
        if owner not in module.info.dependency_names:
            raise ImproperlyConfigured(f"{where}, but does not declare a dependency on {owner!r}")
        if slot not in type(modules.get(owner)).page_slots:
            raise ImproperlyConfigured(f"{where}, but {owner} offers no page slot {slot!r}")


def _check_subscriptions(module: BaseModule, declared: Mapping, modules: ModuleRegistry) -> None:
    for topic, target in module.subscriptions.items():
        service, _, method = target.partition(".")
        provider = declared.get(service)
        where = f"module {module.name} handles {topic!r} with {target!r}"
        if provider is None:
            raise ImproperlyConfigured(f"{where}, but its container provides no {service!r}")
        cls = getattr(provider, "cls", None)
        if not method or (isinstance(cls, type) and not callable(getattr(cls, method, None))):
            raise ImproperlyConfigured(f"{where}, but {getattr(cls, '__name__', service)} has no method {method!r}")
        publisher = topic.partition(".")[0]
        # A topic of a module that is not enabled never comes; one its module does not publish is a mistake.
        if publisher in modules and topic not in type(modules.get(publisher)).publishes:
            known = ", ".join(sorted(type(modules.get(publisher)).publishes)) or "none"
            raise ImproperlyConfigured(f"{where}, but {publisher} publishes no such topic (it publishes: {known})")


def _check_tasks(module: BaseModule, declared: Mapping) -> None:
    for name, target in module.tasks.items():
        service, _, method = target.partition(".")
        provider = declared.get(service)
        where = f"module {module.name} runs the task {name!r} with {target!r}"
        if provider is None:
            raise ImproperlyConfigured(f"{where}, but its container provides no {service!r}")
        cls = getattr(provider, "cls", None)
        if not method or (isinstance(cls, type) and not callable(getattr(cls, method, None))):
            raise ImproperlyConfigured(f"{where}, but {getattr(cls, '__name__', service)} has no method {method!r}")
    for name, seconds in module.schedule.items():
        if name not in module.tasks:
            raise ImproperlyConfigured(f"module {module.name} schedules {name!r}, which is not one of its tasks")
        if not isinstance(seconds, int | float) or seconds <= 0:
            raise ImproperlyConfigured(f"module {module.name} schedules {name!r} every {seconds!r} seconds")
