"""The favourites module: what it needs, what it offers, where it shows."""

from modkit import BaseModule, NavEntry, module

from favourites.container import FavouritesContainer


@module(
    name="favourites",
    version="1.0.0",
    description="Signed-in buyers keep a list of favourite products",
    author="Marketplace examples",
    dependencies=["products>=1.0"],
)
class FavouritesModule(BaseModule):
    container_class = FavouritesContainer
    urls = "favourites.urls"
    url_prefix = "favourites/"
    wire = ("favourites.views",)
    apps = ("favourites",)
    config_defaults = {"max_per_user": 100}
    config_required = ()
    subscriptions = {"products.deleted": "favourite_service.on_product_deleted"}
    nav = (NavEntry("Favourites", "favourites:list", signed_in=True, order=35),)
    page_parts = {"products.actions": "favourites/_button.html"}
    critical = False  # the marketplace trades without it

    def initialize(self) -> bool:
        from favourites.models import Favourite

        Favourite.objects.exists()  # the table is there: migrations have run
        return True

    def health_checks(self):
        return {"favourites": lambda: self.container.favourite_service().stats()}
