"""The buyer's cart, checkout and orders, and the vendor's queue, as JSON: the same services as
the pages (marketplace/orders/views.py), with the same rules.

An order is its buyer's and its vendor's: to anyone else, staff included, it does not exist here
(404). Staff look at orders, and rule on disputes, on the site's pages, behind their second factor.
"""

from datetime import datetime

from ninja import Schema, Status
from pydantic import StrictInt

from marketplace.api.auth import principal, scoped
from marketplace.api.errors import documented
from marketplace.api.idempotency import IdempotencyKey, replayable
from marketplace.api.routing import Router
from marketplace.api.schemas import Page, btc, page_of
from marketplace.api.wiring import injected
from marketplace.orders.views import CARTS, CLOCK, ORDERS, QUERIES, THREADS, VENDORS
from services import order_states as states
from services.cart_service import CartService, CartView
from services.errors import NotFound, PermissionDenied
from services.message_service import MessageService
from services.order_queries import VENDOR_TABS, OrderDetail, OrderQueries
from services.order_service import OrderService

router = Router()


# the cart
class CartLineOut(Schema):
    product_id: int
    title: str
    price_sat: int
    price_btc: str
    quantity: int
    total_sat: int
    total_btc: str
    stock: int
    available: bool
    problem: str  # why it cannot be bought as it is; "" when it can


class CartGroupOut(Schema):
    vendor_id: int | None  # None: products no longer sold, kept so they can be removed
    shop_name: str
    total_sat: int
    total_btc: str
    lines: list[CartLineOut]


class CartOut(Schema):
    groups: list[CartGroupOut]
    count: int
    total_sat: int
    total_btc: str
    problems: list[str]
    ready: bool  # something to buy and nothing in the way of checking out


class CartItemIn(Schema):
    product_id: StrictInt
    quantity: StrictInt = 1


class QuantityIn(Schema):
    quantity: StrictInt  # 0 removes the line


def _cart(contents: CartView) -> dict:
    return {
        "groups": [
            {
                "vendor_id": group.vendor_id,
                "shop_name": group.vendor_name,
                "total_sat": group.total_sat,
                "total_btc": btc(group.total_sat),
                "lines": [
                    {
                        "product_id": line.product_id,
                        "title": line.title,
                        "price_sat": line.price_sat,
                        "price_btc": btc(line.price_sat),
                        "quantity": line.quantity,
                        "total_sat": line.total_sat,
                        "total_btc": btc(line.total_sat),
                        "stock": line.stock,
                        "available": line.available,
                        "problem": line.problem,
                    }
                    for line in group.lines
                ],
            }
            for group in contents.groups
        ],
        "count": contents.count,
        "total_sat": contents.total_sat,
        "total_btc": btc(contents.total_sat),
        "problems": contents.problems,
        "ready": contents.ready,
    }


@router.get("/cart", response=documented(CartOut), auth=scoped("orders:read"))
@injected
def cart(request, carts: CartService = CARTS):
    """Your cart, grouped by shop (one order each at checkout), at today's prices and stock."""
    return _cart(carts.contents(user_id=principal(request).user_id))


@router.post("/cart/items", response=documented(CartOut), auth=scoped("orders:write"))
@injected
def add_to_cart(request, payload: CartItemIn, carts: CartService = CARTS):
    """Put `quantity` more of a product in your cart; the cart as it is now."""
    user = principal(request).user_id
    carts.add(user_id=user, product_id=payload.product_id, quantity=payload.quantity)
    return _cart(carts.contents(user_id=user))


@router.put("/cart/items/{product_id}", response=documented(CartOut), auth=scoped("orders:write"))
@injected
def set_cart_quantity(request, product_id: int, payload: QuantityIn, carts: CartService = CARTS):
    """Change a line's quantity (0 removes it); the cart as it is now."""
    user = principal(request).user_id
    carts.set_quantity(user_id=user, product_id=product_id, quantity=payload.quantity)
    return _cart(carts.contents(user_id=user))


@router.delete("/cart/items/{product_id}", response=documented(CartOut), auth=scoped("orders:write"))
@injected
def remove_from_cart(request, product_id: int, carts: CartService = CARTS):
    """Take a product out of your cart; the cart as it is now."""
    user = principal(request).user_id
    carts.remove(user_id=user, product_id=product_id)
    return _cart(carts.contents(user_id=user))


# orders
class LineOut(Schema):
    product_id: int
    title: str
    price_sat: int
    price_btc: str
    quantity: int
    total_sat: int
    total_btc: str


class DeadlinesOut(Schema):
    accept_by: datetime | None  # while it waits for the vendor: refunded automatically after
    auto_complete_at: datetime | None  # once shipped: completes by itself then, unless disputed


