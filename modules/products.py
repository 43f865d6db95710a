"""Products: listings, pictures, the catalog and its search, stock for orders, moderation."""

from dependency_injector import containers, providers
from django.core.files.storage import default_storage
from django.utils.translation import gettext_lazy
from modkit import BaseModule, NavEntry, module

from services.catalog_highlights import CatalogHighlights
from services.catalog_queries import CatalogQueries
from services.catalog_search import Fts5Search, PostgresSearch, SearchIndex, SimpleSearch, backend_for
from services.catalog_service import CatalogService
from services.moderation_service import ModerationService
from services.product_images import ProductImages
from services.review_slots import NoReviews


class ProductsContainer(containers.DeclarativeContainer):
    config = providers.Configuration()
    core = providers.DependenciesContainer()
    vendors = providers.DependenciesContainer()
    # Buyers' reviews for the product page: a slot the orders module fills (services/review_slots.py).
    reviews = providers.Dependency(default=providers.Singleton(NoReviews))

    # Django's storage proxy follows settings.STORAGES (files on disk, in memory for tests).
    image_storage = providers.Object(default_storage)
    search_backend = providers.Selector(
        providers.Callable(backend_for, config.search_backend),  # "auto": the database's own
        simple=providers.Singleton(SimpleSearch),
        fts5=providers.Singleton(Fts5Search),
        postgres=providers.Singleton(PostgresSearch),
    )
    search_index = providers.Singleton(SearchIndex)
    product_images = providers.Factory(
        ProductImages,
        storage=image_storage,
        max_bytes=config.max_image_bytes.as_int(),
        max_pixels=config.max_image_pixels.as_int(),
        max_side=config.image_max_side.as_int(),
    )
    catalog_queries = providers.Factory(
        CatalogQueries,
        search=search_backend,
        page_cache=vendors.page_cache,
        page_size=config.page_size.as_int(),
        access=core.staff_access,
        reviews=reviews,
    )
    catalog_highlights = providers.Factory(CatalogHighlights, page_cache=vendors.page_cache)
    catalog_service = providers.Factory(
        CatalogService,
        vendor_service=vendors.vendor_service,
        images=product_images,
        page_cache=vendors.page_cache,
        events=core.events,
        clock=core.clock,
        max_images=config.max_images.as_int(),
        search_index=search_index,
    )
    moderation_service = providers.Factory(
        ModerationService, page_cache=vendors.page_cache, events=core.events, clock=core.clock, access=core.staff_access
    )


DEMO_CATEGORIES = [
    ("Hardware", "hardware", None),
    ("Tools", "tools", "hardware"),
    ("Lighting", "lighting", "hardware"),
    ("Books", "books", None),
    ("Fiction", "fiction", "books"),
    ("Non-fiction", "non-fiction", "books"),
]
DEMO_PRODUCTS = {
    "bob": [
        (
            "Brass desk lamp",
            "lighting",
            "0.00120000",
            7,
            "#c9a227",
            "A solid brass desk lamp with a cotton-braided cord.\nTakes an E27 bulb (not included).",
        ),
        (
            "Claw hammer, 16 oz",
            "tools",
            "0.00035000",
            25,
            "#5b6b7a",
            "Drop-forged steel head, ash handle.\nBalanced for long days of framing.",
        ),
        (
            "Japanese pull saw",
            "tools",
            "0.00060000",
            12,
            "#8a5a44",
            "Cuts on the pull stroke for a thin, clean kerf.\nReplaceable blade.",
        ),
    ],
    "carol": [
        (
            "The Bitcoin Standard (used)",
            "non-fiction",
            "0.00025000",
            3,
            "#2f5d50",
            "Paperback, lightly read, no markings.",
        ),
        (
            "A Wizard of Earthsea",
            "fiction",
            "0.00018000",
            5,
            "#4b3f72",
            "Ursula K. Le Guin's classic, hardback reprint.",
        ),
        (
            "Field guide to lamps and lighting",
            "non-fiction",
            "0.00022000",
            2,
            "#a14a2f",
            "Everything about restoring old lamps safely.",
        ),
    ],
}


