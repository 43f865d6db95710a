"""The kinds of notification a user may switch e-mail off for, and the thread each belongs to.

A kind is what the profile page's e-mail preferences list; a thread is what the inbox groups
under one heading (an order's notifications together). Both are worked out once, when the
notification is written, from the event that caused it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


@dataclass(frozen=True)
class Kind:
    key: str
    label: str
    help: str


KINDS = (
    Kind(
        "orders",
        gettext_lazy("Order updates"),
        gettext_lazy("An order is placed, accepted, shipped, completed, cancelled or expires."),
    ),
    Kind("messages", gettext_lazy("Messages"), gettext_lazy("Someone writes to you about one of your orders.")),
    Kind(
        "disputes",
        gettext_lazy("Disputes"),
        gettext_lazy("A dispute is opened on one of your orders, or staff rule on it."),
    ),
    Kind("reviews", gettext_lazy("Reviews"), gettext_lazy("A buyer reviews an order you sold.")),
    Kind("wallet", gettext_lazy("Wallet"), gettext_lazy("A deposit is credited to your balance.")),
)
KIND_KEYS = tuple(kind.key for kind in KINDS)
LABELS = {kind.key: kind.label for kind in KINDS}

DISPUTE_ACTIONS = {"dispute", "resolve"}
ORDER_LINK = re.compile(r"^/orders/([^/]+)/$")


def kind_of(topic: str, payload: dict) -> str:
    if topic.startswith("wallets."):
        return "wallet"
    if topic == "orders.message_posted":
        return "messages"
    if topic == "orders.reviewed":
        return "reviews"
    if topic == "orders.changed":
        return "disputes" if payload.get("action") in DISPUTE_ACTIONS else "orders"
    return ""


def thread_of(topic: str, payload: dict) -> str:
    if topic.startswith("wallets."):
        return "wallet"
    reference = payload.get("reference") or ""
    return f"order:{reference}"[:60] if topic.startswith("orders.") and reference else ""


def thread_title(thread: str) -> str:
    if thread.startswith("order:"):
        return _("Order %(reference)s") % {"reference": thread.removeprefix("order:")}
    if thread == "wallet":
        return _("Your wallet")
    return _("Other notices")
