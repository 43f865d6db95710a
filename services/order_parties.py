"""Who may see an order: its buyer, its vendor, and staff once it has a dispute. Everyone else
(and every malformed reference) gets ``NotFound``, exactly as for an order that does not exist."""

import re

from django.contrib.auth import get_user_model

from marketplace.orders.models import Dispute, Order
from services import order_states as states
from services.errors import NotFound

REFERENCE = re.compile(r"^ORD-[0-9A-Z]{8}$")


def check_reference(value) -> str:
    if not isinstance(value, str) or not REFERENCE.match(value):
        raise NotFound("No such order.")
    return value


def is_staff(user_id) -> bool:
    if isinstance(user_id, bool) or not isinstance(user_id, int):
        return False
    return get_user_model().objects.filter(pk=user_id, is_staff=True, is_active=True).exists()


def role_in(order: Order, actor_id, *, has_dispute: bool, staff: bool | None = None) -> str | None:
    """The actor's role in an order (``order.vendor`` loaded), or None if it is none of theirs."""
    if actor_id is None or isinstance(actor_id, bool):
        return None
    if order.buyer_id == actor_id:
        return states.BUYER
    if order.vendor.user_id == actor_id:
        return states.VENDOR
    if has_dispute and (is_staff(actor_id) if staff is None else staff):
        return states.STAFF
    return None


def order_for(reference, actor_id) -> tuple[Order, str]:
    """The order and the actor's role in it, or ``NotFound``."""
    order = Order.objects.select_related("vendor").filter(reference=check_reference(reference)).first()
    if order is not None:
        has_dispute = order.state in (states.DISPUTED, states.RESOLVED) and Dispute.objects.filter(order=order).exists()
        role = role_in(order, actor_id, has_dispute=has_dispute)
        if role is not None:
            return order, role
    raise NotFound("No such order.")