@module(
    name="products",
    version="1.0.0",
    description="Listings with pictures, the catalog with search and caching, stock, moderation",
    author="Marketplace team",
    dependencies=["vendors>=1.0"],
)
class ProductsModule(BaseModule):
    container_class = ProductsContainer
    apps = ("marketplace.products",)
    publishes = {
        "products.created": "product_id, vendor_id",
        "products.updated": "product_id, vendor_id",
        "products.deleted": "product_id, vendor_id",
        "products.reported": "product_id, report_id",
        "products.unlisted": "product_id, vendor_id, note",
        "products.restored": "product_id, vendor_id, note",
        # A sale took the last of its stock (CatalogService.reserve_stock), after the order committed.
        "products.sold_out": "product_id, vendor_id, vendor_user_id, title",
    }
    urls = "marketplace.products.urls"
    url_prefix = "products/"
    wire = ("marketplace.products.views", "marketplace.products.admin", "marketplace.products.api")
    api = "marketplace.products.api:router"  # mounted by the api module when it is enabled
    # Shops show our listings, and a shop's change makes its products' own pages stale.
    fills = {"vendors.listings": "catalog_queries"}
    subscriptions = {"vendors.shop_changed": "catalog_service.on_shop_changed"}
    page_slots = ("actions",)  # beside the product, for buying it and the like
    page_parts = {
        "vendors.shop_links": "products/_shop_link.html",  # "List a product" on a vendor's dashboard
        "site.home_products": "products/_home_newest.html",
        "site.home_browse": "products/_home_categories.html",
    }
    nav = (
        NavEntry(gettext_lazy("Catalog"), "products:list", order=10),
        NavEntry(
            gettext_lazy("Reported listings"),
            "products:moderation",
            menu="staff",
            permissions=("accounts.moderate_catalog",),
            order=60,
        ),
    )

    def initialize(self) -> bool:
        from django.db import connection

        from marketplace.products.models import Product

        self.container.search_backend().check(connection)
        Product.objects.exists()
        # Cached catalog pages may come from another search backend or older code: start afresh.
        self.container.vendors.page_cache().bump(["catalog"])
        return True

    def health_checks(self):
        return {"catalog": self._catalog}

    def _catalog(self) -> dict:
        from django.db import connection

        from marketplace.products.models import Product

        search = self.container.search_backend()
        return {
            **search.check(connection),
            "products": Product.objects.filter(deleted_at=None).count(),
            "page_size": self.container.catalog_queries().page_size,
        }

    def load_demo_data(self) -> list[str]:
        from django.contrib.auth import get_user_model

        from marketplace.products.demo import demo_picture
        from marketplace.products.models import Category, Product
        from services.errors import VendorNotActive
        from services.money import parse_btc

        service = self.container.catalog_service()
        ids = dict(Category.objects.values_list("slug", "id"))
        made_categories = 0
        for position, (name, slug, parent) in enumerate(DEMO_CATEGORIES):
            if slug not in ids:
                ids[slug] = service.create_category(name=name, slug=slug, parent_id=ids.get(parent), position=position)
                made_categories += 1
        listed = 0
        for username, items in DEMO_PRODUCTS.items():
            user = get_user_model().objects.filter(username=username).first()
            if user is None:
                continue
            for title, category, price, stock, colour, description in items:
                if Product.objects.filter(vendor__user=user, title=title).exists():
                    continue
                try:
                    service.create_product(
                        actor_id=user.pk,
                        title=title,
                        description=description,
                        price_sat=parse_btc(price),
                        stock=stock,
                        category_id=ids[category],
                        images=[demo_picture(title, colour)],
                    )
                except VendorNotActive:
                    break  # their shop is not open (yet): nothing to list
                listed += 1
        return [f"{made_categories} categor{'y' if made_categories == 1 else 'ies'} and {listed} product(s) added"]
