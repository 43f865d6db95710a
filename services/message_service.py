"""Order threads: the buyer, the vendor and (once there is a dispute) the staff who rule on it
write to each other.

Support may read a disputed order's thread but never write; to anyone else the order does not exist."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext as _

from marketplace.orders.models import Message
from services.errors import MessageError
from services.order_parties import order_for
from services.text_rules import clean_text, text_errors

if TYPE_CHECKING:
    from services.ports import Clock, Events
    from services.staff_access import StaffAccess

BODY_MAX = 2000


@dataclass(frozen=True)
class PostedMessage:
    message_id: int
    reference: str
    author_id: int
    body: str
    created_at: datetime


class MessageService:
    def __init__(self, *, events: Events, clock: Clock, access: StaffAccess):
        self._events = events
        self._clock = clock
        self._access = access  # StaffAccess: staff write only with RULE_DISPUTES, in a dispute

    def post(self, *, actor_id: int, reference: str, body: str) -> PostedMessage:
        body = clean_text(body if isinstance(body, str) else "")
        problems = text_errors(body, max_length=BODY_MAX, required=True, plain=False)
        if problems:
            raise MessageError(_("Write a message first."), errors={"body": problems})
        order, role = order_for(reference, actor_id, self._access)
        with transaction.atomic():
            message = Message.objects.create(order=order, author_id=actor_id, body=body, created_at=self._clock.now())
            self._events.publish(
                "orders.message_posted",
                reference=order.reference,
                order_id=order.pk,
                author_id=actor_id,
                author_role=role,
                buyer_id=order.buyer_id,
                vendor_user_id=order.vendor.user_id,
                excerpt=body[:200],
            )
        return PostedMessage(message.pk, order.reference, actor_id, body, message.created_at)