class DisputeOut(Schema):
    opened_by: str
    opened_from: str
    reason: str
    opened_at: datetime
    ruling: str | None
    ruling_label: str | None
    buyer_percent: int | None
    resolution_note: str
    resolved_by: str | None
    resolved_at: datetime | None


class ReviewOut(Schema):
    rating: int
    text: str
    created_at: datetime


class OrderOut(Schema):
    reference: str
    state: str
    state_label: str
    role: str  # yours in this order: buyer or vendor
    shop: str
    shop_name: str
    buyer_name: str
    total_sat: int
    total_btc: str
    in_escrow_sat: int
    in_escrow_btc: str
    created_at: datetime
    accepted_at: datetime | None
    shipped_at: datetime | None
    closed_at: datetime | None
    deadlines: DeadlinesOut
    tracking_note: str
    refunded_sat: int | None
    refunded_btc: str | None
    vendor_payout_sat: int | None
    vendor_payout_btc: str | None
    commission_sat: int | None  # the vendor's to see, as on the page
    commission_btc: str | None
    lines: list[LineOut]
    dispute: DisputeOut | None
    review: ReviewOut | None
    actions: list[str]  # what you may do now, as the order page offers it


class OrderRowOut(Schema):
    reference: str
    state: str
    state_label: str
    summary: str
    line_count: int
    shop: str
    shop_name: str
    buyer_name: str
    total_sat: int
    total_btc: str
    created_at: datetime
    accept_by: datetime
    auto_complete_at: datetime | None


class OrdersOut(Page):
    items: list[OrderRowOut]


class EventOut(Schema):
    actor: str
    from_state: str
    to_state: str
    to_label: str
    note: str
    created_at: datetime


class EventsOut(Schema):
    reference: str
    items: list[EventOut]


class MessageOut(Schema):
    author: str
    author_role: str
    body: str
    created_at: datetime


class MessagesOut(Schema):
    reference: str
    items: list[MessageOut]


def _line(line) -> dict:
    return {
        "product_id": line.product_id,
        "title": line.title,
        "price_sat": line.price_sat,
        "price_btc": btc(line.price_sat),
        "quantity": line.quantity,
        "total_sat": line.total_sat,
        "total_btc": btc(line.total_sat),
    }


def _order(order: OrderDetail) -> dict:
    commission = order.commission_sat if order.role != states.BUYER else None
    escrow = order.total_sat if order.is_open else 0
    dispute = order.dispute
    return {
        "reference": order.reference,
        "state": order.state,
        "state_label": order.state_label,
        "role": order.role,
        "shop": order.vendor_slug,
        "shop_name": order.vendor_name,
        "buyer_name": order.buyer_name,
        "total_sat": order.total_sat,
        "total_btc": btc(order.total_sat),
        "in_escrow_sat": escrow,
        "in_escrow_btc": btc(escrow),
        "created_at": order.created_at,
        "accepted_at": order.accepted_at,
        "shipped_at": order.shipped_at,
        "closed_at": order.closed_at,
        "deadlines": {
            "accept_by": order.accept_by if order.state == states.FUNDED else None,
            "auto_complete_at": order.auto_complete_at if order.state == states.SHIPPED else None,
        },
        "tracking_note": order.tracking_note,
        "refunded_sat": order.refunded_sat,
        "refunded_btc": btc(order.refunded_sat),
        "vendor_payout_sat": order.vendor_payout_sat,
        "vendor_payout_btc": btc(order.vendor_payout_sat),
        "commission_sat": commission,
        "commission_btc": btc(commission),
        "lines": [_line(line) for line in order.lines],
        "dispute": None
        if dispute is None
        else {
            "opened_by": dispute.opened_by,
            "opened_from": dispute.opened_from,
            "reason": dispute.reason,
            "opened_at": dispute.opened_at,
            "ruling": dispute.ruling or None,
            "ruling_label": dispute.ruling_label or None,
            "buyer_percent": dispute.buyer_percent,
            "resolution_note": dispute.resolution_note,
            "resolved_by": dispute.resolved_by or None,
            "resolved_at": dispute.resolved_at,
        },
        "review": None
        if order.review is None
        else {"rating": order.review.rating, "text": order.review.text, "created_at": order.review.created_at},
        "actions": sorted(order.actions),
    }


def _row(row) -> dict:
    return {
        "reference": row.reference,
        "state": row.state,
        "state_label": row.state_label,
        "summary": row.summary,
        "line_count": row.line_count,
        "shop": row.vendor_slug,
        "shop_name": row.vendor_name,
        "buyer_name": row.buyer_name,
        "total_sat": row.total_sat,
        "total_btc": btc(row.total_sat),
        "created_at": row.created_at,
        "accept_by": row.accept_by,
        "auto_complete_at": row.auto_complete_at,
    }


