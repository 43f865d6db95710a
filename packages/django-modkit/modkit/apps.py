"""``"modkit"`` in ``INSTALLED_APPS``: boot the modules ``MODKIT_MODULES`` names.

A project that composes its own runtime (this repository's marketplace does) leaves
``MODKIT_MODULES`` unset, and the app then does nothing.
"""

from django.apps import AppConfig
from django.conf import settings


class ModkitConfig(AppConfig):
    name = "modkit"
    verbose_name = "Modules"

    def ready(self) -> None:
        if getattr(settings, "MODKIT_MODULES", None) is None:
            return
        from modkit import standalone

        runtime = standalone.build()
        runtime.boot()
        standalone.mount(runtime)
        standalone.start_on_first_request(runtime)
