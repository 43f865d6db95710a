"""The orders module's part of a signed-in person's home page: their orders still open."""

from __future__ import annotations

from dataclasses import dataclass

from services import order_states as states
from services.catalog_queries import url_for


@dataclass(frozen=True)
class OpenOrder:
    reference: str
    state: str
    total_sat: int
    shop_name: str

    @property
    def state_label(self) -> str:
        return states.label(self.state)

    @property
    def url(self) -> str:
        return url_for("orders:detail", self.reference)


@dataclass(frozen=True)
class OpenOrders:
    count: int
    latest: tuple[OpenOrder, ...]


class OrderGlance:
    def __init__(self, *, limit: int = 3):
        self.limit = max(1, int(limit))

    def open_orders(self, *, buyer_id: int) -> OpenOrders:
        """How many of the buyer's orders are open (money in escrow) and the latest few: two queries."""
        from marketplace.orders.models import Order

        mine = Order.objects.filter(buyer_id=buyer_id, state__in=sorted(states.OPEN))
        latest = tuple(
            OpenOrder(*row)
            for row in mine.order_by("-created_at", "-pk").values_list(
                "reference", "state", "total_sat", "vendor__shop_name"
            )[: self.limit]
        )
        return OpenOrders(count=mine.count(), latest=latest)
