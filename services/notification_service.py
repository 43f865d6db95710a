"""Notifications: tell the other party what happened to their order (and a user that their
deposit was credited), after it happened.

``notify`` records each notification (the user's list at /notifications/) once the surrounding
transaction commits, never before: a rolled-back change tells nobody. Sending it (an e-mail may
take seconds) is a background task, ``notifications.deliver``, recorded in the same transaction
as the notification: the request that caused it never waits on a mail server, and a backend
that fails is retried with back-off by the task queue, then shown to staff as failed. The
notifications module subscribes ``handle`` to the orders' events and the wallets'
``deposit_credited``, which are themselves delivered after commit.

Each notification has a kind (services/notification_kinds.py); a user who switched e-mail off for
that kind (services/notification_preferences.py) still gets it in their list, never by e-mail.
Reading and marking the list is services/notification_inbox.py.

A notification is written in one person's request for another: its text is composed in the
recipient's language (``User.language``, empty for the site's default), once per recipient, and
its e-mail sent in that language too.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.translation import gettext as _

from marketplace.notifications.models import EmailOptOut, Notification
from services.money import format_btc
from services.notification_backends import Notice
from services.notification_kinds import kind_of, thread_of

if TYPE_CHECKING:
    from services.personal_parts import PersonalParts
    from services.ports import Clock, NotificationBackend
    from services.task_service import TaskService

log = logging.getLogger(__name__)

TOPICS = ("orders.changed", "orders.message_posted", "orders.reviewed", "wallets.deposit_credited")


@dataclass(frozen=True)
class _About:
    text: Callable[[], tuple[str, str]]  # (subject, body), called in the recipient's language
    path: str
    topic: str
    kind: str
    thread: str


class NotificationService:
    def __init__(
        self,
        *,
        backend: NotificationBackend,
        clock: Clock,
        tasks: TaskService,
        site_url: str = "",
        people: PersonalParts | None = None,
    ):
        self._backend = backend
        self._people = people  # told whose unread count grew (the header shows it)
        self._clock = clock
        self._tasks = tasks
        self.site_url = (site_url or "").rstrip("/")

    @property
    def backend_name(self) -> str:
        return self._backend.name

    def notify(
        self, *, user_ids, subject: str, body: str, path: str = "", topic: str = "", kind: str = "", thread: str = ""
    ) -> None:
        """Send to each user once the current transaction commits (at once outside one).

        ``kind`` is what a user may switch e-mail off for (services/notification_kinds.py);
        ``thread`` what the inbox groups it under."""
        recipients = sorted({uid for uid in user_ids if isinstance(uid, int)})
        if recipients:
            about = _About(lambda: (subject, body), path, topic, kind, thread)
            transaction.on_commit(lambda: self._deliver(recipients, about))

    def handle(self, topic: str, payload: dict) -> None:
        """An order event (delivered after commit): work out who to tell, and what."""
        composed = _compose(topic, payload)
        if composed is None:
            return
        recipients = sorted({uid for uid in composed[0] if isinstance(uid, int)})
        if not recipients:
            return
        path = _wallet_path() if topic.startswith("wallets.") else _order_path(payload["reference"])
        about = _About(
            lambda: _compose(topic, payload)[1:], path, topic, kind_of(topic, payload), thread_of(topic, payload)
        )
        transaction.on_commit(lambda: self._deliver(recipients, about))

    # delivery
    def _deliver(self, recipients: list[int], about: _About) -> None:
        """Each user's notification, and the task that sends it, written together."""
        users = get_user_model().objects.filter(pk__in=recipients, is_active=True)
        users = users.only("pk", "email", "email_verified", "language")
        needs_address = getattr(self._backend, "needs_address", False)
        # Those who switched this kind of e-mail off still find it in their list on the site.
        opted_out = (
            set(EmailOptOut.objects.filter(user_id__in=recipients, kind=about.kind).values_list("user_id", flat=True))
            if about.kind
            else set()
        )
        with transaction.atomic():
            for user in users:
                # Only an address its owner proved they read (accounts' verification link) is mailed;
                # without one the notification still reaches the user's list on the site.
                inbox_only = user.pk in opted_out or (needs_address and not (user.email and user.email_verified))
                with translation.override(language_of(user)):
                    subject, body = about.text()
                record = Notification.objects.create(
                    user_id=user.pk,
                    topic=about.topic[:40],
                    kind=about.kind[:20],
                    thread=about.thread[:60],
                    subject=str(subject)[:200],
                    body=str(body),
                    link=about.path[:300],
                    backend="inbox" if inbox_only else self._backend.name,
                    status=Notification.Status.SENT if inbox_only else Notification.Status.PENDING,
                    created_at=self._clock.now(),
                )
                if not inbox_only:
                    self._tasks.enqueue("notifications.deliver", notification_id=record.pk)
            if self._people is not None:
                self._people.changed(user.pk for user in users)

    def deliver(self, *, notification_id: int) -> None:
        """The task: hand one notification to the backend. Raises when it could not (the queue
        retries); a notification already sent, or deleted since, is left alone."""
        record = Notification.objects.select_related("user").get(pk=notification_id)
        if record.status == Notification.Status.SENT:
            log.info("notification %s was already sent", record.pk)
            return
        user = record.user
        if record.kind and EmailOptOut.objects.filter(user_id=user.pk, kind=record.kind).exists():
            # Switched off between writing it and this attempt: the list on the site is enough.
            Notification.objects.filter(pk=record.pk).update(status=Notification.Status.SENT, backend="inbox", error="")
            return
        address = user.email if user.email_verified else ""
        link = self.site_url + record.link if record.link else ""
        language = language_of(user)
        notice = Notice(
            user.pk, user.username, address, record.subject, record.body, link, f"notification-{record.pk}", language
        )
        try:
            with translation.override(language):
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


