from django.apps import AppConfig


class ModularizeConfig(AppConfig):
    """Only carries the ``migrate_to_modules`` command: no models, no start-up work."""

    name = "marketplace.modularize"
    label = "modularize"
    verbose_name = "Migration to modules"
