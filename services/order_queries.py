"""Orders' read side: ready rows in a fixed number of queries, whatever the number of orders,
lines, events or messages. Writes go through ``OrderService``, ``MessageService`` and
``ReviewService``; nothing here changes the database.

Staff see orders by capability (``services/staff_access.py``): ``VIEW_ANY_ORDER`` opens any order,
its history and its dispute, read-only; the buyer and vendor's messages stay theirs until one of
them disputes the order, and only ``RULE_DISPUTES`` gives a ruling and a voice in the thread."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import Count, OuterRef, Prefetch, Q, Subquery, Sum
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from marketplace.orders.models import Message, Order, OrderEvent, OrderLine, Review
from services import order_states as states
from services.catalog_queries import url_for
from services.errors import NotFound
from services.order_parties import check_reference, party_role
from services.staff_access import Capability
from services.vendor_slots import PageOf, VendorRating, page_bounds

if TYPE_CHECKING:
    from services.staff_access import StaffAccess

MAX_PAGE = 100_000
# The vendor's queue, by what needs doing.
VENDOR_TABS = {
    "todo": ("To do", frozenset({states.FUNDED, states.ACCEPTED})),
    "shipped": ("Shipped", frozenset({states.SHIPPED})),
    "disputed": ("In dispute", frozenset({states.DISPUTED})),
    "closed": ("Closed", states.CLOSED),
}
DISPUTE_TABS = {"open": frozenset({states.DISPUTED}), "resolved": frozenset({states.RESOLVED})}


def person(user) -> str:
    return (user.display_name or user.username) if user is not None else "The marketplace"


@dataclass(frozen=True)
class OrderRow:
    reference: str
    state: str
    total_sat: int
    created_at: datetime
    vendor_name: str
    vendor_slug: str
    buyer_name: str
    first_title: str
    line_count: int
    accept_by: datetime
    auto_complete_at: datetime | None

    @property
    def state_label(self) -> str:
        return states.label(self.state)

    @property
    def summary(self) -> str:
        more = self.line_count - 1
        if more <= 0:
            return self.first_title
        return ngettext("%(title)s and %(count)s more", "%(title)s and %(count)s more", more) % {
            "title": self.first_title,
            "count": more,
        }

    @property
    def url(self) -> str:
        return url_for("orders:detail", self.reference)


@dataclass(frozen=True)
class LineRow:
    product_id: int
    title: str
    price_sat: int
    quantity: int

    @property
    def total_sat(self) -> int:
        return self.price_sat * self.quantity

    @property
    def product_url(self) -> str:
        return url_for("products:detail", self.product_id)


@dataclass(frozen=True)
class EventRow:
    actor: str
    from_state: str
    to_state: str
    note: str
    entry_id: int | None
    created_at: datetime

    @property
    def to_label(self) -> str:
        return states.label(self.to_state)


@dataclass(frozen=True)
class MessageRow:
    author: str
    author_role: str
    body: str
    created_at: datetime


@dataclass(frozen=True)
class DisputeRow:
    opened_by: str
    opened_from: str
    reason: str
    opened_at: datetime
    ruling: str
    ruling_label: str
    buyer_percent: int | None
    resolution_note: str
    resolved_by: str
    resolved_at: datetime | None


@dataclass(frozen=True)
class ReviewRow:
    rating: int
    text: str
    created_at: datetime


@dataclass(frozen=True)
class OrderDetail:
    reference: str
    state: str
    role: str
    total_sat: int
    commission_bps: int
    created_at: datetime
    accept_by: datetime
    accepted_at: datetime | None
    shipped_at: datetime | None
    auto_complete_at: datetime | None
    closed_at: datetime | None
    tracking_note: str
    vendor_name: str
    vendor_slug: str
    buyer_name: str
    refunded_sat: int | None
    vendor_payout_sat: int | None
    commission_sat: int | None
    lines: tuple[LineRow, ...]
    events: tuple[EventRow, ...]
    messages: tuple[MessageRow, ...]
    messages_visible: bool  # False for staff looking at an order nobody disputed
    dispute: DisputeRow | None
    review: ReviewRow | None
    actions: frozenset[str]

    @property
    def state_label(self) -> str:
        return states.label(self.state)

    @property
    def is_open(self) -> bool:
        return self.state in states.OPEN

    @property
    def counterpart(self) -> str:
        return self.vendor_name if self.role == states.BUYER else self.buyer_name

    def can(self, action: str) -> bool:
        return action in self.actions


class OrderQueries:
    def __init__(self, *, access: StaffAccess, page_size: int = 20):
        self._access = access  # StaffAccess: which staff may see which orders
        self.page_size = max(1, min(int(page_size), 200))

    # lists
    def buyer_orders(self, *, buyer_id: int, page=1) -> PageOf:
        """The buyer's orders, newest first: two queries."""
        return self._page(Order.objects.filter(buyer_id=buyer_id), page)

    def vendor_orders(self, *, vendor_user_id: int, tab: str = "todo", page=1) -> tuple[PageOf, dict[str, int]]:
        """One tab of the vendor's queue and the count of every tab: three queries."""
        tab = tab if tab in VENDOR_TABS else "todo"
        mine = Order.objects.filter(vendor__user_id=vendor_user_id)
        counts = mine.aggregate(
            **{name: Count("pk", filter=Q(state__in=sorted(wanted))) for name, (_, wanted) in VENDOR_TABS.items()}
        )
        queryset = mine.filter(state__in=sorted(VENDOR_TABS[tab][1]))
        oldest_first = tab == "todo"  # the queue: what has waited longest comes first
        return self._page(queryset, page, oldest_first=oldest_first), counts

    def dispute_queue(self, *, staff_id: int, tab: str = "open", page=1) -> tuple[PageOf, dict[str, int]]:
        """The disputes waiting for a ruling (or ruled), for the staff who rule on them."""
        self._access.require(staff_id, Capability.RULE_DISPUTES)
        tab = tab if tab in DISPUTE_TABS else "open"
        counts = Order.objects.aggregate(
            **{name: Count("pk", filter=Q(state__in=sorted(wanted))) for name, wanted in DISPUTE_TABS.items()}
        )
        queryset = Order.objects.filter(state__in=sorted(DISPUTE_TABS[tab]))
        return self._page(queryset, page, oldest_first=tab == "open"), counts

    def find_order(self, *, staff_id: int, reference) -> str:
        """Support's lookup: the order's reference as stored, given what someone read out or pasted
        (any case, spaces around it, with or without ``ORD-``); ``NotFound`` when there is none."""
        self._access.require(staff_id, Capability.VIEW_ANY_ORDER)
        typed = "".join(reference.split()).upper() if isinstance(reference, str) else ""
        typed = typed if typed.startswith("ORD-") else f"ORD-{typed}"
        found = Order.objects.filter(reference=check_reference(typed)).values_list("reference", flat=True).first()
        if found is None:
            raise NotFound(_("There is no order %(reference)s.") % {"reference": typed})
        return found

    def _page(self, queryset, page, *, oldest_first: bool = False) -> PageOf:
        count = queryset.count()
        number, offset, num_pages = page_bounds(count=count, page=_page_number(page), size=self.page_size)
        first_title = OrderLine.objects.filter(order=OuterRef("pk")).order_by("pk").values("title")[:1]
        rows = (
            queryset.select_related("vendor", "buyer")
            .annotate(first_title=Subquery(first_title), line_count=Count("lines"))
            .order_by(*(("created_at", "pk") if oldest_first else ("-created_at", "-pk")))[
                offset : offset + self.page_size
            ]
        )
        return PageOf(
            rows=tuple(
                OrderRow(
                    o.reference,
                    o.state,
                    o.total_sat,
                    o.created_at,
                    o.vendor.shop_name,
                    o.vendor.slug,
                    person(o.buyer),
                    o.first_title or "",
                    o.line_count,
                    o.accept_by,
                    o.auto_complete_at,
                )
                for o in rows
            ),
            number=number,
            num_pages=num_pages,
            count=count,
        )

    # one order
    def order_detail(self, *, viewer_id: int, reference: str, now: datetime | None = None) -> OrderDetail:
        """Everything the order page shows, in four queries for its parties; ``NotFound`` for
        anyone who is neither a party nor staff allowed to see it. ``now`` (the core clock's)
        hides actions whose deadline has passed."""
        order = (
            Order.objects.select_related("vendor", "buyer", "dispute__opened_by", "dispute__resolved_by", "review")
            .prefetch_related(
                Prefetch("lines", queryset=OrderLine.objects.order_by("pk")),
                Prefetch("events", queryset=OrderEvent.objects.select_related("actor").order_by("pk")),
                Prefetch("messages", queryset=Message.objects.select_related("author").order_by("pk")),
            )
            .filter(reference=check_reference(reference))
            .first()
        )
        if order is None:
            raise NotFound(_("No such order."))
        dispute = getattr(order, "dispute", None)
        role, rules = party_role(order, viewer_id), False
        if role is None:
            held = self._access.capabilities(viewer_id) if viewer_id is not None else frozenset()
            rules = dispute is not None and Capability.RULE_DISPUTES in held
            if not (rules or Capability.VIEW_ANY_ORDER in held):
                raise NotFound(_("No such order."))
            role = states.STAFF
        # The thread is the buyer and vendor's own; staff read it once one of them disputes.
        messages_visible = role != states.STAFF or dispute is not None
        review = getattr(order, "review", None)
        parties = {order.buyer_id: states.BUYER, order.vendor.user_id: states.VENDOR}
        return OrderDetail(
            reference=order.reference,
            state=order.state,
            role=role,
            total_sat=order.total_sat,
            commission_bps=order.commission_bps,
            created_at=order.created_at,
            accept_by=order.accept_by,
            accepted_at=order.accepted_at,
            shipped_at=order.shipped_at,
            auto_complete_at=order.auto_complete_at,
            closed_at=order.closed_at,
            tracking_note=order.tracking_note,
            vendor_name=order.vendor.shop_name,
            vendor_slug=order.vendor.slug,
            buyer_name=person(order.buyer),
            refunded_sat=order.refunded_sat,
            vendor_payout_sat=order.vendor_payout_sat,
            commission_sat=order.commission_sat,
            lines=tuple(LineRow(li.product_id, li.title, li.price_sat, li.quantity) for li in order.lines.all()),
            events=tuple(
                EventRow(person(e.actor), e.from_state, e.to_state, e.note, e.entry_id, e.created_at)
                for e in order.events.all()
            ),
            messages=tuple(
                MessageRow(person(m.author), parties.get(m.author_id, states.STAFF), m.body, m.created_at)
                for m in order.messages.all()
            )
            if messages_visible
            else (),
            messages_visible=messages_visible,
            dispute=_dispute_row(dispute),
            review=ReviewRow(review.rating, review.text, review.created_at) if review else None,
            actions=_actions(order, role, review is not None, now) if role != states.STAFF or rules else frozenset(),
        )

    # for other modules
    def open_escrows(self) -> dict[str, int]:
        """``{reference: total_sat}`` of every order whose money is in escrow now (the wallets'
        ledger audit compares each with its escrow account): one query."""
        return dict(Order.objects.filter(state__in=sorted(states.OPEN)).values_list("reference", "total_sat"))

    def ratings_for(self, *, vendor_ids: Sequence[int]) -> dict[int, VendorRating]:
        """Average and count of each shop's reviews, aggregated by the database: one query."""
        rows = (
            Review.objects.filter(order__vendor_id__in=list(vendor_ids))
            .values("order__vendor_id")
            .annotate(stars=Sum("rating"), count=Count("pk"))
            .order_by()
        )
        return {  # exact: the sum of stars over the count, never a float
            row["order__vendor_id"]: VendorRating(average=Decimal(row["stars"]) / row["count"], count=row["count"])
            for row in rows
        }