def language_of(user) -> str:
    """The language to write to this user in: the one they last chose, else the site's."""
    codes = {code for code, _name in settings.LANGUAGES}
    chosen = getattr(user, "language", "") or ""
    return chosen if chosen in codes else settings.LANGUAGE_CODE


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
    """Who to tell and what, in the active language (the caller switches to the recipient's)."""
    if topic == "wallets.deposit_credited":
        amount = format_btc(int(p.get("amount_sat") or 0))
        body = _("%(amount)s BTC arrived in your balance and can be spent now.") % {"amount": amount}
        return {p.get("user_id")} - {None}, _("Deposit of %(amount)s BTC credited") % {"amount": amount}, body
    ref = p.get("reference", "")
    buyer, vendor, actor = p.get("buyer_id"), p.get("vendor_user_id"), p.get("actor_id", p.get("author_id"))
    others = {buyer, vendor} - {actor}
    if topic == "orders.message_posted":
        return others, _("New message about order %(ref)s") % {"ref": ref}, p.get("excerpt", "")
    if topic == "orders.reviewed":
        subject = _("Order %(ref)s was reviewed: %(rating)s/5") % {"ref": ref, "rating": p.get("rating")}
        return {vendor}, subject, _("The buyer left a review of this order.")
    if topic != "orders.changed":
        return None
    amount = format_btc(int(p.get("total_sat") or 0))
    note = p.get("note") or ""
    about = {"ref": ref, "amount": amount}
    texts = {
        "place": (
            {vendor},
            _("New order %(ref)s"),
            _("The buyer paid %(amount)s BTC into escrow. Accept or decline it."),
        ),
        "accept": ({buyer}, _("Order %(ref)s was accepted"), _("The vendor accepted your order and will ship it.")),
        "decline": (
            {buyer},
            _("Order %(ref)s was declined"),
            _("The vendor declined your order; %(amount)s BTC went back to your balance."),
        ),
        "cancel": (
            {vendor},
            _("Order %(ref)s was cancelled"),
            _("The buyer cancelled the order before you accepted it."),
        ),
        "expire": (
            {buyer, vendor},
            _("Order %(ref)s was not accepted in time"),
            _("The vendor did not accept it in time; %(amount)s BTC went back to the buyer."),
        ),
        "ship": ({buyer}, _("Order %(ref)s has shipped"), _("The vendor shipped your order.")),
        "confirm": (
            {vendor},
            _("Order %(ref)s is complete"),
            _("The buyer confirmed receipt; the payment was released to your balance."),
        ),
        "auto_complete": (
            {buyer, vendor},
            _("Order %(ref)s completed automatically"),
            _("The confirmation period ended; the payment was released to the vendor."),
        ),
        "dispute": (others, _("A dispute was opened on order %(ref)s"), _("Staff will look into it and rule.")),
        "resolve": ({buyer, vendor}, _("The dispute on order %(ref)s was resolved"), _("Staff ruled on the dispute.")),
    }
    found = texts.get(p.get("action"))
    if found is None:
        return None
    recipients, subject, body = found
    subject, body = subject % about, body % about
    return recipients - {None}, subject, f"{body}\n\n{note}" if note else body
