"""Notifications: tell the other party what happened to their order (and a user that their
deposit was credited), after it happened.

``notify`` records each notification (the user's list at /notifications/) once the surrounding
transaction commits, never before: a rolled-back change tells nobody. Sending it (an e-mail may
take seconds) is a background task, ``notifications.deliver``, recorded in the same transaction
as the notification: the request that caused it never waits on a mail server, and a backend
that fails is retried with back-off by the task queue, then shown to staff as failed. The
notifications module subscribes ``handle`` to the orders' events and the wallets'
``deposit_credited``, which are themselves delivered after commit.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import NoReverseMatch, reverse

from marketplace.notifications.models import Notification
from services.money import format_btc
from services.notification_backends import Notice

if TYPE_CHECKING:
    from services.ports import Clock, NotificationBackend
    from services.task_service import TaskService

log = logging.getLogger(__name__)

TOPICS = ("orders.changed", "orders.message_posted", "orders.reviewed", "wallets.deposit_credited")
INBOX_SIZE = 50


@dataclass(frozen=True)
class InboxRow:
    subject: str
    body: str
    link: str
    created_at: datetime
    unread: bool


class NotificationService:
    def __init__(self, *, backend: NotificationBackend, clock: Clock, tasks: TaskService, site_url: str = ""):
        self._backend = backend
        self._clock = clock
        self._tasks = tasks
        self.site_url = (site_url or "").rstrip("/")

    @property
    def backend_name(self) -> str:
        return self._backend.name

    def notify(self, *, user_ids, subject: str, body: str, path: str = "", topic: str = "") -> None:
        """Send to each user once the current transaction commits (at once outside one)."""
        recipients = sorted({uid for uid in user_ids if isinstance(uid, int)})
        if recipients:
            transaction.on_commit(lambda: self._deliver(recipients, subject, body, path, topic))

    def handle(self, topic: str, payload: dict) -> None:
        """An order event (delivered after commit): work out who to tell, and what."""
        composed = _compose(topic, payload)
        if composed is None:
            return
        recipients, subject, body = composed
        path = _wallet_path() if topic.startswith("wallets.") else _order_path(payload["reference"])
        self.notify(user_ids=recipients, subject=subject, body=body, path=path, topic=topic)

    # the user's list
    def inbox(self, *, user_id: int, limit: int = INBOX_SIZE) -> list[InboxRow]:
        rows = Notification.objects.filter(user_id=user_id).order_by("-id")[:limit]
        return [InboxRow(n.subject, n.body, n.link, n.created_at, n.read_at is None) for n in rows]

    def unread_count(self, *, user_id: int) -> int:
        return Notification.objects.filter(user_id=user_id, read_at=None).count()

    def mark_all_read(self, *, user_id: int) -> int:
        return Notification.objects.filter(user_id=user_id, read_at=None).update(read_at=self._clock.now())

    # delivery
    def _deliver(self, recipients: list[int], subject: str, body: str, path: str, topic: str) -> None:
        """Each user's notification, and the task that sends it, written together."""
        users = get_user_model().objects.filter(pk__in=recipients, is_active=True)
        users = users.only("pk", "email", "email_verified")
        needs_address = getattr(self._backend, "needs_address", False)
        with transaction.atomic():
            for user in users:
                # Only an address its owner proved they read (accounts' verification link) is mailed;
                # without one the notification still reaches the user's list on the site.
                inbox_only = needs_address and not (user.email and user.email_verified)
                record = Notification.objects.create(
                    user_id=user.pk,
                    topic=topic[:40],
                    subject=subject[:200],
                    body=body,
                    link=path[:300],
                    backend="inbox" if inbox_only else self._backend.name,
                    status=Notification.Status.SENT if inbox_only else Notification.Status.PENDING,
                    created_at=self._clock.now(),
                )
                if not inbox_only:
                    self._tasks.enqueue("notifications.deliver", notification_id=record.pk)

    def deliver(self, *, notification_id: int) -> None:
        """The task: hand one notification to the backend. Raises when it could not (the queue
        retries); a notification already sent, or deleted since, is left alone."""
        record = Notification.objects.select_related("user").get(pk=notification_id)
        if record.status == Notification.Status.SENT:
            log.info("notification %s was already sent", record.pk)
            return
        user = record.user
        address = user.email if user.email_verified else ""
        link = self.site_url + record.link if record.link else ""
        notice = Notice(user.pk, user.username, address, record.subject, record.body, link, f"notification-{record.pk}")
        try:
            self._backend.send(notice)
        except Exception as exc:  # the order stands whatever the mail server thinks
            log.warning(
                "notification %s to %s failed on the %s backend: %s", record.pk, user.username, self._backend.name, exc
            )
            Notification.objects.filter(pk=record.pk).update(
                status=Notification.Status.FAILED, error=f"{type(exc).__name__}: {exc}"[:300]
            )
            raise
        Notification.objects.filter(pk=record.pk).update(status=Notification.Status.SENT, error="")


