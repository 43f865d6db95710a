"""Who may see or act on an order: its buyer and its vendor; staff by their capabilities.

Staff holding ``VIEW_ANY_ORDER`` (support, finance) may look at any order but never act on it;
staff holding ``RULE_DISPUTES`` (finance) act only on a disputed order, to rule on it or write in
its thread. Anyone else (and every malformed reference) gets ``NotFound``, exactly as for an order
that does not exist.
"""

import re

from django.utils.translation import gettext as _

from marketplace.orders.models import Dispute, Order
from services import order_states as states
from services.errors import NotFound, PermissionDenied
from services.staff_access import Capability

REFERENCE = re.compile(r"^ORD-[0-9A-Z]{8}$")


def check_reference(value) -> str:
    if not isinstance(value, str) or not REFERENCE.match(value):
        raise NotFound(_("No such order."))
    return value


def party_role(order: Order, actor_id) -> str | None:
    """BUYER or VENDOR when the actor is one of the order's parties (``order.vendor`` loaded)."""
    if actor_id is None or isinstance(actor_id, bool):
        return None
    if order.buyer_id == actor_id:
        return states.BUYER
    if order.vendor.user_id == actor_id:
        return states.VENDOR
    return None


def order_for(reference, actor_id, access=None) -> tuple[Order, str]:
    """The order and the actor's role in it, to act on it.

    ``access`` (a ``StaffAccess``) is what lets staff in at all; without it only the parties act.
    Staff who may look at the order but not act on it are told so (``PermissionDenied``): hiding an
    order they can open anyway would only confuse them."""
    order = Order.objects.select_related("vendor").filter(reference=check_reference(reference)).first()
    if order is not None:
        role = party_role(order, actor_id)
        if role is not None:
            return order, role
        held = access.capabilities(actor_id) if access is not None and actor_id is not None else frozenset()
        if Capability.RULE_DISPUTES in held and has_dispute(order):
            return order, states.STAFF
        if held & {Capability.VIEW_ANY_ORDER, Capability.RULE_DISPUTES}:
            raise PermissionDenied(_("Your staff role lets you look at this order, not act on it."))
    raise NotFound(_("No such order."))


def has_dispute(order: Order) -> bool:
    return order.state in (states.DISPUTED, states.RESOLVED) and Dispute.objects.filter(order=order).exists()
