"""A user's notifications on the site: the list grouped by what they are about, the unread count
the navigation shows, and marking them read.

Every method takes the user it acts for and only ever touches that user's rows: another user's
notification (or one that does not exist) is ``NotFound``, the same answer either way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.core.paginator import Paginator
from django.db.models import Count, F, Max, Q, Window
from django.db.models.functions import RowNumber
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from marketplace.notifications.models import Notification
from services.errors import NotFound
from services.notification_kinds import LABELS, thread_title

if TYPE_CHECKING:
    from services.personal_parts import PersonalParts
    from services.ports import Clock

# Above any id a table holds, and beyond what SQLite and PostgreSQL integers take.
MAX_ID = 2**63 - 1


@dataclass(frozen=True)
class InboxRow:
    id: int
    subject: str
    body: str
    kind: str
    has_link: bool
    created_at: datetime
    unread: bool


@dataclass(frozen=True)
class InboxGroup:
    title: str
    link: str  # the order page, the wallet...; "" when there is none
    total: int
    unread: int
    rows: list[InboxRow]

    @property
    def earlier(self) -> int:
        """Older notifications of the group not shown (the order page has the whole story)."""
        return self.total - len(self.rows)


@dataclass(frozen=True)
class InboxPage:
    groups: list[InboxGroup]
    page: object  # django.core.paginator.Page of the groups: number, has_next, next_page_number...
    unread: int


class NotificationInbox:
    def __init__(
        self, *, clock: Clock, people: PersonalParts | None = None, groups_per_page: int = 10, rows_per_group: int = 5
    ):
        self._clock = clock
        self._people = people  # told whose unread count changed (the header shows it)
        self.groups_per_page = groups_per_page
        self.rows_per_group = rows_per_group

    def unread_count(self, *, user_id: int) -> int:
        """One query on the partial index of unread rows (the navigation asks on every page)."""
        return Notification.objects.filter(user_id=user_id, read_at__isnull=True).count()

    def page(self, *, user_id: int, number=1) -> InboxPage:
        """One page of groups, newest group first (a group is as new as its newest notification);
        ``number`` is what the visitor typed: anything but a page that exists gives the nearest."""
        mine = Notification.objects.filter(user_id=user_id)
        threads = (
            mine.values("thread")
            .annotate(latest=Max("id"), total=Count("id"), unread=Count("id", filter=Q(read_at__isnull=True)))
            .order_by("-latest")
        )
        page = Paginator(threads, self.groups_per_page).get_page(number)
        found = list(page.object_list)
        rows: dict[str, list[InboxRow]] = {group["thread"]: [] for group in found}
        if found:
            newest_first = Window(RowNumber(), partition_by=[F("thread")], order_by=F("id").desc())
            recent = (
                mine.filter(thread__in=list(rows))
                .annotate(position=newest_first)
                .filter(position__lte=self.rows_per_group)
                .order_by("-id")
            )
            for n in recent:
                unread = n.read_at is None
                kind = str(LABELS.get(n.kind, ""))
                rows[n.thread].append(InboxRow(n.id, n.subject, n.body, kind, bool(n.link), n.created_at, unread))
        groups = [
            InboxGroup(thread_title(g["thread"]), _thread_link(g["thread"]), g["total"], g["unread"], rows[g["thread"]])
            for g in found
        ]
        return InboxPage(groups, page, self.unread_count(user_id=user_id))

    def mark_read(self, *, user_id: int, notification_id: int) -> bool:
        """True when it was unread. ``NotFound`` for another user's or a missing one."""
        record = self._own(user_id, notification_id)
        if record.read_at is not None:
            return False
        return bool(self._read(user_id, Notification.objects.filter(pk=record.pk, read_at__isnull=True)))

    def mark_all_read(self, *, user_id: int) -> int:
        return self._read(user_id, Notification.objects.filter(user_id=user_id, read_at__isnull=True))

    def _read(self, user_id: int, unread) -> int:
        marked = unread.update(read_at=self._clock.now())
        if marked and self._people is not None:
            self._people.changed([user_id])
        return marked

    def open(self, *, user_id: int, notification_id: int) -> str:
        """Mark it read and say where it leads: its link when that is a path on this site, else
        the list (a stored link is never allowed to send anyone to another site)."""
        record = self._own(user_id, notification_id)
        if record.read_at is None:
            self._read(user_id, Notification.objects.filter(pk=record.pk, read_at__isnull=True))
        link = record.link
        if link.startswith("/") and url_has_allowed_host_and_scheme(link, allowed_hosts=None):
            return link
        return reverse("notifications:inbox")

    def _own(self, user_id: int, notification_id: int) -> Notification:
        if not isinstance(notification_id, int) or not 0 < notification_id <= MAX_ID:
            raise NotFound(_("There is no such notification."))
        record = Notification.objects.filter(pk=notification_id, user_id=user_id).only("pk", "link", "read_at").first()
        if record is None:
            raise NotFound(_("There is no such notification."))
        return record


def _thread_link(thread: str) -> str:
    try:
        if thread.startswith("order:"):
            return reverse("orders:detail", args=[thread.removeprefix("order:")])
        if thread == "wallet":
            return reverse("wallets:wallet")
    except NoReverseMatch:  # that module's pages are not mounted here
        pass
    return ""