def _order_path(reference: str) -> str:
    try:
        return reverse("orders:detail", args=[reference])
    except NoReverseMatch:  # orders' pages are not mounted here
        return ""


def _wallet_path() -> str:
    try:
        return reverse("wallets:wallet")
    except NoReverseMatch:  # wallets' pages are not mounted here
        return ""


def _compose(topic: str, p: dict) -> tuple[set, str, str] | None:
    if topic == "wallets.deposit_credited":
        amount = format_btc(int(p.get("amount_sat") or 0))
        body = f"{amount} BTC arrived in your balance and can be spent now."
        return {p.get("user_id")} - {None}, f"Deposit of {amount} BTC credited", body
    ref = p.get("reference", "")
    buyer, vendor, actor = p.get("buyer_id"), p.get("vendor_user_id"), p.get("actor_id", p.get("author_id"))
    others = {buyer, vendor} - {actor}
    if topic == "orders.message_posted":
        return others, f"New message about order {ref}", p.get("excerpt", "")
    if topic == "orders.reviewed":
        return {vendor}, f"Order {ref} was reviewed: {p.get('rating')}/5", "The buyer left a review of this order."
    if topic != "orders.changed":
        return None
    amount = format_btc(int(p.get("total_sat") or 0))
    note = p.get("note") or ""
    texts = {
        "place": ({vendor}, f"New order {ref}", f"The buyer paid {amount} BTC into escrow. Accept or decline it."),
        "accept": ({buyer}, f"Order {ref} was accepted", "The vendor accepted your order and will ship it."),
        "decline": (
            {buyer},
            f"Order {ref} was declined",
            f"The vendor declined your order; {amount} BTC went back to your balance.",
        ),
        "cancel": ({vendor}, f"Order {ref} was cancelled", "The buyer cancelled the order before you accepted it."),
        "expire": (
            {buyer, vendor},
            f"Order {ref} was not accepted in time",
            f"The vendor did not accept it in time; {amount} BTC went back to the buyer.",
        ),
        "ship": ({buyer}, f"Order {ref} has shipped", "The vendor shipped your order."),
        "confirm": (
            {vendor},
            f"Order {ref} is complete",
            "The buyer confirmed receipt; the payment was released to your balance.",
        ),
        "auto_complete": (
            {buyer, vendor},
            f"Order {ref} completed automatically",
            "The confirmation period ended; the payment was released to the vendor.",
        ),
        "dispute": (others, f"A dispute was opened on order {ref}", "Staff will look into it and rule."),
        "resolve": ({buyer, vendor}, f"The dispute on order {ref} was resolved", "Staff ruled on the dispute."),
    }
    found = texts.get(p.get("action"))
    if found is None:
        return None
    recipients, subject, body = found
    return recipients - {None}, subject, f"{body}\n\n{note}" if note else body