def _messages(order: OrderDetail) -> dict:
    return {
        "reference": order.reference,
        "items": [
            {"author": m.author, "author_role": m.author_role, "body": m.body, "created_at": m.created_at}
            for m in order.messages
        ],
    }


def _party_order(queries: OrderQueries, clock, user_id: int, reference: str) -> OrderDetail:
    """The order as its buyer or vendor sees it on its page; ``NotFound`` for anyone else.

    Staff who may open any order on the site do so behind their second factor, which the API
    cannot ask for: here they are strangers to orders that are not theirs."""
    order = queries.order_detail(viewer_id=user_id, reference=reference, now=clock.now())
    if order.role not in (states.BUYER, states.VENDOR):
        raise NotFound("No such order.")
    return order


def _acted(request, reference: str, queries: OrderQueries, clock, action, **fields) -> dict:
    """``action`` (an ``OrderService`` transition) taken by a party to the order, then the order
    as it is now; the service decides whether their role and the order's state allow it."""
    user = principal(request).user_id
    _party_order(queries, clock, user, reference)
    action(actor_id=user, reference=reference, **fields)
    return _order(_party_order(queries, clock, user, reference))


@router.get("/orders", response=documented(OrdersOut), auth=scoped("orders:read"))
@injected
def list_orders(request, page: int = 1, queries: OrderQueries = QUERIES):
    """Your orders as a buyer, newest first."""
    result = queries.buyer_orders(buyer_id=principal(request).user_id, page=page)
    return page_of(result, [_row(row) for row in result.rows])


@router.get("/orders/{reference}", response=documented(OrderOut), auth=scoped("orders:read"))
@injected
def order(request, reference: str, queries: OrderQueries = QUERIES, clock=CLOCK):
    """One of your orders (as its buyer or its vendor): lines, state, deadlines, what you may do."""
    return _order(_party_order(queries, clock, principal(request).user_id, reference))


@router.get("/orders/{reference}/events", response=documented(EventsOut), auth=scoped("orders:read"))
@injected
def order_events(request, reference: str, queries: OrderQueries = QUERIES, clock=CLOCK):
    """The order's history, oldest first."""
    found = _party_order(queries, clock, principal(request).user_id, reference)
    return {
        "reference": found.reference,
        "items": [
            {
                "actor": e.actor,
                "from_state": e.from_state,
                "to_state": e.to_state,
                "to_label": e.to_label,
                "note": e.note,
                "created_at": e.created_at,
            }
            for e in found.events
        ],
    }


@router.get("/orders/{reference}/messages", response=documented(MessagesOut), auth=scoped("orders:read"))
@injected
def order_messages(request, reference: str, queries: OrderQueries = QUERIES, clock=CLOCK):
    """The thread between the buyer and the vendor (and staff, once disputed), oldest first."""
    return _messages(_party_order(queries, clock, principal(request).user_id, reference))


# checkout
class CheckoutIn(Schema):
    # The total you saw: if prices or stock moved since, nothing is bought.
    expected_total_sat: StrictInt | None = None


class PlacedOrderOut(Schema):
    reference: str
    shop: str
    total_sat: int
    total_btc: str
    created_at: datetime
    accept_by: datetime
    lines: list[LineOut]


class CheckoutOut(Schema):
    checkout_id: int
    total_sat: int
    total_btc: str
    orders: list[PlacedOrderOut]


def _placed(order: OrderDetail) -> dict:
    # Only what a checkout fixes for good: the same key again answers exactly this, whatever
    # the orders went through since (GET /orders/{reference} for where they are now).
    return {
        "reference": order.reference,
        "shop": order.vendor_slug,
        "total_sat": order.total_sat,
        "total_btc": btc(order.total_sat),
        "created_at": order.created_at,
        "accept_by": order.accept_by,
        "lines": [_line(line) for line in order.lines],
    }


@router.post("/checkout", response=documented({201: CheckoutOut}), auth=scoped("orders:write"))
@injected
def checkout(
    request,
    key: IdempotencyKey,
    payload: CheckoutIn | None = None,
    orders: OrderService = ORDERS,
    queries: OrderQueries = QUERIES,
    clock=CLOCK,
):
    """Buy your cart: one order per shop, each paid into its own escrow from your balance.

    The same `Idempotency-Key` again returns the first checkout, identical, and buys nothing."""
    buyer = principal(request).user_id
    expected = (payload or CheckoutIn()).expected_total_sat
    result = orders.checkout(buyer_id=buyer, idempotency_key=key, expected_total_sat=expected)
    placed = [
        _placed(queries.order_detail(viewer_id=buyer, reference=ref, now=clock.now())) for ref in result.references
    ]
    answer = {
        "checkout_id": result.checkout_id,
        "total_sat": result.total_sat,
        "total_btc": btc(result.total_sat),
        "orders": placed,
    }
    return Status(201, answer)