def _actions(order: Order, role: str, reviewed: bool, now: datetime | None) -> frozenset[str]:
    actions = set(states.allowed(order.state, role))
    if now is not None:
        if order.state == states.FUNDED and now > order.accept_by:
            actions.discard("accept")
        if order.state == states.SHIPPED and order.auto_complete_at and now >= order.auto_complete_at:
            actions.discard("dispute")
    if role == states.BUYER and order.state == states.COMPLETED and not reviewed:
        actions.add("review")
    actions.add("message")
    return frozenset(actions)


def _dispute_row(dispute) -> DisputeRow | None:
    if dispute is None:
        return None
    labels = {"refund": "Refunded to the buyer", "release": "Released to the vendor", "split": "Split"}
    return DisputeRow(
        opened_by=person(dispute.opened_by),
        opened_from=dispute.opened_from,
        reason=dispute.reason,
        opened_at=dispute.opened_at,
        ruling=dispute.ruling,
        ruling_label=labels.get(dispute.ruling, ""),
        buyer_percent=dispute.buyer_percent,
        resolution_note=dispute.resolution_note,
        resolved_by=person(dispute.resolved_by) if dispute.resolved_by_id else "",
        resolved_at=dispute.resolved_at,
    )


def _page_number(raw) -> int:
    try:
        return min(max(1, int(raw)), MAX_PAGE)
    except (TypeError, ValueError):
        return 1
