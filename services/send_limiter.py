"""Counts account e-mails asked for, in the database, and refuses past a limit (no mail bombs).

The database, not the cache: a limit that lapses when Redis is down is no limit. Each request
is recorded first and counted after, each in its own statement, so two racing requests see
each other and a burst errs on the side of refusing. Refused requests count as well: a flood
keeps the door shut until it stops for a whole window.
"""

from __future__ import annotations

import hashlib
import math
from datetime import timedelta
from typing import TYPE_CHECKING

from django.utils.translation import ngettext

from services.errors import MailThrottled

if TYPE_CHECKING:
    from services.ports import Clock


def _mail_request():
    # Imported on use: the accounts container is declared in every project that runs the modular
    # system (containers/application.py), its tools included, and the accounts app that holds
    # this table may not be installed there; only counting a request needs it.
    from marketplace.accounts.models import MailRequest

    return MailRequest


class SendLimiter:
    def __init__(self, *, clock: Clock, window_seconds: int):
        if int(window_seconds) < 1:
            raise ValueError("the mail window must be at least one second")
        self._clock = clock
        self.window_seconds = int(window_seconds)

    def take(self, scope: str, limits: dict[str, int]) -> None:
        """Count one request under every key of ``limits`` (key: most allowed per window).

        Raises ``MailThrottled`` when any key is over its limit; the caller then sends nothing.
        """
        MailRequest = _mail_request()
        now = self._clock.now()
        since = now - timedelta(seconds=self.window_seconds)
        MailRequest.objects.filter(created_at__lt=since).delete()
        digests = {self._digest(scope, key): int(limit) for key, limit in limits.items()}
        MailRequest.objects.bulk_create([MailRequest(scope=scope, key=d, created_at=now) for d in digests])
        for digest, limit in digests.items():
            if MailRequest.objects.filter(scope=scope, key=digest, created_at__gte=since).count() > limit:
                minutes = math.ceil(self.window_seconds / 60)
                raise MailThrottled(
                    ngettext(
                        "Too many e-mails were asked for lately. Try again in %(count)s minute.",
                        "Too many e-mails were asked for lately. Try again in %(count)s minutes.",
                        minutes,
                    )
                    % {"count": minutes},
                    retry_after=self.window_seconds,
                )

    @staticmethod
    def _digest(scope: str, key: str) -> str:
        # Addresses are personal data: only their digests are kept.
        return hashlib.sha256(f"{scope}\0{key}".encode()).hexdigest()
