"""The application container: the core, and one container per module.

Modules named in settings but not declared here (a project's own) are added by the runtime
the same way, as ``providers.Container(TheirContainer, core=core, <dependency>=<module>...)``.
"""

from dependency_injector import containers, providers

from containers.core import CoreContainer
from containers.ops import OpsContainer
from modules.accounts import AccountsContainer
from modules.products import ProductsContainer
from modules.vendors import VendorsContainer


class ApplicationContainer(containers.DeclarativeContainer):
    # Views that belong to no module; each module names its own in ``BaseModule.wire``.
    wiring_config = containers.WiringConfiguration(modules=["marketplace.ops.views"], auto_wire=False)

    config = providers.Configuration()

    core = providers.Container(CoreContainer, config=config.core)
    ops = providers.Container(OpsContainer, core=core, config=config.ops)
    accounts = providers.Container(AccountsContainer, core=core, config=config.accounts)
    vendors = providers.Container(VendorsContainer, core=core, accounts=accounts, config=config.vendors)
    products = providers.Container(ProductsContainer, core=core, vendors=vendors, config=config.products)
