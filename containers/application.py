"""The application container: the core services and the ops services, declared here.

Modules are not listed here: the runtime adds one ``providers.Container`` per enabled module
(``settings.MARKETPLACE["modules"]``), in dependency order, filling each ``DependenciesContainer``
of the module's container named ``core`` or after a declared dependency with that container.
Views name module services with string markers (``Provide["accounts.user_service"]``).
"""

from dependency_injector import containers, providers

from containers.core import CoreContainer
from containers.ops import OpsContainer


class ApplicationContainer(containers.DeclarativeContainer):
    # Views that belong to no module; each module names its own in ``BaseModule.wire``.
    wiring_config = containers.WiringConfiguration(
        modules=["marketplace.ops.views", "marketplace.access", "marketplace.language"], auto_wire=False
    )

    config = providers.Configuration()

    core = providers.Container(CoreContainer, config=config.core)
    ops = providers.Container(OpsContainer, core=core, config=config.ops)
