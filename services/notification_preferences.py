"""Which kinds of notification a user wants by e-mail (services/notification_kinds.py lists them).

All are on until the user switches one off; a switched-off kind still reaches the user's list
on the site. Stored as the kinds switched off, so a kind added later starts on for everyone.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from marketplace.notifications.models import EmailOptOut
from services.errors import ServiceError
from services.notification_kinds import KIND_KEYS, KINDS


@dataclass(frozen=True)
class EmailPreference:
    key: str
    label: str
    help: str
    on: bool


class NotificationPreferences:
    def email_preferences(self, *, user_id: int) -> list[EmailPreference]:
        off = set(EmailOptOut.objects.filter(user_id=user_id).values_list("kind", flat=True))
        return [EmailPreference(k.key, str(k.label), str(k.help), k.key not in off) for k in KINDS]

    def set_email_preferences(self, *, user_id: int, wanted) -> list[str]:
        """``wanted``: the kinds to e-mail (every other one is switched off). Returns the kinds
        now off. An unknown kind refuses the whole change."""
        wanted = set(wanted)
        unknown = sorted(str(kind)[:40] for kind in wanted - set(KIND_KEYS))
        if unknown:
            raise ServiceError(
                _("Unknown kind of notification: %(kinds)s. Nothing was changed.") % {"kinds": ", ".join(unknown)}
            )
        off = [key for key in KIND_KEYS if key not in wanted]
        with transaction.atomic():
            EmailOptOut.objects.filter(user_id=user_id).exclude(kind__in=off).delete()
            have = set(EmailOptOut.objects.filter(user_id=user_id).values_list("kind", flat=True))
            EmailOptOut.objects.bulk_create(
                [EmailOptOut(user_id=user_id, kind=key) for key in off if key not in have], ignore_conflicts=True
            )
        return off
