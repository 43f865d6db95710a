"""Orders: cart, checkout into escrow, fulfilment, timeouts, disputes, messages, reviews."""

from datetime import timedelta

from dependency_injector import containers, providers
from django.utils.translation import gettext_lazy
from modkit import BaseModule, NavEntry, module

from services.cart_service import CartService
from services.message_service import MessageService
from services.order_glance import OrderGlance
from services.order_queries import OrderQueries
from services.order_service import OrderService
from services.rated_products import RatedProducts
from services.review_queries import ReviewQueries
from services.review_service import ReviewService

# The timeouts command runs from cron every few minutes; an order due for longer means it does not.
TIMEOUTS_GRACE = timedelta(hours=1)


class OrdersContainer(containers.DeclarativeContainer):
    config = providers.Configuration()
    core = providers.DependenciesContainer()
    wallets = providers.DependenciesContainer()
    vendors = providers.DependenciesContainer()
    products = providers.DependenciesContainer()

    order_queries = providers.Factory(OrderQueries, access=core.staff_access, page_size=config.page_size.as_int())
    order_glance = providers.Factory(OrderGlance)
    rated_products = providers.Factory(RatedProducts, page_cache=vendors.page_cache)
    cart_service = providers.Factory(
        CartService,
        catalog_queries=products.catalog_queries,
        clock=core.clock,
        max_lines=config.cart_max_lines.as_int(),
    )
    order_service = providers.Factory(
        OrderService,
        wallet_service=wallets.wallet_service,
        wallet_queries=wallets.wallet_queries,
        catalog_service=products.catalog_service,
        events=core.events,
        clock=core.clock,
        access=core.staff_access,
        commission_bps=config.commission_bps.as_int(),
        accept_timeout_days=config.accept_timeout_days.as_int(),
        auto_finalize_days=config.auto_finalize_days.as_int(),
    )
    message_service = providers.Factory(MessageService, events=core.events, clock=core.clock, access=core.staff_access)
    review_queries = providers.Factory(ReviewQueries)
    review_service = providers.Factory(
        ReviewService,
        vendor_service=vendors.vendor_service,
        catalog_service=products.catalog_service,
        events=core.events,
        clock=core.clock,
        access=core.staff_access,
    )


@module(
    name="orders",
    version="1.0.0",
    description="Cart, checkout into escrow, fulfilment, timeouts, disputes, messages and reviews",
    author="Marketplace team",
    dependencies=["wallets>=1.0", "products>=1.0", "vendors>=1.0"],
)
class OrdersModule(BaseModule):
    container_class = OrdersContainer
    apps = ("marketplace.orders",)
    # Orders past their deadline, settled by the task queue's scheduler (several may run: each
    # order is settled by one conditional update).
    tasks = {"process_timeouts": "order_service.process_timeouts"}
    schedule = {"process_timeouts": 60}
    publishes = {
        "orders.changed": (
            "reference, order_id, buyer_id, vendor_user_id, actor_id, action, from_state, to_state, total_sat, note"
        ),
        "orders.message_posted": "reference, order_id, author_id, author_role, buyer_id, vendor_user_id, excerpt",
        "orders.reviewed": "reference, order_id, buyer_id, vendor_user_id, rating",
    }
    urls = "marketplace.orders.urls"
    url_prefix = "orders/"
    wire = ("marketplace.orders.views", "marketplace.orders.api")
    api = "marketplace.orders.api:router"  # mounted by the api module when it is enabled
    # Storefronts show our reviews' average and count; product and shop pages the reviews themselves.
    fills = {
        "vendors.ratings": "order_queries",
        "vendors.reviews": "review_queries",
        "products.reviews": "review_queries",
    }
    page_parts = {
        "products.actions": "orders/_add_to_cart.html",
        "vendors.shop_links": "orders/_shop_link.html",
        "site.home_products": "orders/_home_best_rated.html",
        "site.home_glance": "orders/_home_open_orders.html",
    }
    nav = (
        NavEntry(gettext_lazy("Cart"), "orders:cart", signed_in=True, order=30),
        NavEntry(gettext_lazy("Orders"), "orders:list", signed_in=True, order=31),
        NavEntry(
            gettext_lazy("Disputes"), "orders:disputes", menu="staff", permissions=("accounts.rule_disputes",), order=10
        ),
        NavEntry(
            gettext_lazy("Find an order"),
            "orders:lookup",
            menu="staff",
            permissions=("accounts.view_any_order",),
            order=20,
        ),
    )

    def initialize(self) -> bool:
        from marketplace.orders.models import Order

        self.container.order_service().get_required_config()
        Order.objects.exists()
        facade = self.live
        # The ledger audit checks every open order's escrow against its total (and that nothing
        # else sits in escrow); the source follows reloads of this module through the facade.
        self._escrow_source = lambda: facade.order_queries().open_escrows()
        self.container.wallets.escrow_expectations().register(owner="orders", source=self._escrow_source)
        clock = self.container.core.clock
        self.container.core.health_service().add_check(
            "orders.timeouts", lambda: _timeouts_health(clock()), critical=False
        )
        return True

    def cleanup(self) -> bool:
        source = getattr(self, "_escrow_source", None)
        if source is not None:
            self.container.wallets.escrow_expectations().unregister(owner="orders", source=source)
        return super().cleanup()

    def health_checks(self):
        return {"orders": self._figures}

    def _figures(self) -> dict:
        from django.db.models import Count, Sum

        from marketplace.orders.models import Order
        from services import order_states

        rows = (
            Order.objects.filter(state__in=sorted(order_states.OPEN))
            .values("state")
            .annotate(n=Count("pk"), sat=Sum("total_sat"))
            .order_by()
        )
        return {
            "open": {row["state"]: row["n"] for row in rows},
            "escrow_sat": sum(row["sat"] for row in rows),
            "overdue": _overdue(self.container.core.clock())["overdue"],
        }

    def load_demo_data(self) -> list[str]:
        from marketplace.orders.demo import load_demo_orders
        from marketplace.orders.demo_reviews import load_demo_reviews

        return load_demo_orders(self.container) + load_demo_reviews(self.container)


def _overdue(clock) -> dict:
    """Orders past their deadline that ``process_order_timeouts`` has not settled yet."""
    from django.db.models import Count, Min

    from marketplace.orders.models import Order
    from services import order_states

    now = clock.now()
    count, oldest = 0, None
    for state, deadline in ((order_states.FUNDED, "accept_by"), (order_states.SHIPPED, "auto_complete_at")):
        figures = Order.objects.filter(state=state, **{f"{deadline}__lte": now}).aggregate(
            n=Count("pk"), oldest=Min(deadline)
        )
        count += figures["n"]
        if figures["oldest"] is not None and (oldest is None or figures["oldest"] < oldest):
            oldest = figures["oldest"]
    return {"overdue": count, "overdue_since": oldest}


def _timeouts_health(clock) -> dict:
    figures = _overdue(clock)
    since = figures["overdue_since"]
    if since is not None and clock.now() - since > TIMEOUTS_GRACE:
        raise RuntimeError(
            f"{figures['overdue']} order(s) past their deadline since {since:%Y-%m-%d %H:%M} UTC: "
            f"is `manage.py process_order_timeouts` scheduled?"
        )
    return {**figures, "overdue_since": since.isoformat() if since else None}
