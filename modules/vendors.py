"""Vendors: shops, their review by staff, suspension, storefronts and dashboards."""

from dependency_injector import containers, providers
from django.utils.translation import gettext_lazy
from modkit import BaseModule, NavEntry, module

from containers.near_cache import TrackedReads
from marketplace.vendors.kept_parts import PeopleWatch
from services.page_cache import VersionedPageCache
from services.review_slots import NoReviews
from services.shop_highlights import ShopHighlights
from services.vendor_service import VendorService
from services.vendor_slots import NoListings, NoRatings

DEMO_SHOPS = [
    (
        "bob",
        "Bob's Hardware",
        "bobs-hardware",
        "Hand tools and workshop lamps, tested before they ship.\nOrders leave within two days.",
    ),
    (
        "carol",
        "Carol's Books",
        "carols-books",
        "Second-hand and new books, carefully packed.\nAsk for anything you cannot find.",
    ),
]


class VendorsContainer(containers.DeclarativeContainer):
    """``listings``, ``ratings`` and ``reviews`` are slots that later modules fill (see
    services/vendor_slots.py and services/review_slots.py)."""

    config = providers.Configuration()
    core = providers.DependenciesContainer()
    accounts = providers.DependenciesContainer()

    listings = providers.Dependency(default=providers.Singleton(NoListings))
    ratings = providers.Dependency(default=providers.Singleton(NoRatings))
    reviews = providers.Dependency(default=providers.Singleton(NoReviews))

    near_reads = providers.ThreadSafeSingleton(TrackedReads, enabled=config.near_cache.as_(bool))
    page_cache = providers.ThreadSafeSingleton(
        VersionedPageCache, cache=core.cache, timeout=config.cache_seconds.as_int(), near=near_reads
    )
    # Keeps each person's header fresh (marketplace/vendors/kept_parts.py).
    people_watch = providers.ThreadSafeSingleton(PeopleWatch, page_cache=page_cache, parts=core.personal_parts)
    shop_highlights = providers.Factory(ShopHighlights, page_cache=page_cache, ratings=ratings)
    vendor_service = providers.Factory(
        VendorService,
        access=core.staff_access,
        page_cache=page_cache,
        events=core.events,
        clock=core.clock,
        listings=listings,
        ratings=ratings,
        reviews=reviews,
    )


@module(
    name="vendors",
    version="1.0.0",
    description="Shops: applications reviewed by staff, storefronts, dashboards, suspension",
    author="Marketplace team",
    dependencies=["accounts>=1.0"],
)
class VendorsModule(BaseModule):
    container_class = VendorsContainer
    apps = ("marketplace.vendors",)
    page_slots = ("shop_links",)  # beside a vendor's own shop links on the dashboard
    page_parts = {"site.home_browse": "vendors/_home_shops.html"}
    publishes = {
        "vendors.applied": "vendor_id, user_id",
        "vendors.approved": "vendor_id, user_id",
        "vendors.rejected": "vendor_id, user_id",
        "vendors.suspended": "vendor_id, reason",
        "vendors.unsuspended": "vendor_id",
        "vendors.shop_changed": "vendor_id, slug",
    }
    urls = "marketplace.vendors.urls"
    url_prefix = "vendors/"
    nav = (
        # "My shop" for people with a shop, "Sell here" (the application) for everyone else.
        NavEntry(gettext_lazy("My shop"), "vendors:dashboard", order=20, template="vendors/_nav_shop.html"),
        NavEntry(
            gettext_lazy("Shops"), "vendors:staff", menu="staff", permissions=("accounts.manage_vendors",), order=50
        ),
    )
    wire = ("marketplace.vendors.views", "marketplace.vendors.api")
    api = "marketplace.vendors.api:router"  # mounted by the api module when it is enabled

    def initialize(self) -> bool:
        from marketplace.vendors.models import Vendor

        if self.container.page_cache().timeout < 0:
            raise ValueError("vendors.cache_seconds must be 0 (off) or more")
        Vendor.objects.exists()
        self.container.people_watch().start()
        return True

    def cleanup(self) -> bool:
        self.container.people_watch().stop()
        self.container.near_reads().close()  # its connection goes now, not at garbage collection
        return super().cleanup()

    def health_checks(self):
        return {"vendors_table": self._vendors_table}

    @staticmethod
    def _vendors_table() -> dict:
        from marketplace.vendors.models import Vendor

        return {
            "pending_applications": Vendor.objects.filter(status=Vendor.Status.PENDING).count(),
            "active_shops": Vendor.objects.filter(status=Vendor.Status.APPROVED, suspended_at=None).count(),
        }

    def load_demo_data(self) -> list[str]:
        from django.contrib.auth import get_user_model

        User = get_user_model()
        service = self.container.vendor_service()
        # The demo moderator approves the demo shops, as one would in real life.
        staff = User.objects.filter(username="moderator", is_active=True).first()
        if staff is None:
            return ["no moderator to approve the demo shops; load the accounts demo data first"]
        opened = []
        for username, shop_name, slug, description in DEMO_SHOPS:
            user = User.objects.filter(username=username).first()
            if user is None or service.get_for_user(user_id=user.pk) is not None:
                continue
            vendor = service.apply(user_id=user.pk, shop_name=shop_name, slug=slug, description=description)
            service.approve(staff_id=staff.pk, vendor_id=vendor.id)
            opened.append(f"{shop_name} (/vendors/{slug}/)")
        return [f"{len(opened)} shop(s) opened and approved" + (f": {', '.join(opened)}" if opened else "")]
