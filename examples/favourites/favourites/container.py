from dependency_injector import containers, providers

from favourites.favourite_service import FavouriteService


class FavouritesContainer(containers.DeclarativeContainer):
    """Filled by the host: ``core`` (clock, events, ...) and ``products`` (the products module's container)."""

    config = providers.Configuration()
    core = providers.DependenciesContainer()
    products = providers.DependenciesContainer()

    favourite_service = providers.Factory(
        FavouriteService,
        catalog=products.catalog_queries,
        clock=core.clock,
        max_per_user=config.max_per_user.as_int(),
    )