# the buyer's actions
class ReasonIn(Schema):
    reason: str = ""


class DisputeIn(Schema):
    reason: str


class ShipIn(Schema):
    tracking_note: str = ""


class MessageIn(Schema):
    body: str


@router.post("/orders/{reference}/cancel", response=documented(OrderOut), auth=scoped("orders:write"))
@replayable
@injected
def cancel_order(
    request,
    reference: str,
    payload: ReasonIn | None = None,
    orders: OrderService = ORDERS,
    queries: OrderQueries = QUERIES,
    clock=CLOCK,
):
    """Cancel an order the vendor has not accepted yet: the money comes back to your balance."""
    return _acted(request, reference, queries, clock, orders.cancel, reason=(payload or ReasonIn()).reason)


@router.post("/orders/{reference}/confirm", response=documented(OrderOut), auth=scoped("orders:write"))
@replayable
@injected
def confirm_order(request, reference: str, orders: OrderService = ORDERS, queries: OrderQueries = QUERIES, clock=CLOCK):
    """Confirm delivery: the payment is released to the vendor."""
    return _acted(request, reference, queries, clock, orders.confirm)


@router.post("/orders/{reference}/dispute", response=documented(OrderOut), auth=scoped("orders:write"))
@injected
def dispute_order(
    request,
    reference: str,
    payload: DisputeIn,
    orders: OrderService = ORDERS,
    queries: OrderQueries = QUERIES,
    clock=CLOCK,
):
    """Open a dispute (buyer or vendor, once accepted): staff will rule; it no longer completes by itself."""
    return _acted(request, reference, queries, clock, orders.open_dispute, reason=payload.reason)


@router.post("/orders/{reference}/messages", response=documented({201: MessagesOut}), auth=scoped("orders:write"))
@injected
def post_message(
    request,
    reference: str,
    payload: MessageIn,
    threads: MessageService = THREADS,
    queries: OrderQueries = QUERIES,
    clock=CLOCK,
):
    """Write to the other party (buyer or vendor); the thread with your message."""
    user = principal(request).user_id
    _party_order(queries, clock, user, reference)
    threads.post(actor_id=user, reference=reference, body=payload.body)
    return Status(201, _messages(_party_order(queries, clock, user, reference)))


# the vendor's queue
class TabOut(Schema):
    name: str
    label: str
    count: int


class VendorOrdersOut(OrdersOut):
    tab: str
    tabs: list[TabOut]


@router.get("/vendor/orders", response=documented(VendorOrdersOut), auth=scoped("vendor:read"))
@injected
def vendor_orders(request, tab: str = "todo", page: int = 1, queries: OrderQueries = QUERIES, vendors=VENDORS):
    """Your shop's orders by tab (todo, shipped, disputed, closed): to do oldest first, the others newest first."""
    user = principal(request).user_id
    if vendors.get_for_user(user_id=user) is None:
        raise PermissionDenied("Only vendors have a sales queue. Open a shop first.")
    tab = tab if tab in VENDOR_TABS else "todo"
    result, counts = queries.vendor_orders(vendor_user_id=user, tab=tab, page=page)
    return {
        **page_of(result, [_row(row) for row in result.rows]),
        "tab": tab,
        "tabs": [{"name": name, "label": label, "count": counts[name]} for name, (label, _) in VENDOR_TABS.items()],
    }


@router.post("/vendor/orders/{reference}/accept", response=documented(OrderOut), auth=scoped("vendor:write"))
@injected
def accept_order(request, reference: str, orders: OrderService = ORDERS, queries: OrderQueries = QUERIES, clock=CLOCK):
    """Accept a paid order before its deadline: you will ship it."""
    return _acted(request, reference, queries, clock, orders.accept)


@router.post("/vendor/orders/{reference}/decline", response=documented(OrderOut), auth=scoped("vendor:write"))
@replayable
@injected
def decline_order(
    request,
    reference: str,
    payload: ReasonIn | None = None,
    orders: OrderService = ORDERS,
    queries: OrderQueries = QUERIES,
    clock=CLOCK,
):
    """Decline a paid order: the buyer is refunded and the stock comes back."""
    return _acted(request, reference, queries, clock, orders.decline, reason=(payload or ReasonIn()).reason)


@router.post("/vendor/orders/{reference}/ship", response=documented(OrderOut), auth=scoped("vendor:write"))
@injected
def ship_order(
    request,
    reference: str,
    payload: ShipIn | None = None,
    orders: OrderService = ORDERS,
    queries: OrderQueries = QUERIES,
    clock=CLOCK,
):
    """Mark an accepted order shipped (with a tracking note if you have one): the completion clock starts."""
    return _acted(request, reference, queries, clock, orders.ship, tracking_note=(payload or ShipIn()).tracking_note)
