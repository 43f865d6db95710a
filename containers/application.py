"""The application container: the core, and one container per built-in module.

A built-in module is declared only when its Django app is installed, so the modular system (and
its tools, such as ``migrate_to_modules``) also runs in a project that installs none of the
marketplace's apps. Modules named in settings but not declared here (a project's own) are added
by the runtime the same way, as ``providers.Container(TheirContainer, core=core, <dependency>=...)``.
"""

from dependency_injector import containers, providers
from django.apps import apps

from containers.core import CoreContainer
from containers.ops import OpsContainer
from modules.accounts import AccountsContainer


def installed(app: str) -> bool:
    return apps.is_installed(app)


class ApplicationContainer(containers.DeclarativeContainer):
    # Views that belong to no module; each module names its own in ``BaseModule.wire``.
    wiring_config = containers.WiringConfiguration(
        modules=["marketplace.ops.views", "marketplace.access"], auto_wire=False
    )

    config = providers.Configuration()

    core = providers.Container(CoreContainer, config=config.core)
    ops = providers.Container(OpsContainer, core=core, config=config.ops)
    accounts = providers.Container(AccountsContainer, core=core, config=config.accounts)

    if installed("marketplace.wallets"):
        from modules.wallets import WalletsContainer

        wallets = providers.Container(WalletsContainer, core=core, accounts=accounts, config=config.wallets)

    if installed("marketplace.vendors"):
        from modules.vendors import VendorsContainer

        vendors = providers.Container(VendorsContainer, core=core, accounts=accounts, config=config.vendors)
    if installed("marketplace.products"):
        from modules.products import ProductsContainer

        products = providers.Container(ProductsContainer, core=core, vendors=vendors, config=config.products)
    if installed("marketplace.orders"):
        from modules.orders import OrdersContainer

        orders = providers.Container(
            OrdersContainer, core=core, wallets=wallets, vendors=vendors, products=products, config=config.orders
        )
    if installed("marketplace.notifications"):
        from modules.notifications import NotificationsContainer

        notifications = providers.Container(NotificationsContainer, core=core, config=config.notifications)
